"""Strict, bounded parsing of JSON request bodies, shared by ``/v1`` and the admin API.

A body that parses is a JSON object whose nesting is at most ``MAX_JSON_DEPTH`` deep and
whose strings and keys hold no NUL character and no lone UTF-16 surrogate, and whose
numbers are finite: PostgreSQL text cannot store NUL nor ``jsonb`` a NaN, and a lone
surrogate cannot be encoded as UTF-8, so each would fail a write or a render long after the
request was accepted. Refusing them here, before anything is written, keeps every such body
a 400 rather than a 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 64

# NUL, and the UTF-16 surrogate range (only lone ones survive json.loads as such).
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class JSONRefused(ValueError):
    """The body is not a JSON object we accept; the message says why (for the client)."""


def unstorable_text_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored or rendered (a NUL or a lone surrogate), else None."""
    found = UNSTORABLE_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return f"contains a lone surrogate (U+{ord(found.group()):04X})"


def _check_tree(root: Any, max_depth: int) -> None:
    """Walks the parsed value without recursion: depth, then every string and key."""
    pending: list[tuple[Any, int, str]] = [(root, 1, "")]
    while pending:
        value, depth, where = pending.pop()
        if isinstance(value, str):
            reason = unstorable_text_reason(value)
            if reason:
                raise JSONRefused(f"the string at {where or 'the top level'} {reason}")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise JSONRefused(f"the JSON body is nested deeper than {max_depth} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                reason = unstorable_text_reason(key)
                if reason:
                    raise JSONRefused(f"a key at {where or 'the top level'} {reason}")
                pending.append((item, depth + 1, f"{where}.{key}" if where else key))
        else:
            pending.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))


def _refuse_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JSONRefused(f"the number {text[:40]} is too large")
    return number


def parse_json_object(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The body as a JSON object; raises ``JSONRefused`` for anything else (invalid JSON or
    UTF-8, not an object, too deep, NaN or Infinity, NUL or a lone surrogate in a string or
    key)."""
    try:
        data = json.loads(
            raw or b"null", parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except JSONRefused:
        raise
    except ValueError as exc:
        # JSONDecodeError and UnicodeDecodeError, and an integer of more digits than
        # Python converts (sys.get_int_max_str_digits).
        raise JSONRefused(f"We could not parse the JSON body of your request: {exc}") from exc
    except RecursionError as exc:
        raise JSONRefused(f"the JSON body is nested deeper than {max_depth} levels") from exc
    if not isinstance(data, dict):
        raise JSONRefused("The request body must be a JSON object")
    _check_tree(data, max_depth)
    return data
