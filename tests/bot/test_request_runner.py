"""Running a recorded request: its effects and its "done" commit together, and only for the worker
that still holds its claim (the neutral runner every platform uses; here with Slack's side)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.outbox_sender import OutboxSender, Sent
from bot.request_runner import RequestRunner
from bot.slack import translate
from bot.slack.handling import SlackSide
from bot.slack.installations import bind_workspace
from conversations.destinations import ChannelPost
from conversations.flows import all_flows
from conversations.messages import Outbound, Platform
from storage import inbox, org_import, outbox
from storage.database import Database
from storage.models import InboxStatus, OutboxDelivery
from tests.bot.slack.conftest import ORG
from tests.fakes.slack_requests import slash_command_payload

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_a_worker_whose_claim_was_taken_over_keeps_none_of_its_effects(database: Database) -> None:
    with database.session_scope() as session:
        workspace = bind_workspace(session, "T0001", "Acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        inbox.record(
            session, platform=Platform.SLACK, request_key="k", team="T0001", kind="inbound", payload={}, now=NOW
        )
    with database.session_scope() as session:
        [mine] = inbox.claim_due(session, NOW)
    with database.session_scope() as session:
        [theirs] = inbox.claim_due(session, NOW + inbox.DEFAULT_LEASE)
    runner = RequestRunner(database, all_flows(), OutboxSender(database, {}, lambda: NOW), lambda: NOW)
    side = SlackSide()
    whoami = translate.from_command(slash_command_payload("/cadence", "whoami", user_id="U0001"))

    with pytest.raises(inbox.LostClaim):
        runner.handle(side, whoami, "k", command_answer="https://hooks.example/1", request=mine)
    with database.session_scope() as session:
        assert session.exec(select(OutboxDelivery)).all() == [], "the late worker's answer was rolled back"

    runner.handle(side, whoami, "k", command_answer="https://hooks.example/1", request=theirs)
    with database.session_scope() as session:
        [answer] = session.exec(select(OutboxDelivery)).all()
        assert answer.kind == "whoami" and answer.payload["destination"] == {
            "type": "command_answer",
            "reply_to": "https://hooks.example/1",
            "person_id": 2,  # Ada, the second person of the org file
        }
        assert inbox.by_key(session, "k").status is InboxStatus.DONE


class RecordsOrder:
    """A transport that sends everything at once and remembers the order."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def prepare(self, deliveries) -> None:
        """Nothing to read ahead."""

    async def deliver(self, delivery: OutboxDelivery) -> Sent:
        self.sent.append(delivery.dedupe_key)
        return Sent()

    async def close(self) -> None:
        """Nothing to close."""


def test_a_commands_answer_goes_out_ahead_of_everything_queued_before_it(database: Database) -> None:
    """Under a burst, the person who typed the command is waiting; the cards and DMs of earlier
    commands (here a fan-out of sixty) can follow."""
    with database.session_scope() as session:
        workspace = bind_workspace(session, "T0001", "Acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        earlier = Outbound("not_understood", {"text": "earlier"})
        outbox.enqueue_many(session, [outbox.message_row(
            workspace_id=workspace.id, platform=Platform.SLACK, message=earlier, destination=ChannelPost(f"#c{i}"),
            dedupe_key=f"fan-out:{i}", not_before=NOW) for i in range(60)])  # fmt: skip
    transport = RecordsOrder()
    sender = OutboxSender(database, {Platform.SLACK: transport}, lambda: NOW, batch_size=50)
    runner = RequestRunner(database, all_flows(), sender, lambda: NOW)
    kudos = translate.from_command(slash_command_payload("/kudos", "<@U0002|grace> for the review", user_id="U0001"))
    handled = runner.handle(SlackSide(), kudos, "k", command_answer="https://hooks.example/1")
    assert len(handled.answers) == 1
    report = asyncio.run(sender.drain())
    assert transport.sent[0] == handled.answers[0], transport.sent[:3]
    assert report.sent == len(transport.sent) == 60 + 3, "the fan-out, the answer, the card and Grace's DM, once each"
    assert sorted(transport.sent[1:]) == sorted([*(f"fan-out:{i}" for i in range(60)), "k:1", "k:2"])
