"""How sgr-agent-core's spellings of a tool or agent become catalog names."""

from __future__ import annotations

import re
from collections.abc import Mapping


def snake_case(name: str) -> str:
    """``WebSearchTool`` -> ``web_search_tool``; ``SGRAgent`` -> ``sgr_agent``."""
    step = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    step = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", step)
    return re.sub(r"_+", "_", step.replace("-", "_")).lower().strip("_")


def normalised_key(name: str) -> str:
    """Lowercase alphanumerics without a trailing "tool": every spelling of a tool meets."""
    key = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())
    return key[:-4] if key.endswith("tool") and len(key) > 4 else key


def sanitize_name(name: str, *, prefix: str) -> str:
    """Make ``name`` pass the catalog's slug validator."""
    slug = re.sub(r"[^a-z0-9_.\-]", "_", name.strip().lower())
    slug = re.sub(r"_+", "_", slug).strip("_.-")
    if not slug or not slug[0].isalpha():
        slug = f"{prefix}_{slug}".rstrip("_")
    return slug[:100]


def canonical_tool_name(raw: str, known: Mapping[str, str] | None = None) -> str:
    """``WebSearchTool``/``web_search_tool`` -> ``web_search``; a flat lower-cased name
    (``websearchtool``) is matched to a known tool by its normalised key."""
    raw = raw.strip().rsplit(".", 1)[-1]
    if any(ch.isupper() for ch in raw):
        name = snake_case(raw)
    elif "_" in raw or "-" in raw:
        name = raw.replace("-", "_")
    else:
        match = (known or {}).get(normalised_key(raw))
        if match:
            return match
        name = raw
    for suffix in ("_tool", "tool"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name.removesuffix(suffix)
            break
    return sanitize_name(name, prefix="tool")
