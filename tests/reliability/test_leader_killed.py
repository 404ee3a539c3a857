"""Two replicas; the scheduler's leader is killed (SIGKILL) in the middle of a 2,000-prompt check-in
fan-out. Every prompt still arrives, at most the rows the dead replica had in flight arrive twice,
and the other replica takes the minute tick over."""

from __future__ import annotations

import collections
import time

import pytest

from storage.models import DeliveryStatus
from tests.fakes.slack_api import FakeSlackApi
from tests.reliability.conftest import Deployment, checkin_open_now, enqueue_checkin_prompts, people_csv
from tests.reliability.replicas import LEASE_SECONDS, Replica, Replicas, wait_until

pytestmark = pytest.mark.postgres

PEOPLE = 2000
RATE_LIMIT = 250  # chat.postMessage a second: the fan-out takes about 8 s, so the kill lands inside it
KILLED_AFTER = 400  # prompts delivered before the kill
LEADER_GAUGE = "cadence_scheduler_leader"
TAKEOVER_SECONDS = 30


@pytest.fixture
def slack() -> FakeSlackApi:
    with FakeSlackApi(rate_limits={"chat.postMessage": RATE_LIMIT}) as fake:
        yield fake


def delivered_per_recipient(slack: FakeSlackApi) -> collections.Counter[str]:
    return collections.Counter(call.args["channel"] for call in slack.calls("chat.postMessage") if call.ok)


def leader_of(replicas: Replicas) -> Replica | None:
    for replica in replicas.serving:
        if replica.metric(LEADER_GAUGE) == 1:
            return replica
    return None


def test_killing_the_leader_mid_fan_out_loses_no_prompt_and_the_other_replica_takes_the_tick_over(
    deployment: Deployment, slack: FakeSlackApi, tmp_path
) -> None:
    deployment.seed(people_csv(PEOPLE))
    with Replicas(deployment.environment(slack), tmp_path / "replicas", 2) as replicas:
        try:
            elected = wait_until(lambda: leader_of(replicas), 10, "a replica to report itself the scheduler's leader")
        except AssertionError:
            elected = None  # asserted below, after the fan-out: the rest is worth knowing either way
        deployment.apply_settings(checkin_open_now())
        enqueue_checkin_prompts(deployment)  # what the leader's next tick would do; idempotent with it
        prompts = [row for row in deployment.outbox() if row.kind == "checkin_prompt"]
        assert len(prompts) == PEOPLE

        victim = elected or replicas[0]
        survivor = next(replica for replica in replicas if replica is not victim)
        wait_until(lambda: sum(delivered_per_recipient(slack).values()) >= KILLED_AFTER, 60, "the fan-out to start")
        victim.kill()
        killed_at = time.monotonic()
        in_flight = deployment.outbox_counts()[DeliveryStatus.SENDING]
        delivered_at_kill = sum(delivered_per_recipient(slack).values())
        assert delivered_at_kill < PEOPLE, "the fan-out was over before the kill; lower RATE_LIMIT"

        wait_until(
            lambda: len(delivered_per_recipient(slack)) == PEOPLE,
            60 + LEASE_SECONDS,
            f"every prompt to arrive ({in_flight} in flight at the kill, after {delivered_at_kill} delivered)",
            every=0.5,
            detail=lambda: (
                f"{PEOPLE - len(delivered_per_recipient(slack))} never arrived; {deployment.outbox_counts()}"
            ),
        )
        per_recipient = delivered_per_recipient(slack)
        duplicates = sum(count - 1 for count in per_recipient.values())
        print(f"killed {victim.name} after {delivered_at_kill} prompts: {in_flight} in flight, {duplicates} twice")
        assert duplicates <= in_flight, (duplicates, in_flight)
        wait_until(
            lambda: deployment.outbox_counts()[DeliveryStatus.SENT] == PEOPLE, 10, "the outbox to record every prompt"
        )

        assert elected is not None, f"no replica reported {LEADER_GAUGE} 1 on /metrics"
        wait_until(
            lambda: survivor.metric(LEADER_GAUGE) == 1,
            max(TAKEOVER_SECONDS - (time.monotonic() - killed_at), 1),
            f"{survivor.name} to take the scheduler over within {TAKEOVER_SECONDS} s of the kill",
            every=0.5,
        )
