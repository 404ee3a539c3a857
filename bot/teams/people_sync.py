"""Linking a team's roster to the people of the org file: ``cadence org sync --teams TEAM_ID`` pages
through the team's members (``GET /v3/conversations/{team}/pagedmembers``) and gives everyone whose
email (or sign-in name) is in the org file their Teams identity, their Entra object id. The org file
stays the source of names, managers and time zones; nobody is created from a roster."""

from __future__ import annotations

import asyncio
import enum
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.teams.sdk import TeamsSdk
from conversations.messages import Platform
from storage import people
from storage.database import Database

PAGE_SIZE = 500  # the most Teams gives in one page


class RosterOutcome(enum.StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already linked"
    NOT_IN_ORG_FILE = "not in the org file"


async def roster(sdk: TeamsSdk, service_url: str, team_id: str) -> list[dict[str, Any]]:
    """Every member of the team, page by page."""
    client = sdk.client_for(service_url)
    members: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await client.conversations.get_paged_members(team_id, PAGE_SIZE, token)
        members.extend(member.model_dump(by_alias=True, exclude_none=True) for member in page.members or ())
        token = page.continuation_token
        if not token:
            return members


def link_members(database: Database, workspace_id: int, members: Iterable[dict[str, Any]]) -> Counter[RosterOutcome]:
    """One commit: each member found by email gets their Entra id as their Teams identity."""
    outcomes: Counter[RosterOutcome] = Counter()
    with database.session_scope() as session:
        for member in members:
            aad = str(member.get("aadObjectId") or "")
            emails = [str(value) for value in (member.get("email"), member.get("userPrincipalName")) if value]
            person = next(
                (found for email in emails if (found := people.by_email(session, workspace_id, email)) is not None),
                None,
            )
            if person is None or not aad:
                outcomes[RosterOutcome.NOT_IN_ORG_FILE] += 1
            elif people.set_identity(session, person, Platform.TEAMS, aad):
                outcomes[RosterOutcome.LINKED] += 1
            else:
                outcomes[RosterOutcome.ALREADY_LINKED] += 1
    return outcomes


async def sync_team(
    sdk: TeamsSdk, database: Database, workspace_id: int, team_id: str, service_url: str
) -> Counter[RosterOutcome]:
    members = await roster(sdk, service_url, team_id)
    return await asyncio.to_thread(link_members, database, workspace_id, members)
