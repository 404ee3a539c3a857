"""Reading people's quarters for their snapshots, many people at once.

The snapshots of a batch of people are read from a fixed dozen SQL statements, however many people
the batch holds and however long their history (each statement asks for the whole batch), then
summarised in Python by ``conversations/snapshot.py``. That is what lets the end of a quarter build
ten thousand snapshots in about a minute on SQLite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from conversations.checkin_answers import display, is_highlight
from conversations.digest import weeks_back
from conversations.flow import State
from conversations.goal_progress import current_period, parse_period
from conversations.messages import Actor, Inbound
from conversations.schedule import period_weeks, week_before, week_ends_at
from conversations.snapshot import BASELINE_WEEKS, summarise
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import kudos, privacy
from storage.digests import ProgressReplay
from storage.goals import goal_health
from storage.models import (
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    Feedback,
    Goal,
    GoalLevel,
    GoalUpdate,
    KeyResult,
    Kudos,
    Person,
    ResponseStatus,
    Workspace,
)

CLOSED_AS = "closed as "  # how storage.goals.apply_closed words the update that closes a goal


class UnknownPeriod(ValueError):
    """Not a period Cadence can summarise (``2026-Q4``)."""


def period_problem(period: str, today: date) -> str | None:
    """Why ``period`` can't be summarised on ``today``, in one sentence with an example, or None."""
    parsed = parse_period(period)
    if parsed is None:
        return f'"{period}" is not a period; write a quarter like 2026-Q4 (or a half, 2026-H2, or a year, 2026)'
    name, first, _ = parsed
    if first > today:
        return f"{name} hasn't started yet; ask for a quarter that has, for example {today.year}-Q{(today.month - 1) // 3 + 1}"
    return None


def quarter_bounds(period: str) -> tuple[str, date, date]:
    parsed = parse_period(period)
    if parsed is None:
        raise UnknownPeriod(period)
    return parsed


def build_snapshots(
    session: Session, workspace_id: int, period: str, person_ids: Sequence[int], today: date
) -> dict[int, dict[str, Any]]:
    """Each person's snapshot of ``period`` (``2026-Q4``), by person id; ``today`` decides the
    health of goals still open."""
    name, first, last = quarter_bounds(period)
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    settings = load_settings(workspace.settings)
    people = {
        person.id: person
        for person in session.exec(select(Person).where(Person.workspace_id == workspace_id, col(Person.id).in_(ids)))
    }
    weeks = period_weeks(first, last)
    earlier = weeks_back(week_before(weeks[0]), BASELINE_WEEKS) if weeks else []
    history = _check_ins(session, workspace_id, ids, [*earlier, *weeks])
    goals, goal_views, progress = _goals(session, ids, first, last, weeks, today)
    kudos = _kudos(session, ids, first, last, settings)
    feedback = _feedback(session, ids, first, last, settings)
    skill_labels = _labels(settings.skills)
    snapshots = {}
    for person_id in ids:
        person = people.get(person_id)
        if person is None:
            continue
        expected = settings.expectations.get(person.level or "", {})
        snapshots[person_id] = summarise(
            person={"id": person.id, "display_name": person.display_name, "level": person.level},
            period=name,
            weeks=weeks,
            earlier_weeks=earlier,
            history=history.get(person_id, {}),
            goals=goal_views.get(person_id, []),
            goal_progress=progress.get(person_id, [None] * len(weeks)),
            kudos=kudos.get(person_id, []),
            feedback=feedback.get(person_id, []),
            expectations={skill_labels.get(skill, skill): statements for skill, statements in expected.items()},
        )
        snapshots[person_id]["goal_count"] = len(goals.get(person_id, []))
    return snapshots


def _labels(named: Sequence[Any]) -> dict[str, str]:
    return {item.slug: item.shown_label for item in named}


def _check_ins(
    session: Session, workspace_id: int, ids: list[int], weeks: Sequence[str]
) -> dict[int, dict[str, dict[str, Any]]]:
    """Each person's weeks: the status, and for an answered week its mood, blockers and highlights.
    The questions are read once per template, not once per answer."""
    rows = session.exec(
        select(
            CheckinResponse.person_id,
            CheckinCycle.week,
            CheckinResponse.status,
            CheckinResponse.mood,
            CheckinResponse.blockers,
            CheckinResponse.answers,
            CheckinResponse.template_id,
        )
        .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
        .where(CheckinCycle.workspace_id == workspace_id, col(CheckinCycle.week).in_(list(weeks)))
        .where(col(CheckinResponse.person_id).in_(ids))
    ).all()
    highlight_questions = {
        template.id: [question for question in template.questions if is_highlight(question)]
        for template in session.exec(select(CheckinTemplate).where(CheckinTemplate.workspace_id == workspace_id))
    }
    history: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for person_id, week, status, mood, blockers, answers, template_id in rows:
        submitted = status is ResponseStatus.SUBMITTED
        history[person_id][week] = {
            "status": status.value,
            "mood": mood if submitted else None,
            "blockers": blockers if submitted else None,
            "highlights": [
                display(question, answers[question["id"]])
                for question in highlight_questions.get(template_id, ())
                if submitted
                if answers.get(question["id"]) not in (None, "")
            ],
        }
    return history


def _goals(
    session: Session, ids: list[int], first: date, last: date, weeks: Sequence[str], today: date
) -> tuple[dict[int, list[Goal]], dict[int, list[dict[str, Any]]], dict[int, list[float | None]]]:
    """Each person's own goals of the period, as outcomes (who closed them, and how), and the
    average progress of those goals at the end of each week."""
    goals = session.exec(
        select(Goal).where(
            col(Goal.owner_id).in_(ids), Goal.level == GoalLevel.PERSON, Goal.starts_on <= last, Goal.ends_on >= first
        )
    ).all()
    goal_ids = [goal.id for goal in goals]
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    updates: list[tuple[int, datetime, float | None]] = []
    closers: dict[int, tuple[str, str]] = {}
    first_update: dict[int, datetime] = {}
    if goal_ids:
        for kr in session.exec(
            select(KeyResult).where(col(KeyResult.goal_id).in_(goal_ids)).order_by(KeyResult.number)
        ):
            key_results[kr.goal_id].append(kr)
        rows = session.exec(
            select(GoalUpdate, Person.display_name)
            .outerjoin(Person, col(Person.id) == GoalUpdate.author_id)
            .where(col(GoalUpdate.goal_id).in_(goal_ids))
            .order_by(GoalUpdate.created_at, GoalUpdate.id)
        ).all()
        for update, author in rows:
            at = update.created_at
            first_update.setdefault(update.goal_id, at)
            if update.key_result_id is not None:
                updates.append((update.key_result_id, at, update.old_value))
            if update.comment.startswith(CLOSED_AS):
                closers[update.goal_id] = (author or "someone no longer here", update.comment.removeprefix(CLOSED_AS))
    moments = [min(week_ends_at(week, "UTC"), _end_of(last)) for week in weeks]
    replay = ProgressReplay({goal.id: goal for goal in goals}, key_results, updates, moments, first_update)
    by_owner: dict[int, list[Goal]] = defaultdict(list)
    for goal in sorted(goals, key=lambda goal: goal.number):
        by_owner[goal.owner_id].append(goal)
    views = {
        owner: [
            {
                "ref": f"G-{goal.number}",
                "title": goal.title,
                "state": goal.state.value,
                "progress": round(goal.progress, 1),
                "health": goal_health(goal, key_results.get(goal.id, []), today),
                "closed_on": goal.closed_at.date().isoformat() if goal.closed_at else "",
                "closed_by": closers.get(goal.id, ("", ""))[0] if goal.closed_at else "",
            }
            for goal in owned
        ]
        for owner, owned in by_owner.items()
    }
    progress = {owner: replay.averages([goal.id for goal in owned]) for owner, owned in by_owner.items()}
    return by_owner, views, progress


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _kudos(
    session: Session, ids: list[int], first: date, last: date, settings: WorkspaceSettings
) -> dict[int, list[dict[str, Any]]]:
    """The kudos each person received in the period, with the labels of their values and skills."""
    in_period = (col(Kudos.recipient_id).in_(ids), Kudos.giver_local_date >= first, Kudos.giver_local_date <= last)
    received = select(Kudos.id).where(*in_period)
    rows = session.exec(select(Kudos.id, Kudos.recipient_id).where(*in_period)).all()
    values, skills = kudos.labels_of(session, received)
    skill_labels = _labels(settings.skills)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for kudos_id, recipient_id in rows:
        named = [skill_labels.get(skill, skill) for skill in skills.get(kudos_id, [])]
        found[recipient_id].append({"values": values.get(kudos_id, []), "skills": named})
    return found


def _feedback(
    session: Session, ids: list[int], first: date, last: date, settings: WorkspaceSettings
) -> dict[int, list[dict[str, Any]]]:
    """The feedback each person received in the period: its value and skill, and its words only
    where the recipient let the snapshot quote them."""
    value_labels = _labels(settings.kudos.values)
    skill_labels = _labels(settings.skills)
    rows = session.exec(
        select(Feedback, Person.display_name)
        .outerjoin(Person, col(Person.id) == Feedback.giver_id)
        .where(
            col(Feedback.recipient_id).in_(ids),
            Feedback.given_at >= datetime.combine(first, time(0), tzinfo=UTC),
            Feedback.given_at < _end_of(last),
        )
        .order_by(Feedback.given_at, Feedback.id)
    ).all()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item, giver in rows:
        words = " ".join(part for part in (item.went_well, item.could_be_better) if part)
        found[item.recipient_id].append(
            {
                "value": value_labels.get(item.value_slug, item.value_slug) if item.value_slug else None,
                "skill": skill_labels.get(item.skill, item.skill) if item.skill else None,
                "quote": words if item.quoted_in_snapshot else None,
                "giver": giver or "someone no longer here",
            }
        )
    return found


def prepare_snapshot(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """Whose snapshot of which quarter the person asked for, whether they may read it, and the
    snapshot itself when they may: a problem to word otherwise."""
    viewer = session.get(Person, actor.person_id)
    assert viewer is not None
    today = now.astimezone(ZoneInfo(viewer.timezone)).date()

    def refused(code: str, **values: Any) -> State:
        return State(flow="snapshot", step="show", data={"problem": {"code": code, **values}})

    period = None
    for word in inbound.text.split():
        if parse_period(word) is not None:
            period = word.upper()
        elif "@" not in word:
            return refused("usage", word=word)
    found, unknown = kudos.resolve(session, actor.workspace_id, inbound.platform, inbound.mentions)
    if unknown:
        return refused("unknown_person", name=unknown[0]["display_name"])
    subject = session.get(Person, found[0]["id"]) if found else viewer
    assert subject is not None
    if not privacy.allowed(session, privacy.Record.SNAPSHOT, viewer, subject):
        return refused("not_allowed")
    period = period or current_period(today)
    problem = period_problem(period, today)
    if problem:
        return refused("period", reason=problem)
    snapshot = build_snapshots(session, actor.workspace_id, period, [subject.id], today)[subject.id]
    return State(flow="snapshot", step="show", data={"snapshot": snapshot})


CONTEXTS = {"snapshot": prepare_snapshot}
