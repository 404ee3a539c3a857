"""Recording requests inside their acks, many per commit.

Every listener of every platform records its request before acking. Recording one row per
transaction makes concurrent requests queue for the database's write lock (SQLite lets one writer
in at a time and makes the others sleep and retry), so here the requests that arrive while one
commit is under way wait for the next, and that one writes them all: a burst of requests costs a
few commits, not one each, and no request is acked before its row is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conversations.messages import Platform
from storage import inbox
from storage.database import Database


@dataclass(frozen=True)
class Recording:
    platform: Platform
    request_key: str
    team: str
    kind: str
    payload: Mapping[str, Any]


class InboxRecorder:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.waiting: list[tuple[Recording, asyncio.Future[bool]]] = []
        self.committing = False
        self.committer: asyncio.Task | None = None

    async def record(self, recording: Recording) -> bool:
        """Commit ``recording`` (with whatever else is waiting); False when its key was recorded before."""
        added: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((recording, added))
        if not self.committing:
            self.committing = True
            self.committer = asyncio.create_task(self.commit_waiting())
        return await added

    async def commit_waiting(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    results = await asyncio.to_thread(self.write, [recording for recording, _ in batch])
                except BaseException as error:  # every request of the failed commit learns of it, then it is raised
                    for _, added in batch:
                        added.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, added), result in zip(batch, results, strict=True):
                    added.set_result(result)
        finally:
            self.committing = False

    def write(self, recordings: Sequence[Recording]) -> list[bool]:
        now = self.clock()
        with self.database.session_scope() as session:
            return [
                inbox.record(
                    session,
                    platform=recording.platform,
                    request_key=recording.request_key,
                    team=recording.team,
                    kind=recording.kind,
                    payload=recording.payload,
                    now=now,
                )
                for recording in recordings
            ]
