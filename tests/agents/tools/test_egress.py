"""The SSRF guard (``agents.tools.egress``): the address table, resolution, pinning the
checked address against DNS rebinding, and the wall-clock deadline on an HTTP tool call."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import uuid
from typing import Any

import pytest

from agents.tools import egress
from agents.tools.base import ToolContext, ToolSpec
from agents.tools.executor import ToolCallError, execute_tool

REFUSED = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata (link-local)
    "100.100.100.200",  # cloud metadata (carrier-grade NAT range)
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "192.0.0.8",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1)
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 of 169.254.169.254
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    assert egress.address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_globally_routable_addresses_are_allowed(address):
    assert egress.address_refusal(ipaddress.ip_address(address)) is None


def test_the_refusal_names_the_embedded_address():
    why = egress.address_refusal(ipaddress.ip_address("64:ff9b::7f00:1"))
    assert why is not None and "127.0.0.1" in why


def _resolving(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Make the event loop's resolver answer ``answers``; returns the names looked up."""
    asked: list[str] = []

    async def getaddrinfo(host: str, port: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    return asked


async def test_a_name_with_any_private_address_is_refused(monkeypatch, settings):
    settings.HTTP_TOOL_ALLOWED_HOSTS = []
    _resolving(monkeypatch, {"mixed.example": ["8.8.8.8", "10.0.0.1"]})
    with pytest.raises(egress.EgressRefused, match=r"10\.0\.0\.1"):
        await egress.checked_target("https://mixed.example/x")


async def test_an_allow_listed_host_is_not_resolved_or_pinned(monkeypatch, settings):
    settings.HTTP_TOOL_ALLOWED_HOSTS = ["intranet.example"]
    asked = _resolving(monkeypatch, {})
    target = await egress.checked_target("http://intranet.example/x")
    assert target.addresses == () and asked == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x.example/", "http:///nohost"])
async def test_urls_that_are_not_http_with_a_host_are_refused(settings, url):
    settings.HTTP_TOOL_ALLOWED_HOSTS = []
    with pytest.raises(egress.EgressRefused):
        await egress.checked_target(url)


def test_the_pinned_request_keeps_the_named_host_for_host_and_sni():
    target = egress.Target(host="api.example", addresses=("2606:4700::1111",))
    url, headers, extensions = egress.pinned_request("https://api.example:8443/p?q=1", target)
    assert str(url) == "https://[2606:4700::1111]:8443/p?q=1"
    assert headers == {"Host": "api.example:8443"}
    assert extensions == {"sni_hostname": "api.example"}


def _http_tool(url: str, **binding: Any) -> ToolSpec:
    return ToolSpec(
        name="lookup",
        version_id=1,
        type="domain",
        tags=(),
        description="d",
        input_schema={"type": "object"},
        binding_kind="http",
        binding={"url": url, **binding},
        risk_level="low",
    )


def _context() -> ToolContext:
    return ToolContext(session_id=uuid.uuid4(), run_id=1, step=1, depth=0, owner="", state={})


async def _serve(handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await reader.readuntil(b"\r\n\r\n")
    host = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"host:")
    )
    body = b"host=" + host
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()


async def test_the_call_connects_to_the_checked_address_not_a_second_lookup(monkeypatch, settings):
    """DNS rebinding: the name is resolved once, checked, and that address is dialled.
    ``rebind.example`` resolves only through the check's resolver, so the call can reach
    the server only by the pinned address (loopback is approved for this test)."""
    settings.HTTP_TOOL_ALLOWED_HOSTS = []
    server, port = await _serve(_answer_ok)
    asked = _resolving(monkeypatch, {"rebind.example": ["127.0.0.1"]})
    monkeypatch.setattr(egress, "address_refusal", lambda address: None)
    try:
        outcome = await execute_tool(
            _http_tool(f"http://rebind.example:{port}/x"), {"q": 1}, _context()
        )
    finally:
        server.close()
    assert outcome.content == f"host=rebind.example:{port}"
    assert asked == ["rebind.example"]


async def test_a_trickling_answer_is_cut_at_the_binding_timeout(settings):
    """One byte a second used to hold a call for as long as the server liked: each read
    was bounded, not the call."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.2)

    settings.HTTP_TOOL_ALLOWED_HOSTS = ["127.0.0.1"]
    server, port = await _serve(trickle)
    started = time.monotonic()
    try:
        with pytest.raises(ToolCallError, match=r"did not answer within 1\.5 s"):
            await execute_tool(
                _http_tool(f"http://127.0.0.1:{port}/slow", timeout_seconds=1.5), {}, _context()
            )
    finally:
        server.close()
    assert time.monotonic() - started < 10  # the whole answer would take 20 s
