"""Feedback in the database: the contexts, the changes and the queries the list and the Home view
read, run through the real engine on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from conversations.commands import typed_handles
from conversations.feedback import FeedbackThanked, Ref
from conversations.flows import all_flows
from conversations.goal_progress import quarter_began_at
from conversations.messages import Inbound, Outbound, Platform
from conversations.workspace_settings import validate_settings
from storage import feedback, org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import AskStatus, Feedback, FeedbackAsk, FeedbackAudience, FeedbackRequest, Person, Workspace
from tests.conversations.fakes import FakeChannel

ORG = """email,name,manager_email,timezone
lee@acme.test,Lee Boss,,Europe/Berlin
ada@acme.test,Ada Lovelace,lee@acme.test,Europe/Berlin
grace@acme.test,Grace Hopper,lee@acme.test,America/New_York
linus@acme.test,Linus T,ada@acme.test,America/Los_Angeles
kim@acme.test,Kim Left,lee@acme.test,Europe/Berlin
"""
NOW = datetime(2027, 3, 26, 15, 0, 0, 123456, tzinfo=UTC)


def organisation(database: Database, org_file: str, **settings) -> dict[str, int]:
    """An organisation on the shell from ``org_file``, living by ``settings``: each person's id by
    the part of their email before the @."""
    parsed, errors = validate_settings(settings)
    assert errors == []
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, org_file).ok
        workspaces.apply_settings(session, workspace, parsed)
        return {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}


@pytest.fixture
def org(any_database: Database) -> dict[str, int]:
    ids = organisation(any_database, ORG, kudos={"values": ["ownership"]}, skills=["mentoring"])
    with any_database.session_scope() as session:
        kim = session.get(Person, ids["kim"])
        kim.active = False
        session.add(kim)
    return ids


def run(database: Database, who: str, at: datetime = NOW, **fields) -> list[Outbound]:
    """One message from ``who`` through the engine with the database's context and appliers."""
    channel = FakeChannel()
    inbound = Inbound(Platform.SHELL, "acme", f"{who}@acme.test", f"dm:{who}", **fields)
    with database.session_scope() as session:
        workspace = session.exec(select(Workspace)).one()
        engine_for(session, workspace, all_flows(), channel).handle(inbound, at)
    return channel.sent


def give(database: Database, who: str, to: str, at: datetime = NOW, **values) -> list[Outbound]:
    form = {"people": [f"{to}@acme.test"], "went_well": "Clear plan.", "could_be_better": "", "audience": "recipient"}
    return run(database, who, at, form_id="feedback.give", form={**form, **values})


def rows(database: Database, model):
    with database.session_scope() as session:
        return session.exec(select(model).order_by(model.id)).all()


def test_feedback_given_is_stored_and_read_by_the_people_privacy_names(any_database: Database, org) -> None:
    sent, received, copy = give(any_database, "ada", "grace", theme="value:ownership", audience="recipient_and_manager")
    assert [message.to_person_id for message in (received, copy)] == [org["grace"], org["lee"]]
    assert [reader["display_name"] for reader in sent.data["readers"]] == ["Grace Hopper", "Lee Boss"]
    (row,) = rows(any_database, Feedback)
    assert (row.giver_id, row.recipient_id, row.went_well, row.value_slug, row.audience, row.given_at) == (
        org["ada"],
        org["grace"],
        "Clear plan.",
        "ownership",
        FeedbackAudience.RECIPIENT_AND_MANAGER,
        NOW,
    )


def test_a_manager_sharing_feedback_with_the_manager_is_its_only_other_reader(any_database: Database, org) -> None:
    sent, received = give(any_database, "ada", "linus", audience="recipient_and_manager")
    assert [reader["display_name"] for reader in sent.data["readers"]] == ["Linus T"], "Ada is Linus's manager"
    assert received.to_person_id == org["linus"]


@pytest.mark.parametrize(
    ("to", "code"),
    [("nobody.here", "unknown_person"), ("kim", "inactive"), ("ada", "self")],
    ids=["a stranger", "someone deactivated", "oneself"],
)
def test_bad_recipients_store_nothing(any_database: Database, org, to, code) -> None:
    (refused,) = give(any_database, "ada", to)
    assert refused.data["errors"]["people"]["code"] == code
    mentioned = run(any_database, "ada", command="feedback give", text=f"@{to}", mentions=(f"{to}@acme.test",))
    assert [message.data["code"] for message in mentioned] == [code]
    assert rows(any_database, Feedback) == []


def test_thanks_sets_thanked_at_once_and_only_the_recipient_can_press_it(any_database: Database, org) -> None:
    _, received = give(any_database, "ada", "grace")
    thanks, _ = received.choices
    assert [m.data.get("code") for m in run(any_database, "linus", choice=thanks.value)] == ["not_yours"]
    _, to_giver = run(any_database, "grace", NOW + timedelta(hours=1), choice=thanks.value)
    assert to_giver.to_person_id == org["ada"] and to_giver.kind == "feedback_thanked"
    again = run(any_database, "grace", NOW + timedelta(hours=2), choice=thanks.value)
    assert [m.data.get("code") for m in again] == ["already_thanked"]
    (row,) = rows(any_database, Feedback)
    assert row.thanked_at == NOW + timedelta(hours=1)
    with any_database.session_scope() as session:  # two presses at once: both changes reach the database
        grace = people.actor_for(session, session.get(Person, org["grace"]))
        feedback.apply_thanked(session, grace, FeedbackThanked(Ref(org["ada"], NOW)), NOW + timedelta(hours=3))
    assert rows(any_database, Feedback)[0].thanked_at == NOW + timedelta(hours=1)


def test_only_the_recipient_can_let_their_snapshot_quote_feedback(any_database: Database, org) -> None:
    _, received = give(any_database, "ada", "grace")
    _, quote = received.choices
    assert [m.data.get("code") for m in run(any_database, "linus", choice=quote.value)] == ["not_yours"]
    assert rows(any_database, Feedback)[0].quoted_in_snapshot is False
    (done,) = run(any_database, "grace", NOW + timedelta(hours=1), choice=quote.value)
    assert done.kind == "feedback_quoted" and rows(any_database, Feedback)[0].quoted_in_snapshot is True


def request(database: Database, who: str = "ada", text: str = '@grace @linus about "Q4 launch" and my manager'):
    mentions = tuple(f"{handle}@acme.test" for handle in typed_handles(text))
    return run(database, who, command="feedback request", text=text, mentions=mentions)


def test_a_request_stores_one_ask_per_peer_with_its_reminder_in_their_zone(any_database: Database, org) -> None:
    confirmation, to_grace, to_linus = request(any_database)
    assert confirmation.kind == "feedback_requested" and {to_grace.to_person_id, to_linus.to_person_id} == {
        org["grace"],
        org["linus"],
    }
    (stored,) = rows(any_database, FeedbackRequest)
    assert (stored.requester_id, stored.topic, stored.audience, stored.created_at) == (
        org["ada"],
        "Q4 launch",
        FeedbackAudience.RECIPIENT_AND_MANAGER,
        NOW,
    )
    assert stored.closes_at == datetime(2027, 4, 9, 14, 0, 0, 123456, tzinfo=UTC)
    reminders = {ask.peer_id: ask.remind_at for ask in rows(any_database, FeedbackAsk)}
    assert reminders == {
        org["grace"]: datetime(2027, 3, 31, 15, 0, 0, 123456, tzinfo=UTC),  # Wednesday 11:00 in New York
        org["linus"]: datetime(2027, 3, 31, 15, 0, 0, 123456, tzinfo=UTC),  # Wednesday 08:00 in Los Angeles
    }


def test_an_answer_is_feedback_to_the_requester_and_marks_the_ask_then_a_second_answer_is_refused(
    any_database: Database, org
) -> None:
    _, to_grace, _ = request(any_database)
    answer, decline = to_grace.choices
    (opened,) = run(any_database, "grace", NOW + timedelta(days=1), choice=answer.value)
    form = {"went_well": "Sharp scope.", "could_be_better": "Share the plan sooner."}
    _, received, copy = run(any_database, "grace", NOW + timedelta(days=1), form_id=opened.form.id, form=form)
    assert (received.to_person_id, copy.to_person_id) == (org["ada"], org["lee"])
    (row,) = rows(any_database, Feedback)
    (stored,) = rows(any_database, FeedbackRequest)
    assert (row.recipient_id, row.giver_id, row.request_id, row.audience) == (
        org["ada"],
        org["grace"],
        stored.id,
        FeedbackAudience.RECIPIENT_AND_MANAGER,
    )
    asks = {ask.peer_id: ask for ask in rows(any_database, FeedbackAsk)}
    assert (asks[org["grace"]].status, asks[org["grace"]].feedback_id) == (AskStatus.ANSWERED, row.id)
    twice = run(any_database, "grace", NOW + timedelta(days=2), choice=answer.value)
    late_decline = run(any_database, "grace", NOW + timedelta(days=2), choice=decline.value)
    assert [m.data["code"] for m in twice + late_decline] == ["already_answered", "already_answered"]
    assert asks[org["linus"]].status is AskStatus.OPEN


def test_a_decline_is_kept_from_the_requester_and_after_closing_nobody_can_answer(any_database: Database, org) -> None:
    _, to_grace, to_linus = request(any_database)
    run(any_database, "linus", NOW + timedelta(days=1), choice=to_linus.choices[1].value)
    asks = {ask.peer_id: ask.status for ask in rows(any_database, FeedbackAsk)}
    assert asks == {org["grace"]: AskStatus.OPEN, org["linus"]: AskStatus.DECLINED}
    with any_database.session_scope() as session:
        (mine,) = feedback.open_requests_of(session, org["ada"], now=NOW + timedelta(days=1))
    assert (mine["asked"], mine["answered"]) == (2, []), "who declined is never said"
    after = NOW + timedelta(days=15)
    closed = run(any_database, "grace", after, choice=to_grace.choices[0].value)
    assert [m.data["code"] for m in closed] == ["request_closed"] and closed[0].data["closed_on"] == "Fri 9 Apr"


def test_someone_never_asked_cannot_answer_a_request_with_its_button(any_database: Database, org) -> None:
    _, to_grace, _ = request(any_database)
    assert [m.data["code"] for m in run(any_database, "lee", choice=to_grace.choices[0].value)] == ["not_asked"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("@ada @grace", "self_request"), ("@kim", "inactive"), ("@nobody", "unknown_person")],
)
def test_a_bad_request_stores_nothing(any_database: Database, org, text, code) -> None:
    refused = request(any_database, text=text)
    assert [message.data["code"] for message in refused] == [code]
    assert rows(any_database, FeedbackRequest) == [] and rows(any_database, FeedbackAsk) == []


def test_the_queries_the_home_view_reads(any_database: Database, org) -> None:
    _, to_grace, to_linus = request(any_database)
    (opened,) = run(any_database, "grace", NOW + timedelta(days=1), choice=to_grace.choices[0].value)
    run(any_database, "grace", NOW + timedelta(days=1), form_id=opened.form.id, form={"went_well": "Sharp scope."})
    give(
        any_database,
        "linus",
        "ada",
        NOW + timedelta(days=2),
        could_be_better="Fewer meetings.",
        theme="skill:mentoring",
    )
    give(any_database, "grace", "ada", NOW - timedelta(days=90))  # last quarter
    later = NOW + timedelta(days=3)
    with any_database.session_scope() as session:
        since = quarter_began_at(later, session.get(Person, org["ada"]).timezone)
        received = feedback.received_since(session, org["ada"], since, now=later)
        waiting = feedback.asks_waiting_for(session, org["linus"], now=later)
        none_waiting = feedback.asks_waiting_for(session, org["grace"], now=later)
        mine = feedback.open_requests_of(session, org["ada"], now=later)
        after_closing = feedback.open_requests_of(session, org["ada"], now=NOW + timedelta(days=15))
    assert [(item["giver"]["display_name"], item["theme"], item["topic"], item["day"]) for item in received] == [
        ("Linus T", "Mentoring", "", "Sun 28 Mar"),
        ("Grace Hopper", "", "Q4 launch", "Sat 27 Mar"),
    ]
    assert [(w["requester"]["display_name"], w["topic"], w["asked_on"], w["closes_on"]) for w in waiting] == [
        ("Ada Lovelace", "Q4 launch", "Fri 26 Mar", "Fri 9 Apr")
    ]
    assert waiting[0]["ref"] == Ref(org["ada"], NOW).value and to_linus.choices[0].value.endswith(waiting[0]["ref"])
    assert none_waiting == []
    assert [(r["topic"], r["asked"], [p["display_name"] for p in r["answered"]], r["closes_on"]) for r in mine] == [
        ("Q4 launch", 2, ["Grace Hopper"], "Fri 9 Apr")
    ]
    assert after_closing == []
