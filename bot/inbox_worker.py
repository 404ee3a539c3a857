"""Working through the inbox: the requests each platform's listeners recorded inside their acks.

Acks stay fast because a listener only checks and records a request; everything slower (the
flow, its queries, its deliveries, opening a form) happens here, in order of arrival. A request
whose handling raises is tried again with backoff a few times, then marked failed with the
error, and its platform handler is asked to tell the person (a slash command's author is
waiting for an answer).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from bot.metrics import Metrics
from bot.outbox_sender import RetryPolicy
from bot.polling import Wakeup, run_until_stopped
from bot.traffic import Traffic
from conversations.messages import Platform
from storage import inbox
from storage.database import UNAVAILABLE, Database
from storage.models import InboxRequest

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
"""Requests claimed at a time, worked on ``concurrency`` at once: one claim for one request (SQLite works
one at a time) cost as much as a sixth of handling it, under a queue of thousands."""
INBOX_RETRIES = RetryPolicy(max_attempts=3, base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=30))


class RequestHandler(Protocol):
    async def handle(self, request: InboxRequest) -> None:
        """Act on the request; the unit of work that holds its effects must end with ``inbox.mark_done``."""

    def give_up(self, session: Session, request: InboxRequest, now: datetime) -> None:
        """The request failed for good: queue whatever tells its author, in ``session``."""


class InboxWorker:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[Platform, RequestHandler],
        clock: Callable[[], datetime],
        metrics: Metrics,
        *,
        traffic: Traffic | None = None,
        policy: RetryPolicy = INBOX_RETRIES,
        rng: random.Random | None = None,
        concurrency: int = 1,
        batch_size: int = CLAIM_BATCH,
        lease: timedelta = inbox.DEFAULT_LEASE,
    ) -> None:
        self.database = database
        self.handlers = dict(handlers)
        self.clock = clock
        self.metrics = metrics
        self.traffic = traffic or Traffic()
        self.policy = policy
        self.rng = rng or random.Random()
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease = lease
        self.wakeup = Wakeup()
        self.stopping = asyncio.Event()
        self.unsettled: list[InboxRequest] = []
        """Requests whose handling the database cut short (it went away): handed back first thing once it
        is back, so they are handled again at once rather than after their lease."""

    def stop(self) -> None:
        """Stop taking requests: the one in hand is finished, claimed ones not started are handed back."""
        self.stopping.set()
        self.wakeup.set()

    def notify(self) -> None:
        """A request was recorded: stop waiting for the next poll."""
        self.wakeup.set()

    def claim(self, now: datetime) -> list[InboxRequest]:
        """Take a batch of due requests (one per person: see ``inbox.claim_due``), at least as many as are
        worked on at once; a process that stops hands back those it has not started."""
        with self.database.session_scope() as session:
            return inbox.claim_due(
                session,
                now,
                limit=max(self.batch_size, self.concurrency),
                lease=self.lease,
                platforms=list(self.handlers),
            )

    async def drain(self) -> int:
        """Handle every request due now, oldest first; returns how many were taken."""
        taken = 0
        await asyncio.to_thread(self.hand_back_unsettled)
        # the clock is read here, on the loop (where tests may freeze it), and handed to the threads
        while not self.stopping.is_set() and (batch := await asyncio.to_thread(self.claim, self.clock())):
            await self.work_through(batch)
            taken += len(batch)
        return taken

    async def work_through(self, batch: list[InboxRequest]) -> None:
        """Work on a batch's requests, ``concurrency`` at once: each is a different person's, and most of a
        request's time is spent waiting on the database's round trips, which one at a time capped the
        whole service at a few dozen commands a second. A request not started when the worker stops is
        handed back; one cut short by the database going away is handed back once it is back."""
        finished: set[int | None] = set()
        at_once = asyncio.Semaphore(self.concurrency)

        async def one(request: InboxRequest) -> None:
            async with at_once:
                if self.stopping.is_set():
                    return
                await self.traffic.step_aside()
                if self.stopping.is_set():
                    return
                await self.work_on(request)
                finished.add(request.id)

        def unfinished() -> list[InboxRequest]:
            return [request for request in batch if request.id not in finished]

        try:
            outcomes = await asyncio.gather(*(one(request) for request in batch), return_exceptions=True)
        except asyncio.CancelledError:
            # stopped past the grace period: the others take these now, not after the lease; if a unit of
            # work in hand commits after all, its claim is gone and it rolls back
            self.hand_back(unfinished())
            raise
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if any(isinstance(error, UNAVAILABLE) for error in errors):
            self.unsettled.extend(unfinished())
            raise next(error for error in errors if isinstance(error, UNAVAILABLE))
        if errors:
            raise errors[0]
        if left := unfinished():  # stopping: not started
            await asyncio.to_thread(self.hand_back, left)

    def hand_back(self, requests: list[InboxRequest]) -> None:
        with self.database.session_scope() as session:
            inbox.release(session, requests)

    def hand_back_unsettled(self) -> None:
        if self.unsettled:
            self.hand_back(self.unsettled)
            self.unsettled.clear()

    async def work_on(self, request: InboxRequest) -> None:
        if request.attempts > self.policy.max_attempts:
            # taken again after its lease ran out, more often than it may be tried: whatever handles it
            # stops the process (or outlives the lease) every time, so don't try it once more
            reason = f"gave up after {request.attempts - 1} attempts"
            await asyncio.to_thread(self.record_failure, request, reason, self.clock())
            return
        try:
            await self.handlers[request.platform].handle(request)
        except UNAVAILABLE:
            raise  # the database went away, not the request's fault: handed back once it returns
        except inbox.LostClaim:
            log.warning("inbox request %s was taken over by another worker", request.request_key)
        except Exception as error:  # recorded on the row and retried, then failed with the reason
            log.exception("inbox request %s (%s) failed", request.request_key, request.kind)
            await asyncio.to_thread(self.record_failure, request, f"{type(error).__name__}: {error}", self.clock())
        else:
            self.metrics.event(request.platform.value, "processed")

    def record_failure(self, request: InboxRequest, error: str, now: datetime) -> None:
        try:
            with self.database.session_scope() as session:
                if request.attempts < self.policy.max_attempts:  # attempts counts this one
                    inbox.mark_retry(session, request, now + self.policy.delay(request.attempts, self.rng), error)
                    self.metrics.event(request.platform.value, "retried")
                else:
                    inbox.mark_failed(session, request, now, error)
                    self.handlers[request.platform].give_up(session, request, now)
                    self.metrics.event(request.platform.value, "failed")
        except inbox.LostClaim:
            log.warning("inbox request %s was taken over by another worker", request.request_key)

    def seconds_until_next_due(self, now: datetime) -> float | None:
        with self.database.session_scope() as session:
            next_due = inbox.next_due_at(session, platforms=list(self.handlers))
        return None if next_due is None else max((next_due - now).total_seconds(), 0.0)

    async def run(self, poll_interval: float = 1.0) -> None:
        """Handle requests until :meth:`stop`."""

        async def handle_due() -> float | None:
            await self.drain()
            return await asyncio.to_thread(self.seconds_until_next_due, self.clock())

        self.stopping.clear()
        await run_until_stopped(
            self.stopping, self.wakeup, handle_due, poll_interval=poll_interval, name="inbox worker"
        )
