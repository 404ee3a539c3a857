"""Everything Cadence asks of Slack, in one place: the manifest is generated from this and tests
check that the listeners the app registers are exactly these, so the two can't drift apart."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str
    usage_hint: str


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("/cadence", "What Cadence can do for you, and what it knows about you", "help | whoami"),
    SlashCommand(
        "/checkin",
        "Your weekly check-in: answer now, record time off, or see your last answers",
        "[away FROM TO | history]",
    ),
)

# Bot events the app subscribes to (Events API), and the listener that handles each.
BOT_EVENTS: tuple[str, ...] = (
    "app_home_opened",
    "message.im",
    "team_join",
    "user_change",
    "tokens_revoked",
    "app_uninstalled",
)

BOT_SCOPES: tuple[Scope, ...] = (
    Scope("chat:write", "send check-in prompts, replies and digests as the bot"),
    Scope("commands", "receive the slash commands listed below"),
    Scope("im:history", "read replies people type in their direct message with Cadence (conversational check-ins)"),
    Scope("im:write", "open a direct message with a person to prompt them"),
    Scope("users:read", "sync names, time zones and deactivations into the org chart (`cadence org sync`)"),
    Scope("users:read.email", "match Slack accounts to the people imported from the org CSV by email"),
)

APP_NAME = "Cadence"
APP_DESCRIPTION = "Weekly check-ins, kudos, goals and manager digests, right in Slack."
APP_LONG_DESCRIPTION = (
    "Cadence replaces the annual review with a weekly rhythm in chat. Everyone answers a short "
    "check-in in a direct message at their own local time, gives kudos and updates goals; managers "
    "get a weekly digest of their team. Self-hosted: your data stays with your company."
)
BACKGROUND_COLOR = "#2f4858"
