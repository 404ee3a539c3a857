"""Process configuration from the environment or a ``.env`` file.

Workspace behaviour (questions, schedules, kudos rules) is not here: it lives in the database
via ``cadence config apply`` so that every replica sees the same settings.
"""

from __future__ import annotations

import os
import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.database import DEFAULT_DATABASE_URL

DEFAULT_DEMO_DATABASE_URL = "sqlite:///./cadence-demo.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class AppConfig(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    demo_database_url: str = DEFAULT_DEMO_DATABASE_URL
    log_level: str = "INFO"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_client_id: str | None = None
    slack_client_secret: str | None = None

    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)

    @property
    def has_slack(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def has_teams(self) -> bool:
        return bool(self.teams_app_id)


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
