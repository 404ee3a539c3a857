"""The baseline for bench/teams_ack.py: a bare Teams SDK ``App`` whose message handler does nothing.

Served by the SDK's own HTTP server adapter (FastAPI, its default) under uvicorn, as Cadence is
served, against the same fake Microsoft. Every option is passed explicitly from the same ``TEAMS_*``
variables Cadence reads, so none of the SDK's own variables (``CLIENT_ID``, ``CLOUD``, ``SERVICE_URL``,
...) or a ``.env`` file can change it. Each POST to ``/api/messages`` has its bearer token validated by
the SDK (signing keys from ``TEAMS_OPENID_METADATA_URL``, issuer, audience, service URL), is parsed
into an activity, routed to the handler and answered 200.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from microsoft_teams.api import ApiClientSettings, MessageActivity
from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.apps import ActivityContext, App, FastAPIAdapter
from microsoft_teams.common import ClientOptions

cloud = with_overrides(
    PUBLIC,
    login_endpoint=os.environ["TEAMS_LOGIN_URL"].rstrip("/"),
    openid_metadata_url=os.environ["TEAMS_OPENID_METADATA_URL"],
    token_issuer=os.environ["TEAMS_TOKEN_ISSUER"],
)
adapter = FastAPIAdapter()
teams = App(
    client_id=os.environ["TEAMS_APP_ID"],
    client_secret=os.environ["TEAMS_APP_PASSWORD"],
    tenant_id=os.environ["TEAMS_TENANT_ID"],
    cloud=cloud,
    service_url=os.environ["TEAMS_SERVICE_URL"],
    api_client_settings=ApiClientSettings(oauth_url=cloud.token_service_url),
    client=ClientOptions(timeout=15.0),
    dangerously_allow_unauthenticated_requests=False,
    http_server_adapter=adapter,
)


@teams.on_message
async def no_op(ctx: ActivityContext[MessageActivity]) -> None:
    """Nothing: the SDK answers 200 once the handler returns."""


@asynccontextmanager
async def initialized(_: Any) -> AsyncIterator[None]:
    """What ``App.start()`` does before serving: register ``/api/messages`` with its token validator."""
    await teams.initialize()
    yield


adapter.lifespans.append(initialized)
app = adapter.app
