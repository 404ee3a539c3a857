"""The person's home page (Slack's Home tab, later Teams' personal tab): what Cadence does for them.

Later capabilities add their sections (goals, check-ins, kudos) through ``data``; the words live in
``templates/home.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conversations.messages import Actor, Outbound

HOME = "home"


def home_page(
    actor: Actor, recent_kudos: Sequence[Mapping[str, Any]] = (), goals: Sequence[Mapping[str, Any]] = ()
) -> Outbound:
    return Outbound(
        HOME,
        {
            "name": actor.display_name,
            "manager": actor.manager_name or "",
            "is_manager": actor.report_count > 0,
            "is_admin": actor.role == "admin",
            "recent_kudos": [dict(kudos) for kudos in recent_kudos],
            "goals": [dict(goal) for goal in goals],
        },
    )
