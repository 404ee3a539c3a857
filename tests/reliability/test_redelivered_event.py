"""Slack delivers one reaction event (one event_id) three times, to three different replicas, at
the same moment: one kudos is given and its recipient is told once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import DeliveryStatus, Kudos
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import event_callback, retry_headers
from tests.reliability.conftest import Deployment, checkin_opening_in
from tests.reliability.replicas import Replicas, wait_until

pytestmark = pytest.mark.postgres

ORG = """email,name,slack_id,timezone
ada@acme.example,Ada Lovelace,U0001,Europe/London
grace@acme.example,Grace Hopper,U0002,America/New_York
"""
KUDOS = checkin_opening_in(timedelta(days=3), kudos={"emojis": ["clap"]})
DELIVERIES = 3


def clap(giver: str, author: str, ts: str) -> dict:
    return {
        "type": "reaction_added",
        "user": giver,
        "reaction": "clap",
        "item_user": author,
        "item": {"type": "message", "channel": "C0GENERAL", "ts": ts},
        "event_ts": ts,
    }


def kudos_given(deployment: Deployment) -> int:
    with deployment.database.session_scope() as session:
        return len(session.exec(select(Kudos)).all())


def test_one_event_delivered_to_three_replicas_at_once_gives_one_kudos_and_one_note(
    deployment: Deployment, slack: FakeSlackApi, tmp_path
) -> None:
    deployment.seed(ORG, KUDOS)
    with Replicas(deployment.environment(slack), tmp_path / "replicas", DELIVERIES) as replicas:
        event = event_callback(clap("U0001", "U0002", "1700000500.000100"), event_id="Ev0RELIABILITY")
        # the first delivery, then Slack's retries (which say so in their headers), each to another replica
        headers = [{}, *(retry_headers(attempt) for attempt in range(1, DELIVERIES))]
        with ThreadPoolExecutor(DELIVERIES) as pool:
            acks = list(pool.map(lambda replica, extra: replica.post_slack(event, **extra), replicas, headers))
        assert [ack.status_code for ack in acks] == [200] * DELIVERIES

        def seen() -> float:
            return sum(
                replica.metric("cadence_events_total", platform="slack", outcome=outcome) or 0
                for replica in replicas
                for outcome in ("processed", "duplicate")
            )

        wait_until(lambda: seen() == DELIVERIES, 15, "every replica to handle or drop its delivery")
        wait_until(
            lambda: (
                deployment.outbox_counts()[DeliveryStatus.PENDING] + deployment.outbox_counts()[DeliveryStatus.SENDING]
                == 0
            ),
            15,
            "the outbox to be sent",
        )
        assert kudos_given(deployment) == 1
        notes = [call for call in slack.calls("chat.postMessage") if call.ok and call.args["channel"] == "DU0002"]
        assert len(notes) == 1, [call.args.get("text") for call in notes]
