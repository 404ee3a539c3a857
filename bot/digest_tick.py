"""The tick's weekly reports: each manager's digest (with its chart), the admins' company roll-up
and each team's channel summary, at the digest day and time where the reader lives.

Each report is an outbox row keyed by reader and week, so it goes out once however many ticks or
replicas ask; a report missed during downtime still goes out within a day of its time. A report
is built only when its key isn't in the outbox yet, because building is the expensive part.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.charts import has_data
from bot.tick import Producer
from conversations.destinations import ChannelPost, Destination, DirectMessage
from conversations.digest import DIGEST_CHART, digest_message
from conversations.messages import Outbound, Platform
from conversations.schedule import covered_week, digest_instant
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import digests, outbox
from storage.models import OutboxDelivery, Person, Role, Team, Workspace
from storage.reach import Reach

CATCH_UP = timedelta(days=1)


def digest_producer() -> Producer:
    return enqueue_due_reports


def due_week(settings: WorkspaceSettings, now: datetime, zone: str) -> str | None:
    """The week whose report is due now for a reader in ``zone``, or None outside the catch-up day."""
    due_at = digest_instant(settings, now, zone)
    return covered_week(settings, due_at, zone) if now - due_at < CATCH_UP else None


def enqueue_due_reports(session: Session, workspace: Workspace, now: datetime, reach: Reach) -> int:
    """The reports due now: a digest or roll-up on the platform its reader is reached on (none for a
    reader Cadence can't reach), a team summary in the team's channel on each platform in play."""
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    team_names = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace.id))}
    wanted: dict[str, tuple[str, object, str, str]] = {}  # key: (kind, reader, week, the reader's zone)
    for manager in digests.managers(session, workspace.id):
        if reach.of(manager.id) is None:
            continue
        week = due_week(settings.for_team(team_names.get(manager.team_id)), now, manager.timezone)
        if week is not None:
            wanted[f"digest:{manager.id}:{week}"] = ("digest", manager, week, manager.timezone)
    for admin in session.exec(
        select(Person).where(Person.workspace_id == workspace.id, Person.role == Role.ADMIN, Person.active)
    ):
        if reach.of(admin.id) is None:
            continue
        week = due_week(settings, now, admin.timezone)
        if week is not None:
            wanted[f"rollup:{admin.id}:{week}"] = ("rollup", admin, week, admin.timezone)
    for team in session.exec(select(Team).where(Team.workspace_id == workspace.id)):
        team_settings = settings.for_team(team.name)
        if team_settings.checkins.team_summary and team_settings.checkins.team_channel:
            zone = _team_zone(session, team)
            week = due_week(team_settings, now, zone)
            if week is not None:
                wanted[f"team_summary:{team.id}:{week}"] = ("team", team, week, zone)
    if not wanted:
        return 0
    done = set(
        session.exec(select(OutboxDelivery.dedupe_key).where(col(OutboxDelivery.dedupe_key).in_(list(wanted)))).all()
    )
    rows = []
    for key, (kind, reader, week, zone) in wanted.items():
        if key not in done:
            today = now.astimezone(ZoneInfo(zone)).date()
            rows.extend(_report_rows(session, workspace, settings, key, kind, reader, week, now, today, reach))
    outbox.enqueue_many(session, rows)
    return len(rows)


def _team_zone(session: Session, team: Team) -> str:
    """A team's clock: its most senior member's (one whose manager is outside the team)."""
    members = session.exec(select(Person).where(Person.team_id == team.id, Person.active).order_by(Person.id)).all()
    member_ids = {person.id for person in members}
    lead = next((person for person in members if person.manager_id not in member_ids), None)
    return lead.timezone if lead else "UTC"


def _row(
    workspace: Workspace, key: str, destination: Destination, message: Outbound, now: datetime, platform: Platform
) -> dict:
    assert workspace.id is not None
    return outbox.message_row(
        workspace_id=workspace.id,
        platform=platform,
        message=message,
        destination=destination,
        dedupe_key=key,
        not_before=now,
    )


def _report_rows(session, workspace, settings, key, kind, reader, week, now, today, reach: Reach) -> list[dict]:
    if kind in ("digest", "rollup"):
        platform = reach.of(reader.id)
        assert platform is not None, "only readers Cadence can reach are due a report"
    else:
        platform = reach.platforms[0]  # a team's channel: on the organisation's first platform
    if kind == "digest":
        data = digests.build_digest(session, reader, week, now)
        if data is None:
            return []
        rows = [_row(workspace, key, DirectMessage(reader.id), digest_message(data), now, platform)]
        if has_data(data["chart"]):
            chart = Outbound(DIGEST_CHART, data["chart"])
            rows.append(
                _row(workspace, f"digest_chart:{reader.id}:{week}", DirectMessage(reader.id), chart, now, platform)
            )
        return rows
    if kind == "rollup":
        return [
            _row(
                workspace,
                key,
                DirectMessage(reader.id),
                Outbound("company_rollup", digests.company_rollup(session, workspace.id, week, now, today)),
                now,
                platform,
            )
        ]
    team_settings = settings.for_team(reader.name)
    channel = team_settings.checkins.team_channel
    summary = Outbound("team_weekly_summary", digests.team_summary(session, reader, week, now, team_settings, today))
    return [_row(workspace, key, ChannelPost(channel), summary, now, platform)]
