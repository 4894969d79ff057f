"""The memory store's rules: whose store a session writes to, what a path may be, how big a
store may grow. The store itself is ``agents.models.MemoryEntry`` rows (written by
``agents.services.memory``, read by ``agents.selectors``); nothing here touches the
database or the filesystem.

A path is relative to the store's root and normalised: ``./notes//a.md`` and ``/notes/a.md``
are ``notes/a.md``; a ``..`` component, a NUL or another control character is refused, so
no path can leave the store.
"""

from __future__ import annotations

import uuid
from typing import Literal

from agents.exceptions import MemoryRefused

MemoryScope = Literal["session", "owner", "template"]

FILE_MAX_BYTES = 1_000_000
STORE_MAX_BYTES = 10_000_000
STORE_MAX_ENTRIES = 2_000
PATH_MAX_CHARS = 500
NAME_MAX_CHARS = 255


def store_key(*, scope: str, session_id: uuid.UUID, template: str, owner: str) -> str:
    """Whose memory a session uses: its own (``session``), its caller's for this template,
    kept across sessions (``owner``), or the template's, shared by every caller
    (``template``)."""
    if scope == "owner":
        return f"owner:{template}:{owner}"
    if scope == "template":
        return f"template:{template}"
    return f"{SESSION_STORE_PREFIX}{session_id}"


SESSION_STORE_PREFIX = "session:"


def session_of(store: str) -> uuid.UUID | None:
    """The session whose own store ``store`` is, or None for a long-term store."""
    if not store.startswith(SESSION_STORE_PREFIX):
        return None
    try:
        return uuid.UUID(store.removeprefix(SESSION_STORE_PREFIX))
    except ValueError:
        return None


def normalise(raw: object, *, what: str = "path") -> str:
    """The store-relative form of ``raw``; '' is the root. ``MemoryRefused`` for a path
    that would leave the store or that no file could have."""
    text = str(raw if raw is not None else "").strip().replace("\\", "/")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise MemoryRefused(f"the {what} {text!r} contains a control character")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise MemoryRefused(f"the {what} {text!r} leaves the memory ('..' is not allowed)")
    for part in parts:
        if len(part) > NAME_MAX_CHARS:
            raise MemoryRefused(f"a name in the {what} is longer than {NAME_MAX_CHARS} characters")
    path = "/".join(parts)
    if len(path) > PATH_MAX_CHARS:
        raise MemoryRefused(f"the {what} is longer than {PATH_MAX_CHARS} characters")
    return path


def file_path(raw: object) -> str:
    """A normalised path that can name a file (not the root)."""
    path = normalise(raw, what="file path")
    if not path:
        raise MemoryRefused("a file path is needed (the root is a directory)")
    return path


def parents(path: str) -> list[str]:
    """The directories above ``path``, outermost first (``a/b/c.md`` -> ``a``, ``a/b``)."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def size_of(content: str) -> int:
    return len(content.encode("utf-8"))


def link_target(link: str) -> str:
    """The file an Obsidian-style ``[[notes/bob]]`` link names (``notes/bob.md``); any
    other string is taken as a path."""
    text = link.strip()
    if text.startswith("[[") and text.endswith("]]"):
        target = text[2:-2].split("|", 1)[0].strip()
        return target if target.endswith(".md") else f"{target}.md"
    return text
