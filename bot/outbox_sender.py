"""Sends what the outbox holds, one platform transport per platform.

The sender claims due rows in a short transaction, talks to the platform outside any
transaction, then records the outcome in another. A transport never raises for platform
trouble: it answers :class:`Sent`, :class:`RetryLater` or :class:`Failed`, and the sender turns
that into the row's next state, with exponential backoff and jitter for retries and a limit
after which a delivery is failed with its last error rather than retried forever.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from bot.polling import Wakeup, run_until_stopped
from bot.traffic import Traffic
from conversations.messages import Platform
from storage import outbox
from storage.database import UNAVAILABLE, Database
from storage.models import DeliveryStatus, OutboxDelivery

log = logging.getLogger(__name__)
MIN_RETRY_DELAY = timedelta(seconds=1)


@dataclass(frozen=True)
class Sent:
    message_id: str | None = None


@dataclass(frozen=True)
class RetryLater:
    """Try again later: ``after`` is when the platform said (Retry-After), None means back off.

    ``throttled`` marks a rate limit: not a failure of this delivery, so it never uses up attempts.
    """

    error: str
    after: timedelta | None = None
    throttled: bool = False


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Sent | RetryLater | Failed


class DeliveryRefused(Exception):
    """A delivery that can't be made for a reason on our side (no account on the platform, no
    workspace or tenant connected): a transport answers it as ``Failed``, with this sentence."""


class Throttled(Exception):
    """A platform asked to hold calls for longer than is worth waiting in place: a transport answers
    it as a throttled ``RetryLater`` after ``wait``."""

    def __init__(self, wait: timedelta, limit: str) -> None:
        super().__init__(f"held for {wait.total_seconds():.0f} s by {limit}")
        self.wait = wait


Looked = TypeVar("Looked")


class ReadAhead(Generic[Looked]):
    """What a transport reads from the database for each delivery, read for a whole claimed batch at once
    (``Transport.prepare``) and taken as each is sent; a delivery sent on its own reads its own. Off the
    event loop either way: several deliveries go out at once, and the acks must not wait for the reads."""

    def __init__(self, look_up_all: Callable[[Sequence[OutboxDelivery]], Mapping[int | None, Looked]]) -> None:
        self.look_up_all = look_up_all
        self.ahead: dict[int | None, Looked] = {}

    async def prepare(self, deliveries: Sequence[OutboxDelivery]) -> None:
        self.ahead = {}  # nothing of an earlier batch is used again, even if this read fails
        self.ahead = dict(await asyncio.to_thread(self.look_up_all, deliveries))

    async def take(self, delivery: OutboxDelivery) -> Looked:
        if delivery.id in self.ahead:
            return self.ahead.pop(delivery.id)
        return (await asyncio.to_thread(self.look_up_all, [delivery]))[delivery.id]


class Transport(Protocol):
    async def prepare(self, deliveries: Sequence[OutboxDelivery]) -> None:
        """Read ahead, for all of a claimed batch at once, what its deliveries need (each is delivered next)."""

    async def deliver(self, delivery: OutboxDelivery) -> Outcome: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=10)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential backoff with full jitter between half and the whole step."""
        step = min(self.max_delay.total_seconds(), self.base_delay.total_seconds() * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=step * rng.uniform(0.5, 1.0))


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

    def add(self, other: DrainReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


class OutboxSender:
    def __init__(
        self,
        database: Database,
        transports: Mapping[Platform, Transport],
        clock: Callable[[], datetime],
        *,
        policy: RetryPolicy = RetryPolicy(),
        rng: random.Random | None = None,
        batch_size: int = 50,
        concurrency: int = 8,
        traffic: Traffic | None = None,
        lease: timedelta = outbox.DEFAULT_LEASE,
    ) -> None:
        self.database = database
        self.transports = dict(transports)
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.traffic = traffic or Traffic()
        self.lease = lease
        self.wakeup = Wakeup()
        self.stopping = asyncio.Event()
        self.database_thread: ThreadPoolExecutor | None = None  # made on first use, again after close
        self.hurried: list[str] = []  # the keys of deliveries someone waits for (``hurry``), from any thread
        self.hurrying = threading.Lock()
        self.unrecorded: list[tuple[OutboxDelivery, Outcome]] = []
        """Outcomes the database couldn't take when they came (it was away): recorded first thing once it is
        back, so a message sent during an outage is not sent again when its lease runs out."""

    def stop(self) -> None:
        """Stop taking deliveries: what is being sent finishes, claimed ones not yet tried are handed back."""
        self.stopping.set()
        self.wakeup.set()

    async def close(self) -> None:
        """Let transports release their connections."""
        for transport in self.transports.values():
            await transport.close()
        if self.database_thread is not None:
            self.database_thread.shutdown(wait=False)
            self.database_thread = None

    def notify(self) -> None:
        """Something was enqueued: stop waiting for the next poll."""
        self.wakeup.set()

    def hurry(self, keys: Collection[str]) -> None:
        """Send these just-queued deliveries ahead of the queue (replies their authors wait for), and wake up."""
        with self.hurrying:
            self.hurried.extend(keys)
        self.wakeup.set()

    def claim(self, now: datetime | None = None) -> list[OutboxDelivery]:
        """A batch: the deliveries hurried since the last claim that can go now, then as many of the others
        due as fill it (a batch of a few answers alone made the sender's work per delivery dearer). A hurried
        one that can't go yet (its recipient's earlier message is still on its way) goes in its turn."""
        now = now or self.clock()
        with self.hurrying:
            keys, self.hurried = self.hurried, []
        platforms = list(self.transports)
        with self.database.session_scope() as session:
            hurried = outbox.claim_by_keys(session, now, keys, platforms=platforms) if keys else []
            if len(hurried) >= self.batch_size:
                return hurried
            rest = outbox.claim_due(
                session, now, limit=self.batch_size - len(hurried), lease=self.lease, platforms=platforms
            )
            return [*hurried, *rest]

    async def drain(self) -> DrainReport:
        """Send everything due now; returns when nothing due is left.

        Deliveries go out concurrently (up to ``concurrency`` at a time). A batch holds at most one
        delivery per recipient (``outbox.claim_due`` takes a recipient's next message only once the one
        before it is sent), so a person never reads the second question before the first, even when
        the first must wait for a retry or another replica is sending it.
        """
        report = DrainReport()
        limit = asyncio.Semaphore(self.concurrency)
        await self.in_database(self.record_unrecorded, report, self.clock())
        unstarted: list[OutboxDelivery] = []
        book = OutcomeBook(self, report)

        async def send(delivery: OutboxDelivery) -> None:
            async with limit:
                if self.stopping.is_set():
                    unstarted.append(delivery)
                    return
                await self.traffic.step_aside()
                book.note(delivery, await self.attempt(delivery))

        # The sender's database work runs on one thread of its own: on the event loop, a database that
        # stopped answering (connections open, nothing coming back) froze every ack and /healthz with it;
        # on the shared pool of threads, eight concurrent sends competed with the acks for the
        # interpreter and cost a fifth of the ack throughput (bench/README.md). One thread, in turn.
        try:
            while not self.stopping.is_set() and (batch := await self.in_database(self.claim, self.clock())):
                await self.prepare(batch)
                await asyncio.gather(*(send(delivery) for delivery in batch))
                await book.written()
        finally:
            if unstarted:
                await self.in_database(self.release, unstarted)
        return report

    async def prepare(self, batch: list[OutboxDelivery]) -> None:
        """Let each platform's transport read what its part of the batch needs in one go. If that fails
        (the database went away since the claim, a row it can't read), each delivery reads what it needs
        itself, and a failure there is that delivery's own retry (``attempt``), not its batch's."""
        for platform, transport in self.transports.items():
            if mine := [delivery for delivery in batch if delivery.platform is platform]:
                try:
                    await transport.prepare(mine)
                except Exception:
                    log.exception("reading ahead for %d deliveries on %s failed", len(mine), platform.value)

    async def in_database(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run ``work`` on the sender's database thread, keeping the event loop free. The clock is read
        on the loop and handed over (tests freeze it there; threads may see real time)."""
        if self.database_thread is None:
            self.database_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-database")
        return await asyncio.get_running_loop().run_in_executor(self.database_thread, functools.partial(work, *args))

    def release(self, deliveries: list[OutboxDelivery]) -> None:
        with self.database.session_scope() as session:
            outbox.release(session, deliveries)

    def record_unrecorded(self, report: DrainReport, now: datetime) -> None:
        """Record the outcomes the database missed while it was away (raises while it still is)."""
        if self.unrecorded:
            taken = list(self.unrecorded)
            self.record_all(taken, report, now)
            del self.unrecorded[: len(taken)]

    async def drain_until_idle(self, max_wait: float) -> DrainReport:
        """Drain, and keep draining as deferred deliveries (rate limits, retries) come due within ``max_wait`` s."""
        report = DrainReport()
        deadline = time.monotonic() + max_wait
        while True:
            report.add(await self.drain())
            delay = await self.in_database(self.seconds_until_next_due, self.clock())
            if delay is None or time.monotonic() + delay > deadline:
                return report
            await asyncio.sleep(delay)

    def seconds_until_next_due(self, now: datetime | None = None) -> float | None:
        with self.database.session_scope() as session:
            next_due = outbox.next_due_at(session, platforms=list(self.transports))
        return None if next_due is None else max((next_due - (now or self.clock())).total_seconds(), 0.0)

    async def attempt(self, delivery: OutboxDelivery) -> Outcome:
        """One try; a transport bug becomes a retry with backoff (and a log with the trace), never a dead sender."""
        try:
            return await self.transports[delivery.platform].deliver(delivery)
        except Exception as error:
            log.exception("delivery %s raised", delivery.dedupe_key)
            return RetryLater(f"{type(error).__name__}: {error}")

    async def run(self, poll_interval: float = 1.0) -> None:
        """Deliver until :meth:`stop` (see :func:`bot.polling.run_until_stopped`)."""

        async def deliver_due() -> float | None:
            await self.drain()
            return await self.in_database(self.seconds_until_next_due, self.clock())

        self.stopping.clear()
        await run_until_stopped(
            self.stopping, self.wakeup, deliver_due, poll_interval=poll_interval, name="outbox sender"
        )

    def record_all(
        self, outcomes: Sequence[tuple[OutboxDelivery, Outcome]], report: DrainReport, now: datetime | None = None
    ) -> list[datetime | None]:
        """Store several outcomes in one unit of work (one read of the rows, one commit): for each, when
        the delivery will be tried again, if it will."""
        now = now or self.clock()
        with self.database.session_scope() as session:
            ids = [delivery.id for delivery, _ in outcomes]
            # the payload stays unread: decrypting it again for every outcome cost more than the write
            rows = select(OutboxDelivery).where(col(OutboxDelivery.id).in_(ids)).options(defer(OutboxDelivery.payload))
            current = {row.id: row for row in session.exec(rows)}
            return [
                self.apply(session, current.get(delivery.id), delivery, outcome, report, now)
                for delivery, outcome in outcomes
            ]

    def apply(
        self,
        session: Session,
        current: OutboxDelivery | None,
        delivery: OutboxDelivery,
        outcome: Outcome,
        report: DrainReport,
        now: datetime,
    ) -> datetime | None:
        if current is None or current.status is not DeliveryStatus.SENDING or current.claimed_at != delivery.claimed_at:
            # our lease ran out and another sender took the row: its outcome is the one that counts
            log.warning(
                "delivery %s was claimed again while we sent it; not recording our outcome", delivery.dedupe_key
            )
            return None
        delivery = current
        match outcome:
            case Sent(message_id):
                outbox.mark_sent(session, delivery, now, message_id)
                report.sent += 1
            case RetryLater(error, after, throttled) if throttled or delivery.attempts < self.policy.max_attempts:
                delay = after if after is not None else self.policy.delay(delivery.attempts, self.rng)
                outbox.mark_retry(
                    session, delivery, now + max(delay, MIN_RETRY_DELAY), error, count_attempt=not throttled
                )
                report.retried += 1
                return delivery.next_attempt_at
            case RetryLater(error, _, _):
                outbox.mark_failed(session, delivery, f"gave up after {delivery.attempts} attempts: {error}")
                report.failed += 1
            case Failed(reason):
                log.warning("delivery %s to %s failed: %s", delivery.dedupe_key, delivery.recipient, reason)
                outbox.mark_failed(session, delivery, reason)
                report.failed += 1
        return None


class OutcomeBook:
    """Outcomes written as they come, in as few commits as the database thread allows: while one write
    is under way the next outcomes gather, and go together in the one after (as the inbox recorder
    shares a commit between acks). A quiet sender writes each outcome at once; a busy one writes a
    batch's in a few commits instead of one each."""

    def __init__(self, sender: OutboxSender, report: DrainReport) -> None:
        self.sender = sender
        self.report = report
        self.waiting: list[tuple[OutboxDelivery, Outcome]] = []
        self.writes: list[asyncio.Task] = []
        self.failure: BaseException | None = None

    def note(self, delivery: OutboxDelivery, outcome: Outcome) -> None:
        if self.failure is not None:  # the database is away: kept for when it is back, not tried again now
            self.sender.unrecorded.append((delivery, outcome))
            return
        self.waiting.append((delivery, outcome))
        if not self.writes or self.writes[-1].done():
            self.writes.append(asyncio.create_task(self.write()))

    async def write(self) -> None:
        while self.waiting and self.failure is None:
            taken, self.waiting = self.waiting, []
            try:
                await self.sender.in_database(self.sender.record_all, taken, self.report, self.sender.clock())
            except UNAVAILABLE as error:
                # recorded first thing once the database is back, so nothing sent is sent again
                self.failure = error
                self.sender.unrecorded.extend([*taken, *self.waiting])
                self.waiting = []

    async def written(self) -> None:
        """Wait until every outcome noted so far is stored; raises what kept the database away, if it was."""
        writes, self.writes = self.writes, []
        await asyncio.gather(*writes)
        if self.failure is not None:
            raise self.failure
