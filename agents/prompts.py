"""Filling prompt templates: ``{name}`` placeholders (and ``{current_date}``), unknown ones
left untouched so a curated prompt with stray braces never crashes a run. Below the engine
and the services: both fill prompts (a session's first user message, each step's system
message)."""

from __future__ import annotations

import datetime
import string
from typing import Any


class _LenientDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_prompt(template: str, **values: Any) -> str:
    values.setdefault("current_date", datetime.date.today().isoformat())
    try:
        return string.Formatter().vformat(template, (), _LenientDict(values))
    except (ValueError, IndexError):
        # Unbalanced braces or positional fields: the template is taken literally.
        return template
