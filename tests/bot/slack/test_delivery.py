"""The outbox sender delivering to a fake Slack: rate limits, retries, permanent errors, wake-ups."""

from __future__ import annotations

import asyncio
import random
import socket
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.outbox_sender import OutboxSender, RetryPolicy, Sent
from bot.slack.render import Renderers
from bot.slack.transport import SlackTransport
from conversations.destinations import DirectMessage
from conversations.messages import Outbound, Platform
from storage import org_import, outbox
from storage.connections import new_organisation
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.models import DeliveryStatus, OutboxDelivery, Person
from tests.fakes.slack_api import FakeSlackApi

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ORG = (
    "email,name,slack_id\nada@acme.example,Ada,U0001\ngrace@acme.example,Grace,U0002\nnoslack@acme.example,No Slack,\n"
)


class SteppingClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def people(database: Database) -> dict[str, int]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T0001")
        assert org_import.import_org(session, workspace.id, ORG).ok
        return {person.email.split("@")[0]: person.id for person in session.exec(select(Person))} | {
            "workspace": workspace.id
        }


def enqueue(database: Database, people: dict[str, int], who: str, key: str, clock: SteppingClock) -> None:
    with database.session_scope() as session:
        row = outbox.message_row(
            workspace_id=people["workspace"],
            platform=Platform.SLACK,
            message=Outbound("not_understood", {"text": key}),
            destination=DirectMessage(people[who]),
            dedupe_key=key,
            not_before=clock(),
        )
        outbox.enqueue_many(session, [row])


def sender_for(database: Database, api_url: str, clock: SteppingClock, concurrency: int = 8, **policy) -> OutboxSender:
    transport = SlackTransport(
        database, lambda team: "xoxb-test" if team == "T0001" else None, api_url, clock, Renderers()
    )
    return OutboxSender(
        database,
        {Platform.SLACK: transport},
        clock,
        policy=RetryPolicy(**policy),
        rng=random.Random(1),
        concurrency=concurrency,
    )


def deliveries(database: Database) -> dict[str, OutboxDelivery]:
    with database.session_scope() as session:
        return {row.dedupe_key: row for row in session.exec(select(OutboxDelivery))}


def drain(sender: OutboxSender):
    async def drain_then_close():
        try:
            return await sender.drain()
        finally:
            await sender.close()

    return asyncio.run(drain_then_close())


def test_a_direct_message_opens_the_conversation_once_and_stores_the_ts(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock)
    enqueue(database, people, "ada", "one", clock)
    enqueue(database, people, "ada", "two", clock)
    assert drain(sender).sent == 2
    assert slack.count("conversations.open") == 1
    posts = slack.calls("chat.postMessage")
    assert [call.args["channel"] for call in posts] == ["DU0001", "DU0001"]
    assert deliveries(database)["one"].platform_message_id == f"DU0001/{posts[0].response['ts']}"
    assert deliveries(database)["one"].status is DeliveryStatus.SENT


def test_a_429_waits_for_retry_after_and_holds_the_method_for_that_workspace(
    database, people, slack: FakeSlackApi
) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock, concurrency=1)
    enqueue(database, people, "ada", "first", clock)
    drain(sender)  # opens the DM, so only chat.postMessage is limited below
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    enqueue(database, people, "ada", "limited", clock)
    enqueue(database, people, "grace", "held", clock)
    report = drain(sender)
    assert (report.sent, report.retried) == (0, 2)
    assert slack.count("chat.postMessage") == 2  # "first", then the 429; "held" never reached Slack
    rows = deliveries(database)
    assert rows["limited"].next_attempt_at == START + timedelta(seconds=7)
    assert rows["limited"].attempts == 0, "a rate limit is not a failed attempt"
    assert rows["held"].next_attempt_at == START + timedelta(seconds=7)
    clock.advance(seconds=6)
    assert drain(sender).handled == 0
    clock.advance(seconds=1)
    assert drain(sender).sent == 2


def test_server_errors_are_retried_with_growing_backoff_then_given_up(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock, max_attempts=3)
    enqueue(database, people, "ada", "flaky", clock)
    slack.fail_next("conversations.open", status=503, times=3)
    delays = []
    for _ in range(3):
        drain(sender)
        row = deliveries(database)["flaky"]
        delays.append(row.next_attempt_at - clock())
        clock.now = row.next_attempt_at
    row = deliveries(database)["flaky"]
    assert row.status is DeliveryStatus.FAILED and row.last_error == "gave up after 3 attempts: Slack answered HTTP 503"
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=2) < delays[1] <= timedelta(seconds=4)


def test_a_server_error_then_success_delivers_once(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock)
    enqueue(database, people, "ada", "k", clock)
    slack.fail_next("chat.postMessage", status=500, error="internal_error")
    drain(sender)
    clock.advance(minutes=1)
    drain(sender)
    assert deliveries(database)["k"].status is DeliveryStatus.SENT
    assert [call.status for call in slack.calls("chat.postMessage")] == [500, 200]


def test_connection_errors_are_retried(database, people) -> None:
    with socket.socket() as bound_not_listening:  # refuses connections; held, so no fake can be given its port
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        clock = SteppingClock()
        sender = sender_for(database, f"http://127.0.0.1:{port}/api/", clock)
        enqueue(database, people, "ada", "k", clock)
        assert drain(sender).retried == 1
    row = deliveries(database)["k"]
    assert row.status is DeliveryStatus.PENDING and "could not reach Slack" in row.last_error


@pytest.mark.parametrize(
    "error", ["user_not_found", "account_inactive", "channel_not_found", "not_in_channel", "invalid_auth"]
)
def test_permanent_errors_fail_the_delivery_with_the_reason_and_the_sender_goes_on(
    database, people, slack, error
) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock, concurrency=1)  # ada's first: she meets the error
    enqueue(database, people, "ada", "doomed", clock)
    enqueue(database, people, "grace", "fine", clock)
    slack.fail_next("conversations.open", error=error)
    report = drain(sender)
    assert (report.failed, report.sent) == (1, 1)
    rows = deliveries(database)
    assert (rows["doomed"].status, rows["doomed"].last_error) == (DeliveryStatus.FAILED, error)
    clock.advance(hours=1)
    assert drain(sender).handled == 0, "a failed delivery is never retried"


def test_a_person_without_slack_fails_with_a_reason(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    enqueue(database, people, "noslack", "k", clock)
    drain(sender_for(database, slack.base_url, clock))
    assert "has no Slack account linked" in deliveries(database)["k"].last_error


def test_the_sender_wakes_as_soon_as_a_row_is_enqueued(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock)

    async def scenario() -> None:
        running = asyncio.create_task(sender.run(poll_interval=3600))
        await asyncio.sleep(0)
        enqueue(database, people, "ada", "k", clock)
        sender.notify()
        await slack.wait_for_calls_async("chat.postMessage", timeout=10)
        sender.stop()
        await asyncio.wait_for(running, timeout=10)

    asyncio.run(scenario())
    assert slack.count("chat.postMessage") == 1


def test_a_persons_messages_keep_their_order_when_the_first_must_wait(database, people, slack: FakeSlackApi) -> None:
    clock = SteppingClock()
    sender = sender_for(database, slack.base_url, clock, concurrency=1)  # ada's first: she meets the 503
    enqueue(database, people, "ada", "question-1", clock)
    enqueue(database, people, "ada", "question-2", clock)
    enqueue(database, people, "grace", "other", clock)
    slack.fail_next("conversations.open", status=503, team_id=None)
    report = drain(sender)
    rows = deliveries(database)
    assert (rows["question-1"].status, rows["question-2"].status, rows["other"].status) == (
        "pending",
        "pending",
        "sent",
    )
    assert rows["question-2"].attempts == 0, "the second was never claimed while the first waits"
    assert rows["question-2"].next_attempt_at < rows["question-1"].next_attempt_at
    assert report.retried == 1
    clock.now = rows["question-1"].next_attempt_at
    drain(sender)
    rows = deliveries(database)
    first_ts, second_ts = (float(rows[key].platform_message_id.split("/")[1]) for key in ("question-1", "question-2"))
    assert first_ts < second_ts


def test_a_claimed_batch_is_read_ahead_in_a_few_statements_whatever_its_size(database, slack: FakeSlackApi) -> None:
    """Six statements a delivery (workspace, mentions, connection, person, DM channel, Slack id) were a
    third of the sender's work under a burst; a batch is now read in five, then sent without a read."""
    clock = SteppingClock()
    rows = "\n".join(f"p{index}@acme.example,Person {index},U{index:04d}" for index in range(30))
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T0001")
        assert org_import.import_org(session, workspace.id, "email,name,slack_id\n" + rows + "\n").ok
        for person in session.exec(select(Person)):
            remember_reference(session, workspace.id, person.id, Platform.SLACK, {"channel": f"D{person.id}"})
            message = Outbound("not_understood", {"text": person.display_name})
            outbox.enqueue_many(session, [outbox.message_row(
                workspace_id=workspace.id, platform=Platform.SLACK, message=message,
                destination=DirectMessage(person.id), dedupe_key=f"k{person.id}", not_before=clock())])  # fmt: skip
    transport = SlackTransport(database, lambda team: "xoxb-test", slack.base_url, clock, Renderers())
    with database.session_scope() as session:
        claimed = outbox.claim_due(session, clock(), limit=50)
    statements: list[str] = []
    sa.event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    async def read_ahead_then_send() -> tuple[int, list]:
        await transport.prepare(claimed[:1])
        one = len(statements)
        statements.clear()
        await transport.prepare(claimed)
        assert len(statements) == one, "as many statements for thirty deliveries as for one"
        statements.clear()
        try:
            return one, [await transport.deliver(row) for row in claimed]
        finally:
            await transport.close()

    one, outcomes = asyncio.run(read_ahead_then_send())
    assert one <= 5
    assert statements == [], "nothing read again while sending"
    assert all(isinstance(outcome, Sent) for outcome in outcomes)
    channels = {call.args["channel"] for call in slack.calls("chat.postMessage")}
    assert channels == {f"D{row.recipient.removeprefix('person:')}" for row in claimed} and len(channels) == 30
