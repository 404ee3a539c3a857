"""Microsoft's Teams SDK, configured only from Cadence's ``TEAMS_*`` settings.

The SDK reads ``CLIENT_ID``, ``CLIENT_SECRET``, ``TENANT_ID``, ``CLOUD``, ``SERVICE_URL``,
``OAUTH_URL`` and ``DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS`` from the environment, and loads a
``.env`` file (from here or any parent folder) when ``microsoft_teams.apps`` is imported. None of
that may change what Cadence does, so this is the only module that imports the SDK's app package:
whatever its ``.env`` load adds to the environment is taken out again, and Cadence uses the SDK's
pieces (the inbound token validator, the token manager, the API client, the activity models) with
every option passed explicitly, never its ``App``, which reads those variables.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


def _import_without_its_dotenv() -> None:
    """Import the SDK's app package, then drop the variables its ``.env`` load set (it never
    overrides what was already set, so the variables that are new are exactly the ones it added)."""
    before = set(os.environ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a preview feature Cadence doesn't use announces itself
        import microsoft_teams.apps  # noqa: F401

    for name in set(os.environ) - before:
        del os.environ[name]


_import_without_its_dotenv()

import jwt  # noqa: E402
from microsoft_teams.api import ActivityTypeAdapter, ApiClient, ApiClientSettings  # noqa: E402
from microsoft_teams.api.auth.cloud_environment import (  # noqa: E402
    CHINA,
    PUBLIC,
    US_GOV,
    US_GOV_DOD,
    CloudEnvironment,
    with_overrides,
)
from microsoft_teams.api.auth.credentials import ClientCredentials  # noqa: E402
from microsoft_teams.apps.auth.token_validator import InboundActivityTokenValidator  # noqa: E402
from microsoft_teams.apps.token_manager import TokenManager  # noqa: E402
from microsoft_teams.apps.token_provider import AppTokenProvider  # noqa: E402
from microsoft_teams.common import ClientOptions  # noqa: E402
from msal import ConfidentialClientApplication  # noqa: E402
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS  # noqa: E402

from bot.config import AppConfig  # noqa: E402

ACTIVITY_MODELS = ActivityTypeAdapter
"""The SDK's models of every activity it knows, discriminated by type (and an invoke's name)."""
CLOUDS: Mapping[str, CloudEnvironment] = {"public": PUBLIC, "usgov": US_GOV, "usgovdod": US_GOV_DOD, "china": CHINA}
HTTP_TIMEOUT_SECONDS = 15.0  # the SDK's HTTP client waits forever unless told otherwise
LOGIN_TIMEOUT_SECONDS = 15


def cloud_for(config: AppConfig) -> CloudEnvironment:
    """``TEAMS_CLOUD``'s endpoints, with any single one overridden (staging, tests)."""
    return with_overrides(
        CLOUDS[config.teams_cloud.strip().lower()],
        login_endpoint=config.teams_login_url.rstrip("/") if config.teams_login_url else None,
        openid_metadata_url=config.teams_openid_metadata_url,
        token_issuer=config.teams_token_issuer,
    )


class BotTokens(TokenManager):
    """The SDK's token manager (MSAL client credentials against the cloud's login endpoint), with
    two things it leaves out: a time limit on MSAL's calls, and no instance discovery at Microsoft
    for a login endpoint Microsoft doesn't know (a staging or test authority set in TEAMS_LOGIN_URL;
    MSAL would otherwise ask login.microsoftonline.com whether that host is real)."""

    def _get_confidential_client(self, credentials: ClientCredentials, tenant_id: str) -> ConfidentialClientApplication:
        cached = self._confidential_clients_by_tenant.get(tenant_id)
        if cached is not None:
            return cached
        host = urlsplit(self._cloud.login_endpoint).hostname or ""
        client = ConfidentialClientApplication(
            credentials.client_id,
            client_credential=credentials.client_secret,
            authority=f"{self._cloud.login_endpoint}/{tenant_id}",
            instance_discovery=host in WELL_KNOWN_AUTHORITY_HOSTS,
            timeout=LOGIN_TIMEOUT_SECONDS,
        )
        self._confidential_clients_by_tenant[tenant_id] = client
        return client

    async def prepare(self) -> None:
        """Get the first token now, off the event loop: MSAL reads the authority's metadata with a
        blocking call the first time, and a wrong password should stop start-up, not a send."""
        await asyncio.to_thread(lambda: asyncio.run(self.get_bot_token()))


@dataclass
class TeamsSdk:
    """The SDK's pieces Cadence uses, built from its settings."""

    app_id: str
    cloud: CloudEnvironment
    validator: InboundActivityTokenValidator
    tokens: BotTokens | None
    api: ApiClient
    authenticate: bool

    async def validate(self, authorization: str | None, service_url: str | None) -> Mapping[str, Any]:
        """The claims of the request's bearer token, or ``jwt.InvalidTokenError``; a token must expire.

        The SDK fetches Microsoft's signing keys with a blocking call when its five-minute cache runs
        out, which must not stall the event loop (and every other request) while it waits. So a token
        signed by a key in the cache is checked on the loop, a fraction of a millisecond; otherwise the
        keys are fetched in a thread first, and a token whose key still isn't there (a key Microsoft
        just rotated in, or a forgery) is checked in a thread of its own."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise jwt.InvalidTokenError("no bearer token")
        keys = self._service_keys()
        if keys is not None and not self._cached(keys, token):
            await asyncio.to_thread(keys.get_jwk_set)
        if keys is not None and self._cached(keys, token):
            claims = await self.validator.validate_token(token, service_url)
        else:
            claims = await asyncio.to_thread(lambda: asyncio.run(self.validator.validate_token(token, service_url)))
        if "exp" not in claims:  # the SDK checks an expiry only where there is one
            raise jwt.MissingRequiredClaimError("exp")
        return claims

    def _service_keys(self) -> jwt.PyJWKClient | None:
        """The SDK's client for the Bot Framework signing keys (2.1.1 keeps it on its service validator)."""
        service_validator = getattr(self.validator, "_service_validator", None)
        keys = getattr(service_validator, "_jwks_client", None)
        return keys if isinstance(keys, jwt.PyJWKClient) else None

    def _cached(self, keys: jwt.PyJWKClient, token: str) -> bool:
        """Whether checking ``token`` needs nothing fetched: a Bot Framework token (not an Entra one,
        which the SDK checks against other keys) signed by a key in the unexpired cache."""
        cached = keys.jwk_set_cache.get() if keys.jwk_set_cache is not None else None
        if cached is None:
            return False
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return False
        return issuer == self.cloud.token_issuer and any(key.key_id == kid for key in cached.keys)

    def client_for(self, service_url: str) -> ApiClient:
        return self.api.from_service_url(service_url)


def build_sdk(config: AppConfig) -> TeamsSdk:
    assert config.teams_app_id is not None
    cloud = cloud_for(config)
    tokens = (
        BotTokens(
            ClientCredentials(
                client_id=config.teams_app_id,
                client_secret=config.teams_app_password,
                tenant_id=config.teams_tenant_id or None,
            ),
            cloud,
        )
        if config.teams_app_password
        else None
    )
    api = ApiClient(
        config.teams_service_url,
        ClientOptions(timeout=HTTP_TIMEOUT_SECONDS),
        ApiClientSettings(oauth_url=cloud.token_service_url),
        cloud,
        token_provider=AppTokenProvider(tokens, cloud) if tokens is not None else None,
    )
    return TeamsSdk(
        app_id=config.teams_app_id,
        cloud=cloud,
        validator=InboundActivityTokenValidator(config.teams_app_id, cloud),
        tokens=tokens,
        api=api,
        authenticate=not config.teams_allow_unauthenticated,
    )
