"""Real ``cadence serve`` processes on one PostgreSQL database, for the fault tests.

Each test gets a database of its own (``PostgresDatabase``: created from ``TEST_DATABASE_URL``,
migrated with ``cadence db upgrade``, dropped afterwards), a fake Slack Web API, and replicas
(``Replicas``): processes of ``python -m bot serve --port 0`` started from this checkout, each
announcing its port on stdout once it serves. A replica can be killed (SIGKILL), stopped (SIGTERM)
and started again; its stdout and stderr go to files, whose tails failure messages quote. Leaving
the ``with`` block kills whatever is still running, whatever the test did.

``DatabaseProxy`` stands between the replicas and PostgreSQL, so a test can make the database go
away (restarting: every connection closed, new ones refused; or hung: nothing answers) and
come back, without touching the machine's PostgreSQL, which other people's tests use.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.fakes.slack_api import PROXY_ENV_VARS, RESPONSE_URL, FakeSlackApi
from tests.fakes.slack_requests import sign, slash_command

REPOSITORY = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "reliability-signing-secret"
BOT_TOKEN = "xoxb-reliability"
ANNOUNCE = re.compile(r"cadence: serving .*; health at http://127\.0\.0\.1:(\d+)/healthz")
START_TIMEOUT = 45.0  # two cores shared with other workers: an interpreter importing Bolt takes a while
LEASE_SECONDS = 5
SHUTDOWN_GRACE_SECONDS = 5
LOG_TAIL_LINES = 25

_ENVIRONMENT_DROPPED_PREFIXES = ("SLACK_", "TEAMS_", "CADENCE_")
_ENVIRONMENT_DROPPED = {*PROXY_ENV_VARS, "DATABASE_URL", "DEMO_DATABASE_URL", "HOST", "PORT", "LOG_LEVEL"}


def wait_until(
    condition: Callable[[], Any],
    timeout: float,
    what: str,
    *,
    every: float = 0.05,
    detail: Callable[[], str] | None = None,
) -> Any:
    """Poll ``condition`` until it returns something true, and return that; fail naming ``what``
    and, when given, saying ``detail()`` (how far it got)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            said = f": {detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{said}")
        time.sleep(every)


# ---- the database ----------------------------------------------------------------------------------------------


class PostgresDatabase:
    """A database of its own on the server ``TEST_DATABASE_URL`` points at, dropped on ``drop``.

    A database rather than a schema: a replica is configured by ``DATABASE_URL`` alone, as in
    production; advisory locks (the scheduler leader's) are per database, so tests running at once
    don't contend for one; and dropping it (``WITH (FORCE)``) ends any session a killed test left."""

    def __init__(self, server_url: str) -> None:
        self.server = sa.make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"reliability_{uuid.uuid4().hex[:12]}"
        self.url = self.server.set(database=self.name)
        self._admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    @property
    def host(self) -> str:
        return self.url.host or "127.0.0.1"

    @property
    def port(self) -> int:
        return self.url.port or 5432

    def url_through(self, port: int) -> str:
        """This database's URL with its server at 127.0.0.1:``port`` (a proxy in front of it)."""
        return self.url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)

    def create(self) -> PostgresDatabase:
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


# ---- the proxy in front of PostgreSQL ------------------------------------------------------------------------


class DatabaseProxy:
    """TCP on 127.0.0.1 (port 0) relayed to PostgreSQL, which a test can ``cut`` and ``restore``.

    ``cut()`` is a PostgreSQL that restarts: every relayed connection is closed (in the middle of
    whatever query) and each new one is closed as soon as it is accepted, so clients learn at once
    that the server went away. ``cut(unanswered=True)`` is one that stopped answering (a hung
    server, or a pooler or proxy in front of a dead one): connections, old and new, stay open and
    TCP still acknowledges what is sent (so keepalives see nothing wrong), but no answer ever comes:
    only a client's own time-outs end its wait. ``restore()`` relays new connections again
    (and closes the unanswered ones, whose conversations lost bytes).

    Threads, not asyncio: the test's own code is synchronous, and a few dozen connections need no more."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._held: list[socket.socket] = []
        self._cut = False
        self._unanswered = False
        self._closing = False
        self._acceptor = threading.Thread(target=self._accept, name="database-proxy", daemon=True)
        self._acceptor.start()

    def cut(self, *, unanswered: bool = False) -> None:
        """PostgreSQL goes away: restarting (connections closed now and refused), or ``unanswered``."""
        with self._lock:
            self._cut, self._unanswered = True, unanswered
            closing = [] if unanswered else [*self._open]
            self._open -= set(closing)
        for sock in closing:
            _close(sock)

    def restore(self) -> None:
        """PostgreSQL is back: new connections are relayed again."""
        with self._lock:
            broken = [*self._held, *self._open] if self._unanswered else []
            self._open -= set(broken)
            self._held.clear()
            self._cut = self._unanswered = False
        for sock in broken:
            _close(sock)

    def close(self) -> None:
        self._closing = True
        self.cut()
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            _close(sock)
        self._acceptor.join(timeout=5)
        self.listener.close()

    def __enter__(self) -> DatabaseProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if self._cut and self._unanswered:
                    self._held.append(client)  # open, and never a word back
                    continue
            if self._cut:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._cut:  # cut while we connected
                    _close(client)
                    _close(upstream)
                    continue
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                if not self._unanswered:  # unanswered: what is sent is lost on the way
                    sink.sendall(chunk)
        except OSError:
            pass  # the other side, or a cut, closed it: the connection is over either way
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# ---- replicas --------------------------------------------------------------------------------------------------

_RUNNING: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers() -> None:
    """A pytest killed between a start and its ``with`` block's end still leaves no replica behind."""
    for process in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # with its worker processes


def cadence_environment(database_url: str, secret_key: str) -> dict[str, str]:
    """What any ``cadence`` command of a test runs with: this checkout's code and the test's
    database; nothing of the caller's Slack, Teams or Cadence settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in _ENVIRONMENT_DROPPED and not key.startswith(_ENVIRONMENT_DROPPED_PREFIXES)
    }
    environment.update(
        PYTHONPATH=str(REPOSITORY),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=database_url,
        CADENCE_SECRET_KEY=secret_key,
    )
    return environment


def replica_environment(database_url: str, slack: FakeSlackApi, secret_key: str, **overrides: str) -> dict[str, str]:
    """What a replica runs with: one Slack workspace on the fake (a bot token and a signing
    secret), short leases and grace, and ``overrides``."""
    environment = cadence_environment(database_url, secret_key)
    environment.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        CADENCE_LEASE_SECONDS=str(LEASE_SECONDS),
        CADENCE_SHUTDOWN_GRACE_SECONDS=str(SHUTDOWN_GRACE_SECONDS),
        LOG_LEVEL="INFO",
    )
    environment.update(overrides)
    return environment


def run_cadence(arguments: Iterable[str], environment: Mapping[str, str], folder: Path) -> str:
    """One ``cadence`` command to completion (``db upgrade``, ``config apply``); its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        env=dict(environment),
        cwd=folder,  # no .env of the developer's is read
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"cadence {' '.join(arguments)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


@dataclass
class Replica:
    """One ``cadence serve`` process, started again under the same name after a kill or a stop."""

    name: str
    environment: dict[str, str]
    folder: Path
    process: subprocess.Popen | None = None
    port: int | None = None
    runs: int = 0
    exits: list[int] = field(default_factory=list)
    command: tuple[str, ...] = ("serve",)  # or ("socket",): Slack's events over Socket Mode

    @property
    def stdout_path(self) -> Path:
        return self.folder / f"{self.name}-{self.runs}.out"

    @property
    def stderr_path(self) -> Path:
        return self.folder / f"{self.name}-{self.runs}.err"

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError(f"{self.name} is not serving")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Replica:
        """Start the process; ``wait_until_serving`` waits for its announcement."""
        if self.running:
            raise RuntimeError(f"{self.name} is running already")
        self.runs += 1
        self.port = None
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *self.command, "--port", "0"],
                env=self.environment,
                cwd=self.folder,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for pytest is not also a SIGINT to the replicas
            )
        _RUNNING.add(self.process)
        return self

    def wait_until_serving(self, timeout: float = START_TIMEOUT) -> Replica:
        deadline = time.monotonic() + timeout
        while self.port is None:
            match = ANNOUNCE.search(self.stdout_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
            elif not self.running:
                raise AssertionError(f"{self.name} exited before serving:\n{self.log_tail()}")
            elif time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not announce within {timeout:.0f} s:\n{self.log_tail()}")
            else:
                time.sleep(0.05)
        return self

    def kill(self) -> None:
        """SIGKILL to the replica's every process (its process group: the serving process and its worker
        processes), as when its machine or container dies: each ends between two instructions, holding
        whatever it had claimed."""
        if not self.running:
            raise AssertionError(f"{self.name} is not running (exit {self.exits}):\n{self.log_tail()}")
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.wait_for_exit(10)

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops a container; ``wait_for_exit`` waits for the drain."""
        self._signal(signal.SIGTERM)

    def wait_for_exit(self, timeout: float) -> int:
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"{self.name} still runs {timeout:.0f} s later:\n{self.log_tail()}") from error
        _RUNNING.discard(self.process)
        self.exits.append(code)
        self.port = None
        return code

    def _signal(self, signum: signal.Signals) -> None:
        if not self.running:
            raise AssertionError(f"{self.name} is not running (exit {self.exits}):\n{self.log_tail()}")
        assert self.process is not None
        self.process.send_signal(signum)

    def cleanup(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):  # its worker processes too, should they outlive it
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        if self.process is not None:
            _RUNNING.discard(self.process)

    def logs(self) -> str:
        """Everything this replica wrote in its current (or last) run: stdout, then stderr."""
        return "\n".join(path.read_text(errors="replace") for path in (self.stdout_path, self.stderr_path))

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            parts.append(f"--- {path.name} (last {lines} of {len(text)} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    # ---- talking to it -----------------------------------------------------------------------------------------

    def get(self, path: str, timeout: float = 5.0) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=timeout)

    def healthz(self, timeout: float = 5.0) -> httpx.Response:
        return self.get("/healthz", timeout)

    def metric(self, name: str, **labels: str) -> float | None:
        """The sum of the samples of ``name`` with ``labels`` on /metrics; None when there are none."""
        return metric_value(self.get("/metrics").text, name, **labels)

    def post_slack(self, built: tuple[str, str], *, timeout: float = 10.0, **headers: str) -> httpx.Response:
        """A request signed with the signing secret, as Slack posts it to /slack/events."""
        body, signed = sign(SIGNING_SECRET, built)
        return httpx.post(
            self.base_url + "/slack/events", content=body.encode(), headers={**signed, **headers}, timeout=timeout
        )


def metric_value(exposition: str, name: str, **labels: str) -> float | None:
    found: float | None = None
    for line in exposition.splitlines():
        if not line or line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        sample_name, _, label_text = sample.partition("{")
        if sample_name != name:
            continue
        sample_labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', label_text))
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items()):
            found = (found or 0.0) + float(value)
    return found


class Replicas:
    """``count`` replicas with one environment; each started and waited for, all killed on exit."""

    def __init__(self, environment: Mapping[str, str], folder: Path, count: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.members = [Replica(f"replica-{index}", dict(environment), folder) for index in range(count)]

    def __enter__(self) -> Replicas:
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        self.cleanup()
        if exc_type is not None:  # pytest shows a failed test's output: what each replica said, at the end
            print(f"replica logs in {self.members[0].folder}:\n{self.log_tails()}")

    def __iter__(self) -> Iterator[Replica]:
        return iter(self.members)

    def __getitem__(self, index: int) -> Replica:
        return self.members[index]

    def __len__(self) -> int:
        return len(self.members)

    def start(self) -> None:
        """Start them all at once (start-up is mostly imports), then wait for each to announce."""
        for replica in self.members:
            replica.start()
        for replica in self.members:
            replica.wait_until_serving()

    def restart(self, replica: Replica) -> Replica:
        return replica.start().wait_until_serving()

    @property
    def serving(self) -> list[Replica]:
        return [replica for replica in self.members if replica.running and replica.port is not None]

    def cleanup(self) -> None:
        for replica in self.members:
            replica.cleanup()

    def log_tails(self) -> str:
        return "\n".join(replica.log_tail() for replica in self.members)


# ---- slash commands and their answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class SentCommand:
    """A slash command as it was signed and posted, and where its answer is expected."""

    name: str
    body: tuple[str, str]
    response_path: str


def build_command(slack: FakeSlackApi, name: str, command: str, text: str, user_id: str = "U0001") -> SentCommand:
    """One slash command whose answer goes to its own response URL on the fake (``name``)."""
    return SentCommand(
        name,
        slash_command(command, text, user_id=user_id, response_url=slack.response_url(name)),
        f"/response-url/{name}",
    )


def answers_by_path(slack: FakeSlackApi) -> dict[str, int]:
    """How many times each response URL was posted to."""
    counts: dict[str, int] = {}
    for call in slack.calls(RESPONSE_URL):
        counts[call.path] = counts.get(call.path, 0) + 1
    return counts
