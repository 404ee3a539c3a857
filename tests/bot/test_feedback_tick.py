"""The tick reminds each peer who hasn't answered a feedback request once, working days later at
the clock time they were asked where they live (across the switch to summer time, skipping a
holiday), closes the request when its time is up and tells the requester once who answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.feedback_tick import feedback_producer
from bot.retention_tick import apply_retention
from bot.tick import enqueue_due
from conversations.messages import outbound_from_dict
from conversations.words import Labels, PlainDialect, Words
from conversations.workspace_settings import KEEP_MESSAGES_DAYS, RetentionKind
from storage.database import Database
from storage.feedback import NOTICE_CATCH_UP
from storage.models import AskStatus, DeliveryStatus, FeedbackAsk, OutboxDelivery, Person
from tests.storage.test_feedback import organisation, run

ORG = """email,name,manager_email,timezone
ada@acme.test,Ada Lovelace,,Europe/Berlin
bert@acme.test,Bert Lin,ada@acme.test,Europe/Berlin
lou@acme.test,Lou Angel,,America/Los_Angeles
nia@acme.test,Nia York,,America/New_York
kavi@acme.test,Kavi Kolkata,,Asia/Kolkata
"""
ASKED = datetime(2027, 3, 26, 15, 0, tzinfo=UTC)  # Friday 16:00 in Berlin (winter time), 08:00 in Los Angeles
WORDS = Words(PlainDialect())


@pytest.fixture
def database(any_database: Database) -> Database:
    """Each test on SQLite and, when configured, PostgreSQL: the closing notice's outbox key is
    matched in SQL on both."""
    return any_database


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ask_everyone(database: Database) -> list:
    """Ada asks Bert, Lou, Nia and Kavi about the Q4 launch; the peers' direct messages."""
    mentions = tuple(f"{name}@acme.test" for name in ("bert", "lou", "nia", "kavi"))
    _, *asked = run(
        database,
        "ada",
        ASKED,
        command="feedback request",
        text='@bert @lou @nia @kavi about "Q4 launch"',
        mentions=mentions,
    )
    return asked


def tick(database: Database, at: datetime) -> int:
    return sum(enqueue_due(database, at, [feedback_producer(Labels())]).values())


def sent(database: Database, kind: str) -> list[tuple[str, str]]:
    """(recipient's name, words) of every outbox row of ``kind``, in order."""
    with database.session_scope() as session:
        names = {person.id: person.display_name for person in session.exec(select(Person))}
        found = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.kind == kind).order_by(OutboxDelivery.id)
        ).all()
        return [
            (
                names[int(row.recipient.removeprefix("person:"))],
                WORDS.render(kind, outbound_from_dict(row.payload["outbound"]).data).text,
            )
            for row in found
        ]


def answer(database: Database, who: str, message, at: datetime) -> None:
    (opened,) = run(database, who, at, choice=message.choices[0].value)
    run(database, who, at, form_id=opened.form.id, form={"went_well": f"{who} liked it."})


@pytest.fixture
def asked(database: Database) -> dict:
    ids = organisation(database, ORG)
    peers = {message.to_person_id: message for message in ask_everyone(database)}
    return {"ids": ids, "to": {name: peers[ids[name]] for name in ("bert", "lou", "nia", "kavi")}}


def test_each_peer_who_hasnt_answered_is_reminded_once_on_wednesday_at_the_clock_time_they_were_asked(
    database: Database, asked
) -> None:
    answer(database, "nia", asked["to"]["nia"], utc(2027, 3, 29, 14, 0))
    run(database, "kavi", utc(2027, 3, 29, 15, 0), choice=asked["to"]["kavi"].choices[1].value)  # Not this time
    assert tick(database, utc(2027, 3, 31, 13, 59)) == 0
    assert tick(database, utc(2027, 3, 31, 14, 0)) == 1  # Wednesday 16:00 in Berlin, now in summer time (UTC+2)
    assert tick(database, utc(2027, 3, 31, 14, 0)) == 0, "a second tick at the same instant sends nothing"
    assert tick(database, utc(2027, 3, 31, 14, 59)) == 0
    assert tick(database, utc(2027, 3, 31, 15, 0)) == 1  # Wednesday 08:00 in Los Angeles
    assert tick(database, utc(2027, 3, 31, 15, 1)) == 0
    assert tick(database, utc(2027, 4, 6, 9, 0)) == 0, "one reminder each, never a second"
    assert sent(database, "feedback_reminder") == [
        (
            "Bert Lin",
            "⏰ A reminder: Ada Lovelace asked for your feedback about Q4 launch. The request is open until Fri 9 Apr.",
        ),
        (
            "Lou Angel",
            "⏰ A reminder: Ada Lovelace asked for your feedback about Q4 launch. The request is open until Fri 9 Apr.",
        ),
    ]
    with database.session_scope() as session:
        reminded = {ask.peer_id: ask.reminded_at for ask in session.exec(select(FeedbackAsk))}
    ids = asked["ids"]
    assert reminded == {
        ids["bert"]: utc(2027, 3, 31, 14, 0),
        ids["lou"]: utc(2027, 3, 31, 15, 0),
        ids["nia"]: None,
        ids["kavi"]: None,
    }


def test_a_holiday_in_the_settings_is_skipped_when_counting_working_days(database: Database) -> None:
    organisation(database, ORG, holidays=["2027-03-29"])  # Easter Monday
    ask_everyone(database)
    assert tick(database, utc(2027, 3, 31, 14, 0)) == 0
    assert tick(database, utc(2027, 3, 31, 15, 0)) == 0
    assert tick(database, utc(2027, 4, 1, 14, 0)) == 1  # Thursday 16:00 in Berlin
    assert tick(database, utc(2027, 4, 1, 14, 0)) == 0
    assert [name for name, _ in sent(database, "feedback_reminder")] == ["Bert Lin"]
    assert tick(database, utc(2027, 4, 1, 15, 0)) == 3  # 08:00 in Los Angeles, 11:00 in New York, 20:30 in Kolkata
    assert tick(database, utc(2027, 4, 1, 15, 0)) == 0


def test_a_request_closes_after_two_weeks_and_its_requester_hears_once_who_answered_never_who_declined(
    database: Database, asked
) -> None:
    answer(database, "nia", asked["to"]["nia"], utc(2027, 3, 29, 14, 0))
    run(database, "kavi", utc(2027, 3, 29, 15, 0), choice=asked["to"]["kavi"].choices[1].value)
    tick(database, utc(2027, 3, 31, 15, 0))
    answer(database, "bert", asked["to"]["bert"], utc(2027, 4, 1, 9, 0))
    assert tick(database, utc(2027, 4, 9, 13, 59)) == 0
    assert tick(database, utc(2027, 4, 9, 14, 0)) == 1  # Friday 16:00 in Berlin, two weeks on
    assert tick(database, utc(2027, 4, 9, 14, 0)) == 0
    assert tick(database, utc(2027, 4, 12, 9, 0)) == 0
    assert sent(database, "feedback_request_closed") == [
        (
            "Ada Lovelace",
            "Your request for feedback about Q4 launch has closed: 2 of 4 answered: Nia York and Bert Lin.",
        )
    ]
    with database.session_scope() as session:
        statuses = sorted(ask.status.value for ask in session.exec(select(FeedbackAsk)))
    assert statuses == sorted([AskStatus.ANSWERED, AskStatus.ANSWERED, AskStatus.DECLINED, AskStatus.CLOSED])
    late = run(database, "lou", utc(2027, 4, 9, 14, 1), choice=asked["to"]["lou"].choices[0].value)
    assert [message.data["code"] for message in late] == ["request_closed"]


def test_nobody_is_reminded_after_the_request_closed_even_after_downtime(database: Database, asked) -> None:
    after_downtime = utc(2027, 4, 9, 14, 0) + timedelta(days=3)
    assert tick(database, after_downtime) == 1
    assert sent(database, "feedback_reminder") == []
    assert sent(database, "feedback_request_closed") == [
        ("Ada Lovelace", "Your request for feedback about Q4 launch has closed: 0 of 4 answered.")
    ]


def test_a_closing_notice_pruned_by_retention_is_not_sent_again(database: Database) -> None:
    organisation(database, ORG, retention={"sent_messages": KEEP_MESSAGES_DAYS})
    ask_everyone(database)
    closed = utc(2027, 4, 9, 14, 0)
    assert tick(database, closed) == 1
    with database.session_scope() as session:
        for row in session.exec(select(OutboxDelivery)):
            row.status, row.sent_at = DeliveryStatus.SENT, row.next_attempt_at
            session.add(row)
    later = closed + timedelta(days=KEEP_MESSAGES_DAYS, seconds=1)
    assert apply_retention(database, later).removed[RetentionKind.SENT_MESSAGES] >= 1
    assert sent(database, "feedback_request_closed") == [], "the row that marked Ada as told is gone"
    assert tick(database, later) == 0, "and she is not told a second time"


def test_a_closing_notice_is_not_sent_once_the_catch_up_is_over(database: Database, asked) -> None:
    assert tick(database, utc(2027, 4, 9, 14, 0) + NOTICE_CATCH_UP + timedelta(seconds=1)) == 0
    assert sent(database, "feedback_request_closed") == []


def test_every_catch_up_after_downtime_is_shorter_than_a_sent_message_is_kept() -> None:
    """A producer that may still ask for a message it already sent relies on the message's row (its
    unique key) still being there; retention never removes one that young."""
    from bot.digest_tick import CATCH_UP as DIGEST_CATCH_UP
    from conversations.snapshot import CATCH_UP_DAYS as SNAPSHOT_CATCH_UP_DAYS

    kept = timedelta(days=KEEP_MESSAGES_DAYS)
    assert max(NOTICE_CATCH_UP, DIGEST_CATCH_UP, timedelta(days=SNAPSHOT_CATCH_UP_DAYS)) < kept
