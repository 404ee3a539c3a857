"""A rolling restart (SIGTERM, wait for the exit, start again; one replica at a time) during a burst
of slash commands: every command is answered at its response_url exactly once."""

from __future__ import annotations

import itertools
import signal
import threading
import time

import httpx
import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.reliability.conftest import Deployment, people_csv
from tests.reliability.replicas import (
    LEASE_SECONDS,
    SHUTDOWN_GRACE_SECONDS,
    Replica,
    Replicas,
    SentCommand,
    answers_by_path,
    build_command,
    wait_until,
)

pytestmark = pytest.mark.postgres

REPLICAS = 2
COMMANDS_PER_SECOND = 16
RESENDS = 5
EXIT_WITHIN = SHUTDOWN_GRACE_SECONDS + 10
STOPPED_BY_SIGTERM = (0, -signal.SIGTERM)
"""uvicorn shuts down on SIGTERM, then raises the signal again, so the process ends as if killed by it."""


class Burst(threading.Thread):
    """Slash commands at a steady rate, to the replicas a load balancer would send them to (not one
    known to be stopping; it learns that just after the signal). A command whose connection is
    refused or cut before the ack is sent again, unchanged, to another replica, as a load balancer
    retries; ``acked`` are those answered 200."""

    def __init__(self, slack: FakeSlackApi, replicas: Replicas) -> None:
        super().__init__(name="command-burst", daemon=True)
        self.slack = slack
        self.replicas = replicas
        self.draining: set[str] = set()
        self.stop = threading.Event()
        self.acked: list[SentCommand] = []
        self.refused: list[tuple[SentCommand, str]] = []
        self.resent = 0

    def targets(self) -> list[Replica]:
        return [replica for replica in self.replicas.serving if replica.name not in self.draining]

    def run(self) -> None:
        for number in itertools.count(1):
            if self.stop.wait(1 / COMMANDS_PER_SECOND):
                return
            command = build_command(self.slack, f"burst-{number}", "/cadence", "help", user_id=f"U{number % 5 + 1:07d}")
            self.send(command, number)

    def send(self, command: SentCommand, number: int) -> None:
        error = "no replica to send to"
        for attempt in range(RESENDS):
            targets = self.targets()
            if not targets:
                time.sleep(0.2)
                continue
            replica = targets[(number + attempt) % len(targets)]
            try:
                ack = replica.post_slack(command.body, timeout=10)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as failure:
                error = f"{replica.name}: {failure!r}"
                self.resent += 1
                continue
            if ack.status_code == 200:
                self.acked.append(command)
                return
            error = f"{replica.name}: HTTP {ack.status_code} {ack.text[:200]}"
            self.resent += 1
        self.refused.append((command, error))


def test_a_rolling_restart_during_a_burst_of_commands_answers_each_exactly_once(
    deployment: Deployment, slack: FakeSlackApi, tmp_path
) -> None:
    deployment.seed(people_csv(5))
    with Replicas(deployment.environment(slack), tmp_path / "replicas", REPLICAS) as replicas:
        burst = Burst(slack, replicas)
        burst.start()
        try:
            time.sleep(1)
            for replica in replicas:
                replica.terminate()  # as in Kubernetes, requests still arrive while the balancer learns of it
                burst.draining.add(replica.name)
                assert replica.wait_for_exit(EXIT_WITHIN) in STOPPED_BY_SIGTERM, replica.log_tail()
                assert "Application shutdown complete" in replica.logs(), replica.log_tail()
                replicas.restart(replica)
                burst.draining.discard(replica.name)
                time.sleep(1)
            # the restarts may take under five seconds: the burst goes on until it is one worth the name
            wait_until(
                lambda: len(burst.acked) >= COMMANDS_PER_SECOND * 5,
                timeout=30,
                what="a burst worth the name",
                detail=lambda: f"{len(burst.acked)} acked",
            )
        finally:
            burst.stop.set()
            burst.join(timeout=30)
        assert burst.refused == [], burst.refused[:3]
        assert len(burst.acked) >= COMMANDS_PER_SECOND * 5, "a burst worth the name"

        paths = [command.response_path for command in burst.acked]
        wait_until(
            lambda: all(path in answers_by_path(slack) for path in paths),
            20 + LEASE_SECONDS,
            "every command to be answered",
            every=0.25,
            detail=lambda: (
                f"{sum(path not in answers_by_path(slack) for path in paths)} of {len(paths)} unanswered; "
                f"inbox by actor: {deployment.inbox_by_actor()}; outbox: {deployment.outbox_counts()}"
            ),
        )
        time.sleep(LEASE_SECONDS + 1)  # a request claimed twice would be answered again once its lease ran out
        counts = answers_by_path(slack)
        twice = {path: counts[path] for path in paths if counts[path] != 1}
        assert twice == {}, f"answered more than once: {twice}"
