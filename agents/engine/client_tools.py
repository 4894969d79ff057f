"""The client's own tools (a chat request's ``tools``), offered to the agent beside its own.

A call to one is not executed here: the run ends with the call pending and the session
``waiting_for_tool_result``; the client runs the tool and sends its result as a ``tool``
message, which resumes the session (``agents.services.session_tool_result``). The client
sees the call under an id that names the session, so the result finds it again without any
other state on the client.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from agents.engine.definition import ToolSpec

CLIENT_BINDING = "client"
_CALL_ID_PREFIX = "call_"


def client_tool_specs(
    client_tools: list[dict[str, Any]] | None, taken: set[str]
) -> tuple[ToolSpec, ...]:
    """``client_tools`` (OpenAI function definitions) as tool specs; a name the agent's
    own tools already use (``taken``) keeps the agent's tool."""
    specs = []
    for function in client_tools or []:
        if function["name"] in taken:
            continue
        encoded = json.dumps(function, sort_keys=True).encode()
        specs.append(
            ToolSpec(
                name=function["name"],
                version_id=0,
                type="domain",
                tags=("client",),
                description=function.get("description", ""),
                input_schema=function.get("parameters") or {"type": "object", "properties": {}},
                binding_kind=CLIENT_BINDING,
                binding={},
                risk_level="low",
                variant=hashlib.sha256(encoded).hexdigest()[:16],
            )
        )
    return tuple(specs)


def client_tool_spec(client_tools: list[dict[str, Any]] | None, name: str) -> ToolSpec | None:
    """The client's tool called ``name``, if it offered one."""
    return next(
        (spec for spec in client_tool_specs(client_tools, set()) if spec.name == name), None
    )


def client_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the client's schema declares them: a schema that forbids other
    properties does not get the ones the agent adds to every call (its ``reasoning``)."""
    schema = spec.input_schema
    if schema.get("additionalProperties") is not False:
        return arguments
    declared = schema.get("properties") or {}
    return {name: value for name, value in arguments.items() if name in declared}


def client_call_id(session_id: uuid.UUID, step: int) -> str:
    """The id the client sees for the pending call of ``step``."""
    return f"{_CALL_ID_PREFIX}{session_id.hex}_{step}"


def parse_client_call_id(call_id: str) -> tuple[uuid.UUID, int] | None:
    """The session and step a client-facing call id names, or None for any other id."""
    body = call_id.removeprefix(_CALL_ID_PREFIX)
    session_hex, _, step = body.partition("_")
    try:
        return uuid.UUID(hex=session_hex), int(step)
    except ValueError:
        return None
