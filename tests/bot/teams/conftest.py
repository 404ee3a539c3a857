from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conversations.messages import Platform
from storage import connections, org_import
from tests.bot.teams.harness import Person, RunningTeams
from tests.fakes.teams_services import CA_ENV_VARS, PROXY_ENV_VARS, TENANT_ID, FakeMicrosoft

ADA = Person("29:1ada", str(uuid.uuid5(uuid.NAMESPACE_URL, "29:1ada")), "Ada Lovelace")
GRACE = Person("29:1grace", str(uuid.uuid5(uuid.NAMESPACE_URL, "29:1grace")), "Grace Hopper")
ORG = f"""email,name,teams_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,{GRACE.aad},,Platform,America/New_York,manager
ada@acme.example,Ada Lovelace,{ADA.aad},grace@acme.example,Platform,Europe/London,member
"""


@pytest.fixture
def microsoft(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMicrosoft]:
    """Microsoft's login, signing keys and Bot Connector on loopback; MSAL trusts the fake's CA."""
    for name in (*PROXY_ENV_VARS, *CA_ENV_VARS, "CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    with FakeMicrosoft() as fake:
        for name, value in fake.ca_environment().items():
            monkeypatch.setenv(name, value)
        yield fake


def seed_org(running: RunningTeams, text: str = ORG) -> None:
    with running.database.session_scope() as session:
        workspace = connections.workspace_for(session, Platform.TEAMS, TENANT_ID)
        assert workspace is not None, "the configured tenant is connected at start-up"
        report = org_import.import_org(session, workspace.id, text)
        assert report.ok, report.errors


@pytest.fixture
def teams(tmp_path: Path, microsoft: FakeMicrosoft) -> Iterator[RunningTeams]:
    """Cadence serving Teams over HTTP for the fake tenant, with Ada reporting to Grace."""
    with RunningTeams(tmp_path, microsoft) as running:
        seed_org(running)
        yield running
