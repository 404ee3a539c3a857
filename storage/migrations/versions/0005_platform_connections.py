"""an organisation is on platforms instead of being one: platform connections and person identities

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:30:00

Moves ``workspaces.platform``/``external_id`` into ``platform_connections`` and
``people.slack_user_id``/``teams_user_id`` into ``person_identities``, then drops the old columns.
A workspace the command line made for a Slack team that hadn't connected yet (platform ``shell``
with a team id such as ``T0123ABCD``) becomes a Slack connection, as ``cadence org import
--workspace T0123ABCD`` now makes; the demo (``shell``/``demo``) becomes a shell connection.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLATFORM = sa.Enum("slack", "teams", "shell", name="platform", native_enum=False, length=24)
SLACK_TEAM = re.compile(r"^[TE][A-Z0-9]{2,}$")


def upgrade() -> None:
    op.create_table(
        "platform_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_platform_connections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_connections")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_platform_connections_platform_external_id")),
        sa.UniqueConstraint("workspace_id", "platform", name=op.f("uq_platform_connections_workspace_id_platform")),
    )
    with op.batch_alter_table("platform_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_connections_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "person_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_identities_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_person_identities_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identities")),
        sa.UniqueConstraint("person_id", "platform", name=op.f("uq_person_identities_person_id_platform")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "external_id",
            name=op.f("uq_person_identities_workspace_id_platform_external_id"),
        ),
    )
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_identities_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_identities_workspace_id"), ["workspace_id"], unique=False)

    move_data(op.get_bind())

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_platform", PLATFORM, nullable=True))
        batch_op.add_column(sa.Column("last_platform", PLATFORM, nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_people_workspace_id_slack_user_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_people_workspace_id_teams_user_id"), type_="unique")
        batch_op.drop_column("teams_user_id")
        batch_op.drop_column("slack_user_id")

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_workspaces_platform_external_id"), type_="unique")
        batch_op.drop_column("external_id")
        batch_op.drop_column("platform")


def connection_platform(platform: str, external_id: str) -> str:
    """What a workspace's old (platform, external id) is as a connection."""
    if platform == "shell" and SLACK_TEAM.match(external_id):
        return "slack"  # made by `cadence org import --workspace T0123` before Slack connected
    return platform


def move_data(bind: sa.Connection) -> None:
    workspaces = sa.table(
        "workspaces",
        sa.column("id"),
        sa.column("platform"),
        sa.column("external_id"),
        sa.column("name"),
        sa.column("created_at"),
    )
    connections = sa.table(
        "platform_connections",
        sa.column("workspace_id"),
        sa.column("platform"),
        sa.column("external_id"),
        sa.column("name"),
        sa.column("created_at"),
    )
    people = sa.table(
        "people", sa.column("id"), sa.column("workspace_id"), sa.column("slack_user_id"), sa.column("teams_user_id")
    )
    identities = sa.table(
        "person_identities",
        sa.column("workspace_id"),
        sa.column("person_id"),
        sa.column("platform"),
        sa.column("external_id"),
    )
    rows = bind.execute(sa.select(workspaces).where(workspaces.c.external_id.is_not(None))).all()
    moved = [
        {
            "workspace_id": row.id,
            "platform": connection_platform(row.platform, row.external_id),
            "external_id": row.external_id,
            "name": row.name,
            "created_at": row.created_at,
        }
        for row in rows
        if row.external_id
    ]
    if moved:
        bind.execute(sa.insert(connections), moved)
    found = []
    for person in bind.execute(sa.select(people)).all():
        for platform, external_id in (("slack", person.slack_user_id), ("teams", person.teams_user_id)):
            if external_id:
                found.append(
                    {
                        "workspace_id": person.workspace_id,
                        "person_id": person.id,
                        "platform": platform,
                        "external_id": external_id,
                    }
                )
    if found:
        bind.execute(sa.insert(identities), found)


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", PLATFORM, nullable=False, server_default="shell"))
        batch_op.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_workspaces_platform_external_id"), ["platform", "external_id"])
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_user_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("teams_user_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_people_workspace_id_teams_user_id"), ["workspace_id", "teams_user_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_people_workspace_id_slack_user_id"), ["workspace_id", "slack_user_id"]
        )
        batch_op.drop_column("last_platform")
        batch_op.drop_column("preferred_platform")
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE workspaces SET platform = c.platform, external_id = c.external_id "
            "FROM platform_connections AS c WHERE c.workspace_id = workspaces.id"
        )
    )
    for platform in ("slack", "teams"):
        bind.execute(
            sa.text(
                f"UPDATE people SET {platform}_user_id = i.external_id FROM person_identities AS i "
                "WHERE i.person_id = people.id AND i.platform = :platform"
            ),
            {"platform": platform},
        )
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_identities_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_person_identities_person_id"))
    op.drop_table("person_identities")
    with op.batch_alter_table("platform_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_connections_workspace_id"))
    op.drop_table("platform_connections")
