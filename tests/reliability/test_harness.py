"""The fault tests' own tools do what those tests rely on: the fake Slack's outage window starts and
ends on time, and the database proxy relays, cuts (closing or going silent) and restores."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.slack_api import FakeSlackApi, ManualClock
from tests.reliability.replicas import DatabaseProxy, metric_value


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_an_outage_answers_500_to_every_web_api_call_until_it_ends_and_leaves_response_urls_alone() -> None:
    clock = ManualClock()
    with FakeSlackApi(clock=clock) as slack:
        ends = slack.fail_for(30)
        assert ends == clock.now + 30
        api = slack.base_url
        assert httpx.post(api + "chat.postMessage", data={"channel": "U1", "text": "hi"}).status_code == 500
        assert httpx.post(api + "conversations.open", data={"users": "U1"}).status_code == 500
        assert httpx.post(slack.response_url("answer"), json={"text": "hi"}).status_code == 200
        clock.advance(29.9)
        assert httpx.post(api + "chat.postMessage", data={"channel": "U1", "text": "hi"}).status_code == 500
        clock.advance(0.1)
        assert httpx.post(api + "chat.postMessage", data={"channel": "U1", "text": "hi"}).json()["ok"] is True
        assert [call.status for call in slack.calls("chat.postMessage")] == [500, 500, 200]


def test_an_outage_of_some_methods_leaves_the_others_answering() -> None:
    with FakeSlackApi() as slack:
        slack.fail_for(30, status=503, methods={"chat.postMessage"})
        assert httpx.post(slack.base_url + "chat.postMessage", data={"channel": "U1", "text": "x"}).status_code == 503
        assert httpx.post(slack.base_url + "auth.test").json()["ok"] is True


class Echo:
    """A TCP server on loopback that sends back whatever it receives: the proxy's stand-in for PostgreSQL."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(connection,), daemon=True).start()

    @staticmethod
    def echo(connection: socket.socket) -> None:
        with connection:
            try:
                while data := connection.recv(4096):
                    connection.sendall(data)
            except OSError:
                return


@pytest.fixture
def proxy() -> Iterator[DatabaseProxy]:
    echo = Echo()
    with DatabaseProxy("127.0.0.1", echo.port) as proxy:
        yield proxy
    echo.listener.close()


def round_trip(sock: socket.socket, data: bytes = b"SELECT 1") -> bytes:
    sock.sendall(data)
    return sock.recv(4096)


def closed(sock: socket.socket) -> bool:
    """The other end closed the connection (an end of file, or a reset if it left our bytes unread)."""
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def test_the_proxy_relays_then_a_cut_closes_every_connection_and_new_ones_until_restored(proxy) -> None:
    before = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    assert round_trip(before) == b"SELECT 1"
    proxy.cut()
    assert closed(before), "the open connection is closed"
    refused = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    assert closed(refused), "a new connection is closed at once"
    proxy.restore()
    after = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    assert round_trip(after) == b"SELECT 1"
    for sock in (before, refused, after):
        sock.close()


def test_an_unanswered_cut_keeps_connections_open_and_silent_until_restored(proxy) -> None:
    before = socket.create_connection(("127.0.0.1", proxy.port), timeout=0.5)
    assert round_trip(before) == b"SELECT 1"
    proxy.cut(unanswered=True)
    with pytest.raises(TimeoutError):
        round_trip(before)
    silent = socket.create_connection(("127.0.0.1", proxy.port), timeout=0.5)
    with pytest.raises(TimeoutError):
        round_trip(silent)
    proxy.restore()
    assert closed(before) and closed(silent), "restored, the silent connections are closed"
    after = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    assert round_trip(after) == b"SELECT 1"
    for sock in (before, silent, after):
        sock.close()


def test_metric_values_are_summed_over_the_samples_with_the_labels_asked_for() -> None:
    exposition = """# HELP cadence_events_total x
cadence_events_total{outcome="processed",platform="slack"} 2.0
cadence_events_total{outcome="duplicate",platform="slack"} 1.0
cadence_scheduler_leader 1.0
"""
    assert metric_value(exposition, "cadence_events_total") == 3.0
    assert metric_value(exposition, "cadence_events_total", outcome="duplicate") == 1.0
    assert metric_value(exposition, "cadence_scheduler_leader") == 1.0
    assert metric_value(exposition, "cadence_outbox_depth") is None
