"""Issue a ``/v1`` API key and print it once (only its digest is stored)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gateway.services import api_key_create
from maruntime.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an API key for the /v1 surface and print it. The key is shown only now; "
        "store it, it cannot be recovered (revoke it and create another if lost)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="what the key is for")
        parser.add_argument(
            "--owner",
            default="",
            help="tenant whose keys share sessions (default: key_<prefix>, private to the key)",
        )
        parser.add_argument(
            "--templates",
            default="",
            help="comma-separated models (templates, pipelines) it may use; default all",
        )
        parser.add_argument("--rpm", type=int, default=60, help="requests per minute; 0 = no limit")
        parser.add_argument("--tokens-per-day", type=int, default=0, help="0 = no limit")
        parser.add_argument("--concurrent-runs", type=int, default=0, help="0 = no limit")
        parser.add_argument(
            "--tools", default="", help="comma-separated tools its agents may use; default all"
        )
        parser.add_argument(
            "--deny-tools", default="", help="comma-separated tools its agents may never use"
        )
        parser.add_argument(
            "--tool-risk-ceiling",
            default="critical",
            help="highest tool risk level (low, medium, high, critical) its agents may use",
        )
        parser.add_argument("--admin", action="store_true", help="may read every session")
        parser.add_argument(
            "--expires-in-days",
            type=float,
            default=None,
            help="the key answers 401 after this many days; default: never expires",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            issued = api_key_create(
                name=options["name"],
                owner=options["owner"],
                templates=options["templates"].split(","),
                is_admin=options["admin"],
                requests_per_minute=options["rpm"],
                tokens_per_day=options["tokens_per_day"],
                concurrent_runs=options["concurrent_runs"],
                tools_allow=options["tools"].split(","),
                tools_deny=options["deny_tools"].split(","),
                tool_risk_ceiling=options["tool_risk_ceiling"],
                expires_at=(
                    timezone.now() + timedelta(days=options["expires_in_days"])
                    if options["expires_in_days"] is not None
                    else None
                ),
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        key = issued.api_key
        self.stderr.write(
            f"Created API key '{key.name}' (prefix {key.prefix}, owner {key.owner}). "
            "It is shown once; store it now."
        )
        self.stdout.write(issued.plain)
