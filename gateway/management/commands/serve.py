import asyncio
import os
import shlex
import sys
from typing import Any

from daphne.endpoints import build_endpoint_description_strings
from daphne.server import Server
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from agents.runtime.consumer import serve_pool
from agents.runtime.pool import Pool

LISTEN_BACKLOG = 2048


class Command(BaseCommand):
    help = (
        "Serve maruntime over HTTP with daphne. By default also hosts the runtime pool in "
        "this process (the all-in-one server); --no-pool serves HTTP only, for deployments "
        "with `runpool` workers on Redis."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-pool", action="store_true", help="do not host the pool")
        parser.add_argument("--concurrency", type=int, default=None, help="pool runs at once")

    def handle(self, *args: Any, **options: Any) -> None:
        from maruntime.asgi import application

        host, port = options["host"], options["port"]
        pool = None if options["no_pool"] else Pool(concurrency=options["concurrency"])

        background: list[asyncio.Task[None]] = []  # keeps the pool task referenced

        def ready() -> None:
            loop = asyncio.get_event_loop()
            if pool is not None:
                background.append(loop.create_task(serve_pool(pool)))
            self._print_banner(host, port, with_pool=pool is not None)

        server = Server(
            application=application,
            # Twisted's default listen backlog (50) drops connections under bursts.
            endpoints=[
                f"{endpoint}:backlog={LISTEN_BACKLOG}"
                for endpoint in build_endpoint_description_strings(host=host, port=port)
            ],
            ready_callable=ready,
            verbosity=0,
        )
        server.run()
        if pool is not None:
            pool.stop()

    def _print_banner(self, host: str, port: int, *, with_pool: bool) -> None:
        base = f"http://{host}:{port}"
        surface = settings.MARUNTIME_SURFACE
        lines = [
            f"maruntime serving {surface} on {base}"
            + (" with the runtime pool" if with_pool else "")
        ]
        if surface in ("all", "gateway"):
            lines += [
                "",
                "Try it:",
                f"  curl {base}/v1/models",
                f"  curl -N {base}/v1/chat/completions -H 'Content-Type: application/json' \\",
                '    -d \'{"model": "sgr_agent", "stream": true, "messages": '
                '[{"role": "user", "content": "What is Schema-Guided Reasoning?"}]}\'',
                "",
                # This interpreter has the openai package; a bare `python` may not (outside
                # the venv), so the example names it.
                f'  {shlex.quote(sys.executable)} -c "import openai; '
                f"c = openai.OpenAI(base_url='{base}/v1', api_key='none'); "
                "print(c.chat.completions.create(model='sgr_agent', "
                "messages=[{'role': 'user', 'content': 'Hello'}]).choices[0].message.content)\"",
            ]
            if not settings.OPENAI_BASE_URL:
                lines += [
                    "",
                    "No upstream LLM configured: chat answers 503 until you set "
                    "OPENAI_BASE_URL (and OPENAI_API_KEY, OPENAI_MODEL).",
                ]
        if surface in ("all", "admin"):
            lines += [
                "",
                f"Admin site: {base}/admin/  (create a user: "
                ".venv/bin/python manage.py createsuperuser)",
                f"Admin API docs: {base}/api/admin/docs/",
            ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
