"""A fake of Slack's Web API, response URLs, file uploads and Socket Mode, served on loopback.

The code under test keeps using the real ``slack_sdk`` clients, pointed at ``base_url``. That way their
serialisation (query string, form and JSON bodies), their error handling (``SlackApiError``, ``Retry-After``)
and their retry handlers run exactly as they do in production. Mocking the client would skip all of that.

The server runs in a background thread with its own event loop. Synchronous tests and ``asyncio`` code under
test can both use it, and an event loop that blocks briefly cannot deadlock it::

    with FakeSlackApi() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
        ...
        assert slack.last("chat.postMessage").args["channel"] == "C0001"

slack_sdk reads ``HTTPS_PROXY``/``HTTP_PROXY`` and does not honour ``NO_PROXY``. Delete ``PROXY_ENV_VARS`` in
tests (``monkeypatch.delenv``); otherwise loopback calls are sent to the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import mimetypes
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDict, CIMultiDictProxy

Payload = dict[str, Any]
Responder = Payload | Callable[[Payload], Payload]
"""What ``respond`` accepts: a fixed payload, or a function from the call's args to a payload."""

TEAM_ID = "T0001"
TEAM_NAME = "Acme"
TEAM_DOMAIN = "acme"
APP_ID = "A0001"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "cadence"
INSTALLED_BOT_TOKEN = "xoxb-installed"
INSTALLING_USER_ID = "U0001"
DEFAULT_SCOPES = (
    "chat:write,commands,im:history,im:write,users:read,users:read.email,files:write,reactions:read,channels:read"
)

UPLOAD = "file_upload"
"""Pseudo-method under which the raw byte POSTs to ``upload_url`` (files_upload_v2 step 2) are recorded."""
RESPONSE_URL = "response_url"
"""Pseudo-method under which POSTs to ``slack.response_url()`` (Bolt's ``respond()``) are recorded."""
SOCKET_MODE_CONNECT = "socket_mode.connect"
"""Pseudo-method recorded each time a Socket Mode client opens the websocket."""
SOCKET_MODE_ACK = "socket_mode.ack"
"""Pseudo-method recorded for every message a Socket Mode client sends (acks); ``args`` is the JSON it sent."""

PROXY_ENV_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

RATE_LIMIT_WINDOW_SECONDS = 1.0
FIRST_MESSAGE_EPOCH = 1_700_000_000
USERS_LIST_MAX_LIMIT = 1000
LISTEN_BACKLOG = 1024  # aiohttp's default of 128 makes the kernel drop SYNs under a burst of ~200 new connections
MAX_REQUEST_BYTES = 64 * 1024 * 1024
STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Call:
    """One request the fake received, including requests it rejected (``status``/``error`` say how it answered)."""

    method: str
    args: Payload
    headers: Mapping[str, str]
    token: str | None
    status: int = 200
    error: str | None = None
    response: Payload | str | None = None
    path: str = ""
    at: float = field(default_factory=time.monotonic)  # when it arrived, for benchmarks' timings

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Payload | str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        if isinstance(self.body, dict) and not self.body.get("ok", False):
            return self.body.get("error")
        return None

    def to_response(self) -> web.Response:
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body, headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)


def _rate_limited(retry_after: int) -> _Answer:
    return _Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _error(code: str) -> Payload:
    return {"ok": False, "error": code}


@dataclass
class _Injection:
    status: int
    error: str | None
    retry_after: int
    remaining: int
    team_id: str | None

    def applies_to(self, args: Payload) -> bool:
        return self.team_id is None or args.get("team_id") == self.team_id

    def answer(self) -> _Answer:
        if self.status == 429:
            return _Answer(
                429, {"ok": False, "error": self.error or "ratelimited"}, {"Retry-After": str(self.retry_after)}
            )
        if self.status >= 500 and self.error is None:
            # Slack's edge answers server errors with a non-JSON body; clients must cope with that.
            return _Answer(self.status, "Internal Server Error")
        return _Answer(self.status, _error(self.error or "fatal_error"))


@dataclass(frozen=True)
class _Outage:
    """Every Web API call (or those to ``methods``) answers ``status`` until ``until`` on the fake's clock."""

    until: float
    status: int
    methods: frozenset[str] | None

    def covers(self, method: str, now: float) -> bool:
        return now < self.until and (self.methods is None or method in self.methods)

    def answer(self) -> _Answer:
        return _Answer(self.status, "Internal Server Error")  # a plain-text body, as Slack's edge sends it


class ManualClock:
    """A clock for ``FakeSlackApi(clock=...)`` that moves only when told, so rate-limit tests need no sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RollingWindowLimiter:
    """At most ``limits[method]`` admitted calls in any rolling 1-second window, per method.

    The window is rolling (not aligned to clock seconds): a call is admitted when fewer than N calls were
    admitted in the preceding second. ``clock`` is injectable so tests can freeze time instead of racing it.
    """

    def __init__(self, limits: Mapping[str, int], clock: Callable[[], float]) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._admitted: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, method: str) -> bool:
        limit = self._limits.get(method)
        if limit is None:
            return True
        now = self._clock()
        window = self._admitted[method]
        while window and window[0] <= now - RATE_LIMIT_WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True


def slack_user(
    user_id: str,
    name: str,
    *,
    real_name: str | None = None,
    email: str | None = None,
    tz: str = "Europe/London",
    team_id: str = TEAM_ID,
    is_bot: bool = False,
    is_admin: bool = False,
    deleted: bool = False,
) -> Payload:
    """A user object shaped like the members of users.list and the ``user`` of users.info.

    ``tz_offset`` is computed for the current instant, as Slack does; code should rely on ``tz`` instead.
    """
    real_name = real_name or name.title()
    now_there = datetime.now(ZoneInfo(tz))
    offset = now_there.utcoffset()
    profile: Payload = {
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": name,
        "display_name_normalized": name,
        "image_72": f"https://avatars.slack-edge.com/{user_id}_72.png",
        "team": team_id,
    }
    if email is not None:
        profile["email"] = email
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": deleted,
        "real_name": real_name,
        "tz": tz,
        "tz_label": now_there.tzname(),
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "profile": profile,
        "is_admin": is_admin,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": FIRST_MESSAGE_EPOCH,
    }


def default_users() -> list[Payload]:
    """Two people, the bot itself, and Slackbot, which Slack reports with ``is_bot: false``."""
    return [
        slack_user("U0001", "ada", real_name="Ada Lovelace", email="ada@acme.example"),
        slack_user("U0002", "grace", real_name="Grace Hopper", email="grace@acme.example", tz="America/New_York"),
        slack_user(BOT_USER_ID, BOT_NAME, real_name="Cadence", is_bot=True),
        slack_user("USLACKBOT", "slackbot", real_name="Slackbot"),
    ]


def _json_arg(value: Any) -> Any:
    """Arguments such as ``blocks``, ``view`` and ``files`` arrive JSON-encoded in query strings and forms."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _dm_channel_for(channel: str) -> str:
    """Posting to a user ID lands in the DM with them, and Slack answers with the DM's channel ID."""
    return "D" + channel if channel.startswith(("U", "W")) else channel


def _bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


def _frozen_headers(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(headers))


class _InvalidJsonBody(ValueError):
    """The request declared a JSON body that is not a JSON object."""


async def _request_args(request: web.Request) -> Payload:
    """Query string, then form or JSON body, merged into one dict (body wins), as Slack itself does."""
    args: Payload = dict(request.query)
    if not request.body_exists:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as error:
            raise _InvalidJsonBody(str(error)) from error
        if not isinstance(body, dict):
            raise _InvalidJsonBody(f"expected a JSON object, got {type(body).__name__}")
        args.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            args[name] = value.file.read() if isinstance(value, web.FileField) else value
    return args


class FakeSlackApi:
    """Slack's Web API on ``http://127.0.0.1:PORT/api/``, with recorded calls and injectable failures.

    * Every request is recorded as a ``Call``, including rejected ones; see ``calls``/``count``/``last``.
    * ``respond(method, payload)`` replaces a method's answer for good. ``fail_next`` queues failures
      (429 + ``Retry-After``, 5xx, or ``ok: false`` errors) that take precedence over everything else.
    * ``rate_limits={"chat.postMessage": 50}`` answers 429 with ``Retry-After: 1`` beyond N admitted calls per
      method in a rolling one-second window (see ``RollingWindowLimiter``). Injected failures bypass the limiter.
    * ``fail_for(seconds)`` is an outage: every Web API call answers 500 (or ``status``) until it is over.
    * ``users`` is the directory behind users.list (paginated), users.info and users.lookupByEmail.
      Tests may reassign it.
    """

    def __init__(
        self,
        *,
        rate_limits: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        users: list[Payload] | None = None,
        scopes: str = DEFAULT_SCOPES,
    ) -> None:
        self.users: list[Payload] = default_users() if users is None else users
        self.scopes = scopes
        self._clock = clock
        self._limiter = RollingWindowLimiter(rate_limits or {}, clock)
        self._outages: list[_Outage] = []
        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._overrides: dict[str, Responder] = {}
        self._injections: dict[str, list[_Injection]] = defaultdict(list)
        self._drops: dict[str, int] = defaultdict(int)
        self._pending_files: dict[str, Payload] = {}
        self._uploads: dict[str, bytes] = {}
        self._reactions: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(dict)
        self._message_serial = itertools.count(1)
        self._view_serial = itertools.count(1)
        self._file_serial = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._socket_outbox: asyncio.Queue[Payload] | None = None
        self._open_sockets: set[web.WebSocketResponse] = set()
        self._handlers: dict[str, Callable[[Payload], Payload | _Answer]] = {
            "api.test": lambda args: {"ok": True, "args": args},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.publish": self._views_publish,
            "views.update": self._views_update,
            "users.list": self._users_list,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "team.info": self._team_info,
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self._oauth_v2_access,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "reactions.get": self._reactions_get,
            UPLOAD: self._store_upload,
            RESPONSE_URL: lambda args: _Answer(200, "ok"),
        }

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FakeSlackApi:
        """Serve on an ephemeral loopback port; returns once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FakeSlackApi is already running")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, args=(loop,), name="fake-slack-api", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_server(), loop).result(timeout=STARTUP_TIMEOUT_SECONDS)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close open websockets, stop serving and join the thread. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if self._runner is not None:
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(
                    timeout=SHUTDOWN_TIMEOUT_SECONDS + STARTUP_TIMEOUT_SECONDS
                )
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            self._loop = self._thread = self._runner = self._port = None

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    async def _start_server(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/api/{method}", self._serve_api)
        app.router.add_post("/api/{method}", self._serve_api)
        app.router.add_post("/upload/{file_id}", self._serve_upload)
        app.router.add_post("/response-url/{name}", self._serve_response_url)
        app.router.add_get("/socket-mode", self._serve_socket_mode)
        app.on_shutdown.append(self._close_open_sockets)
        self._socket_outbox = asyncio.Queue()
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
        await runner.setup()
        self._runner = runner
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        site = web.SockSite(runner, listener, backlog=LISTEN_BACKLOG)
        await site.start()
        self._port = listener.getsockname()[1]

    # ---- addresses --------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeSlackApi is not running; use it as a context manager or call start()")
        return self._port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Pass as ``base_url=`` to WebClient/AsyncWebClient."""
        return f"{self.origin}/api/"

    @property
    def socket_url(self) -> str:
        """The websocket apps.connections.open hands out."""
        return f"ws://127.0.0.1:{self.port}/socket-mode"

    def response_url(self, name: str = "default") -> str:
        """A loopback ``response_url`` for built payloads; Bolt's ``respond()`` POSTs there (recorded as RESPONSE_URL)."""
        return f"{self.origin}/response-url/{name}"

    # ---- inspection ---------------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first; all of them, or those to one method."""
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def count(self, method: str) -> int:
        return len(self.calls(method))

    def recorded(self) -> int:
        """How many calls are recorded: the place to read on from with ``calls_after``."""
        with self._lock:
            return len(self._calls)

    def calls_after(self, seen: int) -> list[Call]:
        """The calls recorded after the first ``seen``, oldest first: a poller that keeps its place reads only
        what is new, instead of the whole record (tens of thousands of calls in a benchmark) under the lock
        the server needs to record the next one."""
        with self._lock:
            return self._calls[seen:]

    def last(self, method: str) -> Call:
        """The latest call to ``method``; LookupError if there was none (a clearer failure than an IndexError)."""
        matching = self.calls(method)
        if not matching:
            seen = sorted({call.method for call in self.calls()})
            raise LookupError(f"no call to {method!r} was recorded; methods called: {seen}")
        return matching[-1]

    def clear(self) -> None:
        """Forget recorded calls. Overrides, pending injections, uploads and users are kept."""
        with self._lock:
            self._calls.clear()

    @property
    def uploads(self) -> dict[str, bytes]:
        """Bytes received at ``upload_url``, by file ID."""
        with self._lock:
            return dict(self._uploads)

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` are recorded, for work that Bolt does after ``ack()``.

        Do not call it from the event loop that runs the code under test: that blocks the loop. Use
        ``wait_for_calls_async`` there.
        """
        with self._recorded:
            if not self._recorded.wait_for(lambda: self.count(method) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} call(s) to {method!r} within {timeout}s, got {self.count(method)}"
                )
            return self.calls(method)

    async def wait_for_calls_async(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """``wait_for_calls`` in a worker thread, so the caller's event loop keeps running."""
        return await asyncio.to_thread(self.wait_for_calls, method, count, timeout)

    # ---- behaviour overrides -------------------------------------------------------------------------------------

    def respond(self, method: str, payload: Responder) -> None:
        """Answer every later call to ``method`` with ``payload`` (``"ok": true`` is added unless it says otherwise).

        ``payload`` may be a function of the call's args. A function runs while the fake holds its lock, so it
        may call ``calls()`` but must not block.
        """
        with self._lock:
            self._overrides[method] = payload

    def forget_response(self, method: str) -> None:
        """Undo ``respond``: go back to the default answer."""
        with self._lock:
            self._overrides.pop(method, None)

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 2,
        team_id: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail. Queued failures are used in order.

        * No ``status``/``error``, or ``status=429``: HTTP 429, ``Retry-After: retry_after``, error "ratelimited".
        * ``status=500`` (any 5xx): that status with a plain-text body, as Slack's edge sends it. JSON
          ``ok: false`` instead if ``error`` is also given.
        * ``error="user_not_found"`` alone: HTTP 200 ``{"ok": false, "error": "user_not_found"}``.
        * ``team_id``: only calls that carry that ``team_id`` arg consume it. Bolt's per-request clients add one.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status is None:
            status = 200 if error is not None else 429
        if status == 200 and error is None:
            raise ValueError("an HTTP 200 failure needs an error code, e.g. error='user_not_found'")
        with self._lock:
            self._injections[method].append(_Injection(status, error, retry_after, times, team_id))

    def fail_for(self, seconds: float, *, status: int = 500, methods: Collection[str] | None = None) -> float:
        """An outage of the Web API: for the next ``seconds`` (on the fake's clock) every call to a method
        under ``/api/`` (or only to ``methods``) answers ``status``, as ``fail_next(status=...)`` would
        answer it, and is recorded with that status. Response URLs and uploads are not affected.

        Returns when the outage ends, on the fake's clock, so a test can tell the calls made during it
        (``Call.at`` with the default clock) from those after it."""
        if seconds <= 0:
            raise ValueError("an outage lasts a positive number of seconds")
        if status < 500:
            raise ValueError("an outage answers a server error (5xx); use fail_next for other answers")
        with self._lock:
            outage = _Outage(self._clock() + seconds, status, frozenset(methods) if methods is not None else None)
            self._outages.append(outage)
        return outage.until

    def _outage_answer(self, method: str) -> _Answer | None:
        with self._lock:
            now = self._clock()
            self._outages = [outage for outage in self._outages if now < outage.until]
            for outage in self._outages:
                if outage.covers(method, now):
                    return outage.answer()
        return None

    def drop_connection_next(self, method: str, *, times: int = 1) -> None:
        """Read the next ``times`` calls to ``method``, then close their connection without answering.

        This is what a client meets when it sends a request on a kept-alive connection that the other
        side (Slack's edge, a proxy, a NAT) had already given up on: aiohttp raises
        ``ServerDisconnectedError`` ("Server disconnected"). The call is recorded with ``status`` 0 and
        error ``connection_dropped``, and nothing is done with it, as the server never acted on it.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._drops[method] += times

    def _take_drop(self, method: str) -> bool:
        with self._lock:
            if self._drops.get(method, 0) <= 0:
                return False
            self._drops[method] -= 1
            return True

    def add_reaction(self, channel: str, timestamp: str, name: str, user_id: str) -> None:
        """Simulate a person reacting to a message, as reactions.get will then report."""
        with self._lock:
            users = self._reactions[(channel, timestamp)].setdefault(name, [])
            if user_id not in users:
                users.append(user_id)

    # ---- socket mode ---------------------------------------------------------------------------------------------

    def send_socket_envelope(
        self,
        envelope_type: str,
        payload: Payload,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Queue an envelope ("events_api", "slash_commands", "interactive") for a Socket Mode client.

        It goes to the next connected client, or to the first one to connect. Returns the envelope ID, which
        the client's ack (recorded as SOCKET_MODE_ACK) carries.
        """
        envelope_id = str(uuid.uuid4())
        self.send_socket_message(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason,
            }
        )
        return envelope_id

    def send_socket_message(self, message: Payload) -> None:
        """Queue a raw websocket message, e.g. ``{"type": "disconnect", "reason": "refresh_requested"}``."""
        loop, outbox = self._loop, self._socket_outbox
        if loop is None or outbox is None:
            raise RuntimeError("FakeSlackApi is not running")
        loop.call_soon_threadsafe(outbox.put_nowait, message)

    # ---- HTTP handlers --------------------------------------------------------------------------------------------

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await _request_args(request)
        except _InvalidJsonBody:
            args, answer = {}, _Answer(200, _error("invalid_json"))
        else:
            if self._take_drop(method):
                return self._drop_connection(method, args, request)
            answer = self._outage_answer(method) or self._answer(method, args)
        token = _bearer_token(request.headers) or args.get("token")
        if answer.status == 200 and token:
            answer = _Answer(answer.status, answer.body, {**answer.headers, "X-OAuth-Scopes": self.scopes})
        self._record_answered(method, args, request, token, answer)
        return answer.to_response()

    def _drop_connection(self, method: str, args: Payload, request: web.Request) -> web.Response:
        token = _bearer_token(request.headers) or args.get("token")
        self._record(
            Call(
                method,
                args,
                _frozen_headers(request.headers),
                token,
                status=0,
                error="connection_dropped",
                path=request.path,
            )
        )
        assert request.transport is not None
        request.transport.close()  # the response below is never written: the client sees the connection end
        return web.Response(status=500)

    async def _serve_upload(self, request: web.Request) -> web.Response:
        args = {"file_id": request.match_info["file_id"], "content": await request.read()}
        answer = self._answer(UPLOAD, args)
        self._record_answered(UPLOAD, args, request, None, answer)
        return answer.to_response()

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        try:
            args = await _request_args(request)
        except _InvalidJsonBody:
            args, answer = {}, _Answer(400, "invalid_payload")
        else:
            answer = self._answer(RESPONSE_URL, args)
        self._record_answered(RESPONSE_URL, args, request, None, answer)
        return answer.to_response()

    async def _serve_socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        connection = web.WebSocketResponse()
        await connection.prepare(request)
        self._record(
            Call(
                SOCKET_MODE_CONNECT,
                dict(request.query),
                _frozen_headers(request.headers),
                _bearer_token(request.headers),
                path=request.path,
            )
        )
        self._open_sockets.add(connection)
        await connection.send_json(
            {"type": "hello", "num_connections": len(self._open_sockets), "connection_info": {"app_id": APP_ID}}
        )
        forwarder = asyncio.create_task(self._forward_socket_messages(connection))
        try:
            async for message in connection:
                if message.type == WSMsgType.TEXT:
                    self._record(Call(SOCKET_MODE_ACK, json.loads(message.data), {}, None, path=request.path))
        finally:
            forwarder.cancel()
            self._open_sockets.discard(connection)
        return connection

    async def _forward_socket_messages(self, connection: web.WebSocketResponse) -> None:
        assert self._socket_outbox is not None
        while not connection.closed:
            message = await self._socket_outbox.get()
            try:
                await connection.send_json(message)
            except ConnectionResetError:
                self._socket_outbox.put_nowait(message)  # the next connection delivers it, as Slack would
                return

    async def _close_open_sockets(self, app: web.Application) -> None:
        for connection in list(self._open_sockets):
            await connection.close(code=WSCloseCode.GOING_AWAY, message=b"fake slack shutting down")

    def _record_answered(
        self, method: str, args: Payload, request: web.Request, token: str | None, answer: _Answer
    ) -> None:
        self._record(
            Call(
                method,
                args,
                _frozen_headers(request.headers),
                token,
                status=answer.status,
                error=answer.error,
                response=answer.body,
                path=request.path,
            )
        )

    def _record(self, call: Call) -> None:
        with self._recorded:
            self._calls.append(call)
            self._recorded.notify_all()

    def _answer(self, method: str, args: Payload) -> _Answer:
        """Injected failure, else rate limit, else override, else the default answer."""
        with self._lock:
            injection = self._take_injection(method, args)
            if injection is not None:
                return injection.answer()
            if not self._limiter.admit(method):
                return _rate_limited(retry_after=1)
            override = self._overrides.get(method)
            if override is not None:
                payload = override(args) if callable(override) else override
                return _Answer(200, {"ok": True, **payload})
            handler = self._handlers.get(method)
            if handler is None:
                return _Answer(200, _error("unknown_method"))
            result = handler(args)
            return result if isinstance(result, _Answer) else _Answer(200, result)

    def _take_injection(self, method: str, args: Payload) -> _Injection | None:
        queue = self._injections.get(method, [])
        for injection in queue:
            if injection.applies_to(args):
                injection.remaining -= 1
                if injection.remaining == 0:
                    queue.remove(injection)
                return injection
        return None

    # ---- default answers (called with the lock held) -------------------------------------------------------

    def _next_ts(self) -> str:
        micros = next(self._message_serial) * 100
        return f"{FIRST_MESSAGE_EPOCH + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: Payload) -> Payload:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _bot_message(self, args: Payload, ts: str) -> Payload:
        message: Payload = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for name in ("blocks", "attachments", "metadata"):
            if name in args:
                message[name] = _json_arg(args[name])
        if "thread_ts" in args:
            message["thread_ts"] = args["thread_ts"]
        return message

    def _chat_post_message(self, args: Payload) -> Payload:
        if not args.get("channel"):
            return _error("channel_not_found")
        if not any(args.get(name) for name in ("text", "blocks", "attachments")):
            return _error("no_text")
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": _dm_channel_for(args["channel"]),
            "ts": ts,
            "message": self._bot_message(args, ts),
        }

    def _chat_post_ephemeral(self, args: Payload) -> Payload:
        if not args.get("channel"):
            return _error("channel_not_found")
        if not args.get("user"):
            return _error("user_not_in_channel")
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: Payload) -> Payload:
        if not args.get("channel"):
            return _error("channel_not_found")
        if not args.get("ts"):
            return _error("message_not_found")
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": args["ts"],
            "text": args.get("text", ""),
            "message": self._bot_message(args, args["ts"]),
        }

    def _chat_delete(self, args: Payload) -> Payload:
        if not args.get("channel") or not args.get("ts"):
            return _error("message_not_found")
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _conversations_open(self, args: Payload) -> Payload:
        if args.get("channel"):
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": args["channel"]}}
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if not users:
            return _error("users_list_not_supplied")
        channel_id = "D" + users[0] if len(users) == 1 else "G" + "".join(users)
        return {"ok": True, "channel": {"id": channel_id}}

    def _conversations_info(self, args: Payload) -> Payload:
        channel_id = args.get("channel")
        if not channel_id:
            return _error("channel_not_found")
        is_im = channel_id.startswith("D")
        channel: Payload = {
            "id": channel_id,
            "created": FIRST_MESSAGE_EPOCH,
            "is_channel": channel_id.startswith("C"),
            "is_group": False,
            "is_im": is_im,
            "is_mpim": channel_id.startswith("G"),
            "is_private": not channel_id.startswith("C"),
            "is_archived": False,
            "is_member": True,
            "context_team_id": TEAM_ID,
        }
        if is_im:
            channel["user"] = channel_id[1:]
        else:
            channel["name"] = "general" if channel_id == "C0001" else channel_id.lower()
        return {"ok": True, "channel": channel}

    def _view(self, args: Payload, view_id: str | None = None) -> Payload:
        view = _json_arg(args.get("view"))
        if not isinstance(view, dict) or "type" not in view:
            return _error("invalid_arguments")
        view_id = view_id or f"V{next(self._view_serial):08d}"
        return {
            "ok": True,
            "view": {
                "id": view_id,
                "team_id": TEAM_ID,
                "type": view["type"],
                "title": view.get("title"),
                "submit": view.get("submit"),
                "close": view.get("close"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", ""),
                "state": {"values": {}},
                "hash": f"{FIRST_MESSAGE_EPOCH}.{view_id}",
                "clear_on_close": view.get("clear_on_close", False),
                "notify_on_close": view.get("notify_on_close", False),
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": APP_ID,
                "app_installed_team_id": TEAM_ID,
                "bot_id": BOT_ID,
            },
        }

    def _views_open(self, args: Payload) -> Payload:
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            return _error("invalid_arguments")
        return self._view(args)

    def _views_publish(self, args: Payload) -> Payload:
        if not args.get("user_id"):
            return _error("invalid_arguments")
        return self._view(args)

    def _views_update(self, args: Payload) -> Payload:
        if not args.get("view_id") and not args.get("external_id"):
            return _error("invalid_arguments")
        return self._view(args, view_id=args.get("view_id"))

    def _users_list(self, args: Payload) -> Payload:
        limit = int(args.get("limit") or 0)
        limit = USERS_LIST_MAX_LIMIT if limit <= 0 else min(limit, USERS_LIST_MAX_LIMIT)
        start = 0
        if args.get("cursor"):
            try:
                start = int(base64.b64decode(args["cursor"], validate=True).decode().removeprefix("users:"))
            except (binascii.Error, ValueError):
                return _error("invalid_cursor")
        members = list(self.users)
        page = members[start : start + limit]
        end = start + len(page)
        next_cursor = base64.b64encode(f"users:{end}".encode()).decode() if end < len(members) else ""
        return {
            "ok": True,
            "members": page,
            "cache_ts": FIRST_MESSAGE_EPOCH,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _users_info(self, args: Payload) -> Payload:
        for user in self.users:
            if user.get("id") == args.get("user"):
                return {"ok": True, "user": user}
        return _error("user_not_found")

    def _users_lookup_by_email(self, args: Payload) -> Payload:
        for user in self.users:
            if args.get("email") and user.get("profile", {}).get("email") == args["email"]:
                return {"ok": True, "user": user}
        return _error("users_not_found")

    def _team_info(self, args: Payload) -> Payload:
        return {
            "ok": True,
            "team": {"id": TEAM_ID, "name": TEAM_NAME, "domain": TEAM_DOMAIN, "email_domain": "acme.example"},
        }

    def _apps_connections_open(self, args: Payload) -> Payload:
        return {"ok": True, "url": self.socket_url}

    def _oauth_v2_access(self, args: Payload) -> Payload:
        team = {"id": TEAM_ID, "name": TEAM_NAME}
        if args.get("grant_type") == "refresh_token":
            if not args.get("refresh_token"):
                return _error("invalid_refresh_token")
            return {
                "ok": True,
                "app_id": APP_ID,
                "access_token": "xoxe.xoxb-refreshed",
                "refresh_token": "xoxe-1-refreshed",
                "expires_in": 43200,
                "token_type": "bot",
                "scope": self.scopes,
                "bot_user_id": BOT_USER_ID,
                "team": team,
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if not args.get("code"):
            return _error("invalid_code")
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": INSTALLING_USER_ID},
            "scope": self.scopes,
            "token_type": "bot",
            "access_token": INSTALLED_BOT_TOKEN,
            "bot_user_id": BOT_USER_ID,
            "team": team,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _files_get_upload_url_external(self, args: Payload) -> Payload:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return _error("invalid_arguments")
        file_id = f"F{next(self._file_serial):08d}"
        self._pending_files[file_id] = {"filename": args["filename"], "length": int(args["length"])}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.origin}/upload/{file_id}"}

    def _store_upload(self, args: Payload) -> _Answer:
        self._uploads[args["file_id"]] = args["content"]
        return _Answer(200, f"OK - {len(args['content'])}")

    def _files_complete_upload_external(self, args: Payload) -> Payload:
        requested = _json_arg(args.get("files"))
        if not isinstance(requested, list) or not requested:
            return _error("invalid_arguments")
        files = []
        for entry in requested:
            pending = self._pending_files.get(entry.get("id", ""))
            if pending is None:
                return _error("file_not_found")
            file_id, filename = entry["id"], pending["filename"]
            files.append(
                {
                    "id": file_id,
                    "created": FIRST_MESSAGE_EPOCH,
                    "name": filename,
                    "title": entry.get("title") or filename,
                    "mimetype": mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    "size": len(self._uploads.get(file_id, b"")),
                    "user": BOT_USER_ID,
                    "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/{filename}",
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{file_id}/{filename}",
                }
            )
        return {"ok": True, "files": files}

    def _reaction_target(self, args: Payload) -> tuple[str, str] | None:
        channel, timestamp = args.get("channel"), args.get("timestamp")
        return (channel, timestamp) if channel and timestamp else None

    def _reactions_add(self, args: Payload) -> Payload:
        target = self._reaction_target(args)
        if target is None or not args.get("name"):
            return _error("invalid_arguments")
        users = self._reactions[target].setdefault(args["name"], [])
        if BOT_USER_ID in users:
            return _error("already_reacted")
        users.append(BOT_USER_ID)
        return {"ok": True}

    def _reactions_remove(self, args: Payload) -> Payload:
        target = self._reaction_target(args)
        users = self._reactions.get(target, {}).get(args.get("name", ""), []) if target else []
        if BOT_USER_ID not in users:
            return _error("no_reaction")
        users.remove(BOT_USER_ID)
        return {"ok": True}

    def _reactions_get(self, args: Payload) -> Payload:
        target = self._reaction_target(args)
        if target is None:
            return _error("message_not_found")
        reactions = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in self._reactions.get(target, {}).items()
            if users
        ]
        message: Payload = {"type": "message", "ts": target[1], "text": ""}
        if reactions:
            message["reactions"] = reactions
        return {"ok": True, "type": "message", "channel": target[0], "message": message}
