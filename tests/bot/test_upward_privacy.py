"""Who reads an upward answer, end to end: check-ins submitted through the engine, the week's digests,
roll-up and team summary produced by the tick, the "open check-in" button pressed by everyone who
could try, and the quarter's snapshot read by those above. Every message Cadence owes is read back from the outbox, as data and as the words shown:
an answer for the manager reaches its writer and their direct manager, and nobody else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.digest_tick import digest_producer
from bot.request_runner import Deliveries
from bot.shell.session import ShellSide
from bot.tick import enqueue_due
from conversations.flows import all_flows
from conversations.messages import Inbound, Platform, outbound_from_dict
from conversations.words import PlainDialect, Words
from conversations.workspace_settings import validate_settings
from storage import org_import, people, workspaces
from storage.connections import new_organisation
from storage.database import Database
from storage.flow_bindings import engine_for
from storage.models import OutboxDelivery, Workspace

ORG = """email,name,manager_email,team,timezone,role
cleo@acme.test,Cleo,,Leadership,Europe/Berlin,manager
ada@acme.test,Ada,,Leadership,Europe/Berlin,admin
mia@acme.test,Mia,cleo@acme.test,Platform,Europe/Berlin,manager
ann@acme.test,Ann,mia@acme.test,Platform,Europe/Berlin,member
fay@acme.test,Fay,mia@acme.test,Platform,Europe/Berlin,member
ben@acme.test,Ben,mia@acme.test,Platform,Europe/Berlin,manager
bo@acme.test,Bo,ben@acme.test,Platform,Europe/Berlin,member
"""
MANAGER = {"mia": "cleo", "ann": "mia", "fay": "mia", "ben": "mia", "bo": "ben"}
QUESTIONS = [
    {"id": "done", "text": "What did you get done?", "required": True, "highlight": True},
    # flagged as a highlight and a blocker on purpose: it must still count as neither
    {"id": "help", "kind": "upward", "text": "How can your manager help you?", "highlight": True, "blocker": True},
]
FRIDAY = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # 10:30 in Berlin: check-in day
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: the digests of week 49
WEEK = "2026-W49"
WORDS = Words(PlainDialect())


def ask_of(name: str) -> str:
    return f"{name.upper()}-WANTS-FEWER-MEETINGS"


@dataclass(frozen=True)
class Delivered:
    recipient: str  # a first name in lower case, or "#channel"
    kind: str
    stored: str  # the outbox payload, as JSON
    words: str  # what the recipient reads

    def mentions(self, text: str) -> bool:
        return text in self.stored or text in self.words


class Week:
    """One organisation's week, driven as its people would drive it."""

    def __init__(self, database: Database, **checkins) -> None:
        self.database = database
        settings, errors = validate_settings(
            {
                "checkins": {"questions": QUESTIONS, "team_summary": True, "team_channel": "#platform", **checkins},
                "anonymity_threshold": 2,
            }
        )
        assert not errors, errors
        with database.session_scope() as session:
            workspace = new_organisation(session, "Acme", Platform.SHELL, "acme")
            assert org_import.import_org(session, workspace.id, ORG).ok
            workspaces.apply_settings(session, workspace, settings)
            self.workspace_id = workspace.id
            self.ids = {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}
        self.names = {person_id: name for name, person_id in self.ids.items()}
        self.requests = 0

    def says(self, who: str, now: datetime, **inbound) -> None:
        self.requests += 1
        with self.database.session_scope() as session:
            workspace = session.get(Workspace, self.workspace_id)
            side = ShellSide(self.workspace_id)
            deliveries = Deliveries(session, workspace, side, f"test:{self.requests}", now, serving={Platform.SHELL})
            message = Inbound(Platform.SHELL, "acme", f"{who}@acme.test", f"dm-{who}", **inbound)
            engine_for(session, workspace, all_flows(), deliveries).handle(message, now)
            deliveries.flush()

    def check_in(self, who: str) -> None:
        form = {"done": f"{who} shipped things", "help": ask_of(who)}
        self.says(who, FRIDAY, form_id=f"checkin.answers:{WEEK}", form=form)

    def opens_checkin_of(self, viewer: str, subject: str) -> None:
        self.says(viewer, MONDAY, choice=f"checkin_view.open:{self.ids[subject]}:{WEEK}")

    def delivered(self) -> list[Delivered]:
        with self.database.session_scope() as session:
            rows = session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id)).all()
            found = []
            for row in rows:
                outbound = outbound_from_dict(row.payload["outbound"])
                where, _, target = row.recipient.partition(":")
                recipient = self.names[int(target)] if where == "person" else target
                text = WORDS.render(outbound.kind, outbound.data).text
                text += "\n" + "\n".join(choice.label for choice in outbound.choices)
                found.append(Delivered(recipient, row.kind, json.dumps(row.payload), text))
            return found


@pytest.fixture
def named_week(any_database: Database) -> Iterator[Week]:
    yield Week(any_database)


def run_the_week(week: Week) -> list[Delivered]:
    for who in ("mia", "ann", "fay", "ben", "bo"):
        week.check_in(who)
    enqueue_due(week.database, MONDAY, [digest_producer()])
    week.opens_checkin_of("mia", "ann")  # the direct manager
    week.opens_checkin_of("cleo", "ann")  # a skip-level manager
    week.opens_checkin_of("mia", "bo")  # a skip-level manager too
    week.opens_checkin_of("ada", "ann")  # an admin
    week.opens_checkin_of("fay", "ann")  # a peer
    week.says("ann", MONDAY, command="checkin", text="history")
    for reader in ("cleo", "ada"):  # a skip-level manager and an admin read Ann's quarter so far
        week.says(reader, MONDAY, text="snapshot @ann@acme.test 2026-Q4", mentions=("ann@acme.test",))
    return week.delivered()


def readers_of(delivered: list[Delivered], text: str) -> list[tuple[str, str]]:
    return sorted({(message.recipient, message.kind) for message in delivered if message.mentions(text)})


def test_only_the_writer_and_their_direct_manager_ever_get_an_upward_answer(named_week: Week) -> None:
    delivered = run_the_week(named_week)
    kinds = {message.kind for message in delivered}
    assert {"digest", "company_rollup", "team_weekly_summary", "checkin_team_summary"} <= kinds, kinds
    snapshots = [message for message in delivered if message.kind == "snapshot"]
    assert sorted(message.recipient for message in snapshots) == ["ada", "cleo"]
    assert all("ann shipped things" in message.words for message in snapshots), "highlights are in the snapshot"
    for writer, manager in MANAGER.items():
        assert {recipient for recipient, _ in readers_of(delivered, ask_of(writer))} == {writer, manager}, writer
    assert readers_of(delivered, ask_of("ann")) == [
        ("ann", "checkin_done"),
        ("ann", "checkin_history"),
        ("mia", "checkin_for_manager"),  # the immediate message, and the check-in opened from the digest
        ("mia", "digest"),
    ]
    assert readers_of(delivered, ask_of("bo")) == [
        ("ben", "checkin_for_manager"),
        ("ben", "digest"),
        ("bo", "checkin_done"),
    ], "Mia is Bo's skip-level manager: not in her digest, not when she opens his check-in"


def test_the_digest_names_who_asked_what_and_nothing_else_counts_it(named_week: Week) -> None:
    delivered = run_the_week(named_week)
    [digest] = [message for message in delivered if message.kind == "digest" and message.recipient == "mia"]
    assert "What your team asks of you\n• Ann · How can your manager help you?: ANN-WANTS-FEWER-MEETINGS\n" in (
        digest.words
    )
    section = digest.words.split("What your team asks of you")
    assert ask_of("ann") not in section[0], "not a highlight, not a blocker"
    assert "Blockers" not in digest.words
    opened = [message.recipient for message in delivered if "Ann's answers" in message.words]
    assert sorted(opened) == ["ada", "cleo", "mia", "mia"], (
        "a skip-level manager and an admin still read the rest of Ann's check-in"
    )
    [refused] = [message for message in delivered if message.recipient == "fay" and message.kind != "checkin_done"]
    assert refused.kind == "checkin_feedback_refused"


def test_anonymous_upward_answers_reach_the_manager_only_in_the_digest_without_names(any_database: Database) -> None:
    week = Week(any_database, upward_anonymous=True)
    delivered = run_the_week(week)
    for writer, manager in MANAGER.items():
        for recipient, kind in readers_of(delivered, ask_of(writer)):
            assert recipient == writer or (recipient, kind) == (manager, "digest"), (writer, recipient, kind)
    [mia] = [message for message in delivered if message.kind == "digest" and message.recipient == "mia"]
    assert (
        "3 of your reports answered; without names, in alphabetical order:\nHow can your manager help you?\n"
        "• ANN-WANTS-FEWER-MEETINGS\n• BEN-WANTS-FEWER-MEETINGS\n• FAY-WANTS-FEWER-MEETINGS\n"
    ) in mia.words
    upward = json.loads(mia.stored)["outbound"]["data"]["upward"]
    assert "person" not in json.dumps(upward) and "Ann" not in json.dumps(upward)
    [ben] = [message for message in delivered if message.kind == "digest" and message.recipient == "ben"]
    assert not ben.mentions(ask_of("bo")), "one answer is fewer than the threshold of 2"
    assert "1 report answered this week. Answers come without names, and only once at least 2" in ben.words
    assert readers_of(delivered, ask_of("bo")) == [("bo", "checkin_done")]
