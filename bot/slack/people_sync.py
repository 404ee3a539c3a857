"""Keeping people in step with Slack: names, time zones and deactivations.

``cadence org sync`` walks ``users.list`` page by page; ``team_join`` and ``user_change`` events
apply the same upsert to one user. A Slack user is matched to a person by Slack id, then by email
(so the org CSV and Slack meet), and created when new. The org chart (managers, teams, roles)
stays what the org file says: Slack doesn't know it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from conversations.messages import Platform
from storage import people
from storage.database import Database
from storage.models import Person, utcnow
from storage.org_import import known_timezones

SLACKBOT_ID = "USLACKBOT"
PAGE_SIZE = 200


class SyncOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


def display_name_of(user: Mapping[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )


def upsert_slack_user(session: Session, workspace_id: int, user: Mapping[str, Any]) -> SyncOutcome:
    """Apply one Slack user object (as ``users.list``, ``team_join`` and ``user_change`` give it)."""
    slack_id = str(user.get("id") or "")
    is_bot = bool(user.get("is_bot")) or slack_id == SLACKBOT_ID or bool(user.get("is_app_user"))
    email = str((user.get("profile") or {}).get("email") or "").lower() or None
    person = people.by_platform_id(session, workspace_id, Platform.SLACK, slack_id) if slack_id else None
    if person is None and email:
        person = people.by_email(session, workspace_id, email)
    if person is None:
        if is_bot or user.get("deleted") or not slack_id:
            return SyncOutcome.SKIPPED
        person = Person(workspace_id=workspace_id, display_name=display_name_of(user), email=email)
        outcome = SyncOutcome.CREATED
    else:
        outcome = SyncOutcome.UNCHANGED
    timezone = str(user.get("tz") or "")
    wanted = {
        "display_name": display_name_of(user),
        "email": person.email or email,
        "timezone": timezone if timezone in known_timezones() else person.timezone or "UTC",
        "active": not user.get("deleted"),
        "is_bot": is_bot,
    }
    if outcome is SyncOutcome.UNCHANGED and any(getattr(person, key) != value for key, value in wanted.items()):
        outcome = SyncOutcome.UPDATED
    if outcome is not SyncOutcome.UNCHANGED:
        for key, value in wanted.items():
            setattr(person, key, value)
        person.updated_at = utcnow()
        session.add(person)
        session.flush()
    if slack_id and people.set_identity(session, person, Platform.SLACK, slack_id) and outcome is SyncOutcome.UNCHANGED:
        outcome = SyncOutcome.UPDATED
    return outcome


async def sync_workspace(client: AsyncWebClient, database: Database, workspace_id: int) -> Counter[SyncOutcome]:
    """Every page of ``users.list``, each page applied in its own unit of work."""
    counts: Counter[SyncOutcome] = Counter()
    cursor = None
    while True:
        page = await client.users_list(limit=PAGE_SIZE, cursor=cursor)
        with database.session_scope() as session:
            for user in page.get("members") or []:
                counts[upsert_slack_user(session, workspace_id, user)] += 1
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return counts
