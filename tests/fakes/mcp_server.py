"""A real MCP server for tests: the ``mcp`` SDK's ``MCPServer`` (FastMCP before mcp 2)
speaking streamable HTTP, served by uvicorn in a background thread on a free loopback port.

Tools: ``echo`` (text back), ``fail`` (a tool error the model should read) and ``measure``
(structured content). ``authorizations`` records each request's ``Authorization`` header,
``call_metas`` each ``tools/call`` request's ``_meta``::

    with FakeMCPServer() as server:
        settings.MCP_SERVERS = {"fake": {"url": server.url}}
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel


class Measurement(BaseModel):
    characters: int
    words: int


def _tools() -> MCPServer:
    server = MCPServer("fake-tools")

    @server.tool(description="Echo the text back, prefixed with 'echo: '.")
    def echo(text: str) -> str:
        return f"echo: {text}"

    @server.tool(description="Always fails with the given reason.")
    def fail(reason: str) -> str:
        raise ToolError(f"failed on purpose: {reason}")

    @server.tool(description="Count the characters and words of a text.")
    def measure(text: str) -> Measurement:
        return Measurement(characters=len(text), words=len(text.split()))

    return server


class FakeMCPServer:
    def __init__(self) -> None:
        self.authorizations: list[str] = []
        self.call_metas: list[dict[str, Any]] = []
        app = _tools().streamable_http_app(stateless_http=True)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/mcp"
        self._server = uvicorn.Server(
            uvicorn.Config(self._recording(app), log_level="warning", lifespan="on")
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake MCP server did not start")
            time.sleep(0.01)

    def _recording(self, app: Any) -> Any:
        async def recorded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            headers = dict(scope["headers"])
            self.authorizations.append(headers.get(b"authorization", b"").decode())
            body = bytearray()

            async def receive_recording() -> dict[str, Any]:
                message = await receive()
                if message["type"] == "http.request":
                    body.extend(message.get("body", b""))
                    if not message.get("more_body"):
                        self._note_call(bytes(body))
                return message

            await app(scope, receive_recording, send)

        return recorded

    def _note_call(self, body: bytes) -> None:
        with contextlib.suppress(ValueError):
            request = json.loads(body or b"{}")
            if isinstance(request, dict) and request.get("method") == "tools/call":
                self.call_metas.append(dict(request.get("params", {}).get("_meta") or {}))

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeMCPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
