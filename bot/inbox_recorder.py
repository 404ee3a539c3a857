"""Recording requests inside their acks, many per commit.

Every listener of every platform records its request before acking. Recording one row per
transaction makes concurrent requests queue for the database's write lock (SQLite lets one writer
in at a time and makes the others sleep and retry), so here the requests that arrive while one
commit is under way wait for the next, and that one writes them all: a burst of requests costs a
few commits, not one each, and no request is acked before its row is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.metrics import Metrics
from bot.traffic import Traffic
from storage import inbox
from storage.database import Database, NotAnswering
from storage.inbox import NewRequest

RECORDING_TIMEOUT_SECONDS = 1.5
"""Slack waits 3 s for an ack: a request the database hasn't recorded by then is answered "try again"
(a retry of the same request is recognised by its key if the commit lands after all)."""


class InboxRecorder:
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        traffic: Traffic | None = None,
        *,
        commits_at_once: int = 1,
    ) -> None:
        """``commits_at_once``: how many commits may be under way together. On PostgreSQL a commit mostly
        waits on the server's round trips, and one at a time capped the acks at one batch per round
        trip; SQLite lets one writer in at a time anyway."""
        self.database = database
        self.clock = clock
        self.traffic = traffic or Traffic()
        self.commits_at_once = commits_at_once
        self.waiting: list[tuple[NewRequest, asyncio.Future[bool]]] = []
        self.committing: set[str] = set()
        """Whose requests are being committed: someone's next request waits for the next commit, so
        a person's requests are recorded (and numbered, and handled) in the order they arrived."""
        self.forming = False
        self.committers: set[asyncio.Task] = set()
        self.committer: asyncio.Task | None = None
        """The latest commit started (a test awaits it)."""

    async def record(self, recording: NewRequest) -> bool:
        """Commit ``recording`` (with whatever else is waiting); False when its key was recorded before.

        Each call is a request the platform verified and waits on: background work steps aside."""
        self.traffic.arrived()
        added: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((recording, added))
        if not self.forming:  # once the requests arriving together are all waiting: they share a commit
            self.forming = True
            asyncio.get_running_loop().call_soon(self.start_commits)
        try:
            async with asyncio.timeout(RECORDING_TIMEOUT_SECONDS):
                return await asyncio.shield(added)
        except TimeoutError:
            added.add_done_callback(lambda late: late.cancelled() or late.exception())  # nobody awaits it now
            raise NotAnswering(
                f"the database did not record the request within {RECORDING_TIMEOUT_SECONDS} s"
            ) from None

    async def record_for_worker(self, recording: NewRequest, wake_worker: Callable[[], None], metrics: Metrics) -> bool:
        """Record a request and wake the inbox worker for it; a redelivery (its key is recorded
        already) is only counted, as every platform's duplicate. True when this call recorded it."""
        added = await self.record(recording)
        if added:
            wake_worker()
        else:
            metrics.event(recording.platform.value, "duplicate")
        return added

    def start_commits(self) -> None:
        """Start a commit of what is waiting, while fewer than ``commits_at_once`` are under way."""
        self.forming = False
        while self.waiting and len(self.committers) < self.commits_at_once:
            batch, later = [], []
            for waiting in self.waiting:
                (later if whose(waiting[0]) in self.committing else batch).append(waiting)
            if not batch:
                return
            self.waiting = later
            self.committing.update(whose(recording) for recording, _ in batch)
            self.committer = asyncio.create_task(self.commit(batch))
            self.committers.add(self.committer)

    async def commit(self, batch: list[tuple[NewRequest, asyncio.Future[bool]]]) -> None:
        stopping = False
        try:
            results = await asyncio.to_thread(self.write, [recording for recording, _ in batch])
        except Exception as error:  # noqa: BLE001 - handed to every request of the failed commit
            settle(batch, error=error)
        except BaseException:
            stopping = True
            settle(batch, error=RuntimeError("the service stopped while the request was being recorded"))
            raise
        else:
            settle(batch, results=results)
        finally:
            self.committers.discard(asyncio.current_task())  # type: ignore[arg-type]
            self.committing.difference_update(whose(recording) for recording, _ in batch)
            if stopping and self.waiting:  # cancelled (the service is stopping): nobody will commit these
                waiting, self.waiting = self.waiting, []
                settle(waiting, error=RuntimeError("the service stopped before the request was recorded"))
            elif not stopping:
                self.start_commits()

    def write(self, recordings: Sequence[NewRequest]) -> list[bool]:
        """One statement for the whole batch; answers in the order given."""
        with self.database.session_scope() as session:
            return inbox.record_many(session, recordings, self.clock())


def whose(recording: NewRequest) -> str:
    return recording.actor or recording.request_key


def settle(
    batch: Sequence[tuple[NewRequest, asyncio.Future[bool]]],
    *,
    results: Sequence[bool] | None = None,
    error: BaseException | None = None,
) -> None:
    """Tell each waiting request how its commit went; a request whose caller gave up (cancelled) is skipped."""
    for position, (_, added) in enumerate(batch):
        if added.done():
            continue
        if results is not None:
            added.set_result(results[position])
        else:
            added.set_exception(error or RuntimeError("not recorded"))
