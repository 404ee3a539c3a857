"""The demo workspace ``make run`` opens when no platform is configured: a small sample org,
clearly labelled as demo data, kept in its own SQLite file so it never mixes with real data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.settings_file import read_settings, read_yaml
from conversations.goal_progress import current_period
from conversations.messages import Platform
from storage import connections, org_import, people, workspaces
from storage.database import Database
from storage.goals_as_code import import_goals
from storage.models import Person, Workspace

DEMO_DIR = Path(__file__).parent
DEMO_EXTERNAL_ID = "demo"
DEMO_NAME = "Demo Co (sample data)"
DEMO_PERSON = "sam.okafor@demo.example"


def ensure_demo_workspace(database: Database) -> tuple[Workspace, Person]:
    """The demo workspace and the person the shell opens as, seeded on first use."""
    with database.session_scope() as session:
        workspace = workspaces.find(session, Platform.SHELL, DEMO_EXTERNAL_ID)
        if workspace is None:
            workspace = Workspace(name=DEMO_NAME)
            session.add(workspace)
            session.flush()
            connections.connect(session, workspace, Platform.SHELL, DEMO_EXTERNAL_ID, DEMO_NAME)
            assert workspace.id is not None
            report = org_import.import_org(session, workspace.id, (DEMO_DIR / "people.csv").read_text())
            assert report.ok, report.errors
            settings, errors = read_settings(DEMO_DIR / "settings.yaml")
            assert settings is not None, errors
            workspaces.apply_settings(session, workspace, settings)
            now = datetime.now(UTC)
            sample_goals = {**read_yaml(DEMO_DIR / "goals.yaml").data, "period": current_period(now.date())}
            goals = import_goals(session, workspace.id, sample_goals, now, now.date())
            assert not goals.errors, goals.errors
        assert workspace.id is not None
        person = people.by_email(session, workspace.id, DEMO_PERSON)
        assert person is not None
        return workspace, person
