"""Reading what the upstream answered, tolerantly: small and grammar-constrained models wrap
JSON in code fences, ``<tool_call>`` tags or a sentence of prose, and leave raw control
characters (newlines) inside strings; all of that is still the object they meant."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw control characters in strings
_WRAPPERS = re.compile(r"</?tool_call>|```(?:json)?", re.IGNORECASE)


class ReplyUnreadable(Exception):
    """The reply holds no JSON object; the message says why, for the re-ask."""


def json_object_in(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (after any prose, fences or tags)."""
    cleaned = _WRAPPERS.sub(" ", text)
    start = cleaned.find("{")
    if start < 0:
        raise ReplyUnreadable(
            "the reply holds no JSON object" if text.strip() else "the reply is empty"
        )
    try:
        value, _ = _DECODER.raw_decode(cleaned, start)
    except json.JSONDecodeError as exc:
        raise ReplyUnreadable(f"the reply is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ReplyUnreadable("the reply must be a JSON object")
    return value


@dataclass(frozen=True)
class TextToolCall:
    name: str
    arguments: dict[str, Any]


def tool_call_in(text: str, offered: set[str]) -> TextToolCall | None:
    """A tool call written as text (``{"name": ..., "arguments": {...}}``, as chat templates
    print it, often in ``<tool_call>`` tags) naming an offered tool, else None."""
    try:
        value = json_object_in(text)
    except ReplyUnreadable:
        return None
    name = value.get("name")
    arguments = value.get("arguments", value.get("parameters"))
    if isinstance(arguments, str):
        try:
            arguments = json_object_in(arguments)
        except ReplyUnreadable:
            return None
    if name in offered and isinstance(arguments, dict):
        return TextToolCall(str(name), arguments)
    return None
