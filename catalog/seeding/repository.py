"""Reading an sgr-agent-core clone: cloning or fetching into the cache, resolving branches,
and reading files straight from commit trees.

Nothing is ever checked out: a branch is read from its commit's tree objects, so the working
tree of a local clone stays on whatever branch its owner left it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import git
from git.objects import Blob, Commit

from catalog.seeding.errors import SeedSourceError

# Files bigger than this are data, not tool or agent definitions.
MAX_SOURCE_BYTES = 1_000_000

Progress = Callable[[str], None]


def cache_dir_name(url: str) -> str:
    """A stable, filesystem-safe folder name for a repository URL."""
    stripped = re.sub(r"^[a-z+]+://", "", url.strip()).rstrip("/")
    stripped = stripped.removesuffix(".git")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", stripped).strip("._-")[-80:] or "repo"
    digest = hashlib.sha256(url.strip().encode()).hexdigest()[:10]
    return f"{readable}-{digest}"


@dataclass
class BranchTree:
    """One branch's files as of one commit, read lazily from the object database."""

    label: str
    commit: Commit
    _blobs: dict[str, Blob] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for item in self.commit.tree.traverse():
            if isinstance(item, Blob):
                self._blobs[str(item.path)] = item

    @property
    def hexsha(self) -> str:
        return str(self.commit.hexsha)

    def paths(self) -> list[str]:
        return sorted(self._blobs)

    def exists(self, path: str) -> bool:
        return path in self._blobs

    def read_text(self, path: str) -> str | None:
        """The file's text (UTF-8), or None when it is missing, too big or not text."""
        blob = self._blobs.get(path)
        if blob is None or blob.size > MAX_SOURCE_BYTES:
            return None
        data = blob.data_stream.read()
        if b"\0" in data:
            return None
        return data.decode("utf-8", errors="replace")


@dataclass
class SourceRepository:
    """An opened clone and the label used as provenance (the URL, or the local path)."""

    repo: git.Repo
    source: str

    def branch(self, name: str | None) -> BranchTree:
        """Resolve a local or remote branch (``origin/<b>`` too); None means the default
        branch (the remote's HEAD when known, else HEAD)."""
        if name is None:
            return self._default_branch()
        for candidate in _candidates(name):
            try:
                commit = self.repo.rev_parse(f"{candidate}^{{commit}}")
            except (git.BadName, git.BadObject, ValueError, IndexError, git.GitCommandError):
                continue
            if isinstance(commit, Commit):
                return BranchTree(label=name, commit=commit)
        known = ", ".join(sorted(_branch_names(self.repo))) or "none"
        raise SeedSourceError(
            f"branch {name!r} does not exist in {self.source} (branches: {known})",
            param="branch",
        )

    def _default_branch(self) -> BranchTree:
        for ref in ("refs/remotes/origin/HEAD",):
            try:
                commit = self.repo.rev_parse(f"{ref}^{{commit}}")
            except (git.BadName, git.BadObject, ValueError, IndexError):
                continue
            if isinstance(commit, Commit):
                target = self.repo.git.symbolic_ref(ref, "--short", with_exceptions=False)
                return BranchTree(label=str(target or ref), commit=commit)
        try:
            commit = self.repo.head.commit
        except ValueError as exc:
            raise SeedSourceError(f"{self.source} has no commits to read", param="branch") from exc
        label = "HEAD" if self.repo.head.is_detached else self.repo.head.ref.name
        return BranchTree(label=label, commit=commit)


def _candidates(name: str) -> Iterator[str]:
    yield f"refs/heads/{name}"
    yield f"refs/remotes/{name}"
    yield f"refs/remotes/origin/{name}"
    if name.startswith("origin/"):
        # A mirror clone keeps the remote's branches as local heads.
        yield f"refs/heads/{name.removeprefix('origin/')}"
    yield f"refs/tags/{name}"


def _branch_names(repo: git.Repo) -> set[str]:
    names = {head.name for head in repo.heads}
    for remote in repo.remotes:
        names.update(ref.name for ref in remote.refs if not ref.name.endswith("/HEAD"))
    return names


def open_local(path: str) -> SourceRepository:
    """Open an existing clone (bare or not) at ``path``."""
    resolved = Path(path).expanduser().resolve()
    try:
        repo = git.Repo(resolved, search_parent_directories=False)
    except git.NoSuchPathError as exc:
        raise SeedSourceError(f"{path} does not exist", param="repo_path") from exc
    except git.InvalidGitRepositoryError as exc:
        raise SeedSourceError(f"{path} is not a git repository", param="repo_path") from exc
    return SourceRepository(repo=repo, source=str(resolved))


def clone_or_fetch(url: str, *, cache_root: Path, progress: Progress) -> SourceRepository:
    """Mirror-clone ``url`` into the cache, or fetch if it is already there."""
    target = cache_root / cache_dir_name(url)
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    if target.exists():
        try:
            repo = git.Repo(target)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            shutil.rmtree(target, ignore_errors=True)
        else:
            progress(f"fetching {url} into {target}")
            try:
                with repo.git.custom_environment(**env):
                    repo.git.fetch("origin", "--prune", "--tags")
            except git.GitCommandError as exc:
                # Offline use is legitimate: read what the cache holds, and say so.
                progress(f"  warning: fetch failed, reading the cached clone ({_stderr(exc)})")
            return SourceRepository(repo=repo, source=url)
    progress(f"cloning {url} into {target}")
    cache_root.mkdir(parents=True, exist_ok=True)
    try:
        repo = git.Repo.clone_from(url, target, mirror=True, env={**os.environ, **env})
    except git.GitCommandError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise SeedSourceError(f"cannot clone {url}: {_stderr(exc)}", param="repo_url") from exc
    return SourceRepository(repo=repo, source=url)


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    message = lines[-1] if lines else text
    return message.removeprefix("stderr:").strip(" '")
