"""The OpenAPI 3 schema of the ``/v1`` surface, served at ``GET /v1/openapi.json``.

Written by hand, next to the views it describes: the gateway's views are plain async
Django views (DESIGN §5), which no schema generator reads. The schema is held to the real
answers by a property-based test (``tests/gateway/test_openapi.py``, schemathesis): every
documented operation is called with generated input and its status, content type and body
must match what is written here, and no input may yield a 5xx.

Every operation documents its success answer and, as ``default``, OpenAI's error
envelope, which is what any refusal (4xx) looks like.
"""

from __future__ import annotations

from typing import Any

from gateway.requests import (
    CONTENT_PART_TYPES,
    MAX_MODEL_CHARS,
    MAX_STOP_SEQUENCES,
    OPENAI_NUMBER_PARAMETERS,
    ROLES,
)

JSON = "application/json"
SSE = "text/event-stream"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERROR = {"default": _json(_ref("Error"), "OpenAI's error envelope (any refusal)")}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


SESSION_ID = _path_param("session_id", "The session's id (a UUID), as X-Session-Id gives it")


def _operation(
    summary: str,
    answer: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": parameters or [],
        "responses": {"200": answer, **ERROR},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return operation


def _number_parameter(name: str) -> dict[str, Any]:
    bounds = OPENAI_NUMBER_PARAMETERS[name]
    schema: dict[str, Any] = {"type": "integer" if bounds.integer else "number"}
    if bounds.minimum is not None:
        schema["minimum"] = bounds.minimum
    if bounds.maximum is not None:
        schema["maximum"] = bounds.maximum
    return {**schema, "nullable": True}


CHAT_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_MODEL_CHARS,
            "description": "A template or pipeline name (name@version), or a session id",
        },
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role"],
                "properties": {
                    "role": {"type": "string", "enum": sorted(ROLES)},
                    "content": {
                        "nullable": True,
                        "oneOf": [
                            {"type": "string"},
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type"],
                                    "properties": {
                                        "type": {
                                            "type": "string",
                                            "enum": sorted(CONTENT_PART_TYPES),
                                        },
                                        "text": {"type": "string"},
                                    },
                                },
                            },
                        ],
                    },
                },
            },
        },
        "stream": {"type": "boolean"},
        "stream_format": {"type": "string", "enum": ["openai", "sgr"], "nullable": True},
        "on_busy": {"type": "string", "enum": ["reject", "enqueue"], "nullable": True},
        "approve": {"type": "boolean", "nullable": True},
        "stop": {
            "nullable": True,
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "maxItems": MAX_STOP_SEQUENCES},
            ],
        },
        "user": {"type": "string", "nullable": True},
        "user_context": {"type": "object", "nullable": True},
        "stream_options": {"type": "object", "nullable": True},
        **{name: _number_parameter(name) for name in OPENAI_NUMBER_PARAMETERS},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type", "param", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": "string", "nullable": True},
                    "code": {"type": "string", "nullable": True},
                },
            }
        },
    },
    "Model": {
        "type": "object",
        "required": ["id", "object", "owned_by"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["model"]},
            "created": {"type": "integer"},
            "owned_by": {"type": "string"},
        },
    },
    "Usage": {
        "type": "object",
        "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
        "properties": {
            "prompt_tokens": {"type": "integer", "minimum": 0},
            "completion_tokens": {"type": "integer", "minimum": 0},
            "total_tokens": {"type": "integer", "minimum": 0},
        },
    },
    "ChatCompletion": {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices", "usage"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["chat.completion"]},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "session_id": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "object"}},
            "usage": _ref("Usage"),
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "object", "state", "task", "usage", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "object": {"type": "string", "enum": ["session"]},
            "model": {"type": "string"},
            "state": {"type": "string"},
            "task": {"type": "string"},
            "result": {"type": "string", "nullable": True},
            "error": {"type": "string", "nullable": True},
            "usage": _ref("Usage"),
            "last_event_seq": {"type": "integer"},
            "artifacts": {"type": "array", "items": {"type": "object"}},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
        },
    },
    "Memory": {
        "type": "object",
        "required": ["object", "session_id", "scope", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "session_id": {"type": "string", "format": "uuid"},
            "scope": {"type": "string"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "kind", "size", "updated_at"],
                    "properties": {
                        "path": {"type": "string"},
                        "kind": {"type": "string", "enum": ["file", "dir"]},
                        "size": {"type": "integer", "minimum": 0},
                        "updated_at": {"type": "string"},
                    },
                },
            },
        },
    },
    "MemoryFile": {
        "type": "object",
        "required": ["object", "path", "size", "content", "updated_at"],
        "properties": {
            "object": {"type": "string", "enum": ["memory.file"]},
            "path": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "content": {"type": "string"},
            "updated_at": {"type": "string"},
        },
    },
    "SearchHits": {
        "type": "object",
        "required": ["object", "query", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "query": {"type": "string"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "score", "explanation"],
                    "properties": {
                        "name": {"type": "string"},
                        "score": {"type": "number"},
                        "explanation": {"type": "string"},
                    },
                },
            },
        },
    },
}


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "data": {"type": "array", "items": item},
        },
    }


SEARCH_PARAMETERS = [
    {**_query("q", {"type": "string", "minLength": 1}, "What to look for"), "required": True},
    _query("k", {"type": "integer", "minimum": 1, "maximum": 50}, "How many hits, at most"),
    _query("tag", {"type": "string"}, "Only hits with this tag"),
]
SESSION = _json(_ref("Session"), "The session")

PATHS: dict[str, Any] = {
    "/v1/chat/completions": {
        "post": {
            **_operation(
                "Start or continue a session",
                _json(_ref("ChatCompletion"), "The turn's answer"),
                body=CHAT_REQUEST,
            ),
            "responses": {
                "200": {
                    "description": "The turn's answer, or its events as SSE chunks (stream: true)",
                    "content": {
                        JSON: {"schema": _ref("ChatCompletion")},
                        SSE: {"schema": {"type": "string"}},
                    },
                },
                **ERROR,
            },
        }
    },
    "/v1/models": {
        "get": _operation(
            "Agents and pipelines (and upstream models)",
            _json(_list_of(_ref("Model")), "The models"),
        )
    },
    "/v1/models/{model}": {
        "get": _operation(
            "One model",
            _json(_ref("Model"), "The model"),
            parameters=[_path_param("model", "A model id as /v1/models lists it")],
        )
    },
    "/v1/sessions": {
        "get": _operation(
            "The caller's sessions, newest first",
            _json(
                {
                    **_list_of(_ref("Session")),
                    "properties": {
                        **_list_of(_ref("Session"))["properties"],
                        "has_more": {"type": "boolean"},
                    },
                },
                "A page of sessions",
            ),
            parameters=[
                _query("state", {"type": "string"}, "Only sessions in this state"),
                _query("template", {"type": "string"}, "Only sessions of this template"),
                _query("limit", {"type": "integer", "minimum": 0}, "Page size (at most 100)"),
                _query("after", {"type": "string"}, "The last session id of the previous page"),
            ],
        )
    },
    "/v1/sessions/{session_id}": {"get": _operation("A session", SESSION, parameters=[SESSION_ID])},
    "/v1/sessions/{session_id}/events": {
        "get": _operation(
            "The session's events as SSE (id: seq), resumable",
            {"description": "Server-sent events", "content": {SSE: {"schema": {"type": "string"}}}},
            parameters=[
                SESSION_ID,
                _query("after", {"type": "integer", "minimum": 0}, "Replay after this seq"),
                _query(
                    "follow",
                    {"type": "string", "enum": ["0", "1", "true", "false"]},
                    "Keep following",
                ),
            ],
        )
    },
    "/v1/sessions/{session_id}/cancel": {
        "post": _operation("Cancel the session's run", SESSION, parameters=[SESSION_ID])
    },
    "/v1/sessions/{session_id}/approval": {
        "post": _operation(
            "Answer the session's pending approval",
            SESSION,
            parameters=[SESSION_ID],
            body={
                "type": "object",
                "required": ["approve"],
                "properties": {"approve": {"type": "boolean"}, "reason": {"type": "string"}},
            },
        )
    },
    "/v1/sessions/{session_id}/fork": {
        "post": {
            **_operation("Branch the session at an event", SESSION, parameters=[SESSION_ID]),
            "requestBody": {
                "required": False,
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {"at_seq": {"type": "integer", "minimum": 0}},
                        }
                    }
                },
            },
        }
    },
    "/v1/sessions/{session_id}/artifacts/{artifact_id}": {
        "get": _operation(
            "An artifact's content",
            {
                "description": "The artifact, as an attachment",
                "content": {"*/*": {"schema": {"type": "string"}}},
            },
            parameters=[SESSION_ID, _path_param("artifact_id", "The artifact's id")],
        )
    },
    "/v1/sessions/{session_id}/memory": {
        "get": _operation(
            "The session's memory store: its scope and every entry",
            _json(_ref("Memory"), "The store's files and directories"),
            parameters=[SESSION_ID],
        )
    },
    "/v1/sessions/{session_id}/memory/{path}": {
        "get": _operation(
            "One file of the session's memory store, with its content",
            _json(_ref("MemoryFile"), "The file"),
            parameters=[SESSION_ID, _path_param("path", "The file's path in the store")],
        )
    },
    "/v1/tools": {
        "get": _operation(
            "Tools the caller may use",
            _json(_list_of({"type": "object", "required": ["name"]}), "The tools"),
        )
    },
    "/v1/tools/search": {
        "get": _operation(
            "Find tools by meaning",
            _json(_ref("SearchHits"), "The hits"),
            parameters=SEARCH_PARAMETERS,
        )
    },
    "/v1/agents/search": {
        "get": _operation(
            "Find agents by meaning",
            _json(_ref("SearchHits"), "The hits"),
            parameters=SEARCH_PARAMETERS,
        )
    },
    "/v1/openapi.json": {"get": _operation("This schema", _json({"type": "object"}, "OpenAPI 3"))},
}

V1_SCHEMA: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "maruntime /v1",
        "version": "1.0.0",
        "description": (
            "The OpenAI-compatible surface: chat completions run agents; sessions, tools "
            "and agents can be listed, followed and searched."
        ),
    },
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key from manage.py create_api_key (when GATEWAY_AUTH=keys)",
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": PATHS,
}
