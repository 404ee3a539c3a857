"""Two organisations whose people share platform user ids, and nothing crosses between them.

Slack user ids are unique within a Slack workspace and Entra object ids within a tenant, so two
organisations on one Cadence can have a ``U0000003`` each, and an Entra id each that reads the same:
Acme (Slack team T0ACME01, a Teams tenant of its own) and Globex (T0GLOBEX, another tenant) here
have the same five people by platform id, with different emails and names. Everything either org
writes carries its own marker word, so anything of one org that reaches the other shows in the words.

Requests run as production runs them: the request runner, with Slack's and Teams' own sides finding
the organisation from the team or tenant id, then the real engine; what they owe is read back from
the outbox rows and rendered with the plain dialect. After each test every outbox row and every
stored record is checked to belong, with everyone it names, to one organisation only.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.cli import default_producers
from bot.outbox_sender import OutboxSender
from bot.request_runner import RequestRunner
from bot.slack.handling import SlackSide
from bot.slack.installations import bind_workspace
from bot.slack.render import Renderers as SlackRenderers
from bot.slack.transport import SlackTransport
from bot.teams.cards import Renderers as TeamsRenderers
from bot.teams.side import TeamsSide, bind_tenant
from bot.teams.translate import CHOICE
from bot.teams.transport import TeamsTransport
from bot.tick import enqueue_due
from conversations.destinations import destination_from_dict, reader_of
from conversations.flows import all_flows
from conversations.messages import Inbound, Outbound, Platform, Reaction, outbound_from_dict, outbound_to_dict
from conversations.personal_data import PERSONAL_DATA_FILE
from conversations.words import PlainDialect, Words, mentioned_person_ids
from conversations.workspace_settings import validate_settings
from storage import connections, org_import, outbox, people, workspaces
from storage.conversation_store import SqlDirectory
from storage.database import Database
from storage.digests import build_digest, company_rollup, team_summary
from storage.home import home_facts, home_view
from storage.models import (
    AskStatus,
    CheckinCycle,
    CheckinResponse,
    Feedback,
    FeedbackAsk,
    FeedbackRequest,
    Goal,
    KeyResult,
    Kudos,
    OutboxDelivery,
    Person,
    Workspace,
)
from storage.snapshots import build_snapshots
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.bot.teams import conftest as teams_conftest
from tests.bot.teams.harness import Person as TeamsPerson
from tests.bot.teams.harness import RunningTeams, activity, buttons, card_of
from tests.fakes.slack_api import APP_ID, BOT_USER_ID, DEFAULT_SCOPES, PROXY_ENV_VARS, Call, FakeSlackApi
from tests.fakes.slack_requests import app_home_opened
from tests.fakes.teams_services import TENANT_ID, FakeMicrosoft

WORDS = Words(PlainDialect())
microsoft = teams_conftest.microsoft  # Microsoft's fakes, as the Teams tests have them, for the test over HTTP
FRIDAY = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: the week's check-in (2026-W49) opens
WEEK = "2026-W49"


def entra_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


@dataclass(frozen=True)
class Member:
    first: str
    slack_id: str
    teams_id: str
    manager: str
    team: str
    role: str
    level: str


MEMBERS = (
    Member("maya", "U0000001", entra_id(1), "", "Leadership", "admin", ""),
    Member("sam", "U0000002", entra_id(2), "maya", "Platform", "manager", "engineer/lead"),
    Member("grace", "U0000003", entra_id(3), "sam", "Platform", "member", "engineer/senior"),
    Member("linus", "U0000004", entra_id(4), "sam", "Platform", "member", "engineer/senior"),
    Member("tom", "U0000005", entra_id(5), "sam", "Platform", "member", "engineer/senior"),
)
BY_FIRST = {member.first: member for member in MEMBERS}


def platform_id(platform: Platform, first: str) -> str:
    """Who ``first`` is on ``platform``: the same in both organisations."""
    member = BY_FIRST[first]
    return member.slack_id if platform is Platform.SLACK else member.teams_id


@dataclass
class Org:
    """One organisation: its platform accounts, the word it marks everything with, and its people."""

    name: str
    slack_team: str
    tenant: str
    id: int = 0
    people: dict[str, int] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """What nothing of another organisation may ever contain: the org's name, in any case."""
        return self.name.lower()

    @property
    def marker(self) -> str:
        return f"{self.name.upper()}ONLY"

    @property
    def domain(self) -> str:
        return f"{self.stem}.test"

    def account(self, platform: Platform) -> str:
        return self.slack_team if platform is Platform.SLACK else self.tenant

    def org_file(self) -> str:
        lines = [org_import.EXAMPLE_HEADER]
        for member in MEMBERS:
            manager = f"{member.manager}@{self.domain}" if member.manager else ""
            lines.append(
                f"{member.first}@{self.domain},{member.first.title()} {self.name},{member.slack_id},"
                f"{member.teams_id},{manager},{member.team},Europe/Berlin,{member.role},{member.level}"
            )
        return "\n".join(lines) + "\n"

    def settings(self) -> dict[str, Any]:
        """The same slugs in both organisations, with labels only one of them has."""
        return {
            "anonymity_threshold": 3,
            "kudos": {
                "channel": "#kudos",
                "daily_allowance": 3,
                "values": [{"slug": "craft", "label": f"{self.marker} craft"}],
            },
            "skills": [{"slug": "mentoring", "label": f"{self.marker} mentoring"}],
            "expectations": {"engineer/senior": {"mentoring": [f"{self.marker} mentors a newcomer each quarter"]}},
            "checkins": {"team_summary": True, "team_channel": "#platform"},
        }


ACME = "Acme"
GLOBEX = "Globex"


@dataclass
class Reply:
    """What one request produced: its outbox rows, and the forms the platform opens itself."""

    rows: list[OutboxDelivery]
    forms: list[Outbound]

    @property
    def messages(self) -> list[Outbound]:
        return [outbound_from_dict(row.payload["outbound"]) for row in self.rows] + self.forms

    @property
    def kinds(self) -> list[str]:
        return [message.kind for message in self.messages]

    def of(self, kind: str) -> Outbound:
        found = [message for message in self.messages if message.kind == kind]
        assert len(found) == 1, self.kinds
        return found[0]

    @property
    def text(self) -> str:
        return "\n".join(rendered(message) for message in self.messages)


def rendered(message: Outbound) -> str:
    """The words of a message as a person reads them, with its buttons, form fields and options."""
    built_at_delivery = message.kind == PERSONAL_DATA_FILE  # its words come with the file, when it is sent
    words = WORDS.render(message.kind, message.data).text if WORDS.has(message.kind) and not built_at_delivery else ""
    return "\n".join([words, json.dumps(outbound_to_dict(message), default=str)])


class World:
    """Acme and Globex on one Cadence, and the one request runner every platform shares."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.orgs = {
            ACME: Org(ACME, "T0ACME01", "11111111-1111-4111-8111-111111111111"),
            GLOBEX: Org(GLOBEX, "T0GLOBEX", "22222222-2222-4222-8222-222222222222"),
        }
        self.runner = RequestRunner(database, all_flows(), OutboxSender(database, {}, lambda: FRIDAY), lambda: FRIDAY)
        self.sides = {Platform.SLACK: SlackSide(), Platform.TEAMS: TeamsSide()}
        self.keys = itertools.count(1)
        for org in self.orgs.values():
            self.import_org(org)

    def import_org(self, org: Org) -> None:
        """As ``cadence org import people.csv --workspace T… --teams-tenant …`` does, then the settings."""
        parsed, errors = validate_settings(org.settings())
        assert errors == []
        with self.database.session_scope() as session:
            workspace = workspaces.get_or_create_for_cli(session, org.slack_team)
            workspace.name = org.name
            assert org_import.import_org(session, workspace.id, org.org_file()).ok
            connections.connect(session, workspace, Platform.TEAMS, org.tenant)
            workspaces.apply_settings(session, workspace, parsed)
            org.id = workspace.id
            org.people = {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}

    def __getitem__(self, name: str) -> Org:
        return self.orgs[name]

    def other(self, org: Org) -> Org:
        return next(each for each in self.orgs.values() if each is not org)

    def org_of_workspace(self, workspace_id: int) -> Org:
        return next(org for org in self.orgs.values() if org.id == workspace_id)

    def send(
        self,
        org: Org,
        platform: Platform,
        who: str,
        *,
        at: datetime = FRIDAY,
        mentions: Sequence[str] = (),
        conversation: str | None = None,
        in_channel: bool = False,
        **fields: Any,
    ) -> Reply:
        """``who`` of ``org`` says or does something on ``platform``; ``mentions`` are first names,
        sent as the platform would: the shared platform ids."""
        inbound = Inbound(
            platform,
            org.account(platform),
            platform_id(platform, who),
            conversation or f"D-{org.stem}-{who}",
            mentions=tuple(platform_id(platform, name) for name in mentions),
            in_channel=in_channel,
            **fields,
        )
        key = f"{org.stem}:{next(self.keys)}"
        handled = self.runner.handle(
            self.sides[platform], inbound, key, forms_in_conversation=platform is Platform.TEAMS, now=at
        )
        with self.database.session_scope() as session:
            rows = list(
                session.exec(
                    select(OutboxDelivery)
                    .where(OutboxDelivery.dedupe_key.startswith(f"{key}:"))
                    .order_by(OutboxDelivery.id)
                )
            )
        forms = [*handled.forms, *([handled.form_errors] if handled.form_errors else [])]
        return Reply(rows, forms)

    # -- what every test ends with ---------------------------------------------------------------

    def assert_nothing_crossed(self) -> None:
        """Every stored record belongs, with every record it points at, to one organisation; every
        message owed is addressed to someone of its row's organisation, names only its people and
        reads nothing of the other one."""
        crossing = [f"{table} {row}: organisations {sorted(found)}" for table, row, found in records_by_workspace(self)]
        assert crossing == [], "records that join two organisations:\n" + "\n".join(crossing)
        with self.database.session_scope() as session:
            deliveries = list(session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id)))
        assert deliveries, "the test produced no messages to check"
        for row in deliveries:
            org = self.org_of_workspace(row.workspace_id)
            outbound = outbound_from_dict(row.payload["outbound"])
            destination = destination_from_dict(row.payload["destination"])
            named = mentioned_person_ids(outbound.data) | {reader_of(destination), outbound.to_person_id} - {None}
            assert named <= set(org.people.values()), (row.dedupe_key, outbound.kind, named)
            seen = f"{rendered(outbound)}\n{json.dumps(row.payload)}".lower()
            assert self.other(org).stem not in seen, (row.dedupe_key, outbound.kind, seen)


def records_by_workspace(world: World) -> Iterable[tuple[str, dict[str, Any], set[int]]]:
    """Each stored record that reaches more than one organisation through its own ``workspace_id`` and
    the records its foreign keys point at, all the way (a kudos' giver and recipient, a key result's
    goal, a check-in's cycle and template, a feedback ask's request and peer ...). Read from the
    schema, so a table added later is checked too."""
    tables = SQLModel.metadata.sorted_tables
    rows: dict[str, list[dict[str, Any]]] = {}
    with world.database.session_scope() as session:
        for table in tables:
            columns = [
                column for column in table.columns if column.name in ("id", "workspace_id") or column.foreign_keys
            ]
            rows[table.name] = [dict(found._mapping) for found in session.execute(sa.select(*columns))]
    by_id = {name: {row["id"]: row for row in found if "id" in row} for name, found in rows.items()}
    references = {
        table.name: [
            (column.name, next(iter(column.foreign_keys)).column.table.name)
            for column in table.columns
            if column.foreign_keys
        ]
        for table in tables
    }
    known: dict[tuple[str, int], set[int]] = {}

    def reached(table: str, row: dict[str, Any], path: frozenset[tuple[str, int]]) -> set[int]:
        key = (table, row.get("id"))
        if key in known:
            return known[key]
        found = {row["workspace_id"]} if row.get("workspace_id") is not None else set()
        for column, target in references[table]:
            value = row.get(column)
            if value is None:
                continue
            if target == "workspaces":
                found.add(value)
            elif (target, value) not in path and (pointed := by_id[target].get(value)) is not None:
                found |= reached(target, pointed, path | {key})
        if row.get("id") is not None:
            known[key] = found
        return found

    for table, found in rows.items():
        for row in found:
            workspaces_reached = reached(table, row, frozenset())
            if len(workspaces_reached) > 1:
                yield table, row, workspaces_reached


@pytest.fixture
def world(any_database: Database) -> World:
    return World(any_database)


def check_in(world: World, org: Org, platform: Platform, who: str, done: str, at: datetime = FRIDAY) -> Reply:
    """``who`` answers the week's check-in through the whole conversation, in their org's words."""
    for line in ("checkin", "4", f"{org.marker} {done}", f"{org.marker} plans", f"{org.marker} waiting on legal"):
        reply = world.send(org, platform, who, text=line, at=at)
    assert "checkin_done" in reply.kinds, reply.kinds
    return reply


def both(world: World) -> list[tuple[Org, Org]]:
    """Each organisation with the other: every test runs both ways."""
    return [(world[ACME], world[GLOBEX]), (world[GLOBEX], world[ACME])]


def person(session: Session, person_id: int) -> Person:
    found = session.get(Person, person_id)
    assert found is not None
    return found


# -- who a platform id is -------------------------------------------------------------------------


def test_a_shared_platform_id_is_a_different_person_in_each_organisation(world: World) -> None:
    with world.database.session_scope() as session:
        for org, other in both(world):
            assert connections.workspace_for(session, Platform.SLACK, org.slack_team).id == org.id
            assert connections.workspace_for(session, Platform.TEAMS, org.tenant).id == org.id
            assert bind_workspace(session, org.slack_team, "reinstalled").id == org.id, "a reinstall finds its org"
            assert bind_tenant(session, org.tenant, None).id == org.id
            for platform in (Platform.SLACK, Platform.TEAMS):
                ids = [platform_id(platform, member.first) for member in MEMBERS]
                found = people.by_platform_ids(session, org.id, platform, ids)
                assert {key: each.id for key, each in found.items()} == {
                    platform_id(platform, member.first): org.people[member.first] for member in MEMBERS
                }
                grace = people.by_platform_id(session, org.id, platform, platform_id(platform, "grace"))
                assert grace is not None and grace.email == f"grace@{org.domain}"
                actor = SqlDirectory(session, session.get(Workspace, org.id)).resolve(
                    Inbound(platform, org.account(platform), platform_id(platform, "grace"), "D1")
                )
                assert actor is not None and (actor.person_id, actor.workspace_id) == (org.people["grace"], org.id)
                assert actor.manager_name == f"Sam {org.name}"
            assert people.by_handle(session, org.id, "grace").id == org.people["grace"]
            assert people.by_handle(session, org.id, f"grace@{other.domain}") is None
            assert people.by_email(session, org.id, f"grace@{other.domain}") is None
            assert set(people.workspace_identities(session, org.id).values()) == set(org.people.values())
        assert set(world[ACME].people.values()).isdisjoint(world[GLOBEX].people.values())


def test_a_team_or_tenant_nobody_connected_finds_no_one_of_either_organisation(world: World) -> None:
    stranger = Org("Initech", "T0INITECH", "33333333-3333-4333-8333-333333333333")
    for platform in (Platform.SLACK, Platform.TEAMS):
        reply = world.send(stranger, platform, "grace", text="whoami")
        assert reply.kinds == ["unknown_person"]
        reply = world.send(stranger, platform, "grace", text="kudos @linus for the work", mentions=["linus"])
        assert reply.kinds == ["unknown_person"]
        assert "acme" not in reply.text.lower() and "globex" not in reply.text.lower()
    with world.database.session_scope() as session:
        assert session.exec(select(Kudos)).all() == []
        initech = connections.workspace_for(session, Platform.SLACK, stranger.slack_team)
        assert initech is not None and initech.id not in (world[ACME].id, world[GLOBEX].id), "its own, empty org"
        assert people.all_in(session, initech.id) == []


# -- check-ins ------------------------------------------------------------------------------------


def test_check_ins_are_read_only_in_their_own_organisation(world: World) -> None:
    for org in world.orgs.values():
        told = check_in(world, org, Platform.SLACK, "grace", "shipped the importer")
        check_in(world, org, Platform.TEAMS, "linus", "fixed the flaky tests")
        for_manager = told.of("checkin_for_manager")
        assert for_manager.to_person_id == org.people["sam"]
        assert f"{org.marker} shipped the importer" in rendered(for_manager)
    for org, other in both(world):
        history = world.send(org, Platform.TEAMS, "grace", text="checkin history")
        assert f"{org.marker} shipped the importer" in history.text
        assert "fixed the flaky tests" not in history.text, "Linus's answers, not Grace's"
        for viewer in ("sam", "maya"):  # her manager, and an admin: who may read her check-in here
            opened = world.send(org, Platform.SLACK, viewer, choice=f"checkin_view.open:{org.people['grace']}:{WEEK}")
            assert f"{org.marker} shipped the importer" in opened.text
            assert f"Grace {org.name}" in opened.text
            # the same button, carrying the other organisation's Grace (a forwarded or forged value)
            forged = world.send(org, Platform.SLACK, viewer, choice=f"checkin_view.open:{other.people['grace']}:{WEEK}")
            assert forged.kinds == ["checkin_feedback_refused"]
        thanks = world.send(org, Platform.TEAMS, "sam", choice=f"checkin_feedback.thanks:{org.people['grace']}:{WEEK}")
        assert thanks.of("checkin_thanks").to_person_id == org.people["grace"]
        for action in ("thanks", "reply"):
            forged = world.send(
                org, Platform.TEAMS, "sam", choice=f"checkin_feedback.{action}:{other.people['grace']}:{WEEK}"
            )
            assert forged.kinds == ["checkin_feedback_refused"]
        forged_reply = world.send(
            org,
            Platform.SLACK,
            "sam",
            form_id=f"checkin_feedback.send:{other.people['grace']}:{WEEK}",
            form={"comment": f"{org.marker} well done"},
        )
        assert forged_reply.kinds == ["checkin_feedback_refused"]
    with world.database.session_scope() as session:
        for org in world.orgs.values():
            answered = {
                response.person_id: response.answers["done"]
                for response in session.exec(
                    select(CheckinResponse)
                    .join(CheckinCycle, col(CheckinCycle.id) == CheckinResponse.cycle_id)
                    .where(CheckinCycle.workspace_id == org.id)
                )
            }
            assert answered == {
                org.people["grace"]: f"{org.marker} shipped the importer",
                org.people["linus"]: f"{org.marker} fixed the flaky tests",
            }
    world.assert_nothing_crossed()


# -- kudos ----------------------------------------------------------------------------------------


def test_kudos_to_a_shared_platform_id_go_to_the_givers_own_colleague(world: World) -> None:
    acme, globex = world[ACME], world[GLOBEX]
    # Acme's Grace uses her whole day's allowance (3) on Slack: Linus and Tom, by their shared ids
    sent = world.send(acme, Platform.SLACK, "grace", command="kudos", text="@linus @tom ACMEONLY launch #craft",
                      mentions=["linus", "tom"])  # fmt: skip
    assert sent.of("kudos_sent").data["left"] == 1
    sent = world.send(acme, Platform.SLACK, "grace", command="kudos", text="@linus ACMEONLY docs", mentions=["linus"])
    assert sent.of("kudos_sent").data["left"] == 0
    refused = world.send(acme, Platform.SLACK, "grace", command="kudos", text="@tom one more", mentions=["tom"])
    assert refused.of("kudos_problem").data["code"] == "allowance"
    # Globex's Grace, the same Slack and Teams ids: her day's allowance is her own, untouched
    sent = world.send(
        globex, Platform.TEAMS, "grace", text="kudos @linus GLOBEXONLY pairing #craft", mentions=["linus"]
    )
    assert sent.of("kudos_sent").data["left"] == 2
    sent = world.send(globex, Platform.SLACK, "grace", text="kudos @tom GLOBEXONLY review ~mentoring", mentions=["tom"])
    assert [recipient["id"] for recipient in sent.of("kudos_sent").data["recipients"]] == [globex.people["tom"]]
    expected = {ACME: {"linus": 2, "tom": 1}, GLOBEX: {"linus": 1, "tom": 1}}
    with world.database.session_scope() as session:
        for org in (acme, globex):
            received = Counter(
                row.recipient_id for row in session.exec(select(Kudos).where(Kudos.workspace_id == org.id))
            )
            assert received == Counter({org.people[first]: count for first, count in expected[org.name].items()})
    for org in world.orgs.values():
        for first, count in expected[org.name].items():
            stats = world.send(org, Platform.TEAMS, first, text="kudos stats")
            week = next(row for row in stats.of("kudos_stats").data["periods"] if row["period"] == "week")
            assert week["received"] == count
        top = world.send(org, Platform.SLACK, "maya", command="kudos", text="top week")
        leaders = {leader["person"]["id"]: leader["count"] for leader in top.of("kudos_top").data["leaders"]}
        assert leaders == {org.people[first]: count for first, count in expected[org.name].items()}
        valued = world.send(org, Platform.SLACK, "maya", command="kudos", text="top week #craft")
        assert {leader["person"]["id"] for leader in valued.of("kudos_top").data["leaders"]} <= set(org.people.values())
    world.assert_nothing_crossed()


def test_a_reaction_gives_kudos_to_the_author_in_the_reactors_own_organisation(world: World) -> None:
    for org in world.orgs.values():
        reaction = Reaction("clap", f"C0{org.name.upper()}/1700000000.000100", platform_id(Platform.SLACK, "linus"))
        reply = world.send(org, Platform.SLACK, "grace", reaction=reaction, conversation="C0GENERAL", in_channel=True)
        assert reply.of("kudos_received").to_person_id == org.people["linus"]
    world.assert_nothing_crossed()


@pytest.mark.parametrize("platform", [Platform.SLACK, Platform.TEAMS])
def test_a_reaction_on_the_other_organisations_card_gives_it_nothing(world: World, platform: Platform) -> None:
    """A recognition card posted in a channel both organisations share (Slack Connect, a Teams shared
    channel) has the same message id for everyone who sees it. A +1 on one organisation's card by
    someone of the other, even with the same platform id as the card's people, must not give them
    kudos in the other organisation, nor tell them so (it did, before message ids were looked up
    only among the reactor's own organisation's messages)."""
    for number, (org, other) in enumerate(both(world)):
        world.send(org, platform, "grace", text=f"kudos @linus {org.marker} for the release", mentions=["linus"])
        shared_card = (
            f"19:shared@thread.tacv2/170000000010{number}"
            if platform is Platform.TEAMS
            else f"C0SHARED/1700000000.00010{number}"
        )
        with world.database.session_scope() as session:
            card = session.exec(
                select(OutboxDelivery).where(
                    OutboxDelivery.workspace_id == org.id,
                    OutboxDelivery.kind == "kudos_card",
                    OutboxDelivery.platform == platform,
                )
            ).one()
            outbox.mark_sent(session, card, FRIDAY, shared_card)  # as the sender records a posted card
        before = kudos_rows(world)
        plus_one = Reaction("clap" if platform is Platform.SLACK else "heart", shared_card, "UBOT")
        crossed = world.send(other, platform, "tom", reaction=plus_one, conversation="C0SHARED", in_channel=True)
        assert crossed.rows == [] and kudos_rows(world) == before, crossed.text
        # the same +1 from the card's own organisation's Tom is a +1 for its Linus
        own = world.send(org, platform, "tom", reaction=plus_one, conversation="C0SHARED", in_channel=True)
        assert own.of("kudos_received").to_person_id == org.people["linus"]
        assert kudos_rows(world) == {**before, org.id: before[org.id] + 1}
    world.assert_nothing_crossed()


def kudos_rows(world: World) -> dict[int, int]:
    with world.database.session_scope() as session:
        return {
            org.id: len(session.exec(select(Kudos).where(Kudos.workspace_id == org.id)).all())
            for org in world.orgs.values()
        }


# -- goals ----------------------------------------------------------------------------------------


def new_goal(world: World, org: Org, platform: Platform, who: str, title: str, key_result: str, **form: Any) -> Reply:
    values = {"title": f"{org.marker} {title}", "level": "person", "period": "2026-Q4", "key_results": key_result}
    return world.send(org, platform, who, form_id="goal_new.form", form={**values, **form})


def goal_state(world: World, org: Org, number: int) -> tuple[str, float]:
    with world.database.session_scope() as session:
        goal = session.exec(select(Goal).where(Goal.workspace_id == org.id, Goal.number == number)).one()
        [key_result] = session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).all()
        return goal.state.value, key_result.current_value


def test_each_organisation_acts_on_its_own_goal_of_the_same_short_id(world: World) -> None:
    acme, globex = world[ACME], world[GLOBEX]
    for org, platform in ((acme, Platform.SLACK), (globex, Platform.TEAMS)):
        created = new_goal(world, org, platform, "grace", "beta launch", "Beta users: 0 -> 10")
        assert created.of("goal_created").data["ref"] == "G-1", "short ids count in each organisation"
    assert (
        new_goal(world, globex, Platform.SLACK, "tom", "gamma", "Gamma users: 0 -> 5").of("goal_created").data["ref"]
        == "G-2"
    ), "only Globex has a G-2 (and a KR-2)"
    for org, other in both(world):
        listed = world.send(org, Platform.TEAMS, "grace", text="goal")
        assert f"{org.marker} beta launch" in listed.text
        shown = world.send(org, Platform.SLACK, "sam", command="goal", text="show G-1")
        assert f"{org.marker} beta launch" in shown.text and "G-1" in shown.text
        assert other.stem not in f"{listed.text}{shown.text}".lower()
        form = world.send(org, Platform.TEAMS, "maya", text="goal new").of("goal_form").form
        parents = {choice.value for field in form.fields if field.id == "parent" for choice in field.options}
        assert parents and parents <= {str(goal_id) for goal_id in goal_ids(world, org)}
    # Acme's admin, who may see and close any Acme goal, doesn't find Globex's G-2 or KR-2 (short ids
    # are dense, so only the organisation with fewer goals can be asked for one it lacks)
    for command, text in (("show", "G-2"), ("close", "G-2 dropped"), ("status", "G-2 at risk blocked")):
        refused = world.send(acme, Platform.SLACK, "maya", command="goal", text=f"{command} {text}")
        assert refused.of("goal_problem").data == {"code": "unknown_goal", "ref": "G-2"}
    refused = world.send(acme, Platform.SLACK, "maya", command="goal", text="update KR-2 4")
    assert refused.of("goal_problem").data == {"code": "unknown_key_result", "ref": "KR-2"}
    assert goal_state(world, globex, 2) == ("open", 0.0)
    # G-1 and KR-1 exist in both: each organisation's command moves its own only
    updated = world.send(acme, Platform.SLACK, "grace", command="goal", text="update KR-1 7")
    assert "goal_updated" in updated.kinds
    closed = world.send(globex, Platform.TEAMS, "grace", text="goal close G-1 achieved")
    assert "goal_closed" in closed.kinds
    assert goal_state(world, acme, 1) == ("open", 7.0)
    assert goal_state(world, globex, 1) == ("achieved", 0.0)
    # forms carrying the other organisation's row ids: a key result that isn't the person's, a parent
    # that isn't theirs to align to
    [globex_kr] = key_result_ids(world, globex, owner="grace")
    world.send(acme, Platform.SLACK, "grace", form_id="goal_update.form", form={f"{globex_kr}.value": "9"})
    assert goal_state(world, globex, 1) == ("achieved", 0.0)
    forged = new_goal(
        world, acme, Platform.SLACK, "grace", "aligned", "Done: 0 -> 1", parent=str(goal_ids(world, globex)[0])
    )
    assert forged.of("form_errors").data["errors"]["parent"]["code"] == "unknown_goal"
    assert len(goal_ids(world, acme)) == 1
    world.assert_nothing_crossed()


def goal_ids(world: World, org: Org) -> list[int]:
    with world.database.session_scope() as session:
        return list(session.exec(select(Goal.id).where(Goal.workspace_id == org.id).order_by(Goal.number)))


def key_result_ids(world: World, org: Org, owner: str) -> list[int]:
    with world.database.session_scope() as session:
        return list(
            session.exec(
                select(KeyResult.id)
                .join(Goal, col(Goal.id) == KeyResult.goal_id)
                .where(Goal.workspace_id == org.id, Goal.owner_id == org.people[owner])
            )
        )


# -- feedback -------------------------------------------------------------------------------------


def give_feedback(world: World, org: Org, platform: Platform, who: str, to: str, words: str, **form: Any) -> Reply:
    values = {
        "people": [platform_id(platform, to)],
        "went_well": f"{org.marker} {words}",
        "could_be_better": "",
        "audience": "recipient_and_manager",
        "theme": "skill:mentoring",
    }
    return world.send(org, platform, who, form_id="feedback.give", form={**values, **form})


def test_feedback_to_a_shared_platform_id_reaches_the_same_organisations_person(world: World) -> None:
    for org in world.orgs.values():
        given = give_feedback(world, org, Platform.TEAMS, "linus", "grace", "clear design notes")
        assert given.of("feedback_received").to_person_id == org.people["grace"]
        readers = [reader["id"] for reader in given.of("feedback_sent").data["readers"]]
        assert readers == [org.people["grace"], org.people["sam"]], "the recipient and her manager, here"
        asked = world.send(org, Platform.SLACK, "sam", command="feedback", text=f'request @grace @tom about "{org.marker} launch"',
                           mentions=["grace", "tom"])  # fmt: skip
        assert {message.to_person_id for message in asked.messages if message.kind == "feedback_asked"} == {
            org.people["grace"],
            org.people["tom"],
        }
    for org, other in both(world):
        listed = world.send(org, Platform.SLACK, "grace", command="feedback", text="list")
        data = listed.of("feedback_list").data
        assert [ask["requester"]["id"] for ask in data["waiting"]] == [org.people["sam"]]
        assert data["received"] == 1
        # the other organisation's buttons, pressed here: a request to answer, feedback to thank
        their_ask = asked_button(world, other, "grace")
        answered = world.send(org, Platform.SLACK, "grace", choice=their_ask)
        assert answered.of("feedback_problem").data == {"code": "not_asked"}
        assert (
            "feedback_answer_form"
            in world.send(org, Platform.SLACK, "grace", choice=asked_button(world, org, "grace")).kinds
        )
        thanked = world.send(org, Platform.TEAMS, "grace", choice=thank_button(world, other, "grace"))
        assert thanked.of("feedback_problem").data == {"code": "not_yours"}
        home = world.send(org, Platform.TEAMS, "grace", text="home")
        assert f"{org.marker} clear design notes" in home.text
    with world.database.session_scope() as session:
        for org in world.orgs.values():
            given = session.exec(select(Feedback).where(Feedback.workspace_id == org.id)).all()
            assert [(row.giver_id, row.recipient_id, row.thanked_at) for row in given] == [
                (org.people["linus"], org.people["grace"], None)
            ]
            asked_ids = session.exec(
                select(FeedbackAsk.peer_id)
                .join(FeedbackRequest, col(FeedbackRequest.id) == FeedbackAsk.request_id)
                .where(FeedbackRequest.workspace_id == org.id)
            ).all()
            assert sorted(asked_ids) == sorted([org.people["grace"], org.people["tom"]])
            assert session.exec(select(FeedbackAsk).where(FeedbackAsk.status != AskStatus.OPEN)).all() == []
    world.assert_nothing_crossed()


def buttons_sent_to(world: World, org: Org, who: str, kind: str) -> list[str]:
    with world.database.session_scope() as session:
        rows = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.workspace_id == org.id, OutboxDelivery.kind == kind)
        ).all()
    return [
        choice.value
        for row in rows
        if (message := outbound_from_dict(row.payload["outbound"])).to_person_id == org.people[who]
        for choice in message.choices
    ]


def asked_button(world: World, org: Org, who: str) -> str:
    return next(
        value for value in buttons_sent_to(world, org, who, "feedback_asked") if value.startswith("feedback.answer:")
    )


def thank_button(world: World, org: Org, who: str) -> str:
    return next(
        value for value in buttons_sent_to(world, org, who, "feedback_received") if value.startswith("feedback.thank:")
    )


# -- a week of everything: digests, roll-ups, the Home view, snapshots, fairness ----------------------

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: the week's digests
NEXT_QUARTER = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # the first working day after 2026-Q4: its snapshots


def busy_week(world: World) -> None:
    """The same week in both organisations, by the same platform ids, each in its own words: the
    scheduler prompts everyone, Grace (Slack) and Linus (Teams) check in, Tom doesn't; kudos,
    feedback Grace lets her snapshot quote, a goal moved, a 1:1 talking point and a private note."""
    enqueue_due(world.database, FRIDAY, default_producers())
    for org in world.orgs.values():
        check_in(world, org, Platform.SLACK, "grace", "shipped the importer")
        check_in(world, org, Platform.TEAMS, "linus", "fixed the flaky tests")
        world.send(org, Platform.SLACK, "grace", command="kudos", text=f"@linus {org.marker} pairing #craft ~mentoring",
                   mentions=["linus"])  # fmt: skip
        world.send(org, Platform.TEAMS, "linus", text=f"kudos @grace {org.marker} reviews #craft", mentions=["grace"])
        given = give_feedback(world, org, Platform.TEAMS, "linus", "grace", "clear design notes")
        quote = next(c.value for c in given.of("feedback_received").choices if c.value.startswith("feedback.quote:"))
        assert "feedback_quoted" in world.send(org, Platform.SLACK, "grace", choice=quote).kinds
        new_goal(world, org, Platform.SLACK, "grace", "beta launch", "Beta users: 0 -> 10", skill="mentoring")
        world.send(org, Platform.SLACK, "grace", command="goal", text=f'update KR-1 4 "{org.marker} first four"')
        world.send(org, Platform.SLACK, "sam", text=f"1on1 add @grace {org.marker} career plan", mentions=["grace"])
        world.send(org, Platform.TEAMS, "grace", text=f"1on1 private @sam {org.marker} ask about the move",
                   mentions=["sam"])  # fmt: skip
    for at in (MONDAY, NEXT_QUARTER):
        enqueue_due(world.database, at, default_producers())


def delivered(world: World, org: Org, kind: str, to: str, **data: Any) -> Outbound:
    """The one message of ``kind`` (with ``data`` among its data) the scheduler owes ``to`` of ``org``."""
    with world.database.session_scope() as session:
        rows = session.exec(
            select(OutboxDelivery).where(OutboxDelivery.workspace_id == org.id, OutboxDelivery.kind == kind)
        ).all()
    found = [
        message
        for row in rows
        if reader_of(destination_from_dict(row.payload["destination"])) == org.people[to]
        for message in [outbound_from_dict(row.payload["outbound"])]
        if all(message.data.get(key) == value for key, value in data.items())
    ]
    assert len(found) == 1, (kind, to, len(found))
    return found[0]


def test_a_weeks_digests_roll_ups_and_deliveries_stay_in_their_own_organisation(world: World) -> None:
    """The scheduler's digests, skip-level sections, company roll-ups and team summaries count and
    quote only their organisation; then the transports address every message of the week with its
    organisation's Slack team (whose bot token it goes with) or Teams tenant, and the recipient's id
    there: the same ``U0000003`` in both organisations, never mixed up."""
    busy_week(world)
    for org, other in both(world):
        digest = delivered(world, org, "digest", "sam", week=WEEK)
        team = digest.data["team"]
        assert {p["id"] for p in team["answered"]} == {org.people["grace"], org.people["linus"]}
        assert [p["id"] for p in team["missing"]] == [org.people["tom"]]
        assert team["kudos"]["count"] == 2
        words = rendered(digest)
        assert f"{org.marker} shipped the importer" in words and f"{org.marker} waiting on legal" in words
        assert other.stem not in words.lower()
        skip_level = delivered(world, org, "digest", "maya", week=WEEK).data["skip_level"]
        assert [(row["head"]["id"], row["size"], row["answered"]) for row in skip_level] == [(org.people["sam"], 3, 2)]
        rollup = delivered(world, org, "company_rollup", "maya", week=WEEK).data
        assert [(team["name"], team["total"], team["answered"]) for team in rollup["teams"]] == [
            ("Leadership", 1, 0),
            ("Platform", 4, 2),
        ]
        assert rollup["kudos_by_value"] == [{"label": f"{org.marker} craft", "count": 2}]
        with world.database.session_scope() as session:
            built = build_digest(session, person(session, org.people["sam"]), WEEK, MONDAY)
            assert built is not None and built["team"]["size"] == 3
            assert {goal["title"] for goal in built["team"]["goals"]} == {f"{org.marker} beta launch"}
            assert company_rollup(session, org.id, WEEK, MONDAY)["kudos_by_value"] == rollup["kudos_by_value"]
            summary = team_summary(session, people.teams_by_name(session, org.id)["Platform"], WEEK, MONDAY,
                                   workspaces.settings_of(session, org.id))  # fmt: skip
            assert {p["person"]["id"] for p in summary["highlights"]} == {org.people["grace"], org.people["linus"]}
    slack = SlackTransport(
        world.database, lambda team: None, "http://127.0.0.1:9/api/", lambda: FRIDAY, SlackRenderers()
    )
    no_sdk = None  # addressing a delivery reads the database only; sending it would need Microsoft's SDK
    teams = TeamsTransport(
        world.database, no_sdk, lambda: FRIDAY, TeamsRenderers(), default_service_url="http://127.0.0.1:9/"
    )
    with world.database.session_scope() as session:
        deliveries = list(session.exec(select(OutboxDelivery)))
    reached: Counter[tuple[str, Platform]] = Counter()
    # both organisations' deliveries read in one batch per platform, as the sender claims them
    on_slack = slack.look_up_all([row for row in deliveries if row.platform is Platform.SLACK])
    on_teams = teams.look_up_all([row for row in deliveries if row.platform is Platform.TEAMS])
    for row in deliveries:
        org = world.org_of_workspace(row.workspace_id)
        if row.platform is Platform.SLACK:
            addressee = on_slack[row.id]
            assert addressee.team_id == org.slack_team
            user = addressee.slack_user
        else:
            addressee = on_teams[row.id]
            assert addressee.tenant == org.tenant
            user = addressee.teams_user
        if addressee.person is not None:
            assert addressee.person.workspace_id == org.id and addressee.person.id in org.people.values()
            assert user == platform_id(row.platform, addressee.person.email.split("@")[0])
            reached[org.name, row.platform] += 1
    assert set(reached) == {(name, platform) for name in world.orgs for platform in (Platform.SLACK, Platform.TEAMS)}
    world.assert_nothing_crossed()


def test_the_home_view_snapshots_and_fairness_of_a_shared_id_are_of_its_own_organisation(world: World) -> None:
    busy_week(world)
    for org, other in both(world):
        home = world.send(org, Platform.TEAMS, "grace", text="home")
        words = home.text
        assert f"{org.marker} reviews" in words, "the kudos she received"
        assert f"{org.marker} beta launch" in words, "her goal"
        assert other.stem not in words.lower()
        with world.database.session_scope() as session:
            grace = person(session, org.people["grace"])
            page = rendered(home_view(session, grace, MONDAY))
            facts = home_facts(session, grace, MONDAY)
        assert f"{org.marker} reviews" in page and other.stem not in page.lower()
        assert [kudos["giver"]["id"] for kudos in facts.recent_kudos] == [org.people["linus"]]
        assert [item.giver["id"] for item in facts.feedback.latest] == [org.people["linus"]]
        assert facts.next_one_on_one is not None
        assert {goal["title"] for goal in facts.goals} == {f"{org.marker} beta launch"}
    for org, other in both(world):
        snapshot = world.send(org, Platform.SLACK, "sam", command="snapshot", text="@grace 2026-Q4", mentions=["grace"])
        data = snapshot.of("snapshot").data
        assert data["person"]["id"] == org.people["grace"]
        words = rendered(snapshot.of("snapshot"))
        assert f"{org.marker} clear design notes" in words, "the feedback she let it quote"
        assert f"{org.marker} mentors a newcomer each quarter" in words, "her level's expectations"
        assert other.stem not in words.lower()
        quarterly = delivered(world, org, "snapshot", "grace")  # the tick's, after the quarter: her own
        assert quarterly.data["person"]["id"] == org.people["grace"]
        assert f"{org.marker} clear design notes" in rendered(quarterly)
        fairness = world.send(org, Platform.TEAMS, "maya", text="fairness 2026-Q4")
        view = fairness.of("fairness").data
        assert view["organisation"] == org.name
        assert other.stem not in rendered(fairness.of("fairness")).lower()
        with world.database.session_scope() as session:
            assert build_snapshots(session, org.id, "2026-Q4", [other.people["grace"]], MONDAY.date()) == {}
            mine = build_snapshots(
                session, org.id, "2026-Q4", [org.people["grace"], org.people["linus"]], MONDAY.date()
            )
            assert set(mine) == {org.people["grace"], org.people["linus"]}
    world.assert_nothing_crossed()


# -- over HTTP: one Slack app installed in both organisations' workspaces --------------------------


def test_over_http_each_slack_workspace_is_served_its_own_people_with_its_own_bot_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real service in multi-workspace (OAuth) mode, installed by both teams: the same user ids
    in both, each command answered and each message sent as its own team's bot, with its own words."""
    for name in (*PROXY_ENV_VARS, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    orgs = {org.slack_team: org for org in (Org(ACME, "T0ACME01", ""), Org(GLOBEX, "T0GLOBEX", ""))}
    token = {team: f"xoxb-{org.stem}" for team, org in orgs.items()}
    with FakeSlackApi() as slack:
        slack.respond("oauth.v2.access", lambda args: installed(orgs[args["code"]], token[args["code"]]))
        with RunningCadence(
            tmp_path, slack, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
        ) as cadence:
            for team in orgs:
                install(cadence, code=team)
            with cadence.database.session_scope() as session:
                for org in orgs.values():
                    workspace = workspaces.find(session, Platform.SLACK, org.slack_team)
                    assert workspace is not None and workspace.name == org.name
                    assert org_import.import_org(session, workspace.id, org.org_file()).ok
            for org in orgs.values():
                other = next(each for each in orgs.values() if each is not org)
                answer = cadence.command("/cadence", "whoami", user_id="U0000003", team_id=org.slack_team)
                assert f"Grace {org.name}" in answer["text"] and other.stem not in answer["text"].lower()
                cadence.command("/kudos", f"<@U0000004> {org.marker} for the release", user_id="U0000003",
                                team_id=org.slack_team)  # fmt: skip

            def to_linus() -> list[Call]:
                return [call for call in slack.calls("chat.postMessage") if call.args["channel"] == "DU0000004"]

            wait_until(lambda: len(to_linus()) == 2, what="a kudos message to each Linus")
            assert {call.token for call in to_linus()} == set(token.values()), "each Linus told by his own team's bot"
            for post in slack.calls("chat.postMessage"):  # the cards in the channel too
                org = next(org for team, org in orgs.items() if token[team] == post.token)
                assert org.marker in post.args["text"]  # people are mentioned by id: named by their own workspace
                assert all(each.stem not in post.args["text"].lower() for each in orgs.values() if each is not org)
            for team in orgs:  # Linus opens Cadence's Home tab in each workspace
                assert cadence.post(app_home_opened("U0000004", team_id=team)).status_code == 200
            for view in slack.wait_for_calls("views.publish", count=2):
                org = next(org for team, org in orgs.items() if token[team] == view.token)
                page = json.dumps(view.args["view"])
                assert view.args["user_id"] == "U0000004" and f"Grace {org.name}: {org.marker} for the release" in page
                assert all(each.stem not in page.lower() for each in orgs.values() if each is not org)


def installed(org: Org, bot_token: str) -> dict[str, Any]:
    """What Slack's ``oauth.v2.access`` answers when ``org``'s workspace installs the app."""
    return {
        "ok": True,
        "app_id": APP_ID,
        "authed_user": {"id": "U0000001"},
        "scope": DEFAULT_SCOPES,
        "token_type": "bot",
        "access_token": bot_token,
        "bot_user_id": BOT_USER_ID,
        "team": {"id": org.slack_team, "name": org.name},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def install(cadence: RunningCadence, code: str) -> None:
    """Add to Slack, as an admin of a workspace does: the install page, then Slack's redirect back."""
    page = cadence.http.get("/slack/install")
    state = parse_qs(
        urlparse(re.search(r'href="(https://slack.com/oauth[^"]+)"', page.text).group(1).replace("&amp;", "&")).query
    )["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]
    done = cadence.http.get("/slack/oauth_redirect", params={"code": code, "state": state}, headers={"cookie": cookie})
    assert done.status_code == 200, done.text


# -- over HTTP: Teams, a card pressed from the other tenant -----------------------------------------


def test_over_http_a_teams_card_pressed_from_another_tenant_is_not_shown_to_it(
    tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    """A pressed card is answered with the card again, without its buttons: looked up by its message
    id, which a conversation shared between tenants shows both the same. Acme's Sam has Grace's
    check-in card; Globex's Sam, the same Entra id, pressing a button on that message id gets nothing
    of it back, and nothing of it is acted on in Globex."""
    acme, globex = Org(ACME, "", TENANT_ID), Org(GLOBEX, "", "22222222-2222-4222-8222-222222222222")
    with RunningTeams(tmp_path, microsoft, clock=lambda: FRIDAY) as teams:
        with teams.database.session_scope() as session:
            for org in (acme, globex):
                workspace = connections.workspace_for(
                    session, Platform.TEAMS, org.tenant
                ) or connections.new_organisation(session, org.name, Platform.TEAMS, org.tenant)
                assert org_import.import_org(session, workspace.id, org.org_file()).ok
        sam, grace = (
            TeamsPerson(f"29:1{first}", entra_id(n), first.title(), f"a:chat-{first}")
            for first, n in (("sam", 2), ("grace", 3))
        )
        teams.say(sam, "whoami")  # Sam's chat with Cadence, where his report's check-ins will come
        teams.sent(sam.conversation)
        for line in ("checkin", "4", "ACMEONLY shipped the importer", "ACMEONLY plans", "none"):
            teams.say(grace, line)
        card = next(sent for sent in teams.sent(sam.conversation, 2) if "ACMEONLY shipped" in json.dumps(sent))
        teams.recorded(sam.conversation, card["id"])
        thanks = next(
            value for value in buttons(card_of(card)).values() if value[CHOICE].startswith("checkin_feedback.thanks:")
        )
        pressed_elsewhere = activity(
            "invoke_card_action", **teams.fill(sam, reply_to_id=card["id"], tenant_id=globex.tenant)
        )
        pressed_elsewhere["value"]["action"]["data"] = dict(thanks)
        answer = teams.post(pressed_elsewhere)
        assert answer.status_code == 200 and "ACMEONLY" not in answer.text
        own = teams.press(sam, card["id"], dict(thanks))
        assert "ACMEONLY shipped the importer" in own.text, "Acme's Sam gets his card back, its buttons gone"
        wait_until(lambda: rows_of_kind(teams.database, "checkin_thanks"), what="Acme's Grace thanked")
        wait_until(lambda: rows_of_kind(teams.database, "checkin_feedback_refused"), what="Globex's Sam refused")
        with teams.database.session_scope() as session:
            acme.id = connections.workspace_for(session, Platform.TEAMS, acme.tenant).id
            globex.id = connections.workspace_for(session, Platform.TEAMS, globex.tenant).id
            in_globex = session.exec(select(OutboxDelivery.kind).where(OutboxDelivery.workspace_id == globex.id)).all()
        [(workspace_id, to)] = [
            (row.workspace_id, row.recipient) for row in rows_of_kind(teams.database, "checkin_thanks")
        ]
        assert workspace_id == acme.id and to == f"person:{acme_grace_id(teams)}"
        assert in_globex == ["checkin_feedback_refused"], "in Globex, the press was refused and nothing else happened"


def rows_of_kind(database: Database, kind: str) -> list[OutboxDelivery]:
    with database.session_scope() as session:
        return list(session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == kind)))


def acme_grace_id(teams: RunningTeams) -> int:
    with teams.database.session_scope() as session:
        workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
        return people.by_email(session, workspace.id, "grace@acme.test").id


def test_an_export_of_a_shared_id_holds_only_its_own_organisation(world: World) -> None:
    """Everything held about Grace, by the command line's export and by her own ``export`` in chat:
    her organisation's words, never the other's, though her Slack and Entra ids are the same."""
    import json

    from bot.data_files import personal_data_file
    from storage import personal_data

    busy_week(world)
    for org, other in both(world):
        with world.database.session_scope() as session:
            grace = person(session, org.people["grace"])
            document = json.dumps(personal_data.export(session, grace, MONDAY), ensure_ascii=False)
        assert f"{org.marker} reviews" in document, "the kudos she received"
        assert other.stem not in document.lower() and other.marker not in document
        asked = world.send(org, Platform.SLACK, "grace", command="cadence", text="export")
        file = asked.of("personal_data_file")
        assert file.data == {"person_id": org.people["grace"]}, "built at delivery, from her id alone"
        with world.database.session_scope() as session:
            delivered_file = personal_data_file(session, file.data, org.people["grace"], MONDAY)
        assert f"{org.marker} reviews" in delivered_file.content.decode()
        assert other.stem not in delivered_file.content.decode().lower()
    world.assert_nothing_crossed()
