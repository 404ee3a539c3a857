"""The Slack Web API answers 500 to everything for 30 s while check-in prompts are due: the
replicas back off (a bounded number of tries during the outage, not a hot loop) and every prompt
arrives, once, after it recovers."""

from __future__ import annotations

import collections
import time

import pytest

from storage.models import DeliveryStatus
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.reliability.conftest import Deployment, checkin_open_now, enqueue_checkin_prompts, people_csv
from tests.reliability.replicas import Replicas, wait_until

pytestmark = pytest.mark.postgres

PEOPLE = 20
OUTAGE_SECONDS = 30
MAX_TRIES_DURING_OUTAGE = 6
"""Per prompt. Backing off from 2 s and doubling (at least half of each step) leaves room for five
tries in 30 s; a sender that retried at every 1 s poll would make about 30."""
RECOVERY_SECONDS = 45  # the longest backoff step still pending when the outage ends is under 32 s


def recipient_of(call: Call) -> str:
    """Whom a delivery's Web API call was for: the DM it posts to, or the person it opens one with."""
    user = str(call.args.get("channel") or call.args.get("users") or "")
    return user.removeprefix("D")


def test_a_30_second_slack_outage_is_waited_out_with_backoff_and_every_prompt_then_arrives_once(
    deployment: Deployment, slack: FakeSlackApi, tmp_path
) -> None:
    deployment.seed(people_csv(PEOPLE))
    with Replicas(deployment.environment(slack), tmp_path / "replicas", 2) as replicas:
        outage_ends = slack.fail_for(OUTAGE_SECONDS)
        outage_starts = outage_ends - OUTAGE_SECONDS
        deployment.apply_settings(checkin_open_now())
        enqueue_checkin_prompts(deployment)  # what the leader's next tick would do
        assert sum(row.kind == "checkin_prompt" for row in deployment.outbox()) == PEOPLE
        time.sleep(max(outage_ends - time.monotonic(), 0))

        during = [call for call in slack.calls() if outage_starts <= call.at < outage_ends]
        assert {call.status for call in during} == {500}
        tries = collections.Counter(recipient_of(call) for call in during)
        assert len(tries) == PEOPLE, f"every prompt was tried during the outage: {tries}"
        print(
            f"{len(during)} calls during the outage; tries per prompt: {sorted(collections.Counter(tries.values()).items())}"
        )
        assert max(tries.values()) <= MAX_TRIES_DURING_OUTAGE, tries.most_common(3)

        def delivered() -> collections.Counter[str]:
            return collections.Counter(recipient_of(call) for call in slack.calls("chat.postMessage") if call.ok)

        wait_until(lambda: len(delivered()) == PEOPLE, RECOVERY_SECONDS, "every prompt after the outage", every=0.5)
        assert set(delivered().values()) == {1}, "no prompt arrives twice"
        wait_until(
            lambda: deployment.outbox_counts()[DeliveryStatus.SENT] == PEOPLE, 10, "the outbox to record every prompt"
        )
        assert all(replica.running for replica in replicas)
