from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog.services import catalog_seed_builtin


class Command(BaseCommand):
    help = "Write maruntime's built-in tools and agent templates (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = catalog_seed_builtin(search_api_key=settings.TAVILY_API_KEY)
        self.stdout.write(
            f"built-in catalog: {len(summary.created)} created, {len(summary.unchanged)} unchanged"
        )
        for name, reason in summary.not_offered.items():
            self.stdout.write(f"  {name}: not offered ({reason})")
        for label, note in summary.kept_inactive.items():
            self.stdout.write(f"  {label}: stored inactive, {note} (activate it to use it)")
