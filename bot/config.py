"""Process configuration from the environment or a ``.env`` file.

Workspace behaviour (questions, schedules, kudos rules) is not here: it lives in the database
via ``cadence config apply`` so that every replica sees the same settings.
"""

from __future__ import annotations

import os
import re
import socket

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.log_output import LogFormat, LogLevel
from storage.database import DEFAULT_DATABASE_URL

DEFAULT_DEMO_DATABASE_URL = "sqlite:///./cadence-demo.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
TEAMS_CLOUDS = ("public", "usgov", "usgovdod", "china")


class AppConfig(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    database_session_url: str | None = None
    """PostgreSQL only: a route to the same database past a pooler in transaction mode (PgBouncer), for
    the two connections that keep state in their session: the scheduler's lock and the replicas'
    wake-up. Unset, they use DATABASE_URL."""
    demo_database_url: str = DEFAULT_DEMO_DATABASE_URL
    log_level: LogLevel = LogLevel.INFO
    log_format: LogFormat = LogFormat.TEXT

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_client_id: str | None = None
    slack_client_secret: str | None = None

    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_cloud: str = "public"
    teams_login_url: str | None = None
    teams_openid_metadata_url: str | None = None
    teams_token_issuer: str | None = None
    teams_service_url: str = DEFAULT_TEAMS_SERVICE_URL
    teams_allow_unauthenticated: bool = False

    cadence_env: str = "development"
    cadence_secret_key: SecretStr | None = None
    """Fernet keys, newest first, that tokens and private notes are encrypted under (storage.secrets)."""

    cadence_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a request or delivery claimed by a replica that vanished waits before another takes it."""
    cadence_concurrency: int | None = Field(default=None, ge=1, le=64, examples=[8])
    """How many requests a process works on at once (each a different person's): by default 8 on
    PostgreSQL, and 1 on SQLite, which lets one writer in at a time."""
    cadence_worker_processes: int | None = Field(default=None, ge=0, le=32, examples=[1])
    """Processes ``cadence serve`` starts for the background work (inbox, outbox, scheduler), so the
    serving process only records and acks (``bot/worker_processes.py``): by default one (none for an
    in-memory SQLite database, which no other process can open); 0 keeps it all in one process."""
    cadence_worker_niceness: int = Field(default=10, ge=0, le=19)
    """How much lower the worker processes' CPU priority is than the serving process's (``nice``)."""
    cadence_shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    """On SIGTERM: how long in-flight requests and sends may take to finish before the process exits."""

    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def has_teams(self) -> bool:
        return bool(self.teams_app_id)

    @property
    def secret_keys(self) -> str | None:
        return self.cadence_secret_key.get_secret_value() if self.cadence_secret_key else None

    @property
    def in_production(self) -> bool:
        return self.cadence_env.strip().lower() == "production"


def setting_problem(error: ValidationError) -> str:
    """The first setting the environment got wrong, as one sentence naming the variable, the value it
    was given, what was wrong with it and a value it takes."""
    problem = error.errors()[0]
    field_name = str(problem["loc"][0]) if problem["loc"] else ""
    variable = field_name.upper()
    field = AppConfig.model_fields.get(field_name)
    given = problem.get("input")
    if field is None:
        return f"environment setting {variable}: {problem['msg']}"
    example = field.examples[0] if field.examples else field.default
    if isinstance(example, bool):
        example = str(example).lower()
    suggestion = f"; for example {variable}={example}" if example not in (None, "") else ""
    return f"{variable}={given} can't be used: {problem['msg']}{suggestion}"


class ConfigError(ValueError):
    """A missing or contradictory setting; the message names the variable and how to fix it."""


class SlackUnreachable(Exception):
    """No answer at all from Slack's Web API (refused, unknown host, timed out, cut off): either
    ``SLACK_API_URL`` is wrong or this machine can't get out to it. Said in one line that names
    both, because the error the HTTP library gives names neither."""

    def __init__(self, api_url: str, error: BaseException) -> None:
        default = "" if api_url == DEFAULT_SLACK_API_URL else f" (or unset it to use {DEFAULT_SLACK_API_URL})"
        super().__init__(
            f"can't reach Slack at SLACK_API_URL={api_url} ({connection_problem(error)}); check that address{default} "
            "and this machine's network (DNS, proxy, firewall)"
        )


def connection_problem(error: BaseException) -> str:
    """A connection failure in a few words: the operating system's reason when there is one."""
    if isinstance(error, TimeoutError):
        return "no answer in time"
    reason = getattr(error, "os_error", None) or error
    if isinstance(reason, socket.gaierror):
        return f"the host name does not resolve: {reason.strerror}"
    if isinstance(reason, OSError) and reason.errno and reason.errno > 0:
        return os.strerror(reason.errno).lower()
    return str(error) or type(error).__name__


def check_slack(config: AppConfig, *, socket_mode: bool) -> None:
    """Refuse to start Slack with settings that can't work, naming the variable to change."""
    if config.slack_client_id or config.slack_client_secret:
        if not config.slack_client_id:
            raise ConfigError("SLACK_CLIENT_ID is not set; multi-workspace install needs it with SLACK_CLIENT_SECRET")
        if not config.slack_client_secret:
            raise ConfigError("SLACK_CLIENT_SECRET is not set; multi-workspace install needs it with SLACK_CLIENT_ID")
        if config.slack_bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set; use SLACK_BOT_TOKEN for one workspace "
                "or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for installs from /slack/install, not both"
            )
    elif not config.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set; copy the Bot User OAuth Token (xoxb-...) from your Slack app")
    if config.slack_bot_token and not config.slack_bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (not a user or app token)")
    if socket_mode:
        if not config.slack_app_token:
            raise ConfigError(
                "SLACK_APP_TOKEN is not set; Socket Mode needs an app-level token (xapp-...) with connections:write"
            )
        if not config.slack_app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    elif not config.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set; copy it from Basic Information → App Credentials")
    if not config.slack_api_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"SLACK_API_URL {config.slack_api_url!r} is not a URL; leave it unset to use https://slack.com/api/"
        )


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TEAMS_URLS = ("TEAMS_LOGIN_URL", "TEAMS_OPENID_METADATA_URL", "TEAMS_TOKEN_ISSUER", "TEAMS_SERVICE_URL")


def check_teams(config: AppConfig) -> None:
    """Refuse to start Teams with settings that can't work, naming the variable to change."""
    app_id = config.teams_app_id or ""
    if not _GUID.match(app_id):
        raise ConfigError(
            f"TEAMS_APP_ID {app_id!r} is not an app id; copy the Microsoft App ID of your Azure bot, "
            "a GUID such as 8c2d5a1e-3f4b-4c6d-9e7f-0a1b2c3d4e5f"
        )
    if not config.teams_app_password and not config.teams_allow_unauthenticated:
        raise ConfigError(
            "TEAMS_APP_PASSWORD is not set; create a client secret for the bot's app registration "
            "(Certificates & secrets) and put its value here"
        )
    if config.teams_tenant_id and not _GUID.match(config.teams_tenant_id):
        raise ConfigError(
            f"TEAMS_TENANT_ID {config.teams_tenant_id!r} is not a tenant id; it is a GUID such as "
            "72f988bf-86f1-41af-91ab-2d7cd011db47 (leave it unset for a multi-tenant bot)"
        )
    if config.teams_cloud.strip().lower() not in TEAMS_CLOUDS:
        raise ConfigError(f"TEAMS_CLOUD {config.teams_cloud!r} is not a cloud; use one of {', '.join(TEAMS_CLOUDS)}")
    for name in _TEAMS_URLS:
        value = getattr(config, name.lower())
        if value is not None and not value.startswith(("https://", "http://")):
            raise ConfigError(f"{name} {value!r} is not a URL; leave it unset to use the cloud's own")
    if config.teams_login_url and not config.teams_login_url.startswith("https://"):
        raise ConfigError(
            f"TEAMS_LOGIN_URL {config.teams_login_url!r} must start with https://: Microsoft's login library "
            "only talks to https authorities"
        )
    if config.teams_allow_unauthenticated and config.in_production:
        raise ConfigError(
            "TEAMS_ALLOW_UNAUTHENTICATED=true with CADENCE_ENV=production: anyone could post to /api/messages "
            "as anyone; unset TEAMS_ALLOW_UNAUTHENTICATED (it is for local development only)"
        )
