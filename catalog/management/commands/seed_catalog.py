"""``python manage.py seed_catalog``: import sgr-agent-core's tools and agents from git."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.exceptions import InvalidCatalogEntry
from catalog.seeding import Counts, SeedSourceError, SeedSummary, catalog_seed_from_repo


class Command(BaseCommand):
    help = (
        "Seed the catalog from a git clone of sgr-agent-core: its tools become catalog tools "
        "and its agent definitions agent templates. Branches are read from their commits "
        "without a checkout; unchanged content creates no new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--repo-url", help="clone (or fetch) this URL into the cache")
        source.add_argument("--repo-path", help="read this local clone instead")
        parser.add_argument(
            "--branch",
            action="append",
            default=[],
            dest="branches",
            help="branch to read (local or origin/<b>); repeatable; default: the default branch",
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
        progress = self.stdout.write if options["verbosity"] >= 1 else None
        try:
            summary = catalog_seed_from_repo(
                repo_url=options["repo_url"],
                repo_path=options["repo_path"],
                branches=options["branches"],
                activate=not options["no_activate"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except (SeedSourceError, InvalidCatalogEntry) as exc:
            raise CommandError(exc.message) from exc
        self._render(summary)

    def _render(self, summary: SeedSummary) -> None:
        write = self.stdout.write
        write("")
        if summary.dry_run:
            write(self.style.WARNING("DRY RUN: nothing was written; counts show what would be"))
        for branch in summary.branches:
            write(
                self.style.MIGRATE_HEADING(
                    f"{summary.source} {branch.branch} "
                    f"@ {branch.commit[:10]} (layout {branch.layout})"
                )
            )
            write(f"  {'':<10} {'created':>8} {'new version':>12} {'unchanged':>10} {'unbound':>8}")
            write(self._row("tools", branch.tools, unbound=True))
            write(self._row("templates", branch.templates, unbound=False))
            for name in branch.tools.created + branch.tools.new_version:
                write(f"    + tool {name}")
            for name in branch.templates.created + branch.templates.new_version:
                write(f"    + template {name}")
            if branch.skills_written or branch.skills_unchanged:
                write(
                    f"  skills     {len(branch.skills_written)} written, "
                    f"{len(branch.skills_unchanged)} unchanged"
                )
            for name in branch.skills_written:
                write(f"    + skill {name}")
            kept = {**branch.tools.kept_inactive, **branch.templates.kept_inactive}
            for label, note in kept.items():
                write(f"    = {label} stored inactive: {note}")
            for note in branch.mcp:
                write(f"  mcp: {note}")
            for warning in branch.warnings:
                write(self.style.WARNING(f"  warning: {warning}"))
        if not summary.changed:
            write(self.style.SUCCESS("Nothing changed: the catalog already matches this source."))
        elif not summary.activate:
            write("New versions were stored inactive (--no-activate).")

    @staticmethod
    def _row(label: str, counts: Counts, *, unbound: bool) -> str:
        return (
            f"  {label:<10} {len(counts.created):>8} {len(counts.new_version):>12} "
            f"{len(counts.unchanged):>10} {len(counts.unbound) if unbound else '-':>8}"
        )
