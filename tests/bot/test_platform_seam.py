"""One organisation on two platforms: each person gets each prompt, reminder and digest once, on
their own platform; posts to a configured channel go to every platform in play; reactions give kudos
by each platform's own names. The second platform here is a stub: a recording transport and a
request side, which is all a platform has to provide to the neutral code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.checkin_tick import checkin_producer
from bot.digest_tick import digest_producer
from bot.outbox_sender import OutboxSender, Sent
from bot.request_runner import RequestRunner
from bot.tick import run_tick
from conversations.destinations import destination_from_dict
from conversations.flows import all_flows
from conversations.messages import Actor, Inbound, Platform, Reaction
from conversations.words import Labels
from conversations.workspace_settings import validate_settings
from storage import connections, org_import, people, workspaces
from storage.database import Database
from storage.models import Kudos, OutboxDelivery, Person, Workspace

ORG = """email,name,manager_email,timezone,slack_id,teams_id
boss@acme.test,Bo Boss,,Europe/Berlin,U0BOSS,29:boss
ann@acme.test,Ann Slack,boss@acme.test,Europe/Berlin,U0ANN,
tom@acme.test,Tom Teams,boss@acme.test,Europe/Berlin,,29:tom
"""
FRIDAY_TEN = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, the default check-in time
FRIDAY_TWO = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)  # the "+4h" reminder
MONDAY_NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the default digest time


class RecordingTransport:
    """A platform's transport as the outbox sender sees it: it takes a row and says it was sent."""

    def __init__(self, platform: Platform, log: list[tuple[Platform, str, str]]) -> None:
        self.platform, self.log = platform, log

    async def prepare(self, deliveries) -> None:
        """Nothing to read ahead."""

    async def deliver(self, delivery: OutboxDelivery) -> Sent:
        self.log.append((self.platform, delivery.kind, delivery.recipient))
        return Sent(f"{self.platform}:{delivery.id}")

    async def close(self) -> None:
        """Nothing to close."""


class StubSide:
    """A second platform's part in running a request: its organisation is found by connection."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def organisation(self, session: Session, inbound: Inbound) -> Workspace:
        workspace = connections.workspace_for(session, self.platform, inbound.workspace)
        assert workspace is not None
        return workspace

    def remember(self, session: Session, workspace_id: int, actor: Actor, inbound: Inbound) -> None:
        """Nothing to keep: the stub reaches people by their id."""


@pytest.fixture
def acme(database: Database) -> dict[str, int]:
    with database.session_scope() as session:
        workspace = connections.new_organisation(session, "Acme", Platform.SLACK, "T0001")
        connections.connect(session, workspace, Platform.TEAMS, "tenant-1", "Acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        ids = {person.email.split("@")[0]: person.id for person in people.all_in(session, workspace.id)}
        return {"workspace": workspace.id, **ids}


def configure(database: Database, acme: dict[str, int], **settings) -> None:
    parsed, errors = validate_settings(settings)
    assert errors == []
    with database.session_scope() as session:
        workspaces.apply_settings(session, session.get(Workspace, acme["workspace"]), parsed)


def tick_both(database: Database, at: datetime) -> list[tuple[Platform, str, str]]:
    """One tick with a transport for Slack and one for the stub: what each delivered."""
    log: list[tuple[Platform, str, str]] = []
    transports = {platform: RecordingTransport(platform, log) for platform in (Platform.SLACK, Platform.TEAMS)}
    sender = OutboxSender(database, transports, lambda: at)
    asyncio.run(run_tick(database, sender, at, [checkin_producer(Labels()), digest_producer()]))
    return log


def test_each_person_gets_one_prompt_reminder_and_digest_on_their_own_platform(database: Database, acme) -> None:
    boss, ann, tom = (f"person:{acme[name]}" for name in ("boss", "ann", "tom"))
    prompts = tick_both(database, FRIDAY_TEN)
    assert sorted(prompts) == sorted(
        [
            (Platform.SLACK, "checkin_prompt", boss),  # ids on both: reached on one (Slack comes first)
            (Platform.SLACK, "checkin_prompt", ann),
            (Platform.TEAMS, "checkin_prompt", tom),
        ]
    )
    reminders = tick_both(database, FRIDAY_TWO)
    assert sorted(reminders) == sorted(
        [
            (Platform.SLACK, "checkin_reminder", boss),
            (Platform.SLACK, "checkin_reminder", ann),
            (Platform.TEAMS, "checkin_reminder", tom),
        ]
    )
    assert tick_both(database, FRIDAY_TWO) == [], "a second tick sends nothing again"
    digests = tick_both(database, MONDAY_NINE)
    assert [row for row in digests if row[1] == "digest"] == [(Platform.SLACK, "digest", boss)]


def test_someone_on_both_is_reached_where_they_last_wrote_or_where_they_asked_to_be(database: Database, acme) -> None:
    with database.session_scope() as session:
        boss = session.get(Person, acme["boss"])
        boss.last_platform = Platform.TEAMS
    assert (Platform.TEAMS, "checkin_prompt", f"person:{acme['boss']}") in tick_both(database, FRIDAY_TEN)
    with database.session_scope() as session:
        boss = session.get(Person, acme["boss"])
        boss.preferred_platform = Platform.SLACK  # asked for Slack: that wins over where they last wrote
    digests = tick_both(database, MONDAY_NINE)
    assert [row for row in digests if row[1] == "digest"] == [(Platform.SLACK, "digest", f"person:{acme['boss']}")]


def run(database: Database, inbound: Inbound, key: str, serving=frozenset({Platform.SLACK, Platform.TEAMS})) -> None:
    at = FRIDAY_TEN
    runner = RequestRunner(database, all_flows(), OutboxSender(database, {}, lambda: at), lambda: at, serving)
    runner.handle(StubSide(inbound.platform), inbound, key, now=at)


def rows(database: Database, kind: str) -> list[tuple[Platform, str, object]]:
    with database.session_scope() as session:
        found = session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == kind).order_by(OutboxDelivery.id))
        return [(row.platform, row.dedupe_key, destination_from_dict(row.payload["destination"])) for row in found]


def test_a_kudos_card_is_posted_in_the_kudos_channel_on_every_platform_in_play(database: Database, acme) -> None:
    configure(database, acme, kudos={"channel": {"slack": "#kudos", "teams": "Kudos"}})
    with database.session_scope() as session:
        session.get(Person, acme["boss"]).preferred_platform = Platform.TEAMS
    kudos = Inbound(Platform.SLACK, "T0001", "U0ANN", "D1", text="@Bo for the release", command="kudos",
                    mentions=("U0BOSS",))  # fmt: skip
    run(database, kudos, "slack-1")
    cards = [(platform, key, destination.channel) for platform, key, destination in rows(database, "kudos_card")]
    assert cards == [(Platform.SLACK, "slack-1:1", "#kudos"), (Platform.TEAMS, "slack-1:1:teams", "Kudos")]
    [received] = rows(database, "kudos_received")
    assert received[0] == Platform.TEAMS, "Bo asked to be reached on Teams, wherever the kudos came from"


def test_a_platform_the_settings_name_no_channel_on_gets_no_card(database: Database, acme) -> None:
    configure(database, acme, kudos={"channel": {"teams": "Kudos"}})
    kudos = Inbound(Platform.SLACK, "T0001", "U0ANN", "D1", text="@Bo for the release", command="kudos",
                    mentions=("U0BOSS",))  # fmt: skip
    run(database, kudos, "slack-1", serving=frozenset({Platform.SLACK}))
    assert rows(database, "kudos_card") == [], "Slack has no kudos channel and Teams isn't served by this process"
    assert [row[0] for row in rows(database, "kudos_received")] == [Platform.SLACK]


def reaction(platform: Platform, emoji: str, author: str, *, added: bool = True) -> Inbound:
    user, workspace = ("29:tom", "tenant-1") if platform == Platform.TEAMS else ("U0ANN", "T0001")
    return Inbound(platform, workspace, user, "C1", reaction=Reaction(emoji, f"{platform}-msg", author, added),
                   in_channel=True)  # fmt: skip


def kudos_given(database: Database) -> list[tuple[int, str]]:
    with database.session_scope() as session:
        return [(kudos.giver_id, kudos.message) for kudos in session.exec(select(Kudos).order_by(Kudos.id))]


def test_reactions_give_kudos_by_each_platforms_own_names(database: Database, acme) -> None:
    configure(database, acme, kudos={"reactions": {"slack": ["clap"], "teams": ["heart", "like"]}})
    run(database, reaction(Platform.TEAMS, "clap", "29:boss"), "r1")
    assert kudos_given(database) == [], "clap is Slack's; on Teams it is no kudos"
    run(database, reaction(Platform.TEAMS, "heart", "29:boss"), "r2")
    run(database, reaction(Platform.SLACK, "heart", "U0BOSS"), "r3")
    assert kudos_given(database) == [(acme["tom"], ":heart:")], "heart is Teams', not Slack's"
    run(database, reaction(Platform.SLACK, "clap", "U0BOSS"), "r4")
    assert kudos_given(database)[1:] == [(acme["ann"], ":clap:")]


def test_slacks_emojis_setting_still_names_slacks_reactions(database: Database, acme) -> None:
    configure(database, acme, kudos={"emojis": ["taco"]})
    run(database, reaction(Platform.SLACK, "taco", "U0BOSS"), "r1")
    run(database, reaction(Platform.TEAMS, "taco", "29:boss"), "r2")
    run(database, reaction(Platform.TEAMS, "heart", "29:boss"), "r3")  # Teams' default
    assert kudos_given(database) == [(acme["ann"], ":taco:"), (acme["tom"], ":heart:")]
