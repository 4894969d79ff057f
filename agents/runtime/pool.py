"""The runtime pool of one worker process.

Claims runs from the database (``SKIP LOCKED`` with a lease), runs up to ``concurrency``
of them at once, renews the leases by heartbeat, and stops runs whose cancel was
requested. Channel-layer messages only wake it up early: it also polls, so a lost message
or a dead worker never loses a run (an expired lease is claimable by anyone), and while it
has room it also wakes when the first lease another worker holds runs out, so a dead
worker's runs are taken over one lease after its last renewal, not a poll later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

from agents import services
from agents.engine.delegation import delegate
from agents.engine.loop import execute_run
from agents.runtime.instances import InstanceSlots
from agents.services import LeaseLost, RunCancelled
from agents.tools.base import WorkerRuntime
from maruntime.asyncdb import call_retrying, release_connections, run_sync
from maruntime.faults import DATABASE_FAULTS, Backoff
from maruntime.observability import ACTIVE_RUNS, QUEUE_DEPTH

logger = logging.getLogger(__name__)

# Claims wait this long past a lease's end, so that the lease has run out when they look.
TAKEOVER_SLACK_SECONDS = 0.05


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Pool:
    def __init__(self, *, concurrency: int | None = None, worker_id: str | None = None) -> None:
        self.concurrency = concurrency or settings.POOL_CONCURRENCY
        self.worker_id = worker_id or new_worker_id()
        self.lease_seconds = settings.POOL_LEASE_SECONDS
        self.poll_seconds = settings.POOL_POLL_SECONDS
        self.slots = InstanceSlots(self.worker_id)
        self.stopping = asyncio.Event()
        self.runtime = WorkerRuntime(
            worker=self.worker_id,
            stopping=self.stopping,
            definitions=self.slots.definitions,
            delegate=delegate,
        )
        self._wakeup = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        # Lease renewal and the cancel watch get a thread of their own: queued behind the
        # runs' database work under load, leases would expire while their runs are alive.
        self._upkeep_thread = ThreadPoolExecutor(1, thread_name_prefix="pool-upkeep")

    async def _upkeep_call(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        return await run_sync(function, executor=self._upkeep_thread)(**kwargs)

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        """Graceful stop: claim nothing more; running runs finish their step and go back.
        Runs still busy after ``POOL_DRAIN_SECONDS`` (a hung upstream call) are interrupted
        and handed back too, so the process exits before an orchestrator kills it."""
        self.stopping.set()
        self._wakeup.set()

    async def serve(self) -> None:
        logger.info("pool %s serving with concurrency %d", self.worker_id, self.concurrency)
        upkeep = asyncio.create_task(self._upkeep())
        claiming = Backoff(f"claiming runs in pool {self.worker_id}", logger)
        try:
            while not self.stopping.is_set():
                # Cleared before the claim: a stop or a wake-up arriving while the claim
                # waits for the database is kept, not lost until the next poll.
                self._wakeup.clear()
                wait = self.poll_seconds
                try:
                    takeover_in = await self._claim()
                    claiming.reset()
                    if takeover_in is not None:
                        wait = min(wait, takeover_in + TAKEOVER_SLACK_SECONDS)
                except DATABASE_FAULTS as error:
                    wait = claiming.failed(error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=wait)
            await self._drain()
        finally:
            upkeep.cancel()
            await self._until_database_answers(self.slots.stop_all)
            self._upkeep_thread.submit(release_connections)
            self._upkeep_thread.shutdown(wait=False)
            logger.info("pool %s stopped", self.worker_id)

    async def _drain(self) -> None:
        if not self._tasks:
            return
        _, busy = await asyncio.wait(self._tasks.values(), timeout=settings.POOL_DRAIN_SECONDS)
        if busy:
            logger.warning(
                "pool %s: %d runs still busy after %.0f s of draining; handing them back",
                self.worker_id,
                len(busy),
                settings.POOL_DRAIN_SECONDS,
            )
            self.runtime.handing_over.set()
            for task in busy:
                task.cancel()
            await asyncio.gather(*busy, return_exceptions=True)

    async def _claim(self) -> float | None:
        """Claim what this pool has room for. Returns, while it still has room, the seconds
        until another worker's lease runs out (the next run to take over if that worker
        is dead), so that the pool claims again then rather than at its next poll."""
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return None
        claimed_at = asyncio.get_running_loop().time()
        run_ids = await run_sync(services.run_claim)(
            worker=self.worker_id, limit=free, lease_seconds=self.lease_seconds
        )
        for run_id in run_ids:
            self.runtime.leased_until[run_id] = claimed_at + self.lease_seconds
            if run_id in self._tasks:
                # Our own run, whose lease lapsed while the database was away: the claim
                # renewed it. A second copy would pass the same fencing and write twice.
                continue
            self._tasks[run_id] = asyncio.create_task(self._execute(run_id))
        if len(run_ids) >= free:
            return None
        seconds: float | None = await run_sync(services.run_next_takeover_seconds)(
            worker=self.worker_id
        )
        return seconds

    async def _execute(self, run_id: int) -> None:
        """Run a claimed run to its end. Whatever goes wrong, including while its instance
        is acquired, the run is handed back or left to its lease, the task leaves
        ``_tasks`` (so its lease is no longer renewed) and the slot is freed."""
        ACTIVE_RUNS.inc()
        instance: tuple[int, int] | None = None  # (instance id, template version id)
        failed = False
        try:
            session, instance_id = await run_sync(self.slots.acquire_for_run)(run_id)
            instance = (instance_id, session.template_version_id)
            await execute_run(run_id=run_id, runtime=self.runtime, session=session)
        except (asyncio.CancelledError, RunCancelled):
            await self._until_database_answers(
                services.run_interrupted,
                run_id=run_id,
                worker=self.worker_id,
                hand_over=self.runtime.handing_over.is_set(),
            )
        except LeaseLost:
            logger.warning("lost the lease on run %s; another worker continues it", run_id)
        except DATABASE_FAULTS as error:
            # Not the run's fault: no attempt is spent. The run continues from what the
            # database holds, whether the failed write committed or not.
            logger.warning("run %s met a database fault (%s); handing it back", run_id, error)
            await self._until_database_answers(
                services.run_release, run_id=run_id, worker=self.worker_id
            )
        except Exception:
            failed = True
            logger.exception("run %s crashed in the worker; handing it back", run_id)
            # Counts as an attempt: a run that keeps crashing fails at POOL_MAX_ATTEMPTS.
            await self._until_database_answers(
                services.run_release, run_id=run_id, worker=self.worker_id, crashed=True
            )
        finally:
            ACTIVE_RUNS.dec()
            self._tasks.pop(run_id, None)
            self.runtime.leased_until.pop(run_id, None)
            if instance is not None:
                await self._until_database_answers(
                    self.slots.release,
                    instance_id=instance[0],
                    template_version_id=instance[1],
                    failed=failed,
                )
            self._wakeup.set()

    async def _until_database_answers(self, function: Callable[..., Any], **kwargs: Any) -> None:
        """Call ``function``, retrying with backoff while the database is unreachable, for
        at most one lease: a run not handed back by then is claimable anyway."""
        backoff = Backoff(f"{function.__name__} in pool {self.worker_id}", logger)
        until = asyncio.get_running_loop().time() + self.lease_seconds
        try:
            await call_retrying(function, until=until, backoff=backoff, **kwargs)
        except DATABASE_FAULTS:
            logger.warning("giving up %s: the database is still unreachable", backoff.what)

    async def _upkeep(self) -> None:
        """Every quarter second: stop cancelled runs. Every lease/3: renew leases, beat.
        Renewal goes by the clock, not by ticks: under load a tick takes longer. While the
        database is unreachable it retries with backoff; a lease that expired meanwhile
        is found taken over (or still ours) at the first renewal that works."""
        loop = asyncio.get_running_loop()
        renewed_at = loop.time()
        backoff = Backoff(f"upkeep of pool {self.worker_id}", logger)
        while True:
            await asyncio.sleep(max(0.25, backoff.delay))
            run_ids = list(self._tasks)
            try:
                if loop.time() - renewed_at >= self.lease_seconds / 3:
                    await self._renew(run_ids)
                    renewed_at = loop.time()
                if run_ids:
                    for run_id in await self._upkeep_call(
                        services.runs_cancel_requested, worker=self.worker_id, run_ids=run_ids
                    ):
                        task = self._tasks.get(run_id)
                        if task is not None:
                            task.cancel()
                backoff.reset()
            except DATABASE_FAULTS as error:
                backoff.failed(error)
            except Exception:
                logger.exception("pool upkeep failed; retrying")

    async def _renew(self, run_ids: list[int]) -> None:
        if run_ids:
            renewed_at = asyncio.get_running_loop().time()
            kept = await self._upkeep_call(
                services.run_renew_leases,
                worker=self.worker_id,
                run_ids=run_ids,
                lease_seconds=self.lease_seconds,
            )
            for run_id in kept & self._tasks.keys():
                self.runtime.leased_until[run_id] = renewed_at + self.lease_seconds
            for run_id in set(run_ids) - kept:
                task = self._tasks.get(run_id)
                if task is not None:
                    logger.warning("run %s was taken over; stopping our copy", run_id)
                    task.cancel()
        await self._upkeep_call(self.slots.heartbeat)
        QUEUE_DEPTH.set(await self._upkeep_call(services.queued_run_count))
