"""An organisation where one person, Quilla Marchbanks, is in every table Cadence has: what she wrote
and what was written to her, her ids on Slack and Teams, copies of her words in platform requests,
outbox messages and other people's conversations. The export and erasure tests run against it.

Everything that identifies her contains ``quilla`` (name, email, ids, chats) and every word she wrote
or received contains ``zqx``, so a test finds any trace of her with two substrings. Ada (her manager,
an admin) and Sam (a peer) have rows of their own, marked ``ada-own`` and ``sam-own``, which erasing
Quilla must leave exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from conversations.messages import Platform
from storage.models import (
    AskStatus,
    AuditAction,
    AuditEvent,
    CheckinCycle,
    CheckinResponse,
    CheckinTemplate,
    CompanyValue,
    ConversationReference,
    ConversationState,
    DeliveryStatus,
    Feedback,
    FeedbackAsk,
    FeedbackAudience,
    FeedbackRequest,
    Goal,
    GoalLevel,
    GoalUpdate,
    InboxRequest,
    InboxStatus,
    KeyResult,
    Kudos,
    KudosSkill,
    KudosValue,
    OneOnOneItem,
    OneOnOneItemKind,
    OneOnOneMeeting,
    OneOnOnePair,
    OneOnOnePrivateNote,
    OutboxDelivery,
    Person,
    PersonIdentity,
    PlatformConnection,
    ResponseStatus,
    Role,
    SlackBot,
    SlackInstallation,
    Team,
    TimeOff,
    Workspace,
)

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=10)
SLACK_TEAM = "T0ACME"
TENANT = "11111111-1111-4111-8111-111111111111"
QUILLA_SLACK = "UQUILLA7"
QUILLA_AAD = "9f0c1d2e-quilla-4aad-8000-00000000a11a"
QUILLA_USER_KEY = "29:quilla-key"
QUILLA_DM = "DQUILLA7"
QUILLA_CHAT = "a:chat-quilla"
SAM_SLACK = "USAM0001"
ADA_SLACK = "UADA0001"
IDENTIFYING = "quilla"
"""In every value that names Quilla or her accounts."""
HER_WORDS = "zqx"
"""In every word Quilla wrote, or that was written to her."""
FORBIDDEN = (IDENTIFYING, HER_WORDS)
OTHERS = ("ada-own", "sam-own")
"""In Ada's and Sam's own words, which erasing Quilla leaves as they were."""
ADA_PRIVATE_NOTE = "ada-own private note: ask about the promotion case"


@dataclass
class World:
    workspace: Workspace
    quilla: Person
    ada: Person
    sam: Person


def build(session: Session) -> World:
    workspace = Workspace(name="Acme", settings={})
    session.add(workspace)
    session.flush()
    wid = workspace.id
    session.add(PlatformConnection(workspace_id=wid, platform=Platform.SLACK, external_id=SLACK_TEAM, name="Acme"))
    session.add(PlatformConnection(workspace_id=wid, platform=Platform.TEAMS, external_id=TENANT, name="Acme"))
    team = Team(workspace_id=wid, name="Platform")
    session.add(team)
    session.flush()
    ada = Person(
        workspace_id=wid,
        email="ada@acme.example",
        display_name="Ada Lovelace",
        role=Role.ADMIN,
        team_id=team.id,
        timezone="Europe/London",
    )
    session.add(ada)
    session.flush()
    quilla = Person(
        workspace_id=wid,
        email="quilla@acme.example",
        display_name="Quilla Marchbanks",
        manager_id=ada.id,
        team_id=team.id,
        timezone="Europe/Paris",
        timezone_from_org_file=True,
        level="engineer/senior",
        preferred_platform=Platform.SLACK,
        last_platform=Platform.TEAMS,
        away_until=date(2026, 12, 24),
    )
    sam = Person(
        workspace_id=wid,
        email="sam@acme.example",
        display_name="Sam Okafor",
        manager_id=ada.id,
        team_id=team.id,
        timezone="Europe/London",
    )
    session.add_all([quilla, sam])
    session.flush()
    q, a, s = quilla.id, ada.id, sam.id

    session.add_all(
        [
            PersonIdentity(workspace_id=wid, person_id=q, platform=Platform.SLACK, external_id=QUILLA_SLACK),
            PersonIdentity(workspace_id=wid, person_id=q, platform=Platform.TEAMS, external_id=QUILLA_AAD),
            PersonIdentity(workspace_id=wid, person_id=s, platform=Platform.SLACK, external_id=SAM_SLACK),
            PersonIdentity(workspace_id=wid, person_id=a, platform=Platform.SLACK, external_id=ADA_SLACK),
            ConversationReference(
                workspace_id=wid, person_id=q, platform=Platform.SLACK, reference={"channel": QUILLA_DM}
            ),
            ConversationReference(
                workspace_id=wid,
                person_id=q,
                platform=Platform.TEAMS,
                reference={
                    "conversation": QUILLA_CHAT,
                    "service_url": "https://smba.example/emea/",
                    "tenant": TENANT,
                    "user_key": QUILLA_USER_KEY,
                },
            ),
        ]
    )

    ownership = CompanyValue(workspace_id=wid, slug="ownership", label="Ownership")
    session.add(ownership)
    session.flush()

    # goals: her growth goal, a team goal she owns (the organisation's words), Ada's goal she updated
    growth = Goal(
        workspace_id=wid,
        number=1,
        title="zqx learn to give conference talks",
        level=GoalLevel.PERSON,
        description="zqx because I freeze on stage",
        period="2026-Q4",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        owner_id=q,
        health_reason="zqx slipping after the move",
        progress=40.0,
    )
    uptime = Goal(
        workspace_id=wid,
        number=2,
        title="Platform uptime 99.9%",
        level=GoalLevel.TEAM,
        period="2026-Q4",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        owner_id=q,
        team_id=team.id,
    )
    adas = Goal(
        workspace_id=wid,
        number=3,
        title="ada-own hiring plan",
        level=GoalLevel.PERSON,
        period="2026-Q4",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        owner_id=a,
    )
    session.add_all([growth, uptime, adas])
    session.flush()
    talks = KeyResult(
        workspace_id=wid, goal_id=growth.id, number=1, title="zqx talks given", target_value=3, current_value=1
    )
    hires = KeyResult(workspace_id=wid, goal_id=adas.id, number=2, title="ada-own hires", target_value=2)
    session.add_all([talks, hires])
    session.flush()
    session.add_all(
        [
            GoalUpdate(
                goal_id=growth.id,
                key_result_id=talks.id,
                author_id=q,
                old_value=0,
                new_value=1,
                comment="zqx gave the first one at the meetup",
            ),
            GoalUpdate(
                goal_id=adas.id,
                key_result_id=hires.id,
                author_id=q,
                old_value=0,
                new_value=1,
                comment="zqx interviewed the backend candidate",
            ),
            GoalUpdate(
                goal_id=adas.id,
                key_result_id=hires.id,
                author_id=a,
                old_value=1,
                new_value=1,
                comment="ada-own offer out",
            ),
        ]
    )

    # check-ins: an answered week (with an answer for her manager only) and a skipped one
    template = CheckinTemplate(
        workspace_id=wid,
        fingerprint="f1",
        questions=[
            {"id": "done", "kind": "text", "text": "What did you get done?", "highlight": True},
            {"id": "mood", "kind": "mood", "text": "How was your week?", "labels": ["😞", "😕", "😐", "🙂", "😀"]},
            {"id": "blockers", "kind": "text", "text": "Anything blocking you?", "blocker": True},
            {"id": "help", "kind": "upward", "text": "How can your manager help you?"},
        ],
    )
    cycles = [CheckinCycle(workspace_id=wid, week=week) for week in ("2026-W47", "2026-W48")]
    session.add_all([template, *cycles])
    session.flush()
    session.add_all(
        [
            CheckinResponse(
                cycle_id=cycles[0].id,
                person_id=q,
                template_id=template.id,
                status=ResponseStatus.SUBMITTED,
                mood=2,
                blockers="zqx waiting on the staging keys",
                answers={
                    "done": "zqx shipped the billing importer",
                    "mood": 2,
                    "blockers": "zqx waiting on the staging keys",
                    "help": "zqx please stop reassigning my reviews",
                },
                prompted_at=EARLIER,
                submitted_at=EARLIER,
            ),
            CheckinResponse(
                cycle_id=cycles[1].id,
                person_id=q,
                template_id=template.id,
                status=ResponseStatus.SKIPPED,
                skip_reason="zqx at my sister's wedding",
            ),
            CheckinResponse(
                cycle_id=cycles[0].id,
                person_id=s,
                template_id=template.id,
                status=ResponseStatus.SUBMITTED,
                mood=4,
                answers={"done": "sam-own fixed the flaky test"},
            ),
        ]
    )
    session.add(TimeOff(person_id=q, starts_on=date(2026, 12, 21), ends_on=date(2026, 12, 24)))

    # kudos, both ways, with a value and a skill
    given = Kudos(
        workspace_id=wid,
        giver_id=q,
        recipient_id=s,
        message="zqx for pairing on the outage",
        giver_local_date=date(2026, 11, 20),
        given_at=EARLIER,
    )
    received = Kudos(
        workspace_id=wid,
        giver_id=s,
        recipient_id=q,
        message="zqx for the calm incident review",
        giver_local_date=date(2026, 11, 21),
        given_at=EARLIER,
    )
    sams = Kudos(
        workspace_id=wid,
        giver_id=a,
        recipient_id=s,
        message="sam-own for the release notes",
        giver_local_date=date(2026, 11, 22),
        given_at=EARLIER,
    )
    session.add_all([given, received, sams])
    session.flush()
    session.add_all(
        [
            KudosValue(kudos_id=given.id, value_id=ownership.id),
            KudosValue(kudos_id=received.id, value_id=ownership.id),
            KudosSkill(kudos_id=received.id, skill="mentoring"),
        ]
    )

    # feedback, both ways; her request to Sam and Sam's to her
    hers = FeedbackRequest(
        workspace_id=wid, requester_id=q, topic="zqx my first on-call week", closes_at=NOW + timedelta(days=5)
    )
    sams_request = FeedbackRequest(
        workspace_id=wid, requester_id=s, topic="sam-own the migration plan", closes_at=NOW + timedelta(days=5)
    )
    session.add_all([hers, sams_request])
    session.flush()
    answer = Feedback(
        workspace_id=wid,
        giver_id=s,
        recipient_id=q,
        request_id=hers.id,
        went_well="zqx you kept the pager calm",
        could_be_better="zqx hand over earlier",
        value_slug="ownership",
        audience=FeedbackAudience.RECIPIENT_AND_MANAGER,
        quoted_in_snapshot=True,
    )
    session.add_all(
        [
            answer,
            Feedback(
                workspace_id=wid,
                giver_id=q,
                recipient_id=s,
                went_well="zqx your runbook saved me",
                could_be_better="zqx answer pages faster",
                skill="mentoring",
            ),
            Feedback(workspace_id=wid, giver_id=a, recipient_id=s, went_well="sam-own great demo"),
        ]
    )
    session.flush()
    session.add_all(
        [
            FeedbackAsk(
                request_id=hers.id,
                peer_id=s,
                status=AskStatus.ANSWERED,
                remind_at=NOW,
                answered_at=EARLIER,
                feedback_id=answer.id,
            ),
            FeedbackAsk(request_id=sams_request.id, peer_id=q, status=AskStatus.DECLINED, remind_at=NOW),
        ]
    )

    # a 1:1 with Ada: items both wrote, a private note each, an agenda seeded from her check-in
    pair = OneOnOnePair(workspace_id=wid, manager_id=a, report_id=q, anchor=date(2026, 11, 2))
    session.add(pair)
    session.flush()
    meeting = OneOnOneMeeting(
        pair_id=pair.id,
        starts_at=NOW + timedelta(days=2),
        seed={
            "week": "2026-W47",
            "blocker": {"text": "zqx waiting on the staging keys", "weeks": 1},
            "key_results": [],
        },
    )
    session.add(meeting)
    session.flush()
    session.add_all(
        [
            OneOnOneItem(
                pair_id=pair.id,
                meeting_id=meeting.id,
                kind=OneOnOneItemKind.TALKING_POINT,
                author_id=q,
                text="zqx career plan for next year",
            ),
            OneOnOneItem(
                pair_id=pair.id,
                kind=OneOnOneItemKind.ACTION_ITEM,
                author_id=a,
                owner_id=q,
                text="ada-own send the conference budget",
            ),
            OneOnOnePrivateNote(pair_id=pair.id, author_id=q, text="zqx I want to ask for a raise"),
            OneOnOnePrivateNote(pair_id=pair.id, author_id=a, text=ADA_PRIVATE_NOTE),
        ]
    )

    # conversations: hers, and Sam's half-written kudos to her
    session.add_all(
        [
            ConversationState(
                workspace_id=wid,
                person_id=q,
                platform=Platform.SLACK,
                flow="checkin",
                step="ask",
                data={"answers": {"done": "zqx half an answer about the importer"}},
            ),
            ConversationState(
                workspace_id=wid,
                person_id=s,
                platform=Platform.SLACK,
                flow="kudos",
                step="give",
                data={"recipients": [{"id": q, "display_name": "Quilla Marchbanks"}]},
            ),
            ConversationState(
                workspace_id=wid,
                person_id=a,
                platform=Platform.SLACK,
                flow="goal_new",
                step="ask",
                data={"title": "ada-own a goal in progress"},
            ),
        ]
    )

    # raw platform requests: hers on Slack and Teams, one naming her, her profile, and Sam's own
    def inbound(user: str, text: str, platform: Platform = Platform.SLACK, **more) -> dict:
        return {
            "platform": platform.value,
            "workspace": SLACK_TEAM if platform is Platform.SLACK else TENANT,
            "user": user,
            "conversation": "C0GENERAL",
            "text": text,
            "command": None,
            "choice": None,
            "form_id": None,
            "form": None,
            "mentions": [],
            "reaction": None,
            "in_channel": False,
            **more,
        }

    session.add_all(
        [
            InboxRequest(
                platform=Platform.SLACK,
                request_key="Ev0001",
                team=SLACK_TEAM,
                kind="inbound",
                payload={"inbound": inbound(QUILLA_SLACK, "checkin"), "response_url": None, "trigger_id": None},
                status=InboxStatus.DONE,
            ),
            InboxRequest(
                platform=Platform.TEAMS,
                request_key=f"teams:{QUILLA_CHAT}:act-1",
                team=TENANT,
                kind="inbound",
                status=InboxStatus.QUEUED,
                payload={
                    "inbound": inbound(QUILLA_AAD, "1on1 private @ada zqx I want to ask for a raise", Platform.TEAMS),
                    "where": {
                        "tenant": TENANT,
                        "conversation": QUILLA_CHAT,
                        "service_url": "https://smba.example/emea/",
                        "user": QUILLA_AAD,
                        "user_key": QUILLA_USER_KEY,
                        "personal": True,
                        "team": "",
                    },
                    "mentions": [],
                    "timezone": "Europe/Paris",
                },
            ),
            InboxRequest(
                platform=Platform.SLACK,
                request_key="Ev0002",
                team=SLACK_TEAM,
                kind="inbound",
                payload={"inbound": inbound(SAM_SLACK, "kudos @quilla for the review", mentions=[QUILLA_SLACK])},
                status=InboxStatus.DONE,
            ),
            InboxRequest(
                platform=Platform.SLACK,
                request_key="Ev0003",
                team=SLACK_TEAM,
                kind="user_changed",
                payload={
                    "user": {
                        "id": QUILLA_SLACK,
                        "real_name": "Quilla Marchbanks",
                        "profile": {"email": "quilla@acme.example"},
                    }
                },
                status=InboxStatus.FAILED,
                error="could not sync Quilla Marchbanks",
            ),
            InboxRequest(
                platform=Platform.SLACK,
                request_key="Ev0004",
                team=SLACK_TEAM,
                kind="inbound",
                payload={"inbound": inbound(SAM_SLACK, "sam-own goal update KR-2 1")},
                status=InboxStatus.DONE,
            ),
        ]
    )

    # the outbox: messages to her (sent and pending), copies quoting her to others, and Sam's own
    def delivery(key: str, kind: str, data: dict, destination: dict, recipient: str, **more) -> OutboxDelivery:
        return OutboxDelivery(
            workspace_id=wid,
            platform=Platform.SLACK,
            kind=kind,
            recipient=recipient,
            dedupe_key=key,
            payload={"outbound": {"kind": kind, "data": data}, "destination": destination},
            **more,
        )

    session.add_all(
        [
            delivery(
                "checkin:prompt:q:2026-W47",
                "checkin_prompt",
                {"name": "Quilla Marchbanks"},
                {"type": "direct_message", "person_id": q},
                f"person:{q}",
                status=DeliveryStatus.SENT,
                sent_at=EARLIER,
                platform_message_id=f"{QUILLA_DM}:1700000000.0001",
            ),
            delivery(
                "feedback:received:1",
                "feedback_received",
                {"giver": {"id": s, "display_name": "Sam Okafor"}, "went_well": "zqx you kept the pager calm"},
                {"type": "direct_message", "person_id": q},
                f"person:{q}",
                status=DeliveryStatus.PENDING,
                last_error="Quilla Marchbanks has no Slack account linked",
            ),
            delivery(
                "Ev0005:0",
                "kudos_card",
                {
                    "giver": {"id": s, "display_name": "Sam Okafor"},
                    "message": "zqx for the calm incident review",
                    "recipients": [{"id": q, "display_name": "Quilla Marchbanks"}],
                    "value_slugs": [],
                },
                {"type": "channel_post", "channel": "kudos"},
                "channel:kudos",
                status=DeliveryStatus.SENT,
                platform_message_id="C0KUDOS:1700000000.0002",
            ),
            delivery(
                "digest:ada:2026-W47",
                "digest",
                {
                    "reports": [
                        {
                            "person": {"id": q, "display_name": "Quilla Marchbanks"},
                            "blocker": "zqx waiting on the staging keys",
                        }
                    ]
                },
                {"type": "direct_message", "person_id": a},
                f"person:{a}",
                status=DeliveryStatus.PENDING,
            ),
            delivery(
                f"teams:{QUILLA_CHAT}:act-9:0",
                "whoami",
                {},
                {"type": "reply_here", "conversation": QUILLA_CHAT, "person_id": q},
                f"person:{q}",
                status=DeliveryStatus.SENT,
            ),
            delivery(
                "Ev0004:0",
                "goal_updated",
                {"note": "sam-own KR-2 moved"},
                {"type": "direct_message", "person_id": s},
                f"person:{s}",
                status=DeliveryStatus.SENT,
            ),
        ]
    )

    # she installed the Slack app; the bot's token is the organisation's
    session.add(
        SlackInstallation(
            client_id="111.222",
            team_id=SLACK_TEAM,
            user_id=QUILLA_SLACK,
            installed_at=EARLIER,
            data={
                "app_id": "A1",
                "team_id": SLACK_TEAM,
                "user_id": QUILLA_SLACK,
                "bot_token": "xoxb-1",
                "installed_at": EARLIER.timestamp(),
            },
        )
    )
    session.add(
        SlackBot(
            client_id="111.222",
            team_id=SLACK_TEAM,
            installed_at=EARLIER,
            data={"bot_token": "xoxb-1", "team_id": SLACK_TEAM},
        )
    )

    # the audit log: Ada promoted her once; she exported her own data
    session.add_all(
        [
            AuditEvent(
                workspace_id=wid,
                actor_id=a,
                actor="Ada Lovelace <ada@acme.example>",
                action=AuditAction.ROLE_CHANGED,
                subject_id=q,
                details={"email": "quilla@acme.example", "to": "member"},
            ),
            AuditEvent(
                workspace_id=wid,
                actor_id=q,
                actor="Quilla Marchbanks <quilla@acme.example>",
                action=AuditAction.EXPORTED,
                subject_id=q,
                details={"delivery": "chat"},
            ),
        ]
    )
    session.flush()
    return World(workspace, quilla, ada, sam)
