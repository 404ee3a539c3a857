"""Process configuration from the environment or a ``.env`` file.

Workspace behaviour (questions, schedules, kudos rules) is not here: it lives in the database
via ``cadence config apply`` so that every replica sees the same settings.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.database import DEFAULT_DATABASE_URL

DEFAULT_DEMO_DATABASE_URL = "sqlite:///./cadence-demo.db"


class AppConfig(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    demo_database_url: str = DEFAULT_DEMO_DATABASE_URL
    log_level: str = "INFO"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
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
