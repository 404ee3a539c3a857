"""Everything Cadence asks of Slack, in one place: the manifest is generated from this and tests
check that the listeners the app registers are exactly these, so the two can't drift apart."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str
    usage_hint: str
    escapes_mentions: bool = False  # Slack then sends <@U123|name> instead of plain @name


@dataclass(frozen=True)
class Shortcut:
    name: str
    callback_id: str
    description: str


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "/cadence",
        "What Cadence can do for you, what it knows about you, and who can read it",
        "help | whoami | home | privacy | snapshot [@someone] [2026-Q4] | export [@someone] | fairness [2026-Q4] | forget @someone | settings",
    ),
    SlashCommand(
        "/checkin",
        "Your weekly check-in: answer now, record time off, or see your last answers",
        "[away next week | away Dec 21 to Jan 4 | away list | away cancel | history | help]",
    ),
    SlashCommand(
        "/kudos",
        "Thank someone for their work, tagged with a company value",
        "@someone for what they did #value ~skill | stats | top [week|month|quarter] [#value]",
        escapes_mentions=True,
    ),
    SlashCommand(
        "/goal",
        "Your goals and key results: list, create, update, show, close, reopen",
        "[new | update [KR-34 45, confidence 4, note] | show G-12 | close G-12 done|missed|dropped | reopen G-12 "
        "| status G-12 at risk why]",
    ),
    SlashCommand(
        "/feedback",
        "Give someone feedback, or ask peers for theirs",
        'give @someone | request @a @b about "Q4 launch" | list',
        escapes_mentions=True,
    ),
    SlashCommand(
        "/1on1",
        "Your 1:1s: the shared agenda, talking points, notes and action items",
        '@someone | add @someone "career plan" | note @someone … | private @someone … | action @someone … '
        "| every @someone week|2 weeks",
        escapes_mentions=True,
    ),
)

SHORTCUTS: tuple[Shortcut, ...] = (Shortcut("Give kudos", "kudos.give", "Thank someone, with a company value"),)

# Bot events the app subscribes to (Events API), and the listener that handles each.
BOT_EVENTS: tuple[str, ...] = (
    "app_home_opened",
    "message.im",
    "team_join",
    "user_change",
    "tokens_revoked",
    "app_uninstalled",
    "reaction_added",
    "reaction_removed",
)

BOT_SCOPES: tuple[Scope, ...] = (
    Scope("chat:write", "send check-in prompts, replies and digests as the bot"),
    Scope("chat:write.public", "post recognition cards to the kudos channel without being invited to it"),
    Scope("commands", "receive the slash commands listed below"),
    Scope("im:history", "read replies people type in their direct message with Cadence (conversational check-ins)"),
    Scope("im:write", "open a direct message with a person to prompt them"),
    Scope("users:read", "sync names, time zones and deactivations into the org chart (`cadence org sync`)"),
    Scope("users:read.email", "match Slack accounts to the people imported from the org CSV by email"),
    Scope("files:write", "upload the weekly digest's chart (mood and goal progress) to the manager's direct message"),
    Scope(
        "reactions:read", "turn kudos emoji reactions (:clap:, :taco:, …) into kudos, and take them back when removed"
    ),
)

APP_NAME = "Cadence"
APP_DESCRIPTION = "Weekly check-ins, kudos, goals and manager digests, right in Slack."
APP_LONG_DESCRIPTION = (
    "Cadence replaces the annual review with a weekly rhythm in chat. Everyone answers a short "
    "check-in in a direct message at their own local time, gives kudos and updates goals; managers "
    "get a weekly digest of their team. Self-hosted: your data stays with your company."
)
BACKGROUND_COLOR = "#2f4858"
