import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from prometheus_client import start_http_server

from agents.runtime.consumer import serve_pool
from agents.runtime.pool import Pool


class Command(BaseCommand):
    help = (
        "Run a runtime pool worker: hosts agent instances and executes runs. SIGTERM/SIGINT "
        "finish the current step of every run, hand the runs back, and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=None, help="runs at once")

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._serve(options["concurrency"]))

    async def _serve(self, concurrency: int | None) -> None:
        pool = Pool(concurrency=concurrency)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, pool.stop)
        if settings.POOL_METRICS_PORT:
            start_http_server(settings.POOL_METRICS_PORT, addr=settings.POOL_METRICS_ADDRESS)
        self.stdout.write(f"runtime pool {pool.worker_id} started")
        self.stdout.flush()
        await serve_pool(pool)
