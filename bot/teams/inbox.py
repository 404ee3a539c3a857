"""Teams' side of the inbox: what ``/api/messages`` records inside the request, and what the worker
does with it.

A message, a button press or a reaction is recorded in one short commit and answered at once; the
inbox worker then runs it through the engine. Before that, it makes sure Cadence knows who is
talking: someone whose Entra id isn't linked yet is looked up in the conversation's roster and
matched by email, and people mentioned in the message (Teams names them by their Bot Framework id)
are looked up the same way. Installs store the chat's reference and say hello. An answer to a file
consent card queues the file's upload, or a line saying none was sent (``bot/teams/files.py``).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session

from bot.inbox_recorder import InboxRecorder
from bot.metrics import Metrics
from bot.request_runner import RequestRunner, enqueue_one
from bot.teams import files
from bot.teams.sdk import TeamsSdk
from bot.teams.side import TeamsSide, mark_gone, remember_tenant
from bot.teams.translate import FileConsent, Installed, Said, Where
from conversations.commands import typed_handles
from conversations.destinations import DirectMessage, ReplyHere
from conversations.messages import INTERNAL_ERROR, Inbound, Outbound, Platform, inbound_from_dict, inbound_to_dict
from conversations.workspace_settings import load_settings
from storage import people
from storage.conversation_store import remember_reference
from storage.database import Database
from storage.inbox import NewRequest
from storage.models import InboxRequest, Person, Team, Workspace
from storage.org_import import known_timezones

log = logging.getLogger(__name__)

WELCOME = "welcome"
UNKNOWN_PERSON = "unknown_person"


class RequestKind(enum.StrEnum):
    INBOUND = "inbound"  # something a person said, pressed or reacted with, for the engine
    INSTALLED = "installed"  # Cadence was added to a chat or a team: keep the reference, say hello
    UNINSTALLED = "uninstalled"  # removed: nothing more goes there
    FILE_CONSENT = "file_consent"  # a person accepted or declined a file Cadence offered


class TeamsInbox:
    def __init__(
        self,
        database: Database,
        runner: RequestRunner,
        side: TeamsSide,
        clock: Callable[[], datetime],
        metrics: Metrics,
        recorder: InboxRecorder,
        wake_worker: Callable[[], None],
        sdk: TeamsSdk,
    ) -> None:
        self.database = database
        self.runner = runner
        self.side = side
        self.clock = clock
        self.metrics = metrics
        self.recorder = recorder
        self.wake_worker = wake_worker
        self.sdk = sdk

    # ---- inside the request ----------------------------------------------------------------------------------------

    async def record(self, where: Where, request_key: str, kind: RequestKind, payload: dict[str, Any]) -> bool:
        """Queue a request for the worker; False (and counted) when Teams delivered it before. One
        sender's requests are handled one at a time, in the order they arrived."""
        payload = {**payload, "where": asdict(where)}
        recording = NewRequest.from_user(Platform.TEAMS, request_key, where.tenant, kind, payload, where.user or None)
        return await self.recorder.record_for_worker(recording, self.wake_worker, self.metrics)

    async def record_said(self, said: Said, request_key: str) -> bool:
        payload = {
            "inbound": inbound_to_dict(said.inbound),
            "mentions": [list(pair) for pair in said.mentions],
            "timezone": said.timezone,
        }
        return await self.record(said.where, request_key, RequestKind.INBOUND, payload)

    async def record_consent(self, consent: FileConsent, request_key: str) -> bool:
        payload = {"asked_by": consent.asked_by, "accepted": consent.accepted, "upload": dict(consent.upload)}
        return await self.record(consent.where, request_key, RequestKind.FILE_CONSENT, payload)

    async def record_installed(self, installed: Installed, request_key: str) -> bool:
        kind = RequestKind.INSTALLED if installed.added else RequestKind.UNINSTALLED
        return await self.record(installed.where, request_key, kind, {})

    # ---- in the worker ---------------------------------------------------------------------------------------------

    async def handle(self, request: InboxRequest) -> None:
        where = Where(**request.payload["where"])
        self.side.learn(where)
        match RequestKind(request.kind):
            case RequestKind.INBOUND:
                inbound = inbound_from_dict(request.payload["inbound"])
                mentions = [tuple(pair) for pair in request.payload.get("mentions") or ()]
                inbound = await self.know_people(where, inbound, mentions)
                if request.payload.get("timezone"):
                    await asyncio.to_thread(self.learn_timezone, where, str(request.payload["timezone"]))
                await asyncio.to_thread(
                    self.runner.handle,
                    self.side,
                    inbound,
                    request.request_key,
                    forms_in_conversation=True,
                    request=request,
                    now=self.clock(),
                )
            case RequestKind.INSTALLED:
                await self.know_people(where, None, [])
                channels = await self.team_channels(where) if where.team else None
                await asyncio.to_thread(
                    self.runner.in_unit_of_work,
                    lambda session, now: self.remember_tenant(session, where, channels),
                    None,
                    self.clock(),
                )
                await asyncio.to_thread(
                    self.runner.in_unit_of_work,
                    lambda session, now: self.installed(session, where, request.request_key, now),
                    request,
                    self.clock(),
                )
            case RequestKind.UNINSTALLED:
                await asyncio.to_thread(
                    self.runner.in_unit_of_work,
                    lambda session, now: self.uninstalled(session, where),
                    request,
                    self.clock(),
                )
            case RequestKind.FILE_CONSENT:
                await asyncio.to_thread(
                    self.runner.in_unit_of_work,
                    lambda session, now: self.consented(session, where, request, now),
                    request,
                    self.clock(),
                )

    async def know_people(self, where: Where, inbound: Inbound | None, mentions: Sequence[tuple[str, ...]]) -> Any:
        """Link the sender, and the people the message mentions, to people of the org file by their
        email in the conversation's roster; mentions become the Entra ids the flows look up."""
        unknown = await asyncio.to_thread(self.unknown_ids, where, [where.user])
        members = {}
        if unknown and where.user_key:
            members[where.user_key] = await self.member(where, where.user_key)
        for key, _name in mentions:
            if key not in members:
                members[key] = await self.member(where, key)
        found = [member for member in members.values() if member]
        if found:
            await asyncio.to_thread(self.link, where, found)
        if inbound is None:
            return None
        mentioned = [str((members.get(key) or {}).get("aadObjectId") or key) for key, *_ in mentions]
        from_entities = {"@" + "".join(str(name).split()) for _key, name in mentions}
        typed = [handle for handle in typed_handles(inbound.text) if f"@{handle}" not in from_entities]
        if typed:
            mentioned += await asyncio.to_thread(self.teams_ids_of, where, typed)
        return replace(inbound, mentions=tuple(dict.fromkeys((*mentioned, *inbound.mentions))))

    def teams_ids_of(self, where: Where, handles: Sequence[str]) -> list[str]:
        """Typed ``@sam`` or emails (a chat with Cadence has no mentions): the Teams ids of the people
        they name; a handle that names nobody on Teams stays as typed, so the flow says so."""
        with self.database.session_scope() as session:
            workspace = self.side.workspace(session, where.tenant)
            assert workspace.id is not None
            found = []
            for handle in handles:
                person = people.by_handle(session, workspace.id, handle)
                teams_id = people.identity_of(session, person.id, Platform.TEAMS) if person and person.id else None
                found.append(teams_id or handle)
            return found

    async def member(self, where: Where, key: str) -> dict[str, Any] | None:
        """One member of the conversation as Teams describes them (Entra id, email, name)."""
        try:
            account = await self.sdk.client_for(where.service_url).conversations.get_member_by_id(
                where.conversation, key
            )
        except (httpx.HTTPError, ValueError) as error:
            log.warning("could not look up a member of %s: %s", where.conversation, error)
            return None
        return account.model_dump(by_alias=True, exclude_none=True)

    async def team_channels(self, where: Where) -> dict[str, str] | None:
        """The team's channels by name (the General channel has none in Teams' answer)."""
        try:
            found = await self.sdk.client_for(where.service_url).teams.get_conversations(where.team)
        except (httpx.HTTPError, ValueError) as error:
            log.warning("could not list the channels of team %s: %s", where.team, error)
            return None
        return {str(channel.name or "General"): str(channel.id) for channel in found}

    def remember_tenant(self, session: Session, where: Where, channels: Mapping[str, str] | None) -> None:
        workspace = self.side.workspace(session, where.tenant)
        assert workspace.id is not None
        remember_tenant(session, workspace.id, where, channels)

    def unknown_ids(self, where: Where, ids: Sequence[str]) -> list[str]:
        with self.database.session_scope() as session:
            workspace = self.side.workspace(session, where.tenant)
            assert workspace.id is not None
            known = people.by_platform_ids(session, workspace.id, Platform.TEAMS, list(ids))
            return [value for value in ids if value not in known]

    def link(self, where: Where, members: Sequence[dict[str, Any]]) -> None:
        """Give each member with an email of the org file their Teams identity, unless someone holds it."""
        with self.database.session_scope() as session:
            workspace = self.side.workspace(session, where.tenant)
            assert workspace.id is not None
            for member in members:
                aad = member.get("aadObjectId")
                email = member.get("email") or member.get("userPrincipalName")
                if not aad or not email:
                    continue
                if people.by_platform_id(session, workspace.id, Platform.TEAMS, str(aad)) is not None:
                    continue
                person = people.by_email(session, workspace.id, str(email))
                if person is not None and people.identity_of(session, person.id, Platform.TEAMS) is None:
                    people.set_identity(session, person, Platform.TEAMS, str(aad))

    def learn_timezone(self, where: Where, zone: str) -> None:
        """The zone someone's Teams client reports, for a person the org file gave none: prompts then
        come at their own local hour. A zone the org file named is never overridden."""
        if zone not in known_timezones():
            return
        with self.database.session_scope() as session:
            workspace = self.side.workspace(session, where.tenant)
            assert workspace.id is not None
            person = people.by_platform_id(session, workspace.id, Platform.TEAMS, where.user)
            if person is not None and not person.timezone_from_org_file and person.timezone != zone:
                person.timezone = zone
                session.add(person)

    def installed(self, session: Session, where: Where, key: str, now: datetime) -> None:
        """Keep the chat's reference before anything else, and welcome someone who just added Cadence."""
        workspace = self.side.workspace(session, where.tenant)
        assert workspace.id is not None
        if not where.personal:
            return  # added to a team: its channels are where configured posts go; nobody to greet
        person = people.by_platform_id(session, workspace.id, Platform.TEAMS, where.user)
        if person is None or not person.active:
            enqueue_one(
                session, workspace.id, Platform.TEAMS, Outbound(UNKNOWN_PERSON), ReplyHere(where.conversation), key, now
            )
            return
        assert person.id is not None
        remember_reference(session, workspace.id, person.id, Platform.TEAMS, where.reference())
        enqueue_one(session, workspace.id, Platform.TEAMS, welcome(session, person), DirectMessage(person.id), key, now)

    def consented(self, session: Session, where: Where, request: InboxRequest, now: datetime) -> None:
        workspace = self.side.workspace(session, where.tenant)
        assert workspace.id is not None
        files.answer_consent(session, workspace.id, where.user, request.payload, request.request_key, now)

    def uninstalled(self, session: Session, where: Where) -> None:
        workspace = self.side.workspace(session, where.tenant)
        assert workspace.id is not None
        person = people.by_platform_id(session, workspace.id, Platform.TEAMS, where.user)
        if person is not None and person.id is not None and where.personal:
            mark_gone(session, workspace.id, person.id)

    def give_up(self, session: Session, request: InboxRequest, now: datetime) -> None:
        """A message that failed for good still gets an answer: nothing was saved, try again."""
        if request.kind != RequestKind.INBOUND:
            return
        where = Where(**request.payload["where"])
        workspace = self.side.workspace(session, where.tenant)
        assert workspace.id is not None
        destination = ReplyHere(where.conversation)
        key = f"{request.request_key}:{INTERNAL_ERROR}"
        enqueue_one(session, workspace.id, Platform.TEAMS, Outbound(INTERNAL_ERROR, {}), destination, key, now)


def welcome(session: Session, person: Person) -> Outbound:
    """What Cadence will ask, when, and who sees the answers, in the person's own settings."""
    workspace = session.get(Workspace, person.workspace_id)
    assert workspace is not None
    settings = load_settings(workspace.settings)
    team = session.get(Team, person.team_id) if person.team_id is not None else None
    checkins = settings.for_team(team.name if team else None).checkins
    manager = session.get(Person, person.manager_id) if person.manager_id is not None else None
    return Outbound(
        WELCOME,
        {
            "name": person.display_name.split(" ")[0],
            "day": str(checkins.day).title(),
            "time": str(checkins.time),
            "timezone": person.timezone,
            "manager": manager.display_name if manager else None,
            "anonymity_threshold": settings.anonymity_threshold,
        },
    )
