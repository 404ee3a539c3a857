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
    ANYONE_ELSE = "anyone else in the organisation"


class Record(enum.StrEnum):
    CHECKIN = "check-in answers and mood"
    UPWARD_ANSWER = "upward answers (how the manager can help)"
    PERSONAL_GOAL = "a personal goal and its updates"
    TEAM_GOAL = "a team goal"
    COMPANY_GOAL = "a company goal"
    KUDOS = "kudos"
    FEEDBACK = "feedback, shared with the recipient only"
    FEEDBACK_WITH_MANAGER = "feedback shared with the recipient's manager"
    REQUEST_ANSWERERS = "who answered a feedback request"
    ONE_ON_ONE = "a 1:1's agenda, shared notes and action items"
    PRIVATE_NOTE = "a private 1:1 note"
    DIGEST = "a manager's weekly digest of their team"
    SNAPSHOT = "a quarterly snapshot"
    FAIRNESS = "the fairness view (figures about groups of people)"
    SETTINGS = "the organisation's settings"
    EXPORT = "a person's data, exported (who may ask for it)"
    ERASURE = "erasing a person's data"
    AUDIT_LOG = "the audit log of admin actions"


class Access(enum.StrEnum):
    SEE = "see"
    CHANGE = "change"


R = Relation
NOBODY: frozenset[Relation] = frozenset()
EVERYONE = frozenset(Relation)
CHAIN = frozenset({R.SUBJECT, R.MANAGER, R.SKIP_LEVEL, R.ADMIN})
RULES: Mapping[Record, Mapping[Access, frozenset[Relation]]] = {
    Record.CHECKIN: {Access.SEE: CHAIN, Access.CHANGE: frozenset({R.SUBJECT})},
    Record.UPWARD_ANSWER: {Access.SEE: frozenset({R.SUBJECT, R.MANAGER}), Access.CHANGE: frozenset({R.SUBJECT})},
    Record.PERSONAL_GOAL: {Access.SEE: CHAIN, Access.CHANGE: CHAIN},
    Record.TEAM_GOAL: {Access.SEE: EVERYONE, Access.CHANGE: CHAIN},
    Record.COMPANY_GOAL: {Access.SEE: EVERYONE, Access.CHANGE: frozenset({R.ADMIN})},
    Record.KUDOS: {Access.SEE: EVERYONE, Access.CHANGE: NOBODY},
    Record.FEEDBACK: {Access.SEE: frozenset({R.SUBJECT, R.AUTHOR}), Access.CHANGE: frozenset({R.SUBJECT})},
    Record.FEEDBACK_WITH_MANAGER: {
        Access.SEE: frozenset({R.SUBJECT, R.AUTHOR, R.MANAGER}),
        Access.CHANGE: frozenset({R.SUBJECT}),
    },
    Record.REQUEST_ANSWERERS: {Access.SEE: frozenset({R.SUBJECT}), Access.CHANGE: NOBODY},
    Record.ONE_ON_ONE: {
        Access.SEE: frozenset({R.SUBJECT, R.MANAGER}),
        Access.CHANGE: frozenset({R.SUBJECT, R.MANAGER}),
    },
    Record.PRIVATE_NOTE: {Access.SEE: frozenset({R.AUTHOR}), Access.CHANGE: frozenset({R.AUTHOR})},
    Record.DIGEST: {Access.SEE: frozenset({R.SUBJECT, R.MANAGER, R.SKIP_LEVEL}), Access.CHANGE: NOBODY},
    Record.SNAPSHOT: {Access.SEE: CHAIN, Access.CHANGE: NOBODY},
    Record.FAIRNESS: {Access.SEE: frozenset({R.ADMIN}), Access.CHANGE: NOBODY},
    Record.SETTINGS: {Access.SEE: frozenset({R.ADMIN}), Access.CHANGE: frozenset({R.ADMIN})},
    Record.EXPORT: {Access.SEE: frozenset({R.SUBJECT, R.ADMIN}), Access.CHANGE: NOBODY},
    Record.ERASURE: {Access.SEE: NOBODY, Access.CHANGE: frozenset({R.ADMIN})},
    Record.AUDIT_LOG: {Access.SEE: frozenset({R.ADMIN}), Access.CHANGE: NOBODY},
}
"""Each kind of record, who may see it and who may change it. Who "the person it is about" is:

- a check-in and an upward answer: who answered it (they wrote it, and may change it while it is open);
- a goal: its owner (a team goal's owner is who leads it; a goal without an owner is changed by admins only);
- kudos: the person thanked; "who wrote it", the giver. Kudos are public thanks: once given, nobody edits them;
- feedback: the recipient ("change": thank it, let a snapshot quote it); "who wrote it", the giver;
- a feedback request: the person who asked;
- a 1:1: the report, and "their manager" is the manager on the 1:1, not whoever manages them now;
- a digest: the manager it is for; their manager and those above see its figures in their own digests;
- an export: whose data it is (they ask for their own; admins for anyone's, by command);
- the fairness view, the settings, the audit log and erasure concern the whole organisation, so only being
  an admin counts. The settings change as code (``cadence config apply``), and the audit log is read with
  ``cadence audit`` by whoever runs Cadence.

Nobody in another organisation stands in any way to a record: they see and change nothing."""

NOTES: Mapping[Record, str] = {
    Record.PERSONAL_GOAL: "everyone in the organisation sees personal goals when `goals.personal_goals_public` is on",
    Record.CHECKIN: "team figures (mood, participation) are shown only for groups of at least `anonymity_threshold`",
    Record.UPWARD_ANSWER: "with `checkins.upward_anonymous`, without names and only from `anonymity_threshold` answers",
}
"""What the table's cells can't say, printed under it."""

READERS: Mapping[Record, frozenset[Relation]] = {record: rules[Access.SEE] for record, rules in RULES.items()}
"""Who sees each kind of record: :data:`RULES` for seeing."""


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


def may(record: Record, access: Access, standing: frozenset[Relation]) -> bool:
    return bool(RULES[record][access] & standing)


def may_read(record: Record, standing: frozenset[Relation]) -> bool:
    return may(record, Access.SEE, standing)


def allowed(
    session: Session,
    record: Record,
    viewer: Person,
    subject: Person,
    *,
    author_id: int | None = None,
    manager_id: int | None = None,
    access: Access = Access.SEE,
) -> bool:
    """``may(record, access, relations(...))``, deciding from what is at hand first: the manager
    chain is walked only when the rule includes managers above and nothing nearer decided. A
    digest asks this for every report, and walking each one's chain to the top would cost a query
    per person and level. A rule that lets anyone else in lets everyone in (a test checks the
    rules say so), so it needs no relation at all."""
    if viewer.workspace_id != subject.workspace_id:
        return False
    readers = RULES[record][access]
    if Relation.ANYONE_ELSE in readers:
        return True
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
    if Relation.SKIP_LEVEL in readers:
        return may(record, access, relations(session, viewer, subject, author_id=author_id, manager_id=manager_id))
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


def goal_record(goal: Goal) -> Record:
    return {GoalLevel.COMPANY: Record.COMPANY_GOAL, GoalLevel.TEAM: Record.TEAM_GOAL}.get(
        goal.level, Record.PERSONAL_GOAL
    )


def _goal_allows(session: Session, viewer: Person, goal: Goal, access: Access) -> bool:
    """The goal's rule for ``viewer``, its owner being the person it is about; a goal without an
    owner is about nobody, so only being an admin (or a rule open to everyone) counts."""
    if viewer.workspace_id != goal.workspace_id:
        return False
    record = goal_record(goal)
    owner = session.get(Person, goal.owner_id) if goal.owner_id is not None else None
    if owner is None:
        standing = frozenset({Relation.ADMIN}) if viewer.role is Role.ADMIN else frozenset({Relation.ANYONE_ELSE})
        return may(record, access, standing)
    return allowed(session, record, viewer, owner, access=access)


def can_edit_goal(session: Session, viewer: Person, goal: Goal) -> bool:
    """Admins change any goal; company goals are theirs alone. Other goals: the owner and the
    owner's manager chain (a manager changes their reports' goals)."""
    return _goal_allows(session, viewer, goal, Access.CHANGE)


def can_see_goal(session: Session, viewer: Person, goal: Goal, personal_goals_public: bool) -> bool:
    """Company and team goals are everyone's; a personal goal is its owner's, their manager chain's and
    admins' (or everyone's, when the workspace makes personal goals public)."""
    if personal_goals_public and viewer.workspace_id == goal.workspace_id:
        return True
    return _goal_allows(session, viewer, goal, Access.SEE)


def admin_may(viewer: Person, record: Record, access: Access = Access.SEE) -> bool:
    """For what concerns the whole organisation (the settings, the fairness view, erasure, the
    audit log): only the viewer's standing as an admin can allow it."""
    standing = frozenset({Relation.ADMIN}) if viewer.role is Role.ADMIN else frozenset({Relation.ANYONE_ELSE})
    return may(record, access, standing)


def can_see_fairness(viewer: Person) -> bool:
    """The fairness view describes groups across the organisation, nobody in particular."""
    return admin_may(viewer, Record.FAIRNESS)


def admins_of(session: Session, workspace_id: int) -> list[Person]:
    """The organisation's active admins by name: who to ask for what only admins may do or see."""
    return list(
        session.exec(
            select(Person)
            .where(Person.workspace_id == workspace_id, Person.role == Role.ADMIN, Person.active)
            .order_by(Person.display_name)
        )
    )


def _cell(record: Record, relation: Relation) -> str:
    granted = [access.value for access in Access if relation in RULES[record][access]]
    return ", ".join(granted) if granted else "—"


def table() -> str:
    """:data:`RULES` as the Markdown table the README shows, with :data:`NOTES` under it."""
    columns = list(Relation)
    lines = [
        "| | " + " | ".join(relation.value for relation in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for record in RULES:
        lines.append(f"| {record.value} | " + " | ".join(_cell(record, relation) for relation in columns) + " |")
    lines.append("")
    lines.append("Someone in another organisation sees and changes nothing, whatever their role.")
    lines += [f"{record.value[0].upper()}{record.value[1:]}: {note}." for record, note in NOTES.items()]
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
