"""Which network addresses HTTP and MCP tools may reach (the SSRF guard).

A host listed in ``HTTP_TOOL_ALLOWED_HOSTS`` may be reached at whatever it resolves to.
Any other host must resolve only to addresses that are globally routable: Python's
``is_global``, minus multicast and the ranges this Python still calls global
(192.0.0.0/24, IETF protocol assignments), and an IPv6 address that carries an IPv4
address (IPv4-mapped or -compatible, 6to4, Teredo, NAT64) is judged by that IPv4 address
too, so ``2002:a00:1::`` (6to4 of 10.0.0.1) or ``64:ff9b::7f00:1`` (NAT64 of 127.0.0.1)
cannot smuggle a private target past the check.

The check returns the addresses it approved, and HTTP tools connect to one of them
(``pinned_url``) rather than resolving the name a second time, so a DNS server that
answers differently on the second lookup (DNS rebinding) cannot redirect the call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx
from django.conf import settings

from agents.tools.base import ToolCallError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that ``is_global`` (Python 3.11) does not exclude but no public service lives in.
NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("100.64.0.0/10"))
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressRefused(Exception):
    """The tool's host may not be reached; the message says why (for the model)."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (a packet to it reaches them)."""
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.extend(address.teredo)
    if any(address in prefix for prefix in NAT64_PREFIXES) or (
        address in IPV4_COMPATIBLE and int(address) > 1
    ):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ipv4 for ipv4 in found if ipv4 is not None]


def address_refusal(address: IPAddress) -> str | None:
    """Why a tool may not connect to ``address``, or None when it is globally routable."""
    if address.is_multicast:
        return "a multicast address"
    if not address.is_global or any(address in network for network in NOT_GLOBAL):
        return "not a globally routable address"
    if isinstance(address, ipaddress.IPv6Address):
        for ipv4 in embedded_ipv4(address):
            inner = address_refusal(ipv4)
            if inner is not None:
                return f"an IPv6 form of {ipv4}, {inner}"
    return None


@dataclass(frozen=True)
class Target:
    """Where a tool call may go: the host as named, and the approved addresses to connect
    to (empty for an allow-listed host, which is connected to by name)."""

    host: str
    addresses: tuple[str, ...]


async def checked_target(url: str) -> Target:
    """Resolve the URL's host and approve it, or raise ``EgressRefused``: an allow-listed
    host passes as is; any other must resolve, and only to addresses ``address_refusal``
    accepts."""
    parsed = httpx.URL(url)
    host = parsed.host
    if host in settings.HTTP_TOOL_ALLOWED_HOSTS:
        return Target(host=host, addresses=())
    if not host or parsed.scheme not in ("http", "https"):
        raise EgressRefused(f"refusing to call {url[:100]!r}: not an http(s) URL with a host")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parsed.port or (443 if parsed.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"cannot resolve {host}") from exc
    addresses: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        refusal = address_refusal(address)
        if refusal is not None:
            raise EgressRefused(
                f"refusing to call {host}: it resolves to {address}, {refusal} (a private "
                "address); allow it with HTTP_TOOL_ALLOWED_HOSTS"
            )
        addresses.append(str(address))
    if not addresses:
        raise EgressRefused(f"cannot resolve {host}")
    return Target(host=host, addresses=tuple(dict.fromkeys(addresses)))


def pinned_request(url: str, target: Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """(URL, headers, request extensions) that reach ``target``'s first approved address
    while the server still sees the named host: ``Host`` for HTTP, SNI and certificate
    checks for HTTPS."""
    parsed = httpx.URL(url)
    if not target.addresses:
        return parsed, {}, {}
    pinned = parsed.copy_with(host=target.addresses[0])
    host_header = parsed.netloc.decode("ascii")
    extensions = {"sni_hostname": target.host} if parsed.scheme == "https" else {}
    return pinned, {"Host": host_header}, extensions


async def refuse_private(url: str) -> Target:
    """The approved target of an HTTP or MCP tool's URL; ``ToolCallError`` when its host
    may not be reached."""
    try:
        return await checked_target(url)
    except EgressRefused as exc:
        raise ToolCallError(str(exc)) from exc
