"""claims in order, fast with a backlog: indexes over unfinished rows only

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:00:00

A claim asks of every candidate whether an earlier row of the same person (inbox) or recipient
(outbox) is unfinished. With 0011's indexes over every row, that probe read a recipient's whole
history: with 2,400 kudos cards queued for one channel, a claim took 1.2 s on PostgreSQL and the
sender crawled. These indexes hold only the unfinished rows, so the probe stops at the first one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INBOX_UNFINISHED = sa.text("status IN ('queued', 'processing')")
OUTBOX_UNFINISHED = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_inbox_requests_unfinished_actor",
        "inbox_requests",
        ["actor", "platform", "id"],
        unique=False,
        postgresql_where=INBOX_UNFINISHED,
        sqlite_where=INBOX_UNFINISHED,
    )
    op.create_index(
        "ix_outbox_deliveries_unfinished_recipient",
        "outbox_deliveries",
        ["recipient", "platform", "workspace_id", "id"],
        unique=False,
        postgresql_where=OUTBOX_UNFINISHED,
        sqlite_where=OUTBOX_UNFINISHED,
    )
    op.drop_index("ix_outbox_deliveries_recipient_id", table_name="outbox_deliveries")
    op.drop_index("ix_inbox_requests_actor_id", table_name="inbox_requests")


def downgrade() -> None:
    op.create_index("ix_inbox_requests_actor_id", "inbox_requests", ["actor", "id"], unique=False)
    op.create_index("ix_outbox_deliveries_recipient_id", "outbox_deliveries", ["recipient", "id"], unique=False)
    op.drop_index("ix_outbox_deliveries_unfinished_recipient", table_name="outbox_deliveries")
    op.drop_index("ix_inbox_requests_unfinished_actor", table_name="inbox_requests")
