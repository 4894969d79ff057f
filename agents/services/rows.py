"""Hand-written SQL for the statements every LLM step runs: read (or lock) a row, insert
rows, update a row by primary key, the pool's run claim, and the gateway's per-turn reads
(a follower's events, the session's token usage).

Why: on the step path the ORM spent more CPU compiling queries than on anything else the
worker does per step (an ORM ``select_for_update().get()`` cost ~5x the CPU of sending
its statement). These helpers build each statement once per model and column set from the
model's metadata, and pass every value through the field's own ``pre_save``,
``get_db_prep_save`` and database converters, so rows are read and written exactly as the
ORM would. Anything off the hot path uses the ORM.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _select_statement(
    model: type[Model], defer: tuple[str, ...], for_update: bool
) -> tuple[str, list[str], list[tuple[Col, list[Any]]]]:
    fields = [f for f in model._meta.concrete_fields if f.name not in defer]
    columns = ", ".join(_quote(f.column) for f in fields)
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    lock = " FOR UPDATE" if for_update else ""
    # What the ORM's compiler applies to each column it reads (e.g. JSON decoding).
    converters = [(f.cached_col, f.cached_col.get_db_converters(connection)) for f in fields]
    sql = f"SELECT {columns} FROM {table} WHERE {pk} = %s{lock}"
    return sql, [f.attname for f in fields], converters


def get(
    model: type[M], pk: Any, *, defer: tuple[str, ...] = (), for_update: bool = False
) -> M | None:
    """The row ``pk``, or None; like ``defer(*defer).filter(pk=pk).first()`` (deferred
    fields load on access), row-locked with ``for_update``."""
    sql, attnames, converters = _select_statement(model, defer, for_update)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (col, functions) in zip(row, converters, strict=True):
        for function in functions:
            value = function(value, col, connection)
        values.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, attnames, values)


@functools.cache
def _insert_statement(model: type[Model]) -> tuple[str, str, tuple[Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_quote(f.column) for f in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return f"INSERT INTO {_quote(model._meta.db_table)} ({columns}) VALUES ", placeholders, fields


def insert(objs: Sequence[Model]) -> None:
    """Insert ``objs`` (instances of one model with a database-generated primary key) in
    one statement; like ``bulk_create`` without returning the keys."""
    if not objs:
        return
    sql, placeholders, fields = _insert_statement(type(objs[0]))
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
        for obj in objs
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql + ", ".join([placeholders] * len(objs)), params)


def _concrete_field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.concrete, f"{model.__name__}.{name} is no column"
    return field


@functools.cache
def _update_statement(model: type[Model], names: tuple[str, ...]) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(_concrete_field(model, name) for name in names)
    assignments = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
    table, pk = _quote(model._meta.db_table), _quote(model._meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s", fields


def update(model: type[Model], pk: Any, values: Mapping[str, Any]) -> None:
    """Set ``values`` (field names or attnames to values) on the row ``pk``; like
    ``filter(pk=pk).update(**values)`` with plain values (no expressions)."""
    sql, fields = _update_statement(model, tuple(values))
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk])


# One statement in autocommit: the ORM's select_for_update and update in a transaction
# cost ~2 ms of worker CPU per claim, and a worker claims on every wake-up. A worker that
# claims back its own run (its lease ran out while the database was away) starts no new
# attempt: attempts count the workers a run was lost by.
_CLAIM_SQL = """
UPDATE agents_run SET state = 'running', lease_owner = %(worker)s,
    lease_expires_at = %(expires)s, attempt = attempt + claimable.counts, started_at = %(now)s
FROM (
    SELECT id, (lease_owner <> %(worker)s)::int AS counts FROM agents_run
    WHERE state = 'queued' OR (state = 'running' AND lease_expires_at < %(now)s)
    ORDER BY created_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
) AS claimable
WHERE agents_run.id = claimable.id
RETURNING agents_run.id, agents_run.attempt - claimable.counts, agents_run.cancel_requested
"""


def claim_runs(
    *, worker: str, limit: int, now: datetime.datetime, expires: datetime.datetime
) -> list[tuple[int, int, bool]]:
    """Lease up to ``limit`` queued or lease-expired runs, oldest first, skipping rows
    another worker holds. Returns (id, attempts before this claim, cancel requested)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL, {"worker": worker, "expires": expires, "now": now, "limit": limit}
        )
        return sorted(cursor.fetchall())


# Read after every claim: the pool sleeps until the first lease another worker holds runs
# out, so a dead worker's run is taken over then, not at the next poll.
_NEXT_LEASE_EXPIRY_SQL = """
SELECT min(lease_expires_at) FROM agents_run
WHERE state = 'running' AND lease_owner <> %s AND lease_expires_at >= %s
"""


def next_lease_expiry(*, worker: str, now: datetime.datetime) -> datetime.datetime | None:
    """When the first lease from ``now`` on that ``worker`` does not hold runs out."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_LEASE_EXPIRY_SQL, [worker, now])
        row = cursor.fetchone()
    return row[0] if row else None


class EventRow(NamedTuple):
    seq: int
    type: str
    step: int
    payload: dict[str, Any]
    run_id: int | None


# Every open stream reads once per wake-up (a few times per step): the ORM query and its
# model instances cost ~9x the CPU of this statement.
_EVENTS_AFTER_SQL = """
SELECT seq, type, step, payload, run_id FROM agents_sessionevent
WHERE session_id = %s AND seq > %s ORDER BY seq LIMIT %s
"""


def events_after(*, session_id: Any, after: int, limit: int) -> list[EventRow]:
    """The session's events with ``seq > after``, in order, at most ``limit``."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_AFTER_SQL, [session_id, after, limit])
        # jsonb arrives as text, as for the ORM's JSONField (which decodes it like this).
        return [
            EventRow(seq, type_, step, json.loads(payload), run_id)
            for seq, type_, step, payload, run_id in cursor.fetchall()
        ]


# Read at the end of every streamed turn; the ORM's JSON key transform alone cost more
# CPU to compile than the gateway spends rendering the turn's chunks.
_SESSION_USAGE_SQL = "SELECT context -> 'usage' FROM agents_session WHERE id = %s"


def session_usage(*, session_id: Any) -> dict[str, Any] | None:
    """The session's token counters (``context["usage"]``), without reading the context."""
    with connection.cursor() as cursor:
        cursor.execute(_SESSION_USAGE_SQL, [session_id])
        row = cursor.fetchone()
    usage = json.loads(row[0]) if row and row[0] is not None else None
    return usage if isinstance(usage, dict) else None
