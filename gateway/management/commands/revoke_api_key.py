"""Revoke a ``/v1`` API key by its public prefix."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gateway.services import api_key_revoke
from maruntime.errors import DomainError


class Command(BaseCommand):
    help = "Revoke an API key (by the prefix shown at creation and in the admin); final."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="the key's prefix, or the key itself")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"]
        if prefix.startswith("mrt_"):
            prefix = prefix.split("_")[1]
        try:
            key = api_key_revoke(prefix=prefix)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Revoked API key '{key.name}' (prefix {key.prefix}).")
