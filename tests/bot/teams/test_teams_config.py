"""Teams settings that can't work stop Cadence with one line naming the variable, and the SDK's own
environment variables and .env file change nothing Cadence does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from bot.config import AppConfig, ConfigError, check_teams
from bot.runtime import Runtime
from bot.teams.sdk import build_sdk, cloud_for
from conversations.flows import all_flows
from storage import migrate
from storage.database import Database
from tests.fakes.teams_services import APP_ID as FAKE_APP_ID
from tests.fakes.teams_services import JWKS, TENANT_ID

APP_ID = "8c2d5a1e-3f4b-4c6d-9e7f-0a1b2c3d4e5f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def config(**values) -> AppConfig:
    return AppConfig(_env_file=None, **{"teams_app_id": APP_ID, "teams_app_password": "secret", **values})


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"teams_app_id": "cadence"}, "TEAMS_APP_ID 'cadence' is not an app id"),
        ({"teams_app_password": None}, "TEAMS_APP_PASSWORD is not set"),
        ({"teams_tenant_id": "acme"}, "TEAMS_TENANT_ID 'acme' is not a tenant id"),
        ({"teams_cloud": "mars"}, "TEAMS_CLOUD 'mars' is not a cloud; use one of public, usgov, usgovdod, china"),
        ({"teams_login_url": "http://127.0.0.1:1"}, "TEAMS_LOGIN_URL 'http://127.0.0.1:1' must start with https://"),
        ({"teams_openid_metadata_url": "nowhere"}, "TEAMS_OPENID_METADATA_URL 'nowhere' is not a URL"),
        (
            {"teams_allow_unauthenticated": True, "cadence_env": "production"},
            "TEAMS_ALLOW_UNAUTHENTICATED=true with CADENCE_ENV=production",
        ),
    ],
)
def test_settings_that_cannot_work_are_one_line_naming_the_variable(values: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_teams(config(**values))
    message = str(refused.value)
    assert message.startswith(fragment.split(" ")[0]) and fragment in message and "\n" not in message


def test_unauthenticated_development_is_allowed_outside_production_without_a_password() -> None:
    check_teams(config(teams_allow_unauthenticated=True, teams_app_password=None))
    assert build_sdk(config(teams_allow_unauthenticated=True)).authenticate is False


@pytest.mark.parametrize(
    ("cloud", "login", "issuer"),
    [
        ("public", "https://login.microsoftonline.com", "https://api.botframework.com"),
        ("usgov", "https://login.microsoftonline.us", "https://api.botframework.us"),
        ("usgovdod", "https://login.microsoftonline.us", "https://api.botframework.us"),
        ("china", "https://login.partner.microsoftonline.cn", "https://api.botframework.azure.cn"),
    ],
)
def test_the_cloud_picks_microsofts_endpoints(cloud: str, login: str, issuer: str) -> None:
    chosen = cloud_for(config(teams_cloud=cloud))
    assert chosen.login_endpoint == login and chosen.token_issuer == issuer


def test_single_endpoints_can_be_overridden_for_staging_and_tests() -> None:
    chosen = cloud_for(
        config(
            teams_login_url="https://login.staging.example/",
            teams_openid_metadata_url="https://keys.staging.example/v1/.well-known/openidconfiguration",
            teams_token_issuer="https://issuer.staging.example",
        )
    )
    assert chosen.login_endpoint == "https://login.staging.example"
    assert chosen.openid_metadata_url.startswith("https://keys.staging.example/")
    assert chosen.token_issuer == "https://issuer.staging.example"
    assert chosen.bot_scope == "https://api.botframework.com/.default", "the rest stays the cloud's"


def test_the_sdks_own_variables_and_dotenv_change_nothing(tmp_path: Path) -> None:
    """In a fresh process whose folder has a .env for the SDK and whose environment sets its variables,
    Cadence's SDK pieces still use only what TEAMS_* said, and the .env leaves no trace."""
    (tmp_path / ".env").write_text("CLIENT_ID=from-dotenv\nCLIENT_SECRET=leaked\nCLOUD=China\n")
    script = f"""
import os
import bot.teams.sdk as sdk
from bot.config import AppConfig
assert "CLIENT_SECRET" not in os.environ, "the SDK's .env load was undone"
config = AppConfig(_env_file=None, teams_app_id={APP_ID!r}, teams_app_password="ours", teams_tenant_id={TENANT!r})
built = sdk.build_sdk(config)
assert built.tokens._credentials.client_id == {APP_ID!r}
assert built.tokens._credentials.client_secret == "ours"
assert built.cloud.login_endpoint == "https://login.microsoftonline.com", built.cloud
assert built.api.service_url == "https://smba.trafficmanager.net/teams"
print("isolated")
"""
    environment = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[3]),
        "CLIENT_ID": "from-env",
        "TENANT_ID": "from-env",
        "SERVICE_URL": "https://wrong.example/",
        "OAUTH_URL": "https://wrong.example/",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "isolated"


def test_a_password_microsoft_refuses_stops_start_up_with_one_line(microsoft, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'refused.db'}")
    migrate.upgrade(database.engine)
    wrong = AppConfig(
        _env_file=None,
        teams_app_id=FAKE_APP_ID,
        teams_app_password="not-the-secret",
        teams_tenant_id=TENANT_ID,
        teams_login_url=microsoft.login_url,
        teams_openid_metadata_url=microsoft.openid_metadata_url,
        teams_token_issuer=microsoft.issuer,
    )
    runtime = Runtime(wrong, database, lambda: datetime.now(UTC), all_flows(), [])
    with pytest.raises(ConfigError) as refused:
        asyncio.run(runtime.connect())
    message = str(refused.value)
    assert message.startswith("Microsoft's login refused TEAMS_APP_ID/TEAMS_APP_PASSWORD") and "\n" not in message
    assert "not-the-secret" not in message
    database.dispose()


def test_tokens_are_checked_on_the_loop_once_the_keys_are_fetched(microsoft) -> None:
    sdk = build_sdk(
        AppConfig(
            _env_file=None,
            teams_app_id=FAKE_APP_ID,
            teams_app_password="x",
            teams_openid_metadata_url=microsoft.openid_metadata_url,
            teams_token_issuer=microsoft.issuer,
        )
    )
    url = microsoft.base_url

    async def check(headers: dict[str, str]):
        return await sdk.validate(headers["Authorization"], url)

    for _ in range(3):
        claims = asyncio.run(check(microsoft.authorization(FAKE_APP_ID, url)))
        assert claims["aud"] == FAKE_APP_ID
    assert microsoft.count(JWKS) == 1, "fetched once, in a thread; then from the cache"
    forged = {"Authorization": f"Bearer {microsoft.mint(FAKE_APP_ID, url, headers={'kid': 'unknown'})}"}
    with pytest.raises(jwt.PyJWTError):
        asyncio.run(check(forged))
    with pytest.raises(jwt.PyJWTError):
        asyncio.run(check({"Authorization": f"Bearer {microsoft.mint(FAKE_APP_ID, url, key='other')}"}))
