"""Replicas under one rate limit keep to an even share of what they learned together: with each keeping
the share it happened to have at its first 429, three replicas sent 23 %, 32 % and 44 % of a fan-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.shared_pace import PaceBoard, PaceNews
from bot.slack.transport import RateLimits, limit_name

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TEAM, METHOD = "T0001", "chat.postMessage"
LIMIT = limit_name(TEAM, METHOD)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def replicas(count: int, clock: Clock) -> list[tuple[PaceBoard, RateLimits]]:
    """Boards wired to each other directly, as the replicas' channel carries their news."""
    boards: list[PaceBoard] = []

    def publish(news: PaceNews) -> None:
        for board in boards:
            board.heard(news)

    for index in range(count):
        boards.append(PaceBoard(replica=f"replica-{index}", publish=publish, monotonic=clock))
    return [(board, RateLimits(lambda: NOW, board=board)) for board in boards]


def refused_after(limits: RateLimits, successes: int) -> None:
    """``successes`` calls got through in the last second, then Slack said 429."""
    for _ in range(successes):
        limits.succeeded(TEAM, METHOD)
    limits.limited(TEAM, METHOD, timedelta(seconds=1))


def test_replicas_that_learned_unequal_shares_keep_to_the_same_pace() -> None:
    clock = Clock()
    (_, first), (_, second), (_, third) = replicas(3, clock)
    refused_after(first, 24)
    refused_after(second, 16)
    refused_after(third, 10)
    kept = [limits.kept_rate(TEAM, METHOD) for limits in (first, second, third)]
    assert kept[0] == kept[1] == kept[2] == pytest.approx((24 + 16 + 10) * 0.95 / 3)


def test_alone_a_replica_keeps_to_what_it_learned() -> None:
    clock = Clock()
    [(_, alone)] = replicas(1, clock)
    refused_after(alone, 40)
    assert alone.kept_rate(TEAM, METHOD) == pytest.approx(38.0)
    unshared = RateLimits(lambda: NOW)
    refused_after(unshared, 40)
    assert unshared.kept_rate(TEAM, METHOD) == pytest.approx(38.0), "the board changes nothing for one replica"


def test_a_later_429_lowers_the_total_a_little_not_to_one_replicas_share() -> None:
    clock = Clock()
    (_, first), (_, second) = replicas(2, clock)
    refused_after(first, 30)
    refused_after(second, 10)
    before = first.kept_rate(TEAM, METHOD)
    assert before == pytest.approx(19.0)
    first.paces[(TEAM, METHOD)].closed_until = None  # the hold is over; it keeps to 19 a second now
    first.paces[(TEAM, METHOD)].recent.clear()
    refused_after(first, 19)
    after = first.kept_rate(TEAM, METHOD)
    assert second.kept_rate(TEAM, METHOD) == after
    assert 0.9 * before <= after < before, "a 429 at the shared pace trims it by about its margin"


def test_more_refusals_of_the_same_burst_teach_nothing_more() -> None:
    clock = Clock()
    [(_, alone)] = replicas(1, clock)
    refused_after(alone, 20)
    learned = alone.kept_rate(TEAM, METHOD)
    for _ in range(7):  # the other calls in flight come back refused too
        alone.limited(TEAM, METHOD, timedelta(seconds=1))
    assert alone.kept_rate(TEAM, METHOD) == learned


def test_a_replica_never_refused_keeps_to_the_others_pace_and_forgets_it_when_they_go_quiet() -> None:
    clock = Clock()
    (_, first), (_, newcomer) = replicas(2, clock)
    refused_after(first, 20)
    assert newcomer.kept_rate(TEAM, METHOD) == pytest.approx(19.0)
    clock.now += PaceBoard.FRESH_FOR + 1
    assert newcomer.kept_rate(TEAM, METHOD) is None, "what a quiet replica said is forgotten"


def test_a_replica_that_keeps_sending_says_its_pace_again_before_the_others_forget_it() -> None:
    clock = Clock()
    told: list[PaceNews] = []
    board = PaceBoard(replica="r", publish=told.append, monotonic=clock)
    limits = RateLimits(lambda: NOW, board=board)
    refused_after(limits, 20)
    assert [news.rate for news in told] == [pytest.approx(19.0)]
    clock.now += PaceBoard.RETELL_AFTER - 1
    limits.succeeded(TEAM, METHOD)
    assert len(told) == 1
    clock.now += 2
    limits.succeeded(TEAM, METHOD)
    assert len(told) == 2 and told[-1] == PaceNews(LIMIT, told[0].rate, "r")
    assert PaceBoard.RETELL_AFTER < PaceBoard.FRESH_FOR


def test_a_replica_ignores_its_own_news_coming_back() -> None:
    clock = Clock()
    board = PaceBoard(replica="me", monotonic=clock)
    board.heard(PaceNews(LIMIT, 99.0, "me"))
    assert board.even_share(LIMIT, 10.0) == 10.0


def test_replicas_sending_to_one_teams_tenant_keep_to_their_part_of_its_budget() -> None:
    """Teams' 50 calls a second per tenant are the app's: three replicas keeping 50 each sent 150."""
    import asyncio

    from bot.teams.transport import TeamsLimits

    clock = Clock()
    boards = [board for board, _ in replicas(3, clock)]
    limits = [TeamsLimits(lambda: NOW, board=board, monotonic=clock) for board in boards]

    async def calls_in_one_second(limit: TeamsLimits) -> int:
        made = 0
        while limit.tenants.get("tenant") is None or limit.windows("tenant", None)[0].wait(clock()) <= 0:
            await limit.before("tenant")
            made += 1
        return made

    assert asyncio.run(calls_in_one_second(limits[0])) == 50, "alone, the whole budget"
    clock.now += 1.5  # the window is empty again, and the others start sending to the tenant
    for limit in limits[1:]:
        asyncio.run(limit.before("tenant"))
    assert [limit.windows("tenant", None)[0].limit for limit in limits] == [16, 16, 16]
    clock.now += PaceBoard.FRESH_FOR + 1  # the other two stopped: the first has the budget back
    assert limits[0].windows("tenant", None)[0].limit == 50
