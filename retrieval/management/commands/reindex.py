from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from retrieval.services import index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the retrieval index from the catalog's active versions with the configured "
        "embedder. Rebuilds every kind when the stored entries came from another embedder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=["tool", "agent"], help="Only this kind.")
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(
            desc="embedding", unit="entry", file=self.stderr, disable=options["verbosity"] == 0
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            summary = index_rebuild(
                kinds=[options["kind"]] if options["kind"] else None,
                batch_size=options["batch_size"],
                progress=progress,
            )
        finally:
            bar.close()
        scope = "full rebuild (embedder changed)" if summary.full else "rebuild"
        self.stdout.write(
            f"{scope}: {summary.indexed} entries indexed, {summary.removed} removed, "
            f"embedder {summary.embedder}"
        )
