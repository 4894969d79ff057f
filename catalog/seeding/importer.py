"""Turning what a branch of sgr-agent-core defines into catalog entries.

Seeding runs in two phases. First every requested branch is read and planned (tools with
canonical names, schemas and bindings; templates with flavours, policies and prompts) and
validated, without touching the database, so a bad URL, a missing branch or an unreadable
repository writes nothing. Then each branch's plan is written through the catalog services
in one transaction; the services make unchanged content a no-op, so seeding twice changes
nothing. A dry run writes inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from catalog.seeding.errors import SeedSourceError
from catalog.seeding.names import canonical_tool_name
from catalog.seeding.planning import plan_branch
from catalog.seeding.repository import Progress, clone_or_fetch, open_local
from catalog.seeding.summary import BranchSummary, Counts, SeedSummary
from catalog.seeding.tool_plans import known_tool_keys
from catalog.seeding.writing import write_branch

# The seed's public names (``canonical_tool_name`` is the rule every spelling goes through).
__all__ = [
    "BranchSummary",
    "Counts",
    "SeedSummary",
    "canonical_tool_name",
    "catalog_seed_from_repo",
]


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


def catalog_seed_from_repo(
    *,
    repo_url: str | None = None,
    repo_path: str | None = None,
    branches: Iterable[str] = (),
    activate: bool = True,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SeedSummary:
    """Import sgr-agent-core's tools and agents from a git clone; every branch is read and
    validated before anything is written, and each branch is written in one transaction."""
    say: Progress = progress or (lambda _message: None)
    if bool(repo_url) == bool(repo_path):
        raise SeedSourceError("give exactly one of a repository URL or a local path")
    if repo_path:
        source = open_local(repo_path)
    else:
        assert repo_url is not None
        source = clone_or_fetch(
            repo_url, cache_root=settings.MARUNTIME_HOME / "repos", progress=say
        )
    requested: list[str | None] = [*branches] or [None]
    trees = [source.branch(name) for name in requested]
    known = known_tool_keys()
    plans = [plan_branch(source, tree, known=known, say=say) for tree in trees]
    summary = SeedSummary(source=source.source, dry_run=dry_run, activate=activate)
    if dry_run:
        try:
            with transaction.atomic():
                for plan in plans:
                    summary.branches.append(write_branch(plan, activate=activate))
                raise _DryRun
        except _DryRun:
            pass
    else:
        for plan in plans:
            with transaction.atomic():
                summary.branches.append(write_branch(plan, activate=activate))
    return summary
