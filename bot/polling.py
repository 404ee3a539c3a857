"""The loop shared by the background workers of a running Cadence (outbox sender, inbox worker).

A worker acts at once when woken (something was just queued in this process), when work it
deferred comes due, and otherwise every ``poll_interval`` seconds, for rows other replicas
queued. A database outage makes it wait and try again, never die.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

import sqlalchemy as sa

log = logging.getLogger(__name__)

MIN_BACKOFF = 0.5
MAX_BACKOFF = 10.0


class Wakeable(Protocol):
    """Something that works a queue and can be told there is work now: an outbox sender, an inbox
    worker, or the worker processes doing both for a serving process (``bot/worker_processes.py``)."""

    def notify(self) -> None:
        """Work was queued: stop waiting for the next poll (callable from any thread)."""


class Sender(Wakeable, Protocol):
    """What a unit of work wakes once it has queued deliveries: the outbox sender, or the worker processes
    that run one."""

    def hurry(self, keys: Collection[str]) -> None:
        """These deliveries were just queued and someone is waiting for them (the reply to a request): send
        them ahead of the queue, and stop waiting for the next poll (callable from any thread)."""


class Wakeup:
    """An ``asyncio.Event`` that may be set from any thread: work is often queued by a unit of work
    running in ``asyncio.to_thread``, and only the loop's own thread may touch an Event."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    def set(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is not None and running is not self.loop:
            self.loop.call_soon_threadsafe(self.event.set)
        else:
            self.event.set()


async def run_until_stopped(
    stop: asyncio.Event,
    wakeup: Wakeup,
    work: Callable[[], Awaitable[float | None]],
    *,
    poll_interval: float,
    name: str,
) -> None:
    """Call ``work`` until ``stop`` is set; ``work`` returns the seconds until its next deferred item, if any.

    While the database fails, the waits between tries double up to ``MAX_BACKOFF`` seconds (no hot loop
    against a database that is restarting), and a wake-up doesn't cut them short; the first success
    after an outage goes back to the normal rhythm."""
    wakeup.loop = asyncio.get_running_loop()
    failures = 0
    while not stop.is_set():
        wakeup.event.clear()
        wait = poll_interval
        try:
            next_due = await work()
            wait = poll_interval if next_due is None else min(next_due, poll_interval)
        except sa.exc.SQLAlchemyError:
            failures += 1
            wait = min(max(poll_interval, MIN_BACKOFF) * 2 ** (failures - 1), MAX_BACKOFF)
            if failures == 1:
                log.exception("%s can't reach the database; trying again, less and less often", name)
            else:
                log.debug("%s still can't reach the database; next try in %.1f s", name, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            continue
        if failures:
            log.warning("%s reached the database again after %d failed tries", name, failures)
            failures = 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.event.wait(), timeout=wait)
