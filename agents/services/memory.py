"""Every write to a memory store (``MemoryEntry`` rows; the rules are ``agents.memory``).

Each write holds the store's transaction-scoped advisory lock, so two sessions sharing a
long-term store cannot both pass the size check and together exceed it. A write to a
session's own store is also journalled (``MemoryChange``, in the same transaction), so a
fork can rebuild the store as it was at any event.
"""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.db.models import Sum

from agents import memory
from agents.exceptions import MemoryRefused
from agents.models import MemoryChange, MemoryEntry, Session


def _journal(store: str, path: str, *, kind: str, content: str = "", deleted: bool = False) -> None:
    """Record what a write left at ``path`` in a session's own store (nothing for a
    long-term store, or a session that is gone)."""
    session_id = memory.session_of(store)
    if session_id is None:
        return
    after_seq = Session.objects.filter(pk=session_id).values_list("last_seq", flat=True).first()
    if after_seq is None:
        return
    MemoryChange.objects.create(
        session_id=session_id,
        after_seq=after_seq,
        path=path,
        kind=kind,
        content=content,
        deleted=deleted,
    )


def _lock(store: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"memory:{store}"])


def _ensure_dirs(store: str, path: str, session_id: uuid.UUID | None) -> None:
    """Create the directories above ``path`` (refused where one of them is a file)."""
    for parent in memory.parents(path):
        entry, created = MemoryEntry.objects.get_or_create(
            store=store,
            path=parent,
            defaults={"kind": MemoryEntry.Kind.DIR, "session_id": session_id},
        )
        if entry.kind != MemoryEntry.Kind.DIR:
            raise MemoryRefused(f"{parent} is a file, not a directory")
        if created:
            _journal(store, parent, kind=MemoryEntry.Kind.DIR)


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
    _journal(store, path, kind=MemoryEntry.Kind.FILE, content=content)
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
    _journal(store, path, kind=MemoryEntry.Kind.FILE, content=content)
    return occurrences


@transaction.atomic
def memory_file_delete(*, store: str, path: str) -> bool:
    """Delete the file; False when there is no such file (directories are kept)."""
    _lock(store)
    path = memory.file_path(path)
    deleted, _ = MemoryEntry.objects.filter(
        store=store, path=path, kind=MemoryEntry.Kind.FILE
    ).delete()
    if deleted:
        _journal(store, path, kind=MemoryEntry.Kind.FILE, deleted=True)
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
