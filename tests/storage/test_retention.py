"""Retention on SQLite and PostgreSQL, with an injected clock: each kind's rule removes what is older
than its organisation keeps, in batches of a bounded size, and never touches anything younger, still
pending, or kept forever; each run that removed something is one audit entry per organisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.retention_tick import RETENTION_ACTOR, apply_retention
from conversations.messages import Platform
from conversations.workspace_settings import RetentionKind
from storage import audit, inbox
from storage.connections import new_organisation
from storage.database import Database
from storage.models import (
    AuditAction,
    AuditEvent,
    CheckinCycle,
    CheckinResponse,
    DeliveryStatus,
    Feedback,
    FeedbackRequest,
    InboxRequest,
    InboxStatus,
    OneOnOneItem,
    OneOnOneItemKind,
    OneOnOnePair,
    OneOnOnePrivateNote,
    OutboxDelivery,
    Person,
    ResponseStatus,
    Workspace,
)
from storage.one_on_ones import numbered_open_items

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
ANSWERS = {"mood": 4, "done": "Shipped the importer", "blockers": "Waiting on legal"}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def organisation(database: Database, name: str, retention: dict[str, Any], account: str) -> tuple[int, int, int]:
    """An organisation on Slack with the given retention settings, a manager and a report."""
    with database.session_scope() as session:
        workspace = new_organisation(session, name, Platform.SLACK, account)
        workspace.settings = {"retention": retention}
        session.add(workspace)
        manager = Person(workspace_id=workspace.id, email=f"maya@{name}.test", display_name="Maya Chen")
        report = Person(workspace_id=workspace.id, email=f"sam@{name}.test", display_name="Sam Okafor")
        session.add_all([manager, report])
        session.flush()
        return workspace.id, manager.id, report.id


def rows(database: Database, model: type) -> list[Any]:
    with database.session_scope() as session:
        return list(session.exec(select(model).order_by(model.id)))


def retention_events(database: Database) -> list[AuditEvent]:
    with database.session_scope() as session:
        return [event for event in audit.events(session) if event.action is AuditAction.RETENTION_APPLIED]


# -- check-in answers ------------------------------------------------------------------------------


def add_week(database: Database, workspace_id: int, week: str, opened_at: datetime, person_ids: list[int]) -> None:
    with database.session_scope() as session:
        cycle = CheckinCycle(workspace_id=workspace_id, week=week, opened_at=opened_at)
        session.add(cycle)
        session.flush()
        submitted, skipped = person_ids
        session.add(
            CheckinResponse(
                cycle_id=cycle.id, person_id=submitted, status=ResponseStatus.SUBMITTED, answers=ANSWERS, mood=4,
                blockers="Waiting on legal", submitted_at=opened_at, updated_at=opened_at,
            )
        )  # fmt: skip
        session.add(
            CheckinResponse(
                cycle_id=cycle.id, person_id=skipped, status=ResponseStatus.SKIPPED, skip_reason="On a course",
                updated_at=opened_at,
            )
        )  # fmt: skip


def test_check_in_answers_of_weeks_older_than_the_period_lose_their_words_and_keep_their_status(
    any_database: Database,
) -> None:
    workspace_id, maya, sam = organisation(any_database, "acme", {"checkin_answers": 90}, "T0ACME")
    add_week(any_database, workspace_id, "2027-W08", days_ago(90) - timedelta(seconds=1), [sam, maya])
    add_week(any_database, workspace_id, "2027-W09", days_ago(90) + timedelta(seconds=1), [sam, maya])

    report = apply_retention(any_database, NOW)

    assert report.removed[RetentionKind.CHECKIN_ANSWERS] == 2
    old_submitted, old_skipped, young_submitted, young_skipped = rows(any_database, CheckinResponse)
    assert (old_submitted.status, old_submitted.answers, old_submitted.mood, old_submitted.blockers) == (
        ResponseStatus.SUBMITTED, {}, None, None,
    )  # fmt: skip
    assert old_submitted.submitted_at is not None, "when they answered still counts"
    assert (old_skipped.status, old_skipped.skip_reason) == (ResponseStatus.SKIPPED, None)
    assert (young_submitted.answers, young_submitted.mood, young_submitted.blockers) == (ANSWERS, 4, "Waiting on legal")
    assert young_skipped.skip_reason == "On a course"
    assert apply_retention(any_database, NOW).removed[RetentionKind.CHECKIN_ANSWERS] == 0, "nothing is done twice"


def test_people_s_words_are_kept_forever_by_default(any_database: Database) -> None:
    workspace_id, maya, sam = organisation(any_database, "acme", {}, "T0ACME")
    add_week(any_database, workspace_id, "2017-W08", days_ago(3600), [sam, maya])
    with any_database.session_scope() as session:
        pair = OneOnOnePair(workspace_id=workspace_id, manager_id=maya, report_id=sam, anchor=date(2017, 1, 5))
        session.add(pair)
        session.flush()
        session.add(
            OneOnOnePrivateNote(pair_id=pair.id, author_id=maya, text="Ask about the move", created_at=days_ago(3600))
        )
        session.add(Feedback(workspace_id=workspace_id, giver_id=maya, recipient_id=sam, went_well="Clear demo", given_at=days_ago(3600)))  # fmt: skip

    report = apply_retention(any_database, NOW)

    assert not any(report.removed.values())
    assert rows(any_database, CheckinResponse)[0].answers == ANSWERS
    assert rows(any_database, OneOnOnePrivateNote)[0].text == "Ask about the move"
    assert rows(any_database, Feedback)[0].went_well == "Clear demo"
    assert retention_events(any_database) == [], "a run that removed nothing leaves no entry"


# -- feedback ----------------------------------------------------------------------------------------


def test_feedback_older_than_the_period_loses_its_words_and_keeps_who_gave_it_to_whom(any_database: Database) -> None:
    workspace_id, maya, sam = organisation(any_database, "acme", {"feedback": 365}, "T0ACME")
    with any_database.session_scope() as session:
        old_request = FeedbackRequest(workspace_id=workspace_id, requester_id=sam, topic="The Q1 launch",
                                      created_at=days_ago(400), closes_at=days_ago(386))  # fmt: skip
        long_open = FeedbackRequest(workspace_id=workspace_id, requester_id=sam, topic="This year",
                                    created_at=days_ago(400), closes_at=days_ago(300))  # fmt: skip
        session.add_all([old_request, long_open])
        session.flush()
        session.add(Feedback(workspace_id=workspace_id, giver_id=maya, recipient_id=sam, request_id=old_request.id,
                             went_well="Clear demo", could_be_better="Slides", value_slug="ownership",
                             given_at=days_ago(366)))  # fmt: skip
        session.add(Feedback(workspace_id=workspace_id, giver_id=sam, recipient_id=maya, went_well="Good 1:1s",
                             given_at=days_ago(364)))  # fmt: skip

    assert apply_retention(any_database, NOW).removed[RetentionKind.FEEDBACK] == 2

    old, young = rows(any_database, Feedback)
    assert (old.went_well, old.could_be_better, old.giver_id, old.recipient_id, old.value_slug) == (
        "", "", maya, sam, "ownership",
    )  # fmt: skip
    assert young.went_well == "Good 1:1s"
    assert [request.topic for request in rows(any_database, FeedbackRequest)] == ["", "This year"]


# -- 1:1 notes ---------------------------------------------------------------------------------------


def test_old_notes_go_closed_items_lose_their_text_and_open_items_keep_their_numbers(any_database: Database) -> None:
    workspace_id, maya, sam = organisation(any_database, "acme", {"one_on_one_notes": 180}, "T0ACME")
    with any_database.session_scope() as session:
        pair = OneOnOnePair(workspace_id=workspace_id, manager_id=maya, report_id=sam, anchor=date(2026, 1, 7))
        session.add(pair)
        session.flush()

        def item(kind: OneOnOneItemKind, text: str, created: float, closed: float | None = None) -> OneOnOneItem:
            return OneOnOneItem(pair_id=pair.id, kind=kind, author_id=maya, text=text, created_at=days_ago(created),
                                closed_at=days_ago(closed) if closed is not None else None)  # fmt: skip

        session.add_all(
            [
                item(OneOnOneItemKind.TALKING_POINT, "Career path", 400, closed=181),
                item(OneOnOneItemKind.ACTION_ITEM, "Book the course", 400),  # open: carries over, however old
                item(OneOnOneItemKind.SHARED_NOTE, "Agreed on the promotion case", 181),
                item(OneOnOneItemKind.SHARED_NOTE, "Talked about on-call", 179),
                item(OneOnOneItemKind.TALKING_POINT, "Team offsite", 200, closed=179),
                item(OneOnOneItemKind.ACTION_ITEM, "Write the case", 20),
            ]
        )
        session.add(OneOnOnePrivateNote(pair_id=pair.id, author_id=maya, text="Seems tired", created_at=days_ago(181)))
        session.add(OneOnOnePrivateNote(pair_id=pair.id, author_id=sam, text="Ask for mentoring", created_at=days_ago(179)))  # fmt: skip
        session.flush()
        numbers_before = [(row.text, number) for row, number in numbered_open_items(session, pair)]

    assert apply_retention(any_database, NOW).removed[RetentionKind.ONE_ON_ONE_NOTES] == 3

    assert [(row.kind, row.text) for row in rows(any_database, OneOnOneItem)] == [
        (OneOnOneItemKind.TALKING_POINT, ""),
        (OneOnOneItemKind.ACTION_ITEM, "Book the course"),
        (OneOnOneItemKind.SHARED_NOTE, "Talked about on-call"),
        (OneOnOneItemKind.TALKING_POINT, "Team offsite"),
        (OneOnOneItemKind.ACTION_ITEM, "Write the case"),
    ]
    assert [note.text for note in rows(any_database, OneOnOnePrivateNote)] == ["Ask for mentoring"]
    with any_database.session_scope() as session:
        pair = session.exec(select(OneOnOnePair)).one()
        assert [(row.text, number) for row, number in numbered_open_items(session, pair)] == numbers_before


# -- sent messages and handled requests -------------------------------------------------------------


def message(workspace_id: int, key: str, status: DeliveryStatus, due: datetime, sent: datetime | None = None):
    return OutboxDelivery(workspace_id=workspace_id, platform=Platform.SLACK, kind="x", recipient="person:1",
                          dedupe_key=key, status=status, next_attempt_at=due, sent_at=sent, created_at=due)  # fmt: skip


def test_sent_and_given_up_messages_go_after_the_period_and_pending_ones_never(any_database: Database) -> None:
    acme, *_ = organisation(any_database, "acme", {"sent_messages": 14}, "T0ACME")
    keeper, *_ = organisation(any_database, "keeper", {"sent_messages": "forever"}, "T0KEEP")
    with any_database.session_scope() as session:
        session.add_all(
            [
                message(acme, "sent-old", DeliveryStatus.SENT, days_ago(15), sent=days_ago(14) - timedelta(seconds=1)),
                message(
                    acme, "sent-young", DeliveryStatus.SENT, days_ago(15), sent=days_ago(14) + timedelta(seconds=1)
                ),
                message(acme, "failed-old", DeliveryStatus.FAILED, days_ago(15)),
                message(acme, "failed-young", DeliveryStatus.FAILED, days_ago(13)),
                message(acme, "pending-old", DeliveryStatus.PENDING, days_ago(60)),
                message(acme, "sending-old", DeliveryStatus.SENDING, days_ago(60)),
                message(keeper, "kept-forever", DeliveryStatus.SENT, days_ago(900), sent=days_ago(900)),
            ]
        )

    assert apply_retention(any_database, NOW).removed[RetentionKind.SENT_MESSAGES] == 2

    assert [row.dedupe_key for row in rows(any_database, OutboxDelivery)] == [
        "sent-young", "failed-young", "pending-old", "sending-old", "kept-forever",
    ]  # fmt: skip


def request(key: str, team: str, status: InboxStatus, at: datetime) -> InboxRequest:
    finished = at if status in (InboxStatus.DONE, InboxStatus.FAILED) else None
    return InboxRequest(platform=Platform.SLACK, request_key=key, team=team, kind="command", status=status,
                        received_at=at, next_attempt_at=at, finished_at=finished)  # fmt: skip


def test_handled_requests_go_by_the_settings_of_the_organisation_their_account_belongs_to(
    any_database: Database,
) -> None:
    organisation(any_database, "brisk", {"handled_requests": 1}, "T0BRISK")
    organisation(any_database, "acme", {}, "T0ACME")  # the default: a week
    with any_database.session_scope() as session:
        session.add_all(
            [
                request("brisk-done", "T0BRISK", InboxStatus.DONE, days_ago(2)),
                request("brisk-failed", "T0BRISK", InboxStatus.FAILED, days_ago(2)),
                request("brisk-today", "T0BRISK", InboxStatus.DONE, days_ago(0.5)),
                request("brisk-queued", "T0BRISK", InboxStatus.QUEUED, days_ago(30)),
                request("brisk-processing", "T0BRISK", InboxStatus.PROCESSING, days_ago(30)),
                request("acme-done", "T0ACME", InboxStatus.DONE, days_ago(2)),
                request("acme-week-old", "T0ACME", InboxStatus.DONE, days_ago(8)),
                request("stranger-done", "T0NOBODY", InboxStatus.DONE, days_ago(2)),
                request("stranger-week-old", "T0NOBODY", InboxStatus.DONE, days_ago(8)),
            ]
        )

    assert apply_retention(any_database, NOW).removed[RetentionKind.HANDLED_REQUESTS] == 4

    assert [row.request_key for row in rows(any_database, InboxRequest)] == [
        "brisk-today", "brisk-queued", "brisk-processing", "acme-done", "stranger-done",
    ]  # fmt: skip
    by_workspace = {event.workspace_id: event.details for event in retention_events(any_database)}
    with any_database.session_scope() as session:
        ids = {workspace.name: workspace.id for workspace in session.exec(select(Workspace))}
    assert by_workspace == {
        ids["brisk"]: {"handled_requests": {"removed": 2, "older_than_days": 1}},
        ids["acme"]: {"handled_requests": {"removed": 1, "older_than_days": 7}},
        None: {"handled_requests": {"removed": 1, "older_than_days": 7}},  # no organisation's: the installation's
    }


def test_a_request_recorded_now_is_still_a_duplicate_after_a_run(any_database: Database) -> None:
    organisation(any_database, "brisk", {"handled_requests": 1}, "T0BRISK")
    with any_database.session_scope() as session:
        assert inbox.record(session, platform=Platform.SLACK, request_key="Ev1", team="T0BRISK", kind="event",
                            payload={}, now=NOW)  # fmt: skip
    apply_retention(any_database, NOW + timedelta(days=30))
    with any_database.session_scope() as session:
        assert not inbox.record(session, platform=Platform.SLACK, request_key="Ev1", team="T0BRISK", kind="event",
                                payload={}, now=NOW)  # fmt: skip


# -- batches -----------------------------------------------------------------------------------------


def old_messages(database: Database, workspace_id: int, count: int) -> None:
    with database.session_scope() as session:
        session.add_all(
            [
                message(workspace_id, f"old-{index}", DeliveryStatus.SENT, days_ago(40), days_ago(40))
                for index in range(count)
            ]
        )


@pytest.mark.parametrize(
    ("backlog", "first_run", "unfinished"),
    [(5, 5, False), (6, 6, True), (7, 6, True)],
    ids=["under-the-bound", "exactly-the-bound", "over-the-bound"],
)
def test_a_run_removes_at_most_its_batches_and_the_next_tick_goes_on(
    any_database: Database, backlog: int, first_run: int, unfinished: bool
) -> None:
    acme, *_ = organisation(any_database, "acme", {}, "T0ACME")
    old_messages(any_database, acme, backlog)
    with any_database.session_scope() as session:
        session.add(message(acme, "young", DeliveryStatus.SENT, days_ago(29), days_ago(29)))

    rests: list[float] = []
    first = apply_retention(any_database, NOW, batch_size=3, batches=2, rest=rests.append)
    assert (first.removed[RetentionKind.SENT_MESSAGES], first.unfinished) == (first_run, unfinished)
    assert len(rests) == 1, "a rest after the first full batch, none after the last one a run may take"
    second = apply_retention(any_database, NOW, batch_size=3, batches=2)
    assert (second.removed[RetentionKind.SENT_MESSAGES], second.unfinished) == (backlog - first_run, False)
    assert [row.dedupe_key for row in rows(any_database, OutboxDelivery)] == ["young"]
    counts = [event.details["sent_messages"]["removed"] for event in retention_events(any_database)]
    assert counts == [count for count in (first_run, backlog - first_run) if count], "one entry per run that removed"


def test_each_batch_is_its_own_transaction_and_the_audit_entry_matches_what_was_committed(
    any_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme, *_ = organisation(any_database, "acme", {}, "T0ACME")
    old_messages(any_database, acme, 7)
    from storage import retention

    calls = 0
    real = retention.delete_sent_messages

    def fails_on_the_third_batch(session, scope, cutoff, limit):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the database went away")
        return real(session, scope, cutoff, limit)

    monkeypatch.setattr(
        retention,
        "SWEEPS",
        tuple(
            (kind, fails_on_the_third_batch if kind is RetentionKind.SENT_MESSAGES else sweep)
            for kind, sweep in retention.SWEEPS
        ),
    )
    with pytest.raises(ExceptionGroup) as raised:
        apply_retention(any_database, NOW, batch_size=3, batches=5)
    assert "retention settings of workspace" in raised.value.exceptions[0].__notes__[0]
    assert len(rows(any_database, OutboxDelivery)) == 1, "the two committed batches stay removed"
    [event] = retention_events(any_database)
    assert (event.actor, event.at, event.details) == (
        RETENTION_ACTOR, NOW, {"sent_messages": {"removed": 6, "older_than_days": 30}},
    )  # fmt: skip


def test_a_snapshot_of_a_quarter_past_retention_still_counts_and_quotes_nothing(database: Database) -> None:
    from storage.snapshots import build_snapshots
    from tests.storage.test_snapshots import TODAY, seed_quarter

    workspace_id, org = seed_quarter(database)
    with database.session_scope() as session:
        workspace = session.get(Workspace, workspace_id)
        workspace.settings = {**workspace.settings, "retention": {"checkin_answers": 90, "feedback": 90}}
        session.add(workspace)
    ravi = org["Ravi"].id
    with database.session_scope() as session:
        before = build_snapshots(session, workspace_id, "2026-Q4", [ravi], TODAY)[ravi]

    later = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(days=365)
    removed = apply_retention(database, later).removed
    assert removed[RetentionKind.CHECKIN_ANSWERS] > 0 and removed[RetentionKind.FEEDBACK] > 0

    with database.session_scope() as session:
        after = build_snapshots(session, workspace_id, "2026-Q4", [ravi], TODAY)[ravi]
    assert after["has_data"] and after["participation"] == before["participation"]
    assert after["feedback"]["count"] == before["feedback"]["count"] == 2
    assert after["kudos"] == before["kudos"]
    assert after["blockers"] == [] and after["feedback"]["quotes"] == []
    assert after["mood"]["average"] is None
