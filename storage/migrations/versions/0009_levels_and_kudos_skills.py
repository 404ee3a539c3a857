"""people's track and level (the expectations they are held to), the skills kudos and growth goals
name, and feedback its recipient lets a snapshot quote

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:24:38

``people.level`` starts empty: the org file's new ``level`` column fills it. ``kudos_skills`` is
new and starts empty, as no kudos named a skill before; so does ``goals.skill``. ``feedback.quoted_in_snapshot`` starts
false: feedback is only ever quoted in a snapshot once its recipient says so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kudos_skills",
        sa.Column("kudos_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["kudos_id"], ["kudos.id"], name=op.f("fk_kudos_skills_kudos_id_kudos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("kudos_id", "skill", name=op.f("pk_kudos_skills")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=64), nullable=True))
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skill", sa.String(length=64), nullable=True))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quoted_in_snapshot", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_column("skill")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("quoted_in_snapshot")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("level")

    op.drop_table("kudos_skills")
