"""The built-in memory and file tools' catalog entries (implemented in
``agents/tools/memory.py``): sgr-agent-core's file-memory tools of branch
``sgr-memory-agent`` and its file agent's tools (0.6+), with the originals' argument names,
types and defaults, so its agent definitions run against them unchanged. Descriptions are
our own. ``seed_builtin`` writes them with the rest of the built-in catalog.
"""

from __future__ import annotations

from typing import Any

from catalog.builtin import REASONING_ARGUMENT, object_schema

_PATH = {"type": "string", "description": "Path inside the memory, e.g. notes/user.md."}
_DIR = {"type": "string", "description": "Directory inside the memory ('' is its root)."}


def _memory_tool(name: str, description: str, **properties: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "aux",
        "tags": ["memory", "files"],
        "aliases": [],
        "description": description,
        "input_schema": object_schema({"reasoning": REASONING_ARGUMENT, **properties}),
    }


def _file_tool(
    name: str, description: str, optional: tuple[str, ...], **properties: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "type": "aux",
        "tags": ["files"],
        "aliases": [],
        "description": description,
        "input_schema": object_schema(
            {"reasoning": REASONING_ARGUMENT, **properties}, optional=optional
        ),
    }


MEMORY_TOOLS: list[dict[str, Any]] = [
    _memory_tool(
        "create_file",
        "Create (or overwrite) a file in your memory with the given content.",
        file_path=_PATH,
        content={"type": "string", "description": "The whole content of the file."},
    ),
    _memory_tool(
        "update_file",
        "Replace a piece of text in a memory file with new text (the first occurrence).",
        file_path=_PATH,
        old_content={"type": "string", "description": "The exact text to replace."},
        new_content={"type": "string", "description": "The text to put in its place."},
    ),
    _memory_tool("delete_file", "Delete a file from your memory.", file_path=_PATH),
    _memory_tool(
        "check_if_file_exists", "Check whether a file exists in your memory.", file_path=_PATH
    ),
    _memory_tool(
        "check_if_dir_exists", "Check whether a directory exists in your memory.", dir_path=_DIR
    ),
    _memory_tool("create_dir", "Create a directory in your memory.", dir_path=_DIR),
    _memory_tool(
        "get_size",
        "Size in bytes of a memory file, of a directory, or ('') of the whole memory.",
        file_or_dir_path={"type": "string", "description": "A file or directory; '' for all."},
    ),
    _memory_tool("get_list_files", "Show every file and directory of your memory as a tree."),
    _memory_tool(
        "go_to_link",
        "Open the note a [[path/to/note]] link in another note points to.",
        link_string={"type": "string", "description": "The link, e.g. [[people/bob]]."},
    ),
    _file_tool(
        "read_file",
        "Read a file of your memory or workspace, whole or a range of lines.",
        ("start_line", "end_line"),
        file_path=_PATH,
        start_line={"type": ["integer", "null"], "minimum": 1, "default": None},
        end_line={"type": ["integer", "null"], "minimum": 1, "default": None},
    ),
    _file_tool(
        "list_directory",
        "List the files and directories of a workspace directory.",
        ("directory_path", "recursive"),
        directory_path={**_DIR, "type": ["string", "null"], "default": None},
        recursive={"type": "boolean", "default": False},
    ),
    _file_tool(
        "search_in_files",
        "Find the lines of workspace files that contain a text or match a regular expression.",
        ("directory", "file_pattern", "case_sensitive", "regex", "max_results"),
        search_text={"type": "string", "description": "The text or pattern to look for."},
        directory={**_DIR, "default": "."},
        file_pattern={"type": "string", "description": "e.g. *.md", "default": "*"},
        case_sensitive={"type": "boolean", "default": True},
        regex={"type": "boolean", "default": False},
        max_results={"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    ),
    _file_tool(
        "find_files_fast",
        "Find workspace files by name pattern, size or modification time.",
        ("name_pattern", "modified_days", "min_size", "max_depth"),
        directory=_DIR,
        name_pattern={"type": ["string", "null"], "description": "e.g. *.md", "default": None},
        modified_days={"type": ["integer", "null"], "minimum": 0, "default": None},
        min_size={"type": ["string", "null"], "description": "e.g. 100k, 1M", "default": None},
        max_depth={"type": "integer", "minimum": 1, "default": 10},
    ),
    _file_tool(
        "get_system_paths",
        "Describe the workspace the file tools work in: its root, contents and limits.",
        (),
    ),
]
