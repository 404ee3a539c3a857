"""Migration 0005 on a database at the previous head with rows in every table: organisations keep
everything, become connected to their platforms, and people keep who they are on each platform."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from storage import migrate
from storage.database import Database

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PREVIOUS_HEAD = "0004"

# what a row needs beyond the generic filler: the values that mean something here
ROWS: dict[str, list[dict[str, Any]]] = {
    "workspaces": [
        {"id": 1, "platform": "slack", "external_id": "T0SLACK1", "name": "Acme"},
        {"id": 2, "platform": "shell", "external_id": "demo", "name": "Demo Co"},
        {"id": 3, "platform": "shell", "external_id": "T0WAITING", "name": "Imported before Slack"},
        {"id": 4, "platform": "shell", "external_id": None, "name": "Not connected"},
    ],
    "teams": [{"id": 1, "workspace_id": 1, "name": "Platform"}],
    "people": [
        {
            "id": 1,
            "workspace_id": 1,
            "email": "ada@acme.test",
            "display_name": "Ada",
            "slack_user_id": "U0ADA",
            "teams_user_id": "aad-ada",
            "role": "manager",
            "team_id": 1,
        },
        {
            "id": 2,
            "workspace_id": 1,
            "email": "bob@acme.test",
            "display_name": "Bob",
            "slack_user_id": "U0BOB",
            "manager_id": 1,
            "role": "member",
        },
        {"id": 3, "workspace_id": 2, "email": "sam@demo.example", "display_name": "Sam", "role": "member"},
    ],
    "company_values": [{"workspace_id": 1, "slug": "craft", "label": "Craft"}],
    "goals": [
        {
            "id": 1,
            "workspace_id": 1,
            "number": 1,
            "title": "Ship",
            "level": "person",
            "kind": "business",
            "state": "open",
            "period": "2026-Q4",
            "owner_id": 1,
        }
    ],
    "key_results": [{"id": 1, "workspace_id": 1, "goal_id": 1, "number": 1, "title": "Formats", "metric": "number"}],
    "goal_updates": [{"goal_id": 1, "key_result_id": 1, "author_id": 1, "source": "checkin"}],
    "checkin_templates": [{"id": 1, "workspace_id": 1, "fingerprint": "f" * 64, "questions": []}],
    "checkin_cycles": [{"id": 1, "workspace_id": 1, "week": "2026-W49"}],
    "checkin_responses": [{"cycle_id": 1, "person_id": 2, "template_id": 1, "status": "submitted", "answers": {}}],
    "time_off": [{"person_id": 2}],
    "kudos": [{"id": 1, "workspace_id": 1, "giver_id": 1, "recipient_id": 2, "message": "thanks", "source": "command"}],
    "kudos_values": [{"kudos_id": 1, "value_id": 1}],
    "conversation_states": [
        {"workspace_id": 1, "person_id": 2, "platform": "slack", "flow": "checkin", "step": "asking"}
    ],
    "conversation_references": [
        {"workspace_id": 1, "person_id": 2, "platform": "slack", "reference": {"channel": "D0BOB"}}
    ],
    "inbox_requests": [
        {"platform": "slack", "request_key": "slack:event:Ev1", "team": "T0SLACK1", "kind": "inbound", "status": "done"}
    ],
    "outbox_deliveries": [
        {
            "workspace_id": 1,
            "platform": "slack",
            "kind": "checkin_prompt",
            "recipient": "person:2",
            "dedupe_key": "checkin:prompt:2:2026-W49",
            "status": "sent",
        }
    ],
    "slack_installations": [{"client_id": "c", "team_id": "T0SLACK1", "user_id": "U0ADA", "installed_at": NOW}],
    "slack_bots": [{"client_id": "c", "team_id": "T0SLACK1", "installed_at": NOW}],
    "slack_oauth_states": [{"state": "s", "expires_at": NOW}],
}


def filler(column: sa.Column) -> Any:
    """A value for a column the test has nothing to say about."""
    kind = column.type
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return date(2026, 12, 1)
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.Float | sa.Numeric):
        return 1.0
    return "x"


def fill(database: Database) -> None:
    metadata = sa.MetaData()
    metadata.reflect(database.engine)
    with database.engine.begin() as connection:
        for name, rows in ROWS.items():
            table = metadata.tables[name]
            for row in rows:
                values = {
                    column.name: filler(column)
                    for column in table.columns
                    if not column.nullable and not column.primary_key and column.name not in row
                }
                connection.execute(table.insert().values(**values, **row))


def counts(connection: sa.Connection) -> dict[str, int]:
    return {name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one() for name in ROWS}


def test_the_migration_keeps_every_row_and_moves_platforms_into_connections_and_identities(
    any_database_at_previous_head: Database,
) -> None:
    database = any_database_at_previous_head
    fill(database)
    with database.engine.connect() as connection:
        before = counts(connection)
    assert all(before.values()), "a row in every table"
    migrate.upgrade(database.engine)
    with database.engine.connect() as connection:
        assert counts(connection) == before, "nothing lost, including rows that point at people and workspaces"
        connections = connection.execute(
            sa.text("SELECT workspace_id, platform, external_id FROM platform_connections ORDER BY workspace_id")
        ).all()
        identities = connection.execute(
            sa.text("SELECT person_id, platform, external_id FROM person_identities ORDER BY person_id, platform")
        ).all()
        columns = {column["name"] for column in sa.inspect(connection).get_columns("people")}
    assert [tuple(row) for row in connections] == [
        (1, "slack", "T0SLACK1"),
        (2, "shell", "demo"),
        (3, "slack", "T0WAITING"),  # imported for a Slack team before it connected
    ]
    assert [tuple(row) for row in identities] == [(1, "slack", "U0ADA"), (1, "teams", "aad-ada"), (2, "slack", "U0BOB")]
    assert "slack_user_id" not in columns and {"preferred_platform", "last_platform"} <= columns


def test_waiting_messages_keep_where_they_were_going(any_database_at_previous_head: Database) -> None:
    database = any_database_at_previous_head
    fill(database)
    migrate.upgrade(database.engine, "0005")
    old = [
        ("respond", "person:2", {"method": "respond", "response_url": "https://hooks.slack.com/x"}),
        ("ephemeral", "person:2", {"method": "post_ephemeral", "channel": "C1"}),
        ("dm reply", "person:2", {"method": "post_message", "channel": "D0BOB"}),
        ("home", "person:2", {"method": "publish_home"}),
        ("card", "channel:#kudos", {"method": "post_message", "channel": "#kudos"}),
        ("prompt", "person:2", None),
    ]
    with database.engine.begin() as connection:
        for key, recipient, slack in old:
            payload = {"outbound": {"kind": "x", "data": {}}, **({"slack": slack} if slack else {})}
            connection.execute(
                sa.text(
                    "INSERT INTO outbox_deliveries (workspace_id, platform, kind, recipient, dedupe_key, payload, "
                    "status, attempts, next_attempt_at, created_at) VALUES (1, 'slack', 'x', :recipient, :key, "
                    ":payload, 'pending', 0, :now, :now)"
                ),
                {"recipient": recipient, "key": key, "payload": json.dumps(payload), "now": NOW},
            )
    migrate.upgrade(database.engine)
    with database.engine.connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT dedupe_key, payload FROM outbox_deliveries")).all())
    destinations = {
        key: (json.loads(value) if isinstance(value, str) else value).get("destination") for key, value in rows.items()
    }
    assert destinations["respond"] == {
        "type": "command_answer",
        "reply_to": "https://hooks.slack.com/x",
        "person_id": 2,
    }
    assert destinations["ephemeral"] == {"type": "private_reply", "conversation": "C1", "person_id": 2}
    assert destinations["dm reply"] == {"type": "reply_here", "conversation": "D0BOB", "person_id": 2}
    assert destinations["home"] == {"type": "direct_message", "person_id": 2}
    assert destinations["card"] == {"type": "channel_post", "channel": "#kudos"}
    assert destinations["prompt"] == {"type": "direct_message", "person_id": 2}
    assert destinations["checkin:prompt:2:2026-W49"] is None, "a sent row is left as it was"
