from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import org_import
from tests.bot.slack.harness import RunningCadence
from tests.fakes.slack_api import PROXY_ENV_VARS, FakeSlackApi

ORG = """email,name,slack_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,U0002,,Platform,America/New_York,manager
ada@acme.example,Ada Lovelace,U0001,grace@acme.example,Platform,Europe/London,member
"""


@pytest.fixture(autouse=True)
def no_proxies_or_oauth_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk would route loopback calls through a configured proxy, and Bolt switches to OAuth by itself."""
    for name in (*PROXY_ENV_VARS, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def seed_org(cadence: RunningCadence) -> None:
    from conversations.messages import Platform
    from storage.workspaces import find

    with cadence.database.session_scope() as session:
        workspace = find(session, Platform.SLACK, "T0001")
        report = org_import.import_org(session, workspace.id, ORG)
        assert report.ok, report.errors


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi) -> Iterator[RunningCadence]:
    """Cadence serving Slack over HTTP for workspace T0001, with Ada reporting to Grace."""
    with RunningCadence(tmp_path, slack) as running:
        seed_org(running)
        yield running
