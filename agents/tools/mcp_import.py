"""Importing an MCP server's tools into the catalog (``import_mcp_tools``).

Each listed tool becomes the catalog tool ``<prefix>.<tool>`` (prefix: the server's name by
default), bound to it, written through the catalog services: unchanged content gets no new
version, so a second import changes nothing. A new version keeps the security policy (risk,
approval, limits) of the version it follows, so curation survives re-imports; a tool of that
name bound to anything else is left alone. The server is listed before anything is written,
and a dry run writes in a transaction that is rolled back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from django.db import transaction

from agents.tools.mcp import McpToolListing, mcp_list_tools, mcp_server
from catalog import services
from catalog.exceptions import InvalidCatalogEntry
from catalog.seeding.tool_plans import split_description
from catalog.selectors import tool_and_latest_version

# An MCP server's tools reach out of maruntime; curate lower (or higher) in the admin.
DEFAULT_RISK = "medium"
MCP_BINDING = "mcp"


@dataclass
class McpImportSummary:
    server: str
    dry_run: bool
    activate: bool
    listed: int = 0
    created: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.new_version)


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.\-]", "_", text.lower())


def mcp_tools_import(
    *, server: str, prefix: str = "", activate: bool = True, dry_run: bool = False
) -> McpImportSummary:
    """List the server's tools (``ToolCallError`` when it is unknown or fails, before any
    write), then create or version their catalog tools in one transaction."""
    mcp_server(server)
    prefix = prefix or _slug(server)
    services.validate_name(prefix)
    listings = async_to_sync(mcp_list_tools)(server)
    summary = McpImportSummary(server=server, dry_run=dry_run, activate=activate)
    summary.listed = len(listings)
    try:
        with transaction.atomic():
            seen: set[str] = set()
            for listing in listings:
                name = f"{prefix}.{_slug(listing.name)}"
                if name in seen:
                    summary.warnings.append(f"{listing.name}: {name} is taken by another tool")
                    continue
                seen.add(name)
                _import_tool(name, listing, summary)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary


def _import_tool(name: str, listing: McpToolListing, summary: McpImportSummary) -> None:
    binding = {"server": summary.server, "tool": listing.name}
    try:
        services.validate_name(name)
        services.validate_input_schema(listing.input_schema)
    except InvalidCatalogEntry as exc:
        summary.warnings.append(f"{listing.name}: {exc.message}; skipped")
        return
    tool, previous = tool_and_latest_version(name=name)
    if previous is not None and (
        previous.binding_kind != MCP_BINDING or previous.binding != binding
    ):
        summary.warnings.append(f"{listing.name}: {name} exists with another binding; skipped")
        return
    if tool is None:
        tool = services.tool_upsert(name=name, tags=["mcp", _slug(summary.server)[:50]])
    description, long_description = split_description(
        listing.description or listing.title or f"{listing.name} (MCP server {summary.server})"
    )
    version, created = services.tool_version_create(
        tool=tool,
        description=description,
        long_description=long_description,
        input_schema=listing.input_schema,
        binding_kind=MCP_BINDING,
        binding=binding,
        risk_level=previous.risk_level if previous else DEFAULT_RISK,
        requires_approval=previous.requires_approval if previous else False,
        limits=previous.limits if previous else None,
        provenance={"source_repo": f"mcp:{summary.server}", "source_class": listing.name},
        activate=summary.activate,
    )
    if not created:
        summary.unchanged.append(str(version))
    elif previous is not None:
        summary.new_version.append(str(version))
    else:
        summary.created.append(str(version))
