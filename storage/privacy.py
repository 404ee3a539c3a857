"""Who may read and change what, in one readable place.

Every rule about people's words (check-ins, moods, upward answers, feedback, 1:1s) is a row of
:data:`READERS`: a kind of record and the relations to it that may read it. A viewer may read a
record when any one of their relations to it is allowed. The README's table is generated from
these rows (``cadence privacy table``), and a test checks the two agree, so what the README
promises is what the code does.

Some choices worth knowing:

- admins don't read feedback or 1:1s: they run the organisation's settings, not its
  conversations; a check-in is visible to them because a check-in is a work report;
- an upward answer ("How can your manager help you?") is for the direct manager alone, not for
  anyone higher up, so people can be honest about their manager to their manager;
- a 1:1 belongs to its two sides, the manager they had it with and the report: a new manager
  doesn't inherit the old one's 1:1s, and a private note is its author's alone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, select

from conversations.flow import State
from conversations.messages import Actor, Inbound
from conversations.workspace_settings import load_settings
from storage.models import (
    Feedback,
    FeedbackAudience,
    Goal,
    GoalLevel,
    OneOnOnePair,
    OneOnOnePrivateNote,
    Person,
    Role,
    Workspace,
)


class Relation(enum.StrEnum):
    """How a viewer stands to a record; one viewer may stand in several ways (a manager who is an admin)."""

    SUBJECT = "the person it is about"
    AUTHOR = "who wrote it"
    MANAGER = "their manager"
    SKIP_LEVEL = "managers above"
    ADMIN = "admins"
    ANYONE_ELSE = "anyone else"


class Record(enum.StrEnum):
    CHECKIN = "check-in answers and mood"
    UPWARD_ANSWER = "upward answers (how the manager can help)"
    FEEDBACK = "feedback, shared with the recipient only"
    FEEDBACK_WITH_MANAGER = "feedback shared with the recipient's manager"
    REQUEST_ANSWERERS = "who answered a feedback request"
    ONE_ON_ONE = "a 1:1's agenda, shared notes and action items"
    PRIVATE_NOTE = "a private 1:1 note"
    SNAPSHOT = "a quarterly snapshot"
    FAIRNESS = "the fairness view (figures about groups of people)"


R = Relation
READERS: Mapping[Record, frozenset[Relation]] = {
    Record.CHECKIN: frozenset({R.SUBJECT, R.MANAGER, R.SKIP_LEVEL, R.ADMIN}),
    Record.UPWARD_ANSWER: frozenset({R.SUBJECT, R.MANAGER}),
    Record.FEEDBACK: frozenset({R.SUBJECT, R.AUTHOR}),
    Record.FEEDBACK_WITH_MANAGER: frozenset({R.SUBJECT, R.AUTHOR, R.MANAGER}),
    Record.REQUEST_ANSWERERS: frozenset({R.SUBJECT}),
    Record.ONE_ON_ONE: frozenset({R.SUBJECT, R.MANAGER}),
    Record.PRIVATE_NOTE: frozenset({R.AUTHOR}),
    Record.SNAPSHOT: frozenset({R.SUBJECT, R.MANAGER, R.SKIP_LEVEL, R.ADMIN}),
    Record.FAIRNESS: frozenset({R.ADMIN}),
}
"""Each kind of record, and who reads it. For a check-in and an upward answer, the person it is about
wrote it; for feedback, it is about the recipient and the giver wrote it; for a feedback request,
it is about the person who asked; for a 1:1, it is about the report, and "their manager" is the
manager on the 1:1. The fairness view is about the whole organisation, so only being an admin counts."""


def manager_chain(session: Session, person: Person) -> list[Person]:
    """The person's manager, their manager, and so on up (stopping at a loop)."""
    chain: list[Person] = []
    seen = {person.id}
    current = person
    while current.manager_id is not None and current.manager_id not in seen:
        manager = session.get(Person, current.manager_id)
        if manager is None:
            break
        chain.append(manager)
        seen.add(manager.id)
        current = manager
    return chain


def relations(
    session: Session,
    viewer: Person,
    subject: Person,
    *,
    author_id: int | None = None,
    manager_id: int | None = None,
) -> frozenset[Relation]:
    """How ``viewer`` stands to a record about ``subject`` written by ``author_id``; ``manager_id``
    names the manager when the record fixes one (a 1:1's), instead of the subject's manager now.
    Nobody stands in any way to a record of another organisation."""
    if viewer.workspace_id != subject.workspace_id:
        return frozenset()
    found: set[Relation] = set()
    if viewer.id == subject.id:
        found.add(Relation.SUBJECT)
    if author_id is not None and viewer.id == author_id:
        found.add(Relation.AUTHOR)
    if manager_id is not None:
        if viewer.id == manager_id:
            found.add(Relation.MANAGER)
    else:
        chain = manager_chain(session, subject)
        if chain and chain[0].id == viewer.id:
            found.add(Relation.MANAGER)
        elif any(manager.id == viewer.id for manager in chain[1:]):
            found.add(Relation.SKIP_LEVEL)
    if viewer.role is Role.ADMIN:
        found.add(Relation.ADMIN)
    return frozenset(found) or frozenset({Relation.ANYONE_ELSE})


def may_read(record: Record, standing: frozenset[Relation]) -> bool:
    return bool(READERS[record] & standing)


def allowed(
    session: Session,
    record: Record,
    viewer: Person,
    subject: Person,
    *,
    author_id: int | None = None,
    manager_id: int | None = None,
) -> bool:
    """``may_read(record, relations(...))``, deciding from what is at hand first: the manager chain
    is walked only when the record's readers include managers above and nothing nearer decided.
    A digest asks this for every report, and walking each one's chain to the top would cost a
    query per person and level."""
    if viewer.workspace_id != subject.workspace_id:
        return False
    readers = READERS[record]
    near: set[Relation] = set()
    if viewer.id == subject.id:
        near.add(Relation.SUBJECT)
    if author_id is not None and viewer.id == author_id:
        near.add(Relation.AUTHOR)
    if viewer.id == (manager_id if manager_id is not None else subject.manager_id):
        near.add(Relation.MANAGER)
    if viewer.role is Role.ADMIN:
        near.add(Relation.ADMIN)
    if readers & near:
        return True
    if Relation.SKIP_LEVEL in readers or Relation.ANYONE_ELSE in readers:
        return may_read(record, relations(session, viewer, subject, author_id=author_id, manager_id=manager_id))
    return False


def can_see_checkins_of(session: Session, viewer: Person, subject: Person) -> bool:
    return allowed(session, Record.CHECKIN, viewer, subject)


def can_read_upward_answers(session: Session, viewer: Person, subject: Person) -> bool:
    return allowed(session, Record.UPWARD_ANSWER, viewer, subject)


def feedback_record(feedback: Feedback) -> Record:
    if feedback.audience is FeedbackAudience.RECIPIENT_AND_MANAGER:
        return Record.FEEDBACK_WITH_MANAGER
    return Record.FEEDBACK


def can_read_feedback(session: Session, viewer: Person, feedback: Feedback) -> bool:
    recipient = session.get(Person, feedback.recipient_id)
    if recipient is None or recipient.workspace_id != feedback.workspace_id:
        return False
    return allowed(session, feedback_record(feedback), viewer, recipient, author_id=feedback.giver_id)


def feedback_readers(session: Session, feedback: Feedback) -> list[Person]:
    """Who reads ``feedback`` besides its giver, as the giver is told: the recipient, and their
    manager when it is shared with them (someone without a manager is read by the recipient alone)."""
    recipient = session.get(Person, feedback.recipient_id)
    if recipient is None:
        return []
    readers = [recipient]
    if feedback_record(feedback) is Record.FEEDBACK_WITH_MANAGER:
        chain = manager_chain(session, recipient)
        if chain and chain[0].id != feedback.giver_id:
            readers.append(chain[0])
    return readers


def can_see_who_answered(session: Session, viewer: Person, requester: Person) -> bool:
    return allowed(session, Record.REQUEST_ANSWERERS, viewer, requester)


def can_read_one_on_one(session: Session, viewer: Person, pair: OneOnOnePair) -> bool:
    report = session.get(Person, pair.report_id)
    if report is None or report.workspace_id != pair.workspace_id:
        return False
    return allowed(session, Record.ONE_ON_ONE, viewer, report, manager_id=pair.manager_id)


def can_read_private_note(viewer: Person, note: OneOnOnePrivateNote) -> bool:
    """Only its author's relation can allow it, so no lookup of the chain is needed to refuse everyone else."""
    standing = {Relation.AUTHOR} if viewer.id == note.author_id else {Relation.ANYONE_ELSE}
    if viewer.role is Role.ADMIN:
        standing.add(Relation.ADMIN)
    return may_read(Record.PRIVATE_NOTE, frozenset(standing))


def can_edit_goal(session: Session, viewer: Person, goal: Goal) -> bool:
    """Admins edit any goal; company goals are theirs alone. Other goals: the owner and the owner's
    manager chain (a manager edits their reports' goals)."""
    if viewer.workspace_id != goal.workspace_id:
        return False
    if viewer.role is Role.ADMIN:
        return True
    if goal.level is GoalLevel.COMPANY or goal.owner_id is None:
        return False
    if goal.owner_id == viewer.id:
        return True
    owner = session.get(Person, goal.owner_id)
    return owner is not None and any(manager.id == viewer.id for manager in manager_chain(session, owner))


def can_see_goal(session: Session, viewer: Person, goal: Goal, personal_goals_public: bool) -> bool:
    """Company and team goals are everyone's; a personal goal is its owner's, their manager chain's and
    admins' (or everyone's, when the workspace makes personal goals public)."""
    if viewer.workspace_id != goal.workspace_id:
        return False
    if goal.level is not GoalLevel.PERSON or personal_goals_public or viewer.role is Role.ADMIN:
        return True
    owner = session.get(Person, goal.owner_id) if goal.owner_id else None
    return owner is not None and can_see_checkins_of(session, viewer, owner)


def can_see_fairness(viewer: Person) -> bool:
    """The fairness view describes groups across the organisation, nobody in particular: only the
    viewer's standing as an admin can allow it."""
    standing = frozenset({Relation.ADMIN}) if viewer.role is Role.ADMIN else frozenset({Relation.ANYONE_ELSE})
    return may_read(Record.FAIRNESS, standing)


def admins_of(session: Session, workspace_id: int) -> list[Person]:
    """The organisation's active admins by name: who to ask for what only admins may do or see."""
    return list(
        session.exec(
            select(Person)
            .where(Person.workspace_id == workspace_id, Person.role == Role.ADMIN, Person.active)
            .order_by(Person.display_name)
        )
    )


def table() -> str:
    """:data:`READERS` as the Markdown table the README shows."""
    columns = list(Relation)
    lines = [
        "| | " + " | ".join(relation.value for relation in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for record, readers in READERS.items():
        cells = ["yes" if relation in readers else "—" for relation in columns]
        lines.append(f"| {record.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


MINE = (
    Record.CHECKIN,
    Record.UPWARD_ANSWER,
    Record.FEEDBACK,
    Record.FEEDBACK_WITH_MANAGER,
    Record.REQUEST_ANSWERERS,
    Record.ONE_ON_ONE,
    Record.PRIVATE_NOTE,
)
"""The records ``/cadence privacy`` explains to a person, in the order people ask about them."""


def readers_of_mine(session: Session, person: Person) -> dict[str, list[str]]:
    """For each kind of record about ``person`` (their check-ins, the feedback they receive, their
    1:1s with their manager, their private notes), who reads it, by name: worked out from
    :data:`READERS`, so the answer to "who sees my check-ins?" is the rule itself. ``you`` is the
    person; ``author`` stands for whoever wrote it (the giver of feedback), named by the words."""
    chain = manager_chain(session, person)
    admins = admins_of(session, person.workspace_id)
    names = {
        Relation.SUBJECT: ["you"],
        Relation.MANAGER: [chain[0].display_name] if chain else [],
        Relation.SKIP_LEVEL: [manager.display_name for manager in chain[1:]],
        Relation.ADMIN: [admin.display_name for admin in admins if admin.id != person.id],
    }
    shown: dict[str, list[str]] = {}
    for record in MINE:
        readers: list[str] = []
        for relation in Relation:
            if relation not in READERS[record]:
                continue
            if relation is Relation.AUTHOR:
                found = ["you"] if record is Record.PRIVATE_NOTE else ["author"]
            else:
                found = names.get(relation, [])
            readers += [name for name in found if name not in readers]
        shown[record.name.lower()] = readers
    return shown


def prepare_privacy(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The privacy flow's context: who reads what of the person asking, and the anonymity rule
    their team's check-ins follow."""
    person = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert person is not None and workspace is not None
    settings = load_settings(workspace.settings).for_team(actor.team)
    data = {
        "readers": readers_of_mine(session, person),
        "upward_anonymous": settings.checkins.upward_anonymous,
        "anonymity_threshold": settings.anonymity_threshold,
    }
    return State(flow="privacy", step="show", data=data)


CONTEXTS = {"privacy": prepare_privacy}
