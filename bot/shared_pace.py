"""One rate limit, several replicas sending under it: each keeps to an even share of what they learned.

A sender learns a limit's pace from its own 429s: the calls that got through in the second before.
Alone, that is the limit. With several replicas, each learns the share it happened to have when it
was first refused, and kept it, since nothing told it the others were there: three replicas that
started a fan-out a few milliseconds apart sent 23 %, 32 % and 44 % of it (bench/replicas.py).
So each replica tells the others the pace it keeps to (``bot/replica_channel.py``), and keeps to
the mean of what the replicas sending under that limit said lately. Their total stays what they
learned together, and the shares even out as soon as they hear of each other.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PaceNews:
    """A replica keeps to ``rate`` calls a second under ``limit`` (a platform's name for one limit:
    a method in a workspace, say)."""

    limit: str
    rate: float
    replica: str


def replica_name() -> str:
    """Which process said it: host and process id, and a few random characters for a restarted one."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class PaceBoard:
    """What the replicas said they keep to, per limit; ``publish`` tells the others (it must not block:
    it is called on the event loop, between two calls to the platform)."""

    replica: str = field(default_factory=replica_name)
    publish: Callable[[PaceNews], None] | None = None
    monotonic: Callable[[], float] = time.monotonic
    said: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)  # limit -> replica -> (rate, at)
    told_at: dict[str, float] = field(default_factory=dict)

    FRESH_FOR = 60.0
    """What a replica said is forgotten after a minute without news from it (it stopped sending,
    or stopped running), as a sender forgets a pace after a quiet minute."""
    RETELL_AFTER = 15.0
    """A replica that keeps sending under a limit says its pace again this often, so the others don't
    forget it while it is still there."""

    def heard(self, news: PaceNews) -> None:
        """Another replica's news (our own comes back through the channel too; it is known already)."""
        if news.replica != self.replica and news.rate > 0:
            self.said.setdefault(news.limit, {})[news.replica] = (news.rate, self.monotonic())

    def learned(self, limit: str, rate: float) -> float:
        """We were refused and learned ``rate``: tell the others, and keep to the even share."""
        self._tell(limit, rate)
        return self.even_share(limit, rate)

    def even_share(self, limit: str, rate: float | None) -> float | None:
        """The pace to keep to under ``limit`` (``rate`` our own, None if we never learned one): the mean of
        what the replicas sending under it said lately, ours included."""
        fresh = self._others(limit)
        if rate is not None:
            fresh[self.replica] = rate
        return sum(fresh.values()) / len(fresh) if fresh else None

    def sending(self, limit: str) -> int:
        """How many replicas send under ``limit`` now: this one and those heard from lately. For a limit
        a platform publishes (Teams' per tenant), each keeps to its part of it."""
        return 1 + len(self._others(limit))

    def _others(self, limit: str) -> dict[str, float]:
        """What the other replicas said lately under ``limit``, by replica."""
        now = self.monotonic()
        return {
            replica: rate
            for replica, (rate, at) in self.said.get(limit, {}).items()
            if now - at <= self.FRESH_FOR and replica != self.replica
        }

    def keeping(self, limit: str, rate: float) -> None:
        """We sent under ``limit`` at ``rate``: say it again if the others may be about to forget it."""
        if self.monotonic() - self.told_at.get(limit, float("-inf")) >= self.RETELL_AFTER:
            self._tell(limit, rate)

    def _tell(self, limit: str, rate: float) -> None:
        self.told_at[limit] = self.monotonic()
        if self.publish is not None:
            self.publish(PaceNews(limit, rate, self.replica))
