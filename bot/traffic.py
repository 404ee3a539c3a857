"""Acks first: background work steps aside while platform requests keep arriving.

Slack gives a request 3 seconds; a command's answer (through its response_url, valid for 30
minutes), a card or a DM has no such deadline. So while requests arrive, the inbox worker and the
outbox sender wait before each item until requests pause for ``quiet`` seconds, but never longer
than ``max_wait``, and one item at a time: under a burst the acks stay fast and background work
goes on at a trickle (at most one item per ``max_wait``), catching up right after; in ordinary
traffic, with requests far apart, nothing waits at all.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

INSTANT = struct.Struct("d")


class Arrivals(Protocol):
    """When the last platform request came in (``time.monotonic``)."""

    last: float


class LocalArrivals:
    """Within one process: the serving process does its background work itself."""

    def __init__(self) -> None:
        self.last = float("-inf")


class SharedArrivals:
    """Shared by a serving process and its worker processes (``bot/worker_processes.py``): eight bytes
    of memory both map, so a worker steps aside for the requests its serving process receives. The
    monotonic clock is the machine's, the same in every process."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.memory = mmap.mmap(descriptor, INSTANT.size)

    @classmethod
    def create(cls) -> SharedArrivals:
        descriptor = os.memfd_create("cadence-arrivals")
        os.ftruncate(descriptor, INSTANT.size)
        arrivals = cls(descriptor)
        arrivals.last = float("-inf")
        return arrivals

    @property
    def last(self) -> float:
        return INSTANT.unpack_from(self.memory)[0]

    @last.setter
    def last(self, instant: float) -> None:
        INSTANT.pack_into(self.memory, 0, instant)


class Traffic:
    def __init__(
        self,
        quiet: float = 0.01,
        max_wait: float = 0.05,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        arrivals: Arrivals | None = None,
    ) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.arrivals = arrivals or LocalArrivals()
        self.turns = asyncio.Lock()

    @property
    def last_request(self) -> float:
        return self.arrivals.last

    def arrived(self) -> None:
        """A platform request has come in."""
        self.arrivals.last = self.clock()

    def busy_for(self) -> float:
        """How much longer requests count as arriving: 0 once they paused for ``quiet`` seconds."""
        return max(0.0, self.last_request + self.quiet - self.clock())

    async def step_aside(self) -> None:
        """Before one item of background work: wait for a pause in requests, at most ``max_wait``."""
        if not self.busy_for():
            return
        async with self.turns:
            deadline = self.clock() + self.max_wait
            while (wait := min(self.busy_for(), deadline - self.clock())) > 0:
                await self.sleep(wait)
