"""claims in order: whose each inbox request is, and one recipient's deliveries by id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00

``inbox_requests.actor`` lets a replica take a person's request only once their earlier ones are
finished. Rows recorded before this revision get their own request key as actor, so each stands
alone, as every row did before. Both indexes serve the "nothing earlier unfinished" check.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=200), nullable=False, server_default=""))
    op.execute("UPDATE inbox_requests SET actor = request_key WHERE actor = ''")
    op.create_index("ix_inbox_requests_actor_id", "inbox_requests", ["actor", "id"], unique=False)
    op.create_index("ix_outbox_deliveries_recipient_id", "outbox_deliveries", ["recipient", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_deliveries_recipient_id", table_name="outbox_deliveries")
    op.drop_index("ix_inbox_requests_actor_id", table_name="inbox_requests")
    with op.batch_alter_table("inbox_requests", schema=None) as batch_op:
        batch_op.drop_column("actor")
