"""A responder for the fake upstream that walks any SGR agent — maruntime's flavours or
sgr-agent-core's — through a fixed number of steps, so both run the same work.

Each request is answered with an instance of what it asks for: the forced function's
parameters, the ``response_format`` schema, or a call to one of the offered tools. The
first steps choose an ordinary tool (a plan, a reasoning note: nothing that needs a search
key), the last one the final-answer tool. Steps are counted per task (the first user
message), so concurrent runs do not disturb each other; a forced call (the hybrid flavours'
reasoning call) does not count as a step.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from typing import Any

from tests.fakes.fake_llm import Reply, _forced_function

FINAL = re.compile(r"final", re.IGNORECASE)
# Tools the scripted steps never pick before the last: they need keys, ask the user, write
# files, or end the run.
NOT_BEFORE_LAST = re.compile(r"search|extract|clarif|report|final|answer", re.IGNORECASE)
COMPLETED = re.compile(r"complet", re.IGNORECASE)
ANSWER_TEXT = "answer from the scripted upstream"


class ScriptedAgent:
    """Callable as the fake's ``responder``: every run takes ``steps`` steps."""

    def __init__(self, *, steps: int, latency: float) -> None:
        self.steps = steps
        self.latency = latency
        self._steps_taken: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> Reply:
        tools = {
            tool["function"]["name"]: tool["function"].get("parameters") or {}
            for tool in request.get("tools") or []
            if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
        }
        forced = _forced_function(request)
        if forced is not None:
            return Reply.structured(instance(tools.get(forced, {})), delay=self.latency)
        with self._lock:
            task = _task(request)
            self._steps_taken[task] += 1
            last = self._steps_taken[task] >= self.steps
        response_format = request.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            return Reply.structured(instance(schema, final=last), delay=self.latency)
        if tools:
            name = _choose(list(tools), final=last)
            return Reply.tool_call(name, instance(tools[name], final=last), delay=self.latency)
        return Reply.text(ANSWER_TEXT, delay=self.latency)


def instance(schema: dict[str, Any], *, final: bool = False) -> Any:
    """A value valid against ``schema``; of a union of tools, the final-answer branch when
    ``final``, else the first ordinary one."""
    return _Builder(schema.get("$defs") or schema.get("definitions") or {}, final).build(schema)


class _Builder:
    def __init__(self, definitions: dict[str, Any], final: bool) -> None:
        self.definitions = definitions
        self.final = final

    def build(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        schema = self._resolve(schema)
        if depth > 12:
            return None
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            values = list(schema["enum"])
            return next((v for v in values if COMPLETED.search(str(v))), values[0])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return self.build(self._branch(branches), name, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged |= self._resolve(part)
            return self.build(merged, name, depth + 1)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            properties = schema.get("properties") or {}
            return {
                key: self.build(sub, key, depth + 1)
                for key, sub in properties.items()
                if key in (schema.get("required") or properties)
            }
        if kind == "array":
            count = max(1, int(schema.get("minItems", 1)))
            return [self.build(schema.get("items") or {}, name, depth + 1) for _ in range(count)]
        if kind in ("integer", "number"):
            return schema.get("minimum", 1)
        if kind == "boolean":
            return self.final
        if kind == "null":
            return None
        text = f"{ANSWER_TEXT}: {name}" if name else ANSWER_TEXT
        return text.ljust(int(schema.get("minLength", 0)), ".")[: schema.get("maxLength")]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while isinstance(schema.get("$ref"), str):
            schema = self.definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema

    def _branch(self, branches: list[dict[str, Any]]) -> dict[str, Any]:
        named = {_tool_name(self._resolve(b), self.definitions): b for b in branches}
        return named[_choose([n for n in named if n], final=self.final) if any(named) else ""]


def _tool_name(schema: dict[str, Any], definitions: dict[str, Any]) -> str:
    """The literal that names a union member (its discriminator's const or only enum)."""
    for sub in (schema.get("properties") or {}).values():
        while isinstance(sub, dict) and isinstance(sub.get("$ref"), str):
            sub = definitions.get(sub["$ref"].rsplit("/", 1)[-1], {})
        if isinstance(sub, dict) and "const" in sub:
            return str(sub["const"])
        if isinstance(sub, dict) and len(sub.get("enum") or []) == 1:
            return str(sub["enum"][0])
    return str(schema.get("title") or "")


def _choose(names: list[str], *, final: bool) -> str:
    if final:
        return next((n for n in names if FINAL.search(n)), names[-1])
    return next((n for n in names if not NOT_BEFORE_LAST.search(n)), names[0])


def _task(request: dict[str, Any]) -> str:
    for message in request.get("messages") or []:
        if message.get("role") == "user":
            return json.dumps(message.get("content"))
    return ""
