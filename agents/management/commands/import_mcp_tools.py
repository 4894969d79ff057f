"""``python manage.py import_mcp_tools --server NAME``: a configured MCP server's tools
become catalog tools bound to it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.tools.executor import ToolCallError
from agents.tools.mcp_import import McpImportSummary, mcp_tools_import
from catalog.exceptions import InvalidCatalogEntry


class Command(BaseCommand):
    help = (
        "List the tools of an MCP server configured in MCP_SERVERS and create or update "
        "catalog tools <prefix>.<tool> bound to them (description and input schema from the "
        "server). Unchanged tools get no new version; nothing is written when the server "
        "cannot be listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", required=True, help="a server name from MCP_SERVERS")
        parser.add_argument(
            "--prefix", default="", help="catalog name prefix (default: the server's name)"
        )
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="store new versions without making them active",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = mcp_tools_import(
                server=options["server"],
                prefix=options["prefix"],
                activate=not options["no_activate"],
                dry_run=options["dry_run"],
            )
        except ToolCallError as exc:
            raise CommandError(str(exc)) from exc
        except InvalidCatalogEntry as exc:
            raise CommandError(exc.message) from exc
        self._render(summary)

    def _render(self, summary: McpImportSummary) -> None:
        write = self.stdout.write
        if summary.dry_run:
            write(self.style.WARNING("DRY RUN: nothing was written; counts show what would be"))
        write(self.style.MIGRATE_HEADING(f"MCP server {summary.server}: {summary.listed} tools"))
        write(
            f"  created {len(summary.created)}, new version {len(summary.new_version)}, "
            f"unchanged {len(summary.unchanged)}, skipped {len(summary.warnings)}"
        )
        for label in summary.created + summary.new_version:
            write(f"    + tool {label}")
        for warning in summary.warnings:
            write(self.style.WARNING(f"  warning: {warning}"))
        if not summary.changed:
            write(self.style.SUCCESS("Nothing changed: the catalog already matches this server."))
        elif not summary.activate:
            write("New versions were stored inactive (--no-activate).")
