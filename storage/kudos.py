"""Kudos in the database: the kudos flows' context and changes, and the queries stats, the
leaderboard, the Home tab and the digests read (recognition gaps among a manager's reports)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from conversations.flow import State
from conversations.kudos import PERIODS, KudosGiven, KudosTakenBack, parse_top_arguments
from conversations.messages import Actor, Inbound, Platform, outbound_from_dict
from conversations.workspace_settings import load_settings
from storage import company_values, outbox, people
from storage.models import CompanyValue, Kudos, KudosSkill, KudosValue, Person, Workspace

LEADERBOARD_SIZE = 10
KUDOS = Kudos.__table__
VALUES = CompanyValue.__table__


def person_ref(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "display_name": person.display_name,
        "active": person.active,
        "is_bot": person.is_bot,
    }


def local_today(person: Person, now: datetime) -> date:
    return now.astimezone(ZoneInfo(person.timezone)).date()


def given_on(session: Session, giver_id: int, day: date) -> int:
    return session.exec(_given_on(), params={"giver_id": giver_id, "day": day}).one()


@functools.cache
def _given_on() -> Any:
    """Built once (every kudos checks the allowance): building a statement cost more than running it."""
    return (
        select(sa.func.count())
        .select_from(Kudos)
        .where(Kudos.giver_id == sa.bindparam("giver_id"), Kudos.giver_local_date == sa.bindparam("day"))
    )


def allowance(session: Session, giver: Person, limit: int, now: datetime) -> dict[str, Any]:
    """Today's allowance in the giver's own day: how many, how many used, and when it resets."""
    zone = ZoneInfo(giver.timezone)
    today = local_today(giver, now)
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    minutes = max(int((midnight - now).total_seconds() // 60), 1)
    assert giver.id is not None
    return {
        "limit": limit,
        "used": given_on(session, giver.id, today),
        "today": today.isoformat(),
        "resets_in": f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min",
    }


def _giver_and_settings(session: Session, actor: Actor):
    giver = session.get(Person, actor.person_id)
    workspace = session.get(Workspace, actor.workspace_id)
    assert giver is not None and workspace is not None
    return giver, load_settings(workspace.settings)


def resolve(
    session: Session, workspace_id: int, platform: Platform, user_ids: Sequence[str]
) -> tuple[list[dict], list[dict]]:
    """People for platform user ids (or handles typed where the platform has no mention of its own:
    a colleague on another platform), in order without repeats, and the ids nobody here has."""
    found: list[dict] = []
    unknown: list[dict] = []
    wanted = list(dict.fromkeys(str(value) for value in user_ids if value))
    known = people.by_platform_ids(session, workspace_id, platform, wanted)
    for user_id in wanted:
        person = known.get(user_id.lower() if platform is Platform.SHELL else user_id)
        if person is None and platform is not Platform.SHELL:
            person = people.by_handle(session, workspace_id, user_id)  # a typed @ada: someone on another platform
        if person is None:
            unknown.append({"display_name": user_id, "platform_user_id": user_id})
        else:
            found.append(person_ref(person))
    return found, unknown


def prepare_kudos(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    giver, settings = _giver_and_settings(session, actor)
    mentioned = inbound.mentions if inbound.form_id is None else tuple((inbound.form or {}).get("people") or ())
    recipients, unknown = resolve(session, actor.workspace_id, inbound.platform, mentioned)
    data = {
        "giver": person_ref(giver),
        "recipients": recipients,
        "unknown": unknown,
        "values": [
            {"slug": value.slug, "label": value.label} for value in company_values.active(session, actor.workspace_id)
        ],
        "skills": [{"slug": skill.slug, "label": skill.shown_label} for skill in settings.skills],
        "settings": {
            "channel": settings.kudos.channel.by_platform() if settings.kudos.channel else None,
            "post_in_origin_channel": settings.kudos.post_in_origin_channel,
            "require_value": settings.kudos.require_value,
        },
        "allowance": allowance(session, giver, settings.kudos.daily_allowance, now),
        "origin_is_channel": inbound.in_channel,
    }
    return State(flow="kudos", step="give", data=data)


def recognition_card(session: Session, workspace_id: int, target: str) -> dict[str, Any] | None:
    """The recognition card a reaction was put on, if the target message is one the reactor's own
    organisation posted (another's card in a shared channel gives nothing there)."""
    row = outbox.by_message(session, workspace_id, target, "kudos_card")
    return dict(outbound_from_dict(row.payload["outbound"]).data) if row else None


def prepare_reaction(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    reaction = inbound.reaction
    assert reaction is not None
    giver, settings = _giver_and_settings(session, actor)
    author = people.by_platform_id(session, actor.workspace_id, inbound.platform, reaction.target_author)
    given = session.exec(
        select(Kudos.id).where(
            Kudos.giver_id == actor.person_id, Kudos.source_ref == f"{reaction.target}:{reaction.emoji}"
        )
    ).first()
    data = {
        "giver": person_ref(giver),
        "emojis": list(settings.kudos.reactions_on(inbound.platform)),
        "author": person_ref(author) if author else None,
        "card": recognition_card(session, actor.workspace_id, reaction.target),
        "given": given is not None,
        "allowance": allowance(session, giver, settings.kudos.daily_allowance, now),
    }
    return State(flow="kudos_reaction", step="react", data=data)


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def prepare_stats(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    person = session.get(Person, actor.person_id)
    assert person is not None
    today = local_today(person, now)
    rows = []
    for period in PERIODS:
        since = period_start(today, period)
        counts = {}
        for role, column in (("received", Kudos.recipient_id), ("given", Kudos.giver_id)):
            counts[role] = session.exec(
                select(sa.func.count())
                .select_from(Kudos)
                .where(column == actor.person_id, Kudos.giver_local_date >= since)
            ).one()
        rows.append({"period": period, **counts})
    top_values = session.exec(
        select(CompanyValue.label, sa.func.count())
        .join(KudosValue, col(KudosValue.value_id) == CompanyValue.id)
        .join(Kudos, col(Kudos.id) == KudosValue.kudos_id)
        .where(Kudos.recipient_id == actor.person_id, Kudos.giver_local_date >= period_start(today, "quarter"))
        .group_by(CompanyValue.label)
        .order_by(sa.func.count().desc(), CompanyValue.label)
        .limit(3)
    ).all()
    data = {"periods": rows, "top_values": [{"label": label, "count": count} for label, count in top_values]}
    return State(flow="kudos_stats", step="show", data=data)


def leaderboard(session: Session, workspace_id: int, since: date, value: str | None) -> list[dict[str, Any]]:
    count = sa.func.count(col(Kudos.id))
    query = (
        select(Person, count)
        .join(Kudos, col(Kudos.recipient_id) == Person.id)
        .where(Kudos.workspace_id == workspace_id, Kudos.giver_local_date >= since)
        .group_by(col(Person.id))
        .order_by(count.desc(), Person.display_name)
        .limit(LEADERBOARD_SIZE)
    )
    if value is not None:
        query = (
            query.join(KudosValue, col(KudosValue.kudos_id) == Kudos.id)
            .join(CompanyValue, col(CompanyValue.id) == KudosValue.value_id)
            .where(CompanyValue.slug == value)
        )
    return [{"person": person_ref(person), "count": total} for person, total in session.exec(query).all()]


def prepare_top(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    person, settings = _giver_and_settings(session, actor)
    period, value, _ = parse_top_arguments(inbound.text)
    configured = [value.slug for value in company_values.active(session, actor.workspace_id)]
    leaders = []
    if settings.kudos.leaderboard and (value is None or value in configured):
        leaders = leaderboard(session, actor.workspace_id, period_start(local_today(person, now), period), value)
    data = {"enabled": settings.kudos.leaderboard, "configured": configured, "leaders": leaders}
    return State(flow="kudos_top", step="show", data=data)


def apply_given(session: Session, actor: Actor, change: KudosGiven, now: datetime) -> None:
    """One kudos row per recipient, with its values, written with two Core statements (a hot path)."""
    connection = session.connection()
    rows = [
        {
            "workspace_id": actor.workspace_id,
            "giver_id": actor.person_id,
            "recipient_id": recipient_id,
            "message": change.message,
            "source": change.source,
            "source_ref": change.source_ref,
            "given_at": now,
            "giver_local_date": change.giver_local_date,
        }
        for recipient_id in change.recipient_ids
    ]
    kudos_ids = list(connection.execute(_new_kudos(), rows).scalars())
    if change.values:
        value_ids = (
            connection.execute(_value_ids(), {"workspace_id": actor.workspace_id, "slugs": list(change.values)})
            .scalars()
            .all()
        )
        links = [{"kudos_id": kudos_id, "value_id": value_id} for kudos_id in kudos_ids for value_id in value_ids]
        if links:
            connection.execute(sa.insert(KudosValue.__table__), links)
    if change.skills:
        named = [{"kudos_id": kudos_id, "skill": skill} for kudos_id in kudos_ids for skill in change.skills]
        connection.execute(sa.insert(KudosSkill.__table__), named)


@functools.cache
def _new_kudos() -> Any:
    """Built once (a hot path): the ids come back in the order of the rows."""
    return sa.insert(KUDOS).returning(KUDOS.c.id, sort_by_parameter_order=True)


@functools.cache
def _value_ids() -> Any:
    return sa.select(VALUES.c.id).where(
        VALUES.c.workspace_id == sa.bindparam("workspace_id"), VALUES.c.slug.in_(sa.bindparam("slugs", expanding=True))
    )


def apply_taken_back(session: Session, actor: Actor, change: KudosTakenBack, now: datetime) -> None:
    session.exec(delete(Kudos).where(Kudos.giver_id == actor.person_id, Kudos.source_ref == change.source_ref))


def labels_of(session: Session, kudos_ids: Any) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The labels of the company values and the slugs of the skills each kudos names, by kudos id
    (``kudos_ids`` a list of ids or a query of them): two statements, however many kudos."""
    values: dict[int, list[str]] = defaultdict(list)
    for kudos_id, label in session.exec(
        select(KudosValue.kudos_id, CompanyValue.label)
        .join(CompanyValue, col(CompanyValue.id) == KudosValue.value_id)
        .where(col(KudosValue.kudos_id).in_(kudos_ids))
    ):
        values[kudos_id].append(label)
    skills: dict[int, list[str]] = defaultdict(list)
    for kudos_id, skill in session.exec(
        select(KudosSkill.kudos_id, KudosSkill.skill).where(col(KudosSkill.kudos_id).in_(kudos_ids))
    ):
        skills[kudos_id].append(skill)
    return values, skills


def recent_received(session: Session, person_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The latest kudos a person received, for their Home tab."""
    rows = session.exec(
        select(Kudos, Person)
        .join(Person, col(Person.id) == Kudos.giver_id)
        .where(Kudos.recipient_id == person_id)
        .order_by(col(Kudos.given_at).desc(), col(Kudos.id).desc())
        .limit(limit)
    ).all()
    return [
        {"giver": person_ref(giver), "message": kudos.message, "day": kudos.giver_local_date.isoformat()}
        for kudos, giver in rows
    ]


def reports_without_kudos(session: Session, manager_id: int, days: int, now: datetime) -> list[Person]:
    """A manager's active direct reports who received no kudos in the last ``days`` days (recognition gaps)."""
    since = now - timedelta(days=days)
    recognised = select(Kudos.recipient_id).where(Kudos.given_at >= since)
    return list(
        session.exec(
            select(Person)
            .where(
                Person.manager_id == manager_id,
                Person.active,
                col(Person.is_bot).is_(False),
                col(Person.id).not_in(recognised),
            )
            .order_by(Person.display_name)
        )
    )


APPLIERS = {KudosGiven: apply_given, KudosTakenBack: apply_taken_back}
CONTEXTS = {
    "kudos": prepare_kudos,
    "kudos_reaction": prepare_reaction,
    "kudos_stats": prepare_stats,
    "kudos_top": prepare_top,
}
