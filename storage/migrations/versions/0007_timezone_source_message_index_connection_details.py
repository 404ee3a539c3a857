"""people remember whether the org file named their time zone; outbox rows are found by the
platform's message id; platform connections keep details the platform told

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00

``people.timezone_from_org_file`` starts false for everyone: nobody can tell any more which zones
came from a file, so a platform may fill in one it learns until the org file is imported again
(every row with a zone then sets it). The index serves a button press or a reaction on a card,
which looks the card up by the id the platform gave it. ``platform_connections.details`` starts
empty: Teams fills it in (its Bot Connector address, channels by name) as it talks to Cadence.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as table:
        table.add_column(sa.Column("timezone_from_org_file", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_outbox_deliveries_platform_message_id", "outbox_deliveries", ["platform_message_id"])
    with op.batch_alter_table("platform_connections") as table:
        table.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("platform_connections") as table:
        table.drop_column("details")
    op.drop_index("ix_outbox_deliveries_platform_message_id", table_name="outbox_deliveries")
    with op.batch_alter_table("people") as table:
        table.drop_column("timezone_from_org_file")
