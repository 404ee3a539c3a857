"""Fakes of the Microsoft services a Teams bot talks to, served on loopback by one ``FakeMicrosoft``.

* **Bot Connector**: the REST API that an activity's ``serviceUrl`` points at (``/v3/conversations...``), as
  ``microsoft_teams.api.ApiClient`` calls it. It requires a bearer token from the fake login, throttles like
  Teams (per conversation and per app) and accepts injected failures.
* **Microsoft Entra login**: the tenant discovery document and the ``client_credentials`` token endpoint
  that MSAL uses. MSAL only accepts ``https`` authorities, so this runs on TLS, with a certificate from a
  throwaway CA whose PEM is at ``ca_bundle_path``.
* **Bot Framework OpenID metadata and JWKS**: the keys the SDK's inbound validator checks activity tokens
  with, and ``mint`` to sign such tokens.
* **OneDrive upload sessions**: where a bot puts a file a person accepted from a file consent card.
  ``upload_session(name)`` is the ``uploadInfo`` Teams sends in the ``fileConsent/invoke``; the bot PUTs
  the bytes to its ``uploadUrl`` (pre-authorised: no bearer token, ``Content-Range`` required), and
  ``uploaded(unique_id)`` reads them back.

The code under test keeps using the real SDK clients, MSAL and PyJWT, pointed at these addresses. That way
their serialisation, token caching and error handling (``httpx.HTTPStatusError`` with ``Retry-After``) run
as in production; mocking them would skip all of that::

    with FakeMicrosoft() as microsoft:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", microsoft.ca_bundle_path)  # or microsoft.ca_environment()
        cloud = microsoft.cloud()  # PUBLIC with the login, metadata URL and issuer pointed here
        ...
        assert microsoft.sent("a:conv-1")[0]["text"] == "hi"

The server runs in a background thread with its own event loop, like ``FakeSlackApi``: synchronous tests and
``asyncio`` code under test can both use it, and an event loop that blocks (MSAL and PyJWT's JWKS fetch are
synchronous) cannot deadlock it. One loop serves two ports: plain HTTP (``base_url``, metadata, JWKS) and TLS
(``login_url``, ``https_base_url``). Every route is served on both, so which one a client uses is up to it.

requests, httpx and urllib honour ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``; delete ``PROXY_ENV_VARS`` in
tests, or loopback calls may go to the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import functools
import hashlib
import itertools
import json
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from multidict import CIMultiDict, CIMultiDictProxy

from tests.fakes.slack_api import PROXY_ENV_VARS as SLACK_PROXY_ENV_VARS
from tests.fakes.slack_api import ManualClock as ManualClock  # re-exported: the clock to pass as clock=
from tests.fakes.slack_api import RollingWindowLimiter
from tests.fakes.tls import CA_FILE, ServerCertificate, server_certificate

if TYPE_CHECKING:
    from microsoft_teams.api.auth.cloud_environment import CloudEnvironment

Payload = dict[str, Any]

APP_ID = "00000000-0000-4000-8000-00000000b075"
"""The bot's Microsoft App ID (Entra client ID) that the fake login knows."""
APP_SECRET = "fake-client-secret"
TENANT_ID = "11111111-1111-4111-8111-111111111111"
"""The tenant of ``default_roster``'s people and a sensible ``tenant_id`` for the bot's credentials."""
BOT_ID = f"28:{APP_ID}"
"""The bot's id in Teams conversations (``28:`` + App ID)."""
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
CONNECTOR_AUDIENCE = "https://api.botframework.com"
"""The ``aud`` the Bot Connector demands of bearer tokens: ``BOT_FRAMEWORK_SCOPE`` without ``/.default``."""
BOT_FRAMEWORK_ISSUER = "https://api.botframework.test"
"""Issuer of minted activity tokens. Not under the login URL nor sts.windows.net, or the SDK takes its Entra path."""

PROXY_ENV_VARS = (*SLACK_PROXY_ENV_VARS, "ALL_PROXY", "all_proxy")
CA_ENV_VARS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
"""requests reads the first (then the last); httpx and Python's ssl module read SSL_CERT_FILE."""

# Kinds of request. ``fail_next``, ``wait_for_requests`` and ``requests(kind=...)`` accept these.
CREATE_CONVERSATION = "create_conversation"
SEND = "send"
REPLY = "reply"
"""A POST to ``.../activities`` whose body has ``replyToId`` (what the SDK sends), or to ``.../activities/{id}``."""
UPDATE = "update"
DELETE = "delete"
PAGED_MEMBERS = "paged_members"
MEMBERS = "members"
MEMBER = "member"
TOKEN = "token"
TENANT_DISCOVERY = "tenant_discovery"
OPENID_CONFIGURATION = "openid_configuration"
JWKS = "jwks"
TEAM_CHANNELS = "team_channels"
FILE_UPLOAD = "file_upload"
"""A PUT of a file's bytes to an upload session's URL."""
UNKNOWN = "unknown"
CONNECTOR_KINDS = frozenset({CREATE_CONVERSATION, SEND, REPLY, UPDATE, DELETE, PAGED_MEMBERS, MEMBERS, MEMBER})
LOGIN_KINDS = frozenset({TOKEN, TENANT_DISCOVERY})
KINDS = CONNECTOR_KINDS | LOGIN_KINDS | {OPENID_CONFIGURATION, JWKS, FILE_UPLOAD, UNKNOWN}

DEFAULT_PAGE_SIZE = 200  # [assumption] Teams' default when pageSize is absent
MAX_PAGE_SIZE = 500  # Teams caps pageSize at 500 (and documents a minimum of 50, not enforced here)
MAX_ACTIVITY_BYTES = 28 * 1024  # Teams' documented message size limit; beyond it, 413
FIRST_ACTIVITY_ID = 1_700_000_000_000  # Teams message ids are epoch milliseconds
TOKEN_LIFETIME_SECONDS = 3599
ROLLING_HALF_MINUTE = 30.0
MAX_REQUEST_BYTES = 16 * 1024 * 1024
LISTEN_BACKLOG = 1024
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 2.0

_STATUS_CODES: Mapping[int, tuple[str, str]] = {
    400: ("BadArgument", "Bad request."),
    401: ("Unauthorized", "Authorization has been denied for this request."),
    403: ("BotNotInConversationRoster", "The bot is not part of the conversation roster."),
    404: ("ConversationNotFound", "Conversation not found."),
    409: ("Conflict", "Conflict."),
    412: ("PreconditionFailed", "Precondition failed, please try again."),
    413: ("MessageSizeTooBig", "Activity body too large."),
    429: ("Throttled", "Too many requests."),
    500: ("InternalServerError", "An error has occurred."),
}
_GATEWAY_TEXT: Mapping[int, str] = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
"""Gateway errors come from the edge, as text rather than a Bot Connector error object; clients must cope."""


# ---- records ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, including rejected ones (``status`` says how it was answered)."""

    kind: str
    method: str
    path: str
    query: Mapping[str, str]
    json: Any
    """The parsed JSON body, or None (no body, not JSON, or a form)."""
    form: Mapping[str, str] | None
    """The url-encoded form (token requests), or None."""
    headers: Mapping[str, str]
    status: int
    response: Any = None
    conversation_id: str | None = None
    activity_id: str | None = None
    app_id: str | None = None
    """The ``appid`` of the bearer token the fake accepted, for connector requests."""
    secure: bool = False
    """Whether it came over TLS."""
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def bearer_token(self) -> str | None:
        scheme, _, credentials = self.headers.get("Authorization", "").partition(" ")
        return credentials if scheme.lower() == "bearer" and credentials else None


@dataclass(frozen=True)
class SentActivity:
    """An activity the connector accepted (send or reply), with the id it answered."""

    conversation_id: str
    activity_id: str
    body: Payload
    reply_to_id: str | None = None


@dataclass(frozen=True)
class CreatedConversation:
    """A 1:1 conversation the connector created; creating it again for the same member returns the same id."""

    id: str
    member_id: str
    tenant_id: str
    request: Payload


# ---- roster helpers -----------------------------------------------------------------------------------------


def teams_member(
    member_id: str,
    name: str,
    *,
    aad_object_id: str | None = None,
    email: str | None = None,
    user_principal_name: str | None = None,
    tenant_id: str = TENANT_ID,
    given_name: str | None = None,
    surname: str | None = None,
    user_role: str = "user",
) -> Payload:
    """A TeamsChannelAccount as pagedMembers/members answer it. ``member_id`` is the ``29:...`` id."""
    given, _, family = name.partition(" ")
    member: Payload = {
        "id": member_id,
        "name": name,
        "aadObjectId": aad_object_id or str(uuid.uuid5(uuid.NAMESPACE_URL, member_id)),
        "givenName": given_name or given,
        "surname": surname or family or None,
        "email": email,
        "userPrincipalName": user_principal_name or email,
        "tenantId": tenant_id,
        "userRole": user_role,
    }
    return {key: value for key, value in member.items() if value is not None}


def default_roster() -> list[Payload]:
    """Three people in ``TENANT_ID``, one of them a guest."""
    return [
        teams_member("29:1ada", "Ada Lovelace", email="ada@acme.example"),
        teams_member("29:1grace", "Grace Hopper", email="grace@acme.example"),
        teams_member(
            "29:1guest",
            "Gus Guest",
            email="gus@partner.example",
            user_principal_name="gus_partner.example#EXT#@acme.onmicrosoft.com",
            user_role="guest",
        ),
    ]


# ---- key material -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Material:
    tls: ServerCertificate
    signing_key: rsa.RSAPrivateKey
    signing_kid: str
    other_key: rsa.RSAPrivateKey


def _kid(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:15]).decode().rstrip("=")


@functools.cache
def _material() -> _Material:
    """Generated once per process: RSA generation costs tens of milliseconds, and every test starts a fake.

    The activity-signing keys are RSA because Bot Framework signs RS256 and the SDK's validator accepts
    nothing else.
    """
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _Material(
        tls=server_certificate(
            "Cadence test CA (FakeMicrosoft)", dns_names=("localhost",), ip_addresses=("127.0.0.1",)
        ),
        signing_key=signing_key,
        signing_kid=_kid(signing_key.public_key()),
        other_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


# ---- answers and injections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any = None
    """A dict or list (JSON), a str (text), or None (empty body)."""
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_response(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body, headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)


def _connector_error(status: int, code: str | None = None, message: str | None = None) -> Payload:
    default_code, default_message = _STATUS_CODES.get(status, ("Error", "An error has occurred."))
    return {"error": {"code": code or default_code, "message": message or default_message}}


def _entra_error(error: str, description: str) -> Payload:
    return {
        "error": error,
        "error_description": f"{description}\r\nTrace ID: {uuid.uuid4()}\r\nTimestamp: {dt.datetime.now(dt.UTC)}",
        "error_codes": [int(match) for match in re.findall(r"AADSTS(\d+)", description)],
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }


def _retry_after_header(retry_after: int | None) -> dict[str, str]:
    return {} if retry_after is None else {"Retry-After": str(retry_after)}


def _matches(target: str, kind: str, path: str) -> bool:
    """A kind name matches that kind of request; anything else is a substring of the path ("" matches all)."""
    return kind == target if target in KINDS else target in path


@dataclass
class _Injection:
    target: str
    status: int
    retry_after: int | None
    body: Any
    remaining: int

    def answer(self, kind: str) -> _Answer:
        headers = _retry_after_header(self.retry_after)
        if self.body is not None:
            return _Answer(self.status, self.body, headers)
        if kind in LOGIN_KINDS:
            if self.status == 429 or self.status >= 500:
                body = _entra_error("temporarily_unavailable", "AADSTS50196: The server is temporarily unavailable.")
            else:
                body = _entra_error("invalid_request", f"AADSTS90000: Injected failure ({self.status}).")
            return _Answer(self.status, body, headers)
        if self.status in _GATEWAY_TEXT:
            return _Answer(self.status, _GATEWAY_TEXT[self.status], headers)
        return _Answer(self.status, _connector_error(self.status), headers)


class _Throttle:
    """Teams' limits for one app: per conversation in a rolling second and a rolling 30 s, and per app per second.

    It reuses ``RollingWindowLimiter``, which counts in a rolling one-second window, for the 30-second window
    too, by handing it a clock that runs 30 times slower. Limits are checked in order (app, conversation
    second, conversation half-minute); a request refused by a later window has already counted in the earlier
    ones, as a server that saw the request would count it.
    """

    _KEY = "requests"

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        per_conversation_per_second: int | None,
        per_conversation_per_30_seconds: int | None,
        per_app_per_second: int | None,
    ) -> None:
        self._clock = clock
        self._per_second = per_conversation_per_second
        self._per_half_minute = per_conversation_per_30_seconds
        self._per_app = per_app_per_second
        self._apps: dict[str, RollingWindowLimiter] = {}
        self._conversations: dict[str, tuple[RollingWindowLimiter | None, RollingWindowLimiter | None]] = {}

    def _slow_clock(self) -> float:
        return self._clock() / ROLLING_HALF_MINUTE

    def admit(self, app_id: str, conversation_id: str | None) -> bool:
        if self._per_app is not None:
            limiter = self._apps.get(app_id)
            if limiter is None:
                limiter = self._apps[app_id] = RollingWindowLimiter({self._KEY: self._per_app}, self._clock)
            if not limiter.admit(self._KEY):
                return False
        if conversation_id is None:
            return True
        limiters = self._conversations.get(conversation_id)
        if limiters is None:
            limiters = self._conversations[conversation_id] = (
                None if self._per_second is None else RollingWindowLimiter({self._KEY: self._per_second}, self._clock),
                None
                if self._per_half_minute is None
                else RollingWindowLimiter({self._KEY: self._per_half_minute}, self._slow_clock),
            )
        return all(limiter is None or limiter.admit(self._KEY) for limiter in limiters)


# ---- routing ------------------------------------------------------------------------------------------------

_CONVERSATIONS = r"(?P<prefix>(?:/[^/]+)*?)/v3/conversations"
_CONVERSATION = _CONVERSATIONS + r"/(?P<conversation>[^/]+)"
_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern + "$"), kind)
    for method, pattern, kind in (
        ("GET", r"/v1/\.well-known/openidconfiguration", OPENID_CONFIGURATION),
        ("GET", r"/v1/\.well-known/keys", JWKS),
        ("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", TENANT_DISCOVERY),
        ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", TOKEN),
        ("POST", _CONVERSATIONS, CREATE_CONVERSATION),
        ("POST", _CONVERSATION + r"/activities", SEND),
        ("POST", _CONVERSATION + r"/activities/(?P<activity>[^/]+)", REPLY),
        ("PUT", _CONVERSATION + r"/activities/(?P<activity>[^/]+)", UPDATE),
        ("DELETE", _CONVERSATION + r"/activities/(?P<activity>[^/]+)", DELETE),
        ("GET", _CONVERSATION + r"/paged[mM]embers", PAGED_MEMBERS),
        ("GET", _CONVERSATION + r"/members", MEMBERS),
        ("GET", _CONVERSATION + r"/members/(?P<member>[^/]+)", MEMBER),
        ("GET", r"(?P<prefix>(?:/[^/]+)*?)/v3/teams/(?P<team>[^/]+)/conversations", TEAM_CHANNELS),
        ("PUT", r"/upload-session/(?P<upload>[^/]+)", FILE_UPLOAD),
    )
)


def _route(method: str, path: str) -> tuple[str, dict[str, str]]:
    for route_method, pattern, kind in _ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return kind, {name: value for name, value in match.groupdict().items() if value is not None}
    return UNKNOWN, {}


def _throttle_key(conversation_id: str) -> str:
    """[assumption] A channel thread (``19:...;messageid=123``) is throttled with its channel."""
    return conversation_id.split(";", 1)[0]


def _encode_continuation(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_continuation(token: str) -> int | None:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


@dataclass
class _Incoming:
    kind: str
    params: dict[str, str]
    request: web.Request
    raw: bytes
    json: Any
    form: dict[str, str] | None
    app_id: str | None = None

    @property
    def conversation_id(self) -> str | None:
        return self.params.get("conversation")


# ---- the fake -----------------------------------------------------------------------------------------------


class FakeMicrosoft:
    """Bot Connector, Entra login and Bot Framework keys on loopback, with recorded requests and failures.

    * Every request is recorded as a ``RecordedRequest``, rejected ones included; see ``requests``.
    * Connector requests need ``Authorization: Bearer <token from this fake's login>`` (right audience, not
      expired), otherwise 401. ``access_token()`` issues one without going through MSAL.
    * Throttling, per conversation: ``per_conversation_per_second`` (7) and ``per_conversation_per_30_seconds``
      (60); per app: ``per_app_per_second`` (50). Beyond them: 429, with ``Retry-After: rate_limit_retry_after``
      unless that is None. None disables a limit. ``clock`` drives the windows (pass a ``ManualClock``).
    * ``fail_next`` queues failures, which take precedence over throttling (but not over the 401 check).
    * ``roster`` is the member list behind ``pagedMembers``/``members`` for any team or group chat id;
      ``rosters[conversation_id]`` overrides it for one. A created 1:1 conversation's members are its member.
    * ``max_activity_bytes``: larger send/update bodies get 413, as Teams refuses messages over about 28 KB.
    """

    def __init__(
        self,
        *,
        client_id: str = APP_ID,
        client_secret: str = APP_SECRET,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        connector_audience: str = CONNECTOR_AUDIENCE,
        roster: list[Payload] | None = None,
        clock: Callable[[], float] = time.monotonic,
        per_conversation_per_second: int | None = 7,
        per_conversation_per_30_seconds: int | None = 60,
        per_app_per_second: int | None = 50,
        rate_limit_retry_after: int | None = 1,
        token_lifetime: int = TOKEN_LIFETIME_SECONDS,
        max_activity_bytes: int | None = MAX_ACTIVITY_BYTES,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.issuer = issuer
        self.connector_audience = connector_audience
        self.roster: list[Payload] = default_roster() if roster is None else roster
        self.rosters: dict[str, list[Payload]] = {}
        self.channels: dict[str, list[Payload]] = {}
        """A team's channels by team id, as ``GET /v3/teams/{team}/conversations`` lists them
        (``{"id": "19:…@thread.tacv2", "name": "Kudos"}``; the General channel has no name)."""
        self.rate_limit_retry_after = rate_limit_retry_after
        self.token_lifetime = token_lifetime
        self.max_activity_bytes = max_activity_bytes
        self._throttle = _Throttle(
            clock,
            per_conversation_per_second=per_conversation_per_second,
            per_conversation_per_30_seconds=per_conversation_per_30_seconds,
            per_app_per_second=per_app_per_second,
        )
        self._login_secret = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._injections: list[_Injection] = []
        self._drops: list[list[Any]] = []  # [target, remaining]
        self._conversations: dict[tuple[str, str], CreatedConversation] = {}
        self._conversations_by_id: dict[str, CreatedConversation] = {}
        self._sent: list[SentActivity] = []
        self._activities: dict[tuple[str, str], Payload] = {}
        self._updates: list[tuple[str, str, Payload]] = []
        self._deleted: list[tuple[str, str]] = []
        self._issued: list[str] = []
        self._upload_sessions: dict[str, Payload] = {}
        self._uploaded: dict[str, bytes] = {}
        self._conversation_serial = itertools.count(1)
        self._activity_serial = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tls_port: int | None = None
        self._directory: Path | None = None

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def __enter__(self) -> FakeMicrosoft:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FakeMicrosoft:
        """Write the CA bundle and serve on two ephemeral loopback ports; returns once both accept connections."""
        if self._thread is not None:
            raise RuntimeError("FakeMicrosoft is already running")
        material = _material()
        directory = Path(tempfile.mkdtemp(prefix="fake-microsoft-"))
        self._directory = directory
        material.tls.write(directory)
        tls = material.tls.server_context(directory)
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, args=(loop,), name="fake-microsoft", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_server(tls), loop).result(timeout=STARTUP_TIMEOUT_SECONDS)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, join the thread and delete the CA bundle. Safe to call twice."""
        loop, thread = self._loop, self._thread
        try:
            if loop is not None and thread is not None:
                try:
                    if self._runner is not None:
                        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(
                            timeout=SHUTDOWN_TIMEOUT_SECONDS + STARTUP_TIMEOUT_SECONDS
                        )
                finally:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join()
                    loop.close()
        finally:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
            self._loop = self._thread = self._runner = None
            self._port = self._tls_port = None
            self._directory = None

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    async def _start_server(self, tls: ssl.SSLContext) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._serve)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
        await runner.setup()
        self._runner = runner
        ports = []
        for context in (None, tls):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            await web.SockSite(runner, listener, backlog=LISTEN_BACKLOG, ssl_context=context).start()
            ports.append(listener.getsockname()[1])
        self._port, self._tls_port = ports

    # ---- addresses --------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The plain-HTTP port."""
        if self._port is None:
            raise RuntimeError("FakeMicrosoft is not running; use it as a context manager or call start()")
        return self._port

    @property
    def tls_port(self) -> int:
        if self._tls_port is None:
            raise RuntimeError("FakeMicrosoft is not running; use it as a context manager or call start()")
        return self._tls_port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_origin(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def base_url(self) -> str:
        """A Bot Connector service URL, shaped like ``https://smba.trafficmanager.net/teams/`` (trailing slash)."""
        return self.service_url()

    @property
    def https_base_url(self) -> str:
        """``base_url`` over TLS, for code that refuses non-https service URLs (trust ``ca_bundle_path``)."""
        return self.service_url(secure=True)

    def service_url(self, region: str = "teams", *, secure: bool = False) -> str:
        """A service URL with another first path segment (``amer``, ``emea``...); any prefix is served."""
        return f"{self.tls_origin if secure else self.origin}/{region}/"

    @property
    def login_url(self) -> str:
        """Use as ``CloudEnvironment.login_endpoint``: MSAL authorities are ``f"{login_url}/{tenant}"``."""
        return self.tls_origin

    def authority(self, tenant: str = TENANT_ID) -> str:
        return f"{self.login_url}/{tenant}"

    def token_endpoint(self, tenant: str = TENANT_ID) -> str:
        return f"{self.authority(tenant)}/oauth2/v2.0/token"

    @property
    def openid_metadata_url(self) -> str:
        """Use as ``CloudEnvironment.openid_metadata_url``; the SDK turns its ``/openidconfiguration`` into ``/keys``."""
        return f"{self.origin}/v1/.well-known/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.origin}/v1/.well-known/keys"

    @property
    def ca_bundle_path(self) -> str:
        """PEM of the CA that signed the TLS certificate (SAN IP 127.0.0.1 and DNS localhost)."""
        if self._directory is None:
            raise RuntimeError("FakeMicrosoft is not running; use it as a context manager or call start()")
        return str(self._directory / CA_FILE)

    def ca_environment(self) -> dict[str, str]:
        """Environment variables that make requests (MSAL), httpx and ssl trust ``ca_bundle_path``."""
        return dict.fromkeys(CA_ENV_VARS, self.ca_bundle_path)

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this fake's CA, for ``httpx``'s ``verify=`` or urllib."""
        return ssl.create_default_context(cafile=self.ca_bundle_path)

    def cloud(self, base: CloudEnvironment | None = None) -> CloudEnvironment:
        """``base`` (PUBLIC) with ``login_endpoint``, ``openid_metadata_url`` and ``token_issuer`` pointed here.

        ``bot_scope`` stays ``https://api.botframework.com/.default``, which is what the connector demands.
        """
        from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides

        return with_overrides(
            base or PUBLIC,
            login_endpoint=self.login_url,
            openid_metadata_url=self.openid_metadata_url,
            token_issuer=self.issuer,
        )

    # ---- inspection -------------------------------------------------------------------------------------------

    def requests(
        self, path_contains: str | None = None, *, kind: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests, oldest first, optionally filtered by path substring, kind and HTTP method."""
        with self._lock:
            return [
                recorded
                for recorded in self._requests
                if (path_contains is None or path_contains in recorded.path)
                and (kind is None or recorded.kind == kind)
                and (method is None or recorded.method == method.upper())
            ]

    def token_requests(self) -> list[RecordedRequest]:
        """POSTs to the token endpoint; one per token MSAL actually fetched (its cache answers the rest)."""
        return self.requests(kind=TOKEN)

    def count(self, target: str) -> int:
        """How many recorded requests match ``target`` (a kind, or a path fragment)."""
        with self._lock:
            return sum(1 for recorded in self._requests if _matches(target, recorded.kind, recorded.path))

    def last(self, target: str) -> RecordedRequest:
        """The latest request matching ``target``; LookupError (listing what was seen) if none."""
        with self._lock:
            for recorded in reversed(self._requests):
                if _matches(target, recorded.kind, recorded.path):
                    return recorded
            seen = sorted({f"{recorded.method} {recorded.path}" for recorded in self._requests})
        raise LookupError(f"no request matching {target!r} was recorded; seen: {seen}")

    def clear(self) -> None:
        """Forget recorded requests. Conversations, activities, injections and throttling windows are kept."""
        with self._lock:
            self._requests.clear()

    def wait_for_requests(self, target: str, count: int = 1, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until ``count`` requests match ``target`` (a kind or path fragment); returns those requests.

        Not from the event loop that runs the code under test: it would block it. Use ``wait_for_requests_async``.
        """
        with self._recorded:
            if not self._recorded.wait_for(lambda: self.count(target) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} request(s) matching {target!r} within {timeout}s, got {self.count(target)}"
                )
            return [recorded for recorded in self._requests if _matches(target, recorded.kind, recorded.path)]

    async def wait_for_requests_async(self, target: str, count: int = 1, timeout: float = 5.0) -> list[RecordedRequest]:
        """``wait_for_requests`` in a worker thread, so the caller's event loop keeps running."""
        return await asyncio.to_thread(self.wait_for_requests, target, count, timeout)

    def sent(self, conversation_id: str | None = None) -> list[Payload]:
        """JSON bodies of accepted sends and replies (typing included), oldest first; all or one conversation's."""
        return [activity.body for activity in self.sent_activities(conversation_id)]

    def sent_activities(self, conversation_id: str | None = None) -> list[SentActivity]:
        """Like ``sent``, with the activity id the connector answered and any ``replyToId``."""
        with self._lock:
            return [
                activity
                for activity in self._sent
                if conversation_id is None or activity.conversation_id == conversation_id
            ]

    def activity(self, conversation_id: str, activity_id: str) -> Payload | None:
        """An activity as it stands now: the last body sent or PUT for it; None if unknown or deleted."""
        with self._lock:
            return self._activities.get((conversation_id, activity_id))

    def updated(self, conversation_id: str | None = None) -> list[tuple[str, Payload]]:
        """Accepted updates as (activity id, body), oldest first."""
        with self._lock:
            return [
                (activity_id, body)
                for conversation, activity_id, body in self._updates
                if conversation_id is None or conversation == conversation_id
            ]

    def deleted(self, conversation_id: str | None = None) -> list[str]:
        """Ids of deleted activities, oldest first."""
        with self._lock:
            return [
                activity_id
                for conversation, activity_id in self._deleted
                if conversation_id is None or conversation == conversation_id
            ]

    def conversations(self) -> list[CreatedConversation]:
        """Conversations created so far, in order (repeated creations for one member appear once)."""
        with self._lock:
            return list(self._conversations_by_id.values())

    def upload_session(self, name: str) -> Payload:
        """A new upload session for a file called ``name`` in the person's OneDrive, as the ``uploadInfo``
        of a ``fileConsent/invoke`` carries it."""
        unique_id = str(uuid.uuid4()).upper()
        info = {
            "contentUrl": f"https://contoso.sharepoint.com/personal/someone/Documents/Applications/{name}",
            "name": name,
            "uploadUrl": f"{self.origin}/upload-session/{unique_id}",
            "uniqueId": unique_id,
            "fileType": name.rsplit(".", 1)[-1] if "." in name else "",
        }
        with self._lock:
            self._upload_sessions[unique_id] = info
        return info

    def uploaded(self, unique_id: str) -> bytes | None:
        """The bytes put to an upload session, once they all arrived."""
        with self._lock:
            return self._uploaded.get(unique_id)

    @property
    def issued_tokens(self) -> list[str]:
        """Every access token the login handed out (``access_token()`` ones included), oldest first."""
        with self._lock:
            return list(self._issued)

    # ---- behaviour --------------------------------------------------------------------------------------------

    def fail_next(
        self,
        target: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        times: int = 1,
        body: Any = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``target`` with ``status``. Queued failures apply in order.

        ``target`` is a kind (``"send"``, ``"create_conversation"``, ``"paged_members"``, ``"token"``...) or else
        a path fragment (``"a:conv-1"``, ``"/members/"``; ``""`` matches every request). ``retry_after`` sets a
        ``Retry-After`` header; None sends none (Teams does not always). ``body`` replaces the default: a Bot
        Connector error object, text for 502/503/504, or an OAuth error for the login's kinds.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if not 400 <= status < 600:
            raise ValueError(f"a failure needs a 4xx or 5xx status, not {status}")
        with self._lock:
            self._injections.append(_Injection(target, status, retry_after, body, times))

    def drop_connection_next(self, target: str, *, times: int = 1) -> None:
        """Read the next ``times`` matching requests, then close the connection without answering.

        The client sees the connection end (httpx: ``RemoteProtocolError``). The request is recorded with
        status 0 and has no effect.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._drops.append([target, times])

    # ---- tokens -----------------------------------------------------------------------------------------------

    def access_token(
        self,
        *,
        app_id: str | None = None,
        tenant_id: str = TENANT_ID,
        audience: str | None = None,
        expired: bool = False,
    ) -> str:
        """A bearer token as this fake's login issues it (the connector accepts it unless expired or mis-aimed)."""
        return self._issue_access_token(
            app_id or self.client_id, tenant_id, audience or self.connector_audience, expired
        )

    def mint(
        self,
        audience: str,
        service_url: str | None,
        *,
        expired: bool = False,
        issuer: str | None = None,
        key: str = "good",
        extra_claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        omit: Collection[str] = (),
    ) -> str:
        """An inbound activity token, as Bot Framework signs it (RS256, ``kid`` of the served key).

        ``audience`` is the bot's App ID. ``service_url`` becomes the ``serviceurl`` claim (None: omitted).
        ``expired`` puts ``exp`` ten minutes in the past, beyond the SDK's five-minute leeway. ``key="other"``
        signs with a private key whose public half is not served, under the served ``kid``, so only signature
        verification can catch it; for an unknown ``kid``, pass ``headers={"kid": "..."}``. ``omit`` leaves
        claims out (``{"exp"}``: a token that would never expire).
        """
        if key not in ("good", "other"):
            raise ValueError('key must be "good" or "other"')
        material = _material()
        now = int(time.time())
        claims: Payload = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "iat": now - 700 if expired else now,
            "nbf": now - 700 if expired else now,
            "exp": now - 600 if expired else now + 3600,
        }
        if service_url is not None:
            claims["serviceurl"] = service_url
        claims.update(extra_claims or {})
        claims = {name: value for name, value in claims.items() if name not in omit}
        signing_key = material.signing_key if key == "good" else material.other_key
        return jwt.encode(
            claims, signing_key, algorithm="RS256", headers={"kid": material.signing_kid, **(headers or {})}
        )

    def authorization(self, app_id: str, service_url: str | None) -> dict[str, str]:
        """Headers for an inbound activity POST: ``{"Authorization": "Bearer <mint(app_id, service_url)>"}``."""
        return {"Authorization": f"Bearer {self.mint(app_id, service_url)}"}

    def _issue_access_token(self, app_id: str, tenant_id: str, audience: str, expired: bool) -> str:
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now - 7200 if expired else now,
            "nbf": now - 7200 if expired else now,
            "exp": now - 3600 if expired else now + self.token_lifetime,
            "appid": app_id,
            "appidacr": "1",
            "idtyp": "app",
            "tid": tenant_id,
            "ver": "1.0",
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._login_secret, algorithm="HS256", headers={"kid": "fake-login"})
        with self._lock:
            self._issued.append(token)
        return token

    def _verify_access_token(self, headers: Mapping[str, str]) -> str | None:
        """The token's ``appid`` if it is a bearer token from this login for the connector and not expired."""
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = jwt.decode(token, self._login_secret, algorithms=["HS256"], audience=self.connector_audience)
        except jwt.PyJWTError:
            return None
        app_id = claims.get("appid")
        return app_id if isinstance(app_id, str) else None

    # ---- HTTP -------------------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        kind, params = _route(request.method, request.path)
        raw = await request.read()
        incoming = _Incoming(kind, params, request, raw, None, None)
        if request.content_type == "application/x-www-form-urlencoded":
            incoming.form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif raw:
            try:
                incoming.json = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                incoming.json = None
        if kind == SEND and isinstance(incoming.json, dict) and incoming.json.get("replyToId"):
            incoming.kind = REPLY  # the SDK replies by POSTing to .../activities with replyToId in the body
        with self._lock:
            if self._take_drop(incoming.kind, request.path):
                self._record(incoming, _Answer(0))
                assert request.transport is not None
                request.transport.close()  # the response below is never written
                return web.Response(status=500)
            answer = self._answer(incoming)
            self._record(incoming, answer)
        return answer.to_response()

    def _record(self, incoming: _Incoming, answer: _Answer) -> None:
        request = incoming.request
        recorded = RecordedRequest(
            kind=incoming.kind,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=incoming.json,
            form=incoming.form,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            status=answer.status,
            response=answer.body,
            conversation_id=incoming.conversation_id,
            activity_id=incoming.params.get("activity"),
            app_id=incoming.app_id,
            secure=request.secure,
        )
        with self._recorded:
            self._requests.append(recorded)
            self._recorded.notify_all()

    def _take_drop(self, kind: str, path: str) -> bool:
        for drop in self._drops:
            if _matches(drop[0], kind, path):
                drop[1] -= 1
                if drop[1] == 0:
                    self._drops.remove(drop)
                return True
        return False

    def _take_injection(self, kind: str, path: str) -> _Injection | None:
        for injection in self._injections:
            if _matches(injection.target, kind, path):
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._injections.remove(injection)
                return injection
        return None

    def _answer(self, incoming: _Incoming) -> _Answer:
        """401 check (connector), then an injected failure, then throttling (connector), then the real answer."""
        kind, path = incoming.kind, incoming.request.path
        if kind in CONNECTOR_KINDS:
            incoming.app_id = self._verify_access_token(incoming.request.headers)
            if incoming.app_id is None:
                return _Answer(
                    401,
                    {"message": "Authorization has been denied for this request."},
                    {"WWW-Authenticate": "Bearer"},
                )
        injection = self._take_injection(kind, path)
        if injection is not None:
            return injection.answer(kind)
        if kind in CONNECTOR_KINDS:
            conversation = incoming.conversation_id
            key = None if conversation is None else _throttle_key(conversation)
            if not self._throttle.admit(incoming.app_id or "", key):
                return _Answer(429, _connector_error(429), _retry_after_header(self.rate_limit_retry_after))
        handler = self._handlers.get(kind)
        if handler is None:
            return _Answer(404, _connector_error(404, "NotFound", f"No route for {incoming.request.method} {path}."))
        return handler(self, incoming)

    # ---- Bot Framework metadata ---------------------------------------------------------------------------------

    def _openid_configuration(self, incoming: _Incoming) -> _Answer:
        return _Answer(
            200,
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.origin}/v1/.well-known/authorize",
                "jwks_uri": self.jwks_url,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            },
        )

    def _jwks(self, incoming: _Incoming) -> _Answer:
        material = _material()
        jwk: Payload = jwt.algorithms.RSAAlgorithm.to_jwk(material.signing_key.public_key(), as_dict=True)
        jwk.update({"kid": material.signing_kid, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
        return _Answer(200, {"keys": [jwk]})

    # ---- Entra login ------------------------------------------------------------------------------------------

    def _tenant_discovery(self, incoming: _Incoming) -> _Answer:
        tenant = incoming.params["tenant"]
        base = f"{self.login_url}/{tenant}"
        return _Answer(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
            },
        )

    def _token(self, incoming: _Incoming) -> _Answer:
        form = incoming.form or {}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, credentials = incoming.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                basic_id, _, basic_secret = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                basic_id = basic_secret = ""
            client_id, client_secret = client_id or basic_id, client_secret or basic_secret
        if form.get("grant_type") != "client_credentials":
            return _Answer(
                400,
                _entra_error(
                    "unsupported_grant_type",
                    f"AADSTS70003: The app requested an unsupported grant type '{form.get('grant_type')}'.",
                ),
            )
        if client_id != self.client_id:
            return _Answer(
                400,
                _entra_error(
                    "unauthorized_client",
                    f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory.",
                ),
            )
        if not client_secret:
            return _Answer(
                401,
                _entra_error(
                    "invalid_client",
                    "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required "
                    "for the 'client_credentials' grant type.",
                ),
            )
        if not secrets.compare_digest(client_secret.encode(), self.client_secret.encode()):
            return _Answer(401, _entra_error("invalid_client", "AADSTS7000215: Invalid client secret provided."))
        scopes = form.get("scope", "").split()
        resources = [scope.removesuffix("/.default") for scope in scopes if scope.endswith("/.default")]
        if len(resources) != 1:
            return _Answer(
                400,
                _entra_error(
                    "invalid_scope",
                    f"AADSTS1002012: The provided value for scope {form.get('scope', '')} is not valid. "
                    "Client credential flows must have a scope value with /.default suffixed to the resource "
                    "identifier (application ID URI).",
                ),
            )
        token = self._issue_access_token(client_id, incoming.params["tenant"], resources[0], expired=False)
        return _Answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            },
        )

    # ---- Bot Connector ----------------------------------------------------------------------------------------

    def _create_conversation(self, incoming: _Incoming) -> _Answer:
        body = incoming.json
        if not isinstance(body, dict):
            return _Answer(400, _connector_error(400, message="A JSON body is required."))
        members = body.get("members")
        if (
            body.get("isGroup")
            or not isinstance(members, list)
            or len(members) != 1
            or not isinstance(members[0], dict)
            or not members[0].get("id")
        ):
            return _Answer(400, _connector_error(400, message="Incorrect conversation creation parameters."))
        channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
        tenant = body.get("tenantId") or (channel_data.get("tenant") or {}).get("id")
        if not tenant:
            return _Answer(400, _connector_error(400, message="A tenant id is required to create a conversation."))
        member_id = members[0]["id"]
        conversation = self._conversations.get((tenant, member_id))
        if conversation is None:
            conversation = CreatedConversation(f"a:conv-{next(self._conversation_serial)}", member_id, tenant, body)
            self._conversations[(tenant, member_id)] = conversation
            self._conversations_by_id[conversation.id] = conversation
        answer: Payload = {"id": conversation.id}
        activity = body.get("activity")
        if isinstance(activity, dict):
            answer["activityId"] = self._store_sent(conversation.id, activity, activity.get("replyToId"))
        return _Answer(201, answer)

    def _too_large(self, incoming: _Incoming) -> _Answer | None:
        if self.max_activity_bytes is not None and len(incoming.raw) > self.max_activity_bytes:
            return _Answer(413, _connector_error(413))
        return None

    def _store_sent(self, conversation_id: str, body: Payload, reply_to_id: str | None) -> str:
        activity_id = str(FIRST_ACTIVITY_ID + next(self._activity_serial))
        self._sent.append(SentActivity(conversation_id, activity_id, body, reply_to_id))
        self._activities[(conversation_id, activity_id)] = body
        return activity_id

    def _send(self, incoming: _Incoming) -> _Answer:
        body = incoming.json
        if not isinstance(body, dict) or not body.get("type"):
            return _Answer(400, _connector_error(400, message="An activity with a type is required."))
        too_large = self._too_large(incoming)
        if too_large is not None:
            return too_large
        conversation_id = incoming.params["conversation"]
        reply_to_id = incoming.params.get("activity") or body.get("replyToId")
        activity_id = self._store_sent(conversation_id, body, reply_to_id)
        if body.get("type") == "typing":
            return _Answer(201, {})
        return _Answer(201, {"id": activity_id})

    def _update(self, incoming: _Incoming) -> _Answer:
        body = incoming.json
        if not isinstance(body, dict) or not body.get("type"):
            return _Answer(400, _connector_error(400, message="An activity with a type is required."))
        too_large = self._too_large(incoming)
        if too_large is not None:
            return too_large
        conversation_id, activity_id = incoming.params["conversation"], incoming.params["activity"]
        self._updates.append((conversation_id, activity_id, body))
        self._activities[(conversation_id, activity_id)] = body
        return _Answer(200, {"id": activity_id})

    def _delete(self, incoming: _Incoming) -> _Answer:
        conversation_id, activity_id = incoming.params["conversation"], incoming.params["activity"]
        self._deleted.append((conversation_id, activity_id))
        self._activities.pop((conversation_id, activity_id), None)
        return _Answer(200)

    def _members_of(self, conversation_id: str) -> list[Payload]:
        if conversation_id in self.rosters:
            return list(self.rosters[conversation_id])
        created = self._conversations_by_id.get(conversation_id)
        if created is not None:
            found = self._find_member(self.roster, created.member_id)
            return [found or {"id": created.member_id, "tenantId": created.tenant_id}]
        return list(self.roster)

    @staticmethod
    def _find_member(members: list[Payload], member_id: str) -> Payload | None:
        """Teams finds a member by ``29:`` id, AAD object id or UPN."""
        wanted = member_id.lower()
        for member in members:
            if member.get("id") == member_id or wanted in (
                str(member.get("aadObjectId", "")).lower(),
                str(member.get("userPrincipalName", "")).lower(),
            ):
                return member
        return None

    def _paged_members(self, incoming: _Incoming) -> _Answer:
        query = incoming.request.query
        try:
            page_size = int(query.get("pageSize", DEFAULT_PAGE_SIZE))
        except ValueError:
            return _Answer(400, _connector_error(400, message="pageSize must be an integer."))
        if page_size < 1:
            return _Answer(400, _connector_error(400, message="pageSize must be positive."))
        start = 0
        if query.get("continuationToken"):
            decoded = _decode_continuation(query["continuationToken"])
            if decoded is None:
                return _Answer(400, _connector_error(400, message="Invalid continuation token."))
            start = decoded
        members = self._members_of(incoming.params["conversation"])
        end = start + min(page_size, MAX_PAGE_SIZE)
        answer: Payload = {"members": members[start:end]}
        if end < len(members):
            answer["continuationToken"] = _encode_continuation(end)
        return _Answer(200, answer)

    def _members(self, incoming: _Incoming) -> _Answer:
        return _Answer(200, self._members_of(incoming.params["conversation"]))

    def _member(self, incoming: _Incoming) -> _Answer:
        member = self._find_member(self._members_of(incoming.params["conversation"]), incoming.params["member"])
        if member is None:
            return _Answer(
                404, _connector_error(404, "MemberNotFoundInConversation", "The member is not in the conversation.")
            )
        return _Answer(200, member)

    def _team_channels(self, incoming: _Incoming) -> _Answer:
        team = incoming.params["team"]
        if team not in self.channels:
            return _Answer(404, _connector_error(404, "NotFound", "The team was not found."))
        return _Answer(200, {"conversations": list(self.channels[team])})

    def _file_upload(self, incoming: _Incoming) -> _Answer:
        """The whole file in one PUT, as OneDrive takes it: ``Content-Range: bytes 0-(n-1)/n``, and no
        ``Authorization`` (the URL is the permission; OneDrive answers a bearer token with 401)."""
        session = self._upload_sessions.get(incoming.params["upload"])
        if session is None:
            return _Answer(404, {"error": {"code": "itemNotFound", "message": "The upload session was not found."}})
        if "Authorization" in incoming.request.headers:
            return _Answer(401, {"error": {"code": "unauthenticated", "message": "Don't send a token here."}})
        size = len(incoming.raw)
        if size == 0 or incoming.request.headers.get("Content-Range") != f"bytes 0-{size - 1}/{size}":
            return _Answer(400, {"error": {"code": "invalidRange", "message": "Content-Range must cover the body."}})
        self._uploaded[session["uniqueId"]] = incoming.raw
        return _Answer(
            201, {"id": session["uniqueId"], "name": session["name"], "size": size, "file": {"mimeType": "text/plain"}}
        )

    _handlers: Mapping[str, Callable[[FakeMicrosoft, _Incoming], _Answer]] = {
        OPENID_CONFIGURATION: _openid_configuration,
        JWKS: _jwks,
        TENANT_DISCOVERY: _tenant_discovery,
        TOKEN: _token,
        CREATE_CONVERSATION: _create_conversation,
        SEND: _send,
        REPLY: _send,
        UPDATE: _update,
        DELETE: _delete,
        PAGED_MEMBERS: _paged_members,
        MEMBERS: _members,
        MEMBER: _member,
        TEAM_CHANNELS: _team_channels,
        FILE_UPLOAD: _file_upload,
    }
