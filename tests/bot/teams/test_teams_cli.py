"""What an operator types for Teams: the app package, connecting an organisation to a tenant, and
linking a team's roster to the org file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.bot.cli_helpers import Cadence
from tests.fakes.teams_services import APP_ID, APP_SECRET, TENANT_ID, FakeMicrosoft

ORG = """email,name,manager_email,team,timezone
grace@acme.example,Grace Hopper,,Platform,America/New_York
ada@acme.example,Ada Lovelace,grace@acme.example,Platform,Europe/London
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cadence:
    cadence = Cadence(f"sqlite:///{tmp_path / 'cli.db'}")  # real time: TLS certificates and tokens are dated
    assert cadence("db", "upgrade").code == 0
    return cadence


def one_line(result, *fragments: str) -> None:
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_manifest_teams_writes_the_package_to_upload(cli: Cadence, tmp_path: Path) -> None:
    out = tmp_path / "cadence-teams.zip"
    result = cli("manifest", "teams", "--app-id", APP_ID, "--out", out, "--url", "https://cadence.acme.example")
    assert result.code == 0, result.err
    assert result.out.strip() == str(out) and result.err == ""
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    placeholder = cli("manifest", "teams", "--app-id", APP_ID, "--out", tmp_path / "p.zip")
    assert placeholder.code == 0 and "placeholders" in placeholder.err


def test_manifest_teams_refuses_what_is_not_an_app_id(cli: Cadence, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    one_line(cli("manifest", "teams", "--app-id", "cadence", "--out", tmp_path / "x.zip"), "not a GUID", "for example")
    one_line(cli("manifest", "teams", "--out", tmp_path / "x.zip"), "--app-id", "TEAMS_APP_ID")
    assert not (tmp_path / "x.zip").exists()


def test_org_import_connects_the_organisation_to_a_teams_tenant(cli: Cadence, tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG)
    result = cli("org", "import", org, "--teams-tenant", TENANT_ID)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == f"Cadence is connected to Teams ({TENANT_ID})"
    one_line(cli("org", "import", org, "--teams-tenant", "acme"), "not a Microsoft tenant id", "GUID")


def test_org_sync_teams_links_the_roster_by_email(
    cli: Cadence, tmp_path: Path, microsoft: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG)
    assert cli("org", "import", org, "--teams-tenant", TENANT_ID).code == 0
    for name, value in {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": APP_SECRET,
        "TEAMS_TENANT_ID": TENANT_ID,
        "TEAMS_LOGIN_URL": microsoft.login_url,
        "TEAMS_SERVICE_URL": microsoft.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    first = cli("org", "sync", "--teams", "19:team@thread.tacv2")
    assert first.code == 0, first.err
    assert first.out.strip() == "Cadence: 2 linked, 0 already linked, 1 not in the org file"
    again = cli("org", "sync", "--teams", "19:team@thread.tacv2")
    assert again.out.strip() == "Cadence: 0 linked, 2 already linked, 1 not in the org file"
    microsoft.fail_next("paged_members", 404)
    one_line(cli("org", "sync", "--teams", "19:nope@thread.tacv2"), "HTTP 404", "team id")
