"""feedback given and asked for, and 1:1s (pairs, meetings, shared items, private notes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:10:30

New tables only, so every existing row stays as it was. Feedback keeps its recipient when the
giver's row goes (``SET NULL``): what someone was told stays theirs. A peer asked for feedback is
one ``feedback_asks`` row, unique per request and peer, so asking twice asks once; the index on
(status, remind_at) is what the tick reads for reminders and closing. A pair's meeting is unique
per start time, so two ticks building the same agenda build it once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("recipient", "recipient_and_manager", name="feedbackaudience", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["people.id"], name=op.f("fk_feedback_requests_requester_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_feedback_requests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_requests")),
    )
    with op.batch_alter_table("feedback_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_requests_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_requests_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "one_on_one_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column(
            "cadence",
            sa.Enum("weekly", "biweekly", name="oneononecadence", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("weekday", sa.String(length=10), nullable=True),
        sa.Column("local_time", sa.String(length=5), nullable=True),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["people.id"], name=op.f("fk_one_on_one_pairs_manager_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["people.id"], name=op.f("fk_one_on_one_pairs_report_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_one_on_one_pairs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_on_one_pairs")),
        sa.UniqueConstraint("manager_id", "report_id", name=op.f("uq_one_on_one_pairs_manager_id_report_id")),
    )
    with op.batch_alter_table("one_on_one_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_on_one_pairs_manager_id"), ["manager_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_one_on_one_pairs_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_one_on_one_pairs_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("could_be_better", sa.Text(), nullable=False),
        sa.Column("value_slug", sa.String(length=64), nullable=True),
        sa.Column("skill", sa.String(length=64), nullable=True),
        sa.Column(
            "audience",
            sa.Enum("recipient", "recipient_and_manager", name="feedbackaudience", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("giver_id <> recipient_id", name=op.f("ck_feedback_not_to_self")),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["people.id"], name=op.f("fk_feedback_giver_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["people.id"], name=op.f("fk_feedback_recipient_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_requests.id"],
            name=op.f("fk_feedback_request_id_feedback_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_feedback_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_giver_id"), ["giver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "one_on_one_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["one_on_one_pairs.id"],
            name=op.f("fk_one_on_one_meetings_pair_id_one_on_one_pairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_on_one_meetings")),
        sa.UniqueConstraint("pair_id", "starts_at", name=op.f("uq_one_on_one_meetings_pair_id_starts_at")),
    )
    with op.batch_alter_table("one_on_one_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_on_one_meetings_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "feedback_asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "answered", "declined", "closed", name="askstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_asks_feedback_id_feedback"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["people.id"], name=op.f("fk_feedback_asks_peer_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedback_requests.id"],
            name=op.f("fk_feedback_asks_request_id_feedback_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_asks")),
        sa.UniqueConstraint("request_id", "peer_id", name=op.f("uq_feedback_asks_request_id_peer_id")),
    )
    with op.batch_alter_table("feedback_asks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_asks_peer_id"), ["peer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_asks_request_id"), ["request_id"], unique=False)
        batch_op.create_index("ix_feedback_asks_status_remind_at", ["status", "remind_at"], unique=False)

    op.create_table(
        "one_on_one_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "talking_point", "shared_note", "action_item", name="oneononeitemkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_one_on_one_items_author_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["one_on_one_meetings.id"],
            name=op.f("fk_one_on_one_items_meeting_id_one_on_one_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name=op.f("fk_one_on_one_items_owner_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["one_on_one_pairs.id"],
            name=op.f("fk_one_on_one_items_pair_id_one_on_one_pairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_on_one_items")),
    )
    with op.batch_alter_table("one_on_one_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_on_one_items_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "one_on_one_private_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_one_on_one_private_notes_author_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["one_on_one_meetings.id"],
            name=op.f("fk_one_on_one_private_notes_meeting_id_one_on_one_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["one_on_one_pairs.id"],
            name=op.f("fk_one_on_one_private_notes_pair_id_one_on_one_pairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_on_one_private_notes")),
    )
    with op.batch_alter_table("one_on_one_private_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_on_one_private_notes_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_one_on_one_private_notes_pair_id"), ["pair_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("one_on_one_private_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_on_one_private_notes_pair_id"))
        batch_op.drop_index(batch_op.f("ix_one_on_one_private_notes_author_id"))

    op.drop_table("one_on_one_private_notes")
    with op.batch_alter_table("one_on_one_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_on_one_items_pair_id"))

    op.drop_table("one_on_one_items")
    with op.batch_alter_table("feedback_asks", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_asks_status_remind_at")
        batch_op.drop_index(batch_op.f("ix_feedback_asks_request_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_asks_peer_id"))

    op.drop_table("feedback_asks")
    with op.batch_alter_table("one_on_one_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_on_one_meetings_pair_id"))

    op.drop_table("one_on_one_meetings")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_request_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_giver_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("one_on_one_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_on_one_pairs_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_one_on_one_pairs_report_id"))
        batch_op.drop_index(batch_op.f("ix_one_on_one_pairs_manager_id"))

    op.drop_table("one_on_one_pairs")
    with op.batch_alter_table("feedback_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_requests_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_requests_requester_id"))

    op.drop_table("feedback_requests")
