"""outbox rows say where a message goes as a typed destination, not as a Slack method

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00

Rows still waiting to be sent (pending or being sent) get ``payload["destination"]`` from what the
old rows said: the ``payload["slack"]`` method and channel, and the ``person:N``/``channel:X``
recipient. Sent and failed rows keep their payload as it was: nothing reads them to send again.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def destination_of(recipient: str, slack: dict[str, Any]) -> dict[str, Any]:
    """What an old row meant, as a destination."""
    person_id = int(recipient.removeprefix("person:")) if recipient.startswith("person:") else None
    method = slack.get("method", "post_message")
    channel = slack.get("channel")
    if method == "respond":
        return {"type": "command_answer", "reply_to": slack["response_url"], "person_id": person_id}
    if method == "post_ephemeral" and person_id is not None:
        return {"type": "private_reply", "conversation": channel, "person_id": person_id}
    if recipient.startswith("channel:"):
        return {"type": "channel_post", "channel": channel or recipient.removeprefix("channel:")}
    if person_id is not None and channel:
        return {"type": "reply_here", "conversation": channel, "person_id": person_id}
    if person_id is not None:
        return {"type": "direct_message", "person_id": person_id}  # a DM, a Home view or a chart
    return {"type": "reply_here", "conversation": channel or "", "person_id": None}


def upgrade() -> None:
    outbox = sa.table(
        "outbox_deliveries", sa.column("id"), sa.column("recipient"), sa.column("status"), sa.column("payload", sa.JSON)
    )
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(outbox.c.id, outbox.c.recipient, outbox.c.payload).where(outbox.c.status.in_(["pending", "sending"]))
    ).all()
    for row in waiting:
        payload = dict(row.payload or {})
        if "destination" in payload:
            continue
        slack = payload.pop("slack", None) or {}
        payload["destination"] = destination_of(row.recipient, slack)
        bind.execute(sa.update(outbox).where(outbox.c.id == row.id).values(payload=payload))


def downgrade() -> None:
    """Rows written since keep their destinations; the previous code can't read them, so don't go back
    with messages waiting."""
