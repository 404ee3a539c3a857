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
from conversations.words import Labels
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import digests, outbox
from storage.models import OutboxDelivery, Person, Role, Team, Workspace
from storage.reach import Reach

CATCH_UP = timedelta(days=1)


def digest_producer(labels: Labels | None = None) -> Producer:
    """``labels`` word the digest's "1:1 with …" buttons; without them the digest offers none."""
    if labels is None:
        return enqueue_due_reports

    def enqueue_due_reports_with_one_on_ones(
        session: Session, workspace: Workspace, now: datetime, reach: Reach
    ) -> int:
        return enqueue_due_reports(session, workspace, now, reach, labels)

    return enqueue_due_reports_with_one_on_ones


def due_week(settings: WorkspaceSettings, now: datetime, zone: str) -> str | None:
    """The week whose report is due now for a reader in ``zone``, or None outside the catch-up day."""
    due_at = digest_instant(settings, now, zone)
    return covered_week(settings, due_at, zone) if now - due_at < CATCH_UP else None


def enqueue_due_reports(
    session: Session, workspace: Workspace, now: datetime, reach: Reach, labels: Labels | None = None
) -> int:
    """The reports due now: a digest or roll-up on the platform its reader is reached on (none for a
    reader Cadence can't reach), a team summary in the team's channel on each platform in play."""
    assert workspace.id is not None
    settings = load_settings(workspace.settings)
    team_names = {team.id: team.name for team in session.exec(select(Team).where(Team.workspace_id == workspace.id))}
    wanted: dict[str, tuple[str, object, str, str, Platform | None]] = {}  # key: (kind, reader, week, zone, where)
    for manager in digests.managers(session, workspace.id):
        if reach.of(manager.id) is None:
            continue
        week = due_week(settings.for_team(team_names.get(manager.team_id)), now, manager.timezone)
        if week is not None:
            wanted[f"digest:{manager.id}:{week}"] = ("digest", manager, week, manager.timezone, None)
    for admin in session.exec(
        select(Person).where(Person.workspace_id == workspace.id, Person.role == Role.ADMIN, Person.active)
    ):
        if reach.of(admin.id) is None:
            continue
        week = due_week(settings, now, admin.timezone)
        if week is not None:
            wanted[f"rollup:{admin.id}:{week}"] = ("rollup", admin, week, admin.timezone, None)
    for team in session.exec(select(Team).where(Team.workspace_id == workspace.id)):
        team_settings = settings.for_team(team.name)
        channel = team_settings.checkins.team_channel
        if team_settings.checkins.team_summary and channel:
            zone = _team_zone(session, team)
            week = due_week(team_settings, now, zone)
            for platform in reach.platforms if week is not None else ():
                if channel.on(platform):
                    wanted[_team_summary_key(team, week, platform)] = ("team", team, week, zone, platform)
    if not wanted:
        return 0
    done = set(
        session.exec(select(OutboxDelivery.dedupe_key).where(col(OutboxDelivery.dedupe_key).in_(list(wanted)))).all()
    )
    rows = []
    for key, (kind, reader, week, zone, platform) in wanted.items():
        if key not in done:
            today = now.astimezone(ZoneInfo(zone)).date()
            platform = platform or reach.of(reader.id)
            assert platform is not None, "only readers Cadence can reach are due a report"
            rows.extend(
                _report_rows(session, workspace, settings, key, kind, reader, week, now, today, platform, labels)
            )
    outbox.enqueue_many(session, rows)
    return len(rows)


def _team_summary_key(team: Team, week: str, platform: Platform) -> str:
    """Slack's keeps the key from before there were several platforms, so an upgrade never posts it twice."""
    key = f"team_summary:{team.id}:{week}"
    return key if platform == Platform.SLACK else f"{key}:{platform.value}"


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


def _report_rows(
    session, workspace, settings, key, kind, reader, week, now, today, platform: Platform, labels: Labels | None = None
) -> list[dict]:
    if kind == "team":
        team_settings = settings.for_team(reader.name)
        summary = digests.team_summary(session, reader, week, now, team_settings, today)
        channel = ChannelPost(team_settings.checkins.team_channel.on(platform))
        return [_row(workspace, key, channel, Outbound("team_weekly_summary", summary), now, platform)]
    if kind == "digest":
        data = digests.build_digest(session, reader, week, now)
        if data is None:
            return []
        rows = [_row(workspace, key, DirectMessage(reader.id), digest_message(data, labels=labels), now, platform)]
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
    raise AssertionError(f"no report is called {kind}")
