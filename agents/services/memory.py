"""Every write to a memory store (``MemoryEntry`` rows; the rules are ``agents.memory``).

Each write holds the store's transaction-scoped advisory lock, so two sessions sharing a
long-term store cannot both pass the size check and together exceed it.
"""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.db.models import Sum

from agents import memory
from agents.exceptions import MemoryRefused
from agents.models import MemoryEntry


def _lock(store: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"memory:{store}"])


def _ensure_dirs(store: str, path: str, session_id: uuid.UUID | None) -> None:
    """Create the directories above ``path`` (refused where one of them is a file)."""
    for parent in memory.parents(path):
        entry, _ = MemoryEntry.objects.get_or_create(
            store=store,
            path=parent,
            defaults={"kind": MemoryEntry.Kind.DIR, "session_id": session_id},
        )
        if entry.kind != MemoryEntry.Kind.DIR:
            raise MemoryRefused(f"{parent} is a file, not a directory")


def _check_limits(store: str, path: str, new_size: int) -> None:
    if new_size > memory.FILE_MAX_BYTES:
        raise MemoryRefused(
            f"{path} would be {new_size} bytes; a file may hold {memory.FILE_MAX_BYTES}"
        )
    others = MemoryEntry.objects.filter(store=store).exclude(path=path)
    total = (others.aggregate(total=Sum("size"))["total"] or 0) + new_size
    if total > memory.STORE_MAX_BYTES:
        raise MemoryRefused(
            f"the memory would hold {total} bytes; its limit is {memory.STORE_MAX_BYTES}"
        )
    if others.count() + len(memory.parents(path)) >= memory.STORE_MAX_ENTRIES:
        raise MemoryRefused(f"the memory already holds {memory.STORE_MAX_ENTRIES} entries")


@transaction.atomic
def memory_file_write(
    *, store: str, path: str, content: str, session_id: uuid.UUID | None
) -> MemoryEntry:
    """Create or overwrite the file at the normalised ``path`` (its directories too),
    within the size limits. Holds the store's lock."""
    _lock(store)
    path = memory.file_path(path)
    existing = MemoryEntry.objects.filter(store=store, path=path).first()
    if existing is not None and existing.kind == MemoryEntry.Kind.DIR:
        raise MemoryRefused(f"{path} is a directory")
    size = memory.size_of(content)
    _check_limits(store, path, size)
    _ensure_dirs(store, path, session_id)
    entry, _ = MemoryEntry.objects.update_or_create(
        store=store,
        path=path,
        defaults={
            "kind": MemoryEntry.Kind.FILE,
            "content": content,
            "size": size,
            "session_id": session_id,
        },
    )
    return entry


@transaction.atomic
def memory_file_replace(
    *, store: str, path: str, old: str, new: str, session_id: uuid.UUID | None
) -> int:
    """Replace the first occurrence of ``old`` in the file; returns how many there were.
    ``MemoryRefused`` when the file or the text is missing. Holds the store's lock."""
    _lock(store)
    path = memory.file_path(path)
    entry = MemoryEntry.objects.filter(store=store, path=path, kind=MemoryEntry.Kind.FILE).first()
    if entry is None:
        raise MemoryRefused(f"{path} does not exist")
    if not old or old not in entry.content:
        raise MemoryRefused(f"{path} does not contain the text to replace: {old[:50]!r}")
    occurrences = entry.content.count(old)
    content = entry.content.replace(old, new, 1)
    size = memory.size_of(content)
    _check_limits(store, path, size)
    MemoryEntry.objects.filter(pk=entry.pk).update(
        content=content, size=size, session_id=session_id
    )
    return occurrences


@transaction.atomic
def memory_file_delete(*, store: str, path: str) -> bool:
    """Delete the file; False when there is no such file (directories are kept)."""
    _lock(store)
    deleted, _ = MemoryEntry.objects.filter(
        store=store, path=memory.file_path(path), kind=MemoryEntry.Kind.FILE
    ).delete()
    return bool(deleted)


@transaction.atomic
def memory_dir_create(*, store: str, path: str, session_id: uuid.UUID | None) -> None:
    """Create the directory and those above it (nothing when it exists; refused where a
    file has the name). Holds the store's lock."""
    _lock(store)
    path = memory.normalise(path, what="directory path")
    if not path:
        return
    _check_limits(store, path, 0)
    _ensure_dirs(store, f"{path}/", session_id)
