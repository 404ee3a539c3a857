"""The flows Cadence offers, in one list so every platform and the shell route the same commands."""

from __future__ import annotations

from conversations.flow import Flow
from conversations.help import HelpFlow
from conversations.whoami import WhoamiFlow


def all_flows() -> tuple[Flow, ...]:
    return (HelpFlow(), WhoamiFlow())
