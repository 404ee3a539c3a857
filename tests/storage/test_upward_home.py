"""The home page's feedback part from the tables: this quarter where the person lives, the requests
waiting for their answer, and their own open requests with who answered (never who declined)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import delete

from conversations.feedback import Ref
from conversations.messages import Platform
from conversations.words import PlainDialect, Words
from storage import home, org_import, people
from storage.connections import new_organisation
from storage.database import Database
from storage.models import AskStatus, Feedback, FeedbackAsk, FeedbackRequest, Person

ORG = """email,name,timezone
ada@acme.test,Ada,Asia/Tokyo
sam@acme.test,Sam,Europe/Berlin
lin@acme.test,Lin,Europe/Berlin
ray@acme.test,Ray,Europe/Berlin
dee@acme.test,Dee,Europe/Berlin
"""
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def setup(database: Database) -> dict[str, Person]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        return {person.display_name: person for person in people.all_in(session, workspace.id)}


def give(session, giver: Person, recipient: Person, at: datetime, went_well: str, could_be_better: str = "") -> None:
    session.add(
        Feedback(
            workspace_id=recipient.workspace_id,
            giver_id=giver.id,
            recipient_id=recipient.id,
            went_well=went_well,
            could_be_better=could_be_better,
            given_at=at,
        )
    )


def request(
    session, requester: Person, topic: str, closes_at: datetime, asks: list[tuple[Person, AskStatus]]
) -> list[int]:
    created = closes_at - timedelta(days=14)
    row = FeedbackRequest(
        workspace_id=requester.workspace_id,
        requester_id=requester.id,
        topic=topic,
        created_at=created,
        closes_at=closes_at,
    )
    session.add(row)
    session.flush()
    ids = [Ref(requester.id, created).value]
    for number, (peer, status) in enumerate(asks):
        answered_at = created + timedelta(days=number) if status is AskStatus.ANSWERED else None
        ask = FeedbackAsk(
            request_id=row.id, peer_id=peer.id, status=status, remind_at=closes_at, answered_at=answered_at
        )
        session.add(ask)
    session.flush()
    return ids


def page_of(database: Database, person: Person, now: datetime = NOW):
    with database.session_scope() as session:
        return home.home_view(session, session.get(Person, person.id), now)


def test_feedback_received_counts_from_the_start_of_the_quarter_in_the_persons_zone(any_database: Database) -> None:
    who = setup(any_database)
    with any_database.session_scope() as session:
        ada, sam, lin = who["Ada"], who["Sam"], who["Lin"]
        give(session, sam, ada, datetime(2026, 9, 30, 14, 30, tzinfo=UTC), "Still September in Tokyo")  # 23:30 JST
        give(session, sam, ada, datetime(2026, 9, 30, 15, 30, tzinfo=UTC), "Just into October in Tokyo")  # 00:30 JST
        give(session, lin, ada, datetime(2026, 10, 12, 1, 0, tzinfo=UTC), "Great incident write-up")
        give(session, sam, ada, datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "", "Split the migration into two steps")
        long = "You ran the planning meeting calmly and everyone left knowing exactly what to do next"
        give(session, lin, ada, datetime(2026, 11, 19, 23, 0, tzinfo=UTC), long)  # 20 Nov in Tokyo
        give(session, ada, sam, datetime(2026, 11, 1, 1, 0, tzinfo=UTC), "Not Ada's: she gave it")
    page = page_of(any_database, who["Ada"])
    feedback = page.data["feedback"]
    assert (feedback["quarter"], feedback["received"]) == ("2026-Q4", 4)
    assert [(item["giver"]["display_name"], item["day"], item["opening"]) for item in feedback["latest"]] == [
        ("Lin", "Fri 20 Nov", "You ran the planning meeting calmly and everyone left knowing exactly what…"),
        ("Sam", "Tue 3 Nov", "Split the migration into two steps"),
        ("Lin", "Mon 12 Oct", "Great incident write-up"),
    ]
    with any_database.session_scope() as session:
        session.exec(delete(Person).where(Person.id == who["Lin"].id))  # a giver who left: their feedback stays
    latest = page_of(any_database, who["Ada"]).data["feedback"]["latest"]
    assert latest[0]["giver"] is None and latest[0]["opening"].startswith("You ran the planning")


def test_requests_waiting_for_an_answer_each_get_a_give_feedback_button(any_database: Database) -> None:
    who = setup(any_database)
    ada, sam, lin, ray = who["Ada"], who["Sam"], who["Lin"], who["Ray"]
    with any_database.session_scope() as session:
        [waiting_on_sam] = request(session, sam, "Q4 launch", NOW + timedelta(days=5), [(ada, AskStatus.OPEN)])
        [waiting_on_lin] = request(
            session, lin, "", NOW + timedelta(days=2), [(ada, AskStatus.OPEN), (ray, AskStatus.OPEN)]
        )
        request(session, ray, "answered already", NOW + timedelta(days=3), [(ada, AskStatus.ANSWERED)])
        request(session, ray, "declined", NOW + timedelta(days=3), [(ada, AskStatus.DECLINED)])
        request(session, ray, "closed", NOW - timedelta(days=1), [(ada, AskStatus.CLOSED)])
    page = page_of(any_database, ada)
    assert [(choice.label, choice.value) for choice in page.choices] == [
        ("Give feedback to Lin", f"feedback.answer:{waiting_on_lin}"),  # closes first
        ("Give feedback to Sam", f"feedback.answer:{waiting_on_sam}"),
    ]
    text = Words(PlainDialect()).render(page.kind, page.data).text
    assert "Waiting for your answer:\n• Lin asked for your feedback, until Sun 22 Nov\n" in text
    assert "• Sam asked for your feedback on “Q4 launch”, until Wed 25 Nov" in text
    assert "answered already" not in text and "declined" not in text and "closed" not in text


def test_my_open_requests_say_who_answered_and_never_who_declined(any_database: Database) -> None:
    who = setup(any_database)
    ada, sam, lin, ray, dee = who["Ada"], who["Sam"], who["Lin"], who["Ray"], who["Dee"]
    with any_database.session_scope() as session:
        asks = [(lin, AskStatus.ANSWERED), (ray, AskStatus.DECLINED), (sam, AskStatus.ANSWERED), (dee, AskStatus.OPEN)]
        request(session, ada, "the roadmap", NOW + timedelta(days=4), asks)
        request(session, ada, "hiring", NOW + timedelta(days=10), [(ray, AskStatus.DECLINED)])
        request(session, ada, "long ago", NOW - timedelta(hours=1), [(lin, AskStatus.ANSWERED)])
    page = page_of(any_database, ada)
    requests = page.data["feedback"]["requests"]
    assert [(r["topic"], [p["display_name"] for p in r["answered_by"]]) for r in requests] == [
        ("the roadmap", ["Lin", "Sam"]),
        ("hiring", []),  # Ray declined it, and it stays open, saying nobody answered yet
    ]
    text = Words(PlainDialect()).render(page.kind, page.data).text
    assert "• “the roadmap”, asked Tue 10 Nov: answered so far by Lin, Sam\n" in text
    assert "• “hiring”, asked Mon 16 Nov: nobody has answered yet" in text
    assert "Ray" not in text and "Ray" not in json.dumps(page.data), "who declined is never shown, nor stored"
    assert "long ago" not in text
