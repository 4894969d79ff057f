"""Surviving the faults of the services every process depends on: the database restarting
or failing over, Redis going away. Loops that must outlive such faults (the pool's claim
and upkeep loops, the wake-up listener, the gateway's followers) catch the errors named
here, wait with a ``Backoff`` and try again; they never let them end the process.
"""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError

# What a lost, refused or restarted database connection raises through the ORM.
DATABASE_FAULTS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class Backoff:
    """Bounded exponential backoff: ``first``, doubling up to ``cap`` seconds, back to
    ``first`` after ``reset()``. The first fault of an outage is logged at ``level`` and
    the rest at debug level, so an outage costs a line, not a traceback per retry."""

    def __init__(
        self,
        what: str,
        logger: logging.Logger,
        *,
        first: float = 0.1,
        cap: float = 2.0,
        level: int = logging.WARNING,
    ) -> None:
        self.what = what
        self.logger = logger
        self.first = first
        self.cap = cap
        self.level = level
        self.delay = 0.0
        self.failing_since: float | None = None

    def failed(self, error: BaseException, *, since: float | None = None) -> float:
        """Record a fault; returns how long to wait before the next try. ``since``: when
        the failing call began (``time.monotonic()``), if the outage counts from then."""
        self.delay = self.first if not self.delay else min(self.delay * 2, self.cap)
        if self.failing_since is None:
            self.failing_since = time.monotonic() if since is None else since
            self.logger.log(
                self.level, "%s failed (%s); retrying with backoff", self.what, _summary(error)
            )
        else:
            self.logger.debug("%s failed again (%s)", self.what, _summary(error))
        return self.delay

    def reset(self) -> None:
        """The call succeeded: the next fault starts from ``first`` again."""
        if self.failing_since is not None:
            self.logger.log(
                self.level,
                "%s works again after %.1f s",
                self.what,
                time.monotonic() - self.failing_since,
            )
        self.delay = 0.0
        self.failing_since = None

    def outage_seconds(self) -> float:
        """How long the calls have been failing (0 when the last one succeeded)."""
        return 0.0 if self.failing_since is None else time.monotonic() - self.failing_since


def _summary(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
