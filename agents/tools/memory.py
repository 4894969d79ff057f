"""The memory and file tools: sgr-agent-core's file-memory tools (branch
``sgr-memory-agent``) and its file agent's tools (0.6+), over the session's memory store
in PostgreSQL instead of a directory on the worker's disk.

They take the originals' arguments (``file_path``, ``content``, ``dir_path``,
``file_or_dir_path``, ``link_string``, ``directory_path``, ``search_text``, ...) and answer
in the originals' forms ("True"/"False", file text, a size in bytes, a tree). The store is
the one ``tool_policy.memory_scope`` names; paths are normalised and may not leave it
(``agents.memory``). A refused request (a missing file, a path with ``..``, a file over the
limits) fails the call with the reason, which the model reads.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from agents import memory, selectors
from agents.exceptions import MemoryRefused
from agents.models import MemoryEntry
from agents.services import memory as memory_services
from agents.tools.base import ToolContext, ToolOutcome
from agents.tools.builtin import builtin
from maruntime.asyncdb import run_sync

SEARCH_MAX_RESULTS = 200
READ_MAX_CHARS = 100_000


async def _store(context: ToolContext) -> str:
    return await run_sync(selectors.memory_store_for)(session_id=context.session_id)


def _text(value: bool | str) -> ToolOutcome:
    return ToolOutcome(content=str(value))


def _file(store: str, raw_path: object) -> MemoryEntry:
    path = memory.file_path(raw_path)
    entry = selectors.memory_entry(store=store, path=path)
    if entry is None:
        raise MemoryRefused(f"the file {path} does not exist")
    if entry.kind != MemoryEntry.Kind.FILE:
        raise MemoryRefused(f"{path} is a directory, not a file")
    return entry


def _exists(store: str, raw_path: object, kind: str) -> bool:
    try:
        path = memory.normalise(raw_path)
    except MemoryRefused:
        return False
    if not path:
        return kind == MemoryEntry.Kind.DIR
    entry = selectors.memory_entry(store=store, path=path)
    return entry is not None and entry.kind == kind


# --- the memory branch's tools -----------------------------------------------------------


@builtin("create_file")
async def create_file(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    await run_sync(memory_services.memory_file_write)(
        store=await _store(context),
        path=arguments.get("file_path", ""),
        content=str(arguments.get("content", "")),
        session_id=context.session_id,
    )
    return _text(True)


@builtin("read_file")
async def read_file(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """The file's text; with ``start_line``/``end_line`` (1-based, the file agent's form)
    only those lines."""
    entry = await run_sync(_file)(await _store(context), arguments.get("file_path", ""))
    start, end = arguments.get("start_line"), arguments.get("end_line")
    text = entry.content
    if start is not None or end is not None:
        lines = text.splitlines()
        first = max(int(start or 1), 1)
        last = min(int(end or len(lines)), len(lines))
        text = "\n".join(f"{n}: {lines[n - 1]}" for n in range(first, last + 1))
    if len(text) > READ_MAX_CHARS:
        text = f"{text[:READ_MAX_CHARS]}\n[... {len(text) - READ_MAX_CHARS} more characters]"
    return ToolOutcome(content=text)


@builtin("update_file")
async def update_file(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    occurrences = await run_sync(memory_services.memory_file_replace)(
        store=await _store(context),
        path=arguments.get("file_path", ""),
        old=str(arguments.get("old_content", "")),
        new=str(arguments.get("new_content", "")),
        session_id=context.session_id,
    )
    if occurrences > 1:
        return ToolOutcome(
            content=f"True (the text occurs {occurrences} times; the first was replaced)"
        )
    return _text(True)


@builtin("delete_file")
async def delete_file(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    deleted = await run_sync(memory_services.memory_file_delete)(
        store=await _store(context), path=arguments.get("file_path", "")
    )
    return _text(deleted)


@builtin("check_if_file_exists")
async def check_if_file_exists(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    store = await _store(context)
    return _text(await run_sync(_exists)(store, arguments.get("file_path"), "file"))


@builtin("check_if_dir_exists")
async def check_if_dir_exists(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    store = await _store(context)
    return _text(await run_sync(_exists)(store, arguments.get("dir_path"), "dir"))


@builtin("create_dir")
async def create_dir(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    await run_sync(memory_services.memory_dir_create)(
        store=await _store(context),
        path=arguments.get("dir_path", ""),
        session_id=context.session_id,
    )
    return _text(True)


@builtin("get_size")
async def get_size(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """Bytes of a file, of a directory's files, or ('') of the whole store."""
    path = memory.normalise(arguments.get("file_or_dir_path", ""))
    size = await run_sync(selectors.memory_size)(store=await _store(context), path=path)
    if size is None:
        raise MemoryRefused(f"nothing exists at {path}")
    return ToolOutcome(content=str(size))


def _tree(store: str) -> str:
    entries = list(selectors.memory_entries(store=store))
    children: dict[str, list[MemoryEntry]] = {}
    for entry in entries:
        parent = entry.path.rpartition("/")[0]
        children.setdefault(parent, []).append(entry)
    lines = ["./"]

    def walk(directory: str, indent: str) -> None:
        below = children.get(directory, [])
        for index, entry in enumerate(below):
            last = index == len(below) - 1
            name = entry.path.rpartition("/")[2]
            if entry.kind == MemoryEntry.Kind.DIR:
                empty = " (empty)" if entry.path not in children else ""
                lines.append(f"{indent}{'└── ' if last else '├── '}{name}/{empty}")
                walk(entry.path, indent + ("    " if last else "│   "))
            else:
                lines.append(f"{indent}{'└── ' if last else '├── '}{name}")

    walk("", "")
    return "\n".join(lines)


@builtin("get_list_files")
async def get_list_files(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    return ToolOutcome(content=await run_sync(_tree)(await _store(context)))


@builtin("go_to_link")
async def go_to_link(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """The note an Obsidian-style ``[[path/to/note]]`` link points to."""
    target = memory.link_target(str(arguments.get("link_string", "")))
    entry = await run_sync(_file)(await _store(context), target)
    return ToolOutcome(content=entry.content)


# --- the file agent's tools (0.6+) --------------------------------------------------------


def _directory(store: str, raw: object) -> str:
    path = memory.normalise(raw, what="directory path")
    if path and not _exists(store, path, MemoryEntry.Kind.DIR):
        raise MemoryRefused(f"the directory {path} does not exist")
    return path


def _listing(store: str, raw: object, recursive: bool) -> str:
    directory = _directory(store, raw)
    depth = directory.count("/") + 1 if directory else 0
    lines = []
    for entry in selectors.memory_entries(store=store, under=directory):
        level = entry.path.count("/") - depth
        if level and not recursive:
            continue
        name = entry.path.rpartition("/")[2]
        suffix = "/" if entry.kind == MemoryEntry.Kind.DIR else f" ({entry.size} bytes)"
        lines.append(f"{'  ' * level}{name}{suffix}")
    title = f"Contents of /{directory}" + (" (recursive)" if recursive else "")
    return f"{title}:\n" + ("\n".join(lines) if lines else "(empty)")


@builtin("list_directory")
async def list_directory(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    store = await _store(context)
    recursive = bool(arguments.get("recursive", False))
    listing = await run_sync(_listing)(store, arguments.get("directory_path") or "", recursive)
    return ToolOutcome(content=listing)


def _files(
    store: str, directory: str, pattern: str, *, max_depth: int | None = None
) -> list[MemoryEntry]:
    """The files below the directory whose name matches the glob ``pattern``."""
    depth = directory.count("/") + 1 if directory else 0
    return [
        entry
        for entry in selectors.memory_entries(store=store, under=directory)
        if entry.kind == MemoryEntry.Kind.FILE
        and fnmatch.fnmatchcase(entry.path.rpartition("/")[2], pattern or "*")
        and (max_depth is None or entry.path.count("/") - depth < max_depth)
    ]


def _search(store: str, arguments: dict[str, Any]) -> str:
    text = str(arguments.get("search_text", ""))
    if not text:
        raise MemoryRefused("search_text is empty")
    directory = _directory(store, arguments.get("directory", ""))
    files = _files(store, directory, str(arguments.get("file_pattern") or "*"))
    limit = min(max(int(arguments.get("max_results") or 50), 1), SEARCH_MAX_RESULTS)
    hits = selectors.memory_search(
        store=store,
        paths=[entry.path for entry in files],
        pattern=text,
        regex=bool(arguments.get("regex", False)),
        case_sensitive=bool(arguments.get("case_sensitive", True)),
        limit=limit,
    )
    if not hits:
        return f"No matches for {text!r} in {len(files)} file(s)."
    lines = [f"{path}:{number}: {line[:300]}" for path, number, line in hits]
    more = " (limit reached)" if len(hits) == limit else ""
    return f"{len(hits)} match(es) for {text!r}{more}:\n" + "\n".join(lines)


@builtin("search_in_files")
async def search_in_files(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    return ToolOutcome(content=await run_sync(_search)(await _store(context), arguments))


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$", re.IGNORECASE)


def _bytes(text: str) -> int:
    """``'100k'`` -> 102400; ``MemoryRefused`` for a size it cannot read."""
    match = _SIZE.match(text)
    if match is None:
        raise MemoryRefused(f"min_size {text!r} is not a size such as '100k' or '1M'")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def _find(store: str, arguments: dict[str, Any]) -> str:
    directory = _directory(store, arguments.get("directory", ""))
    max_depth = int(arguments.get("max_depth") or 10)
    files = _files(store, directory, str(arguments.get("name_pattern") or "*"), max_depth=max_depth)
    if arguments.get("min_size"):
        smallest = _bytes(str(arguments["min_size"]))
        files = [entry for entry in files if entry.size >= smallest]
    if arguments.get("modified_days") is not None:
        since = timezone.now() - timedelta(days=int(arguments["modified_days"]))
        files = [entry for entry in files if entry.updated_at >= since]
    if not files:
        return "No files found."
    lines = [f"{e.path} ({e.size} bytes, modified {e.updated_at:%Y-%m-%d %H:%M})" for e in files]
    return f"{len(files)} file(s):\n" + "\n".join(lines[:SEARCH_MAX_RESULTS])


@builtin("find_files_fast")
async def find_files_fast(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    return ToolOutcome(content=await run_sync(_find)(await _store(context), arguments))


def _paths(store: str) -> str:
    entries = list(selectors.memory_entries(store=store))
    files = [entry for entry in entries if entry.kind == MemoryEntry.Kind.FILE]
    scope = store.split(":", 1)[0]
    return (
        "Workspace root: / (this agent's memory store; there is no other filesystem)\n"
        f"Scope: {scope}\n"
        f"Files: {len(files)}, directories: {len(entries) - len(files)}, "
        f"bytes used: {sum(entry.size for entry in files)}\n"
        f"Limits: {memory.FILE_MAX_BYTES} bytes per file, {memory.STORE_MAX_BYTES} bytes "
        f"and {memory.STORE_MAX_ENTRIES} entries in all"
    )


@builtin("get_system_paths")
async def get_system_paths(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """The workspace the file tools see: the memory store, never the worker's disk."""
    return ToolOutcome(content=await run_sync(_paths)(await _store(context)))
