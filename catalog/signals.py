"""Announcements of catalog changes, sent only after the change commits.

Receivers (retrieval's index) get ``kind`` ("tool", "agent" or "pipeline") and ``name``;
they re-read the catalog rather than trusting a payload, so a late or repeated signal is
harmless.
"""

from django.db import transaction
from django.dispatch import Signal

catalog_changed = Signal()


def announce_change(*, kind: str, name: str) -> None:
    """Send ``catalog_changed`` once the current transaction commits."""
    transaction.on_commit(
        lambda: catalog_changed.send(sender=None, kind=kind, name=name), robust=True
    )
