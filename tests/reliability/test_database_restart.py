"""PostgreSQL goes away for a few seconds while Cadence serves: /healthz says so within a second, a
Slack command gets a quick answer rather than a hang, and once the database is back Cadence serves
again by itself, without a restart.

A proxy between Cadence and PostgreSQL makes it go away in two ways: restarting (every connection
closed, new ones refused: clients learn at once) and hung (connections open, TCP acknowledging,
but nothing comes back: only Cadence's own time-outs end the wait)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.reliability.conftest import Deployment, people_csv
from tests.reliability.replicas import DatabaseProxy, Replicas, answers_by_path, build_command, wait_until

pytestmark = pytest.mark.postgres

DOWN_SECONDS = 5
HEALTH_WITHIN = 1.0
COMMAND_ANSWERED_WITHIN = 2.0
GIVE_UP_AFTER = 5.0  # how long the test waits for an answer at all
RECOVERY_SECONDS = 20


def timed(request: Callable[[], httpx.Response]) -> tuple[httpx.Response | None, float]:
    """The answer and how long it took; None if there was none within the request's time-out."""
    started = time.monotonic()
    try:
        answer: httpx.Response | None = request()
    except httpx.TimeoutException:
        answer = None
    return answer, time.monotonic() - started


@pytest.mark.parametrize("unanswered", [False, True], ids=["restarting", "hung"])
def test_while_postgres_is_down_health_says_so_at_once_commands_fail_fast_and_all_resumes_when_it_is_back(
    deployment: Deployment, slack: FakeSlackApi, tmp_path, unanswered: bool
) -> None:
    deployment.seed(people_csv(1))
    with DatabaseProxy(deployment.postgres.host, deployment.postgres.port) as proxy:
        environment = deployment.environment(slack, database_url=deployment.postgres.url_through(proxy.port))
        with Replicas(environment, tmp_path / "replicas", 1) as replicas:
            cadence = replicas[0]
            assert cadence.healthz().status_code == 200

            proxy.cut(unanswered=unanswered)
            cut_at = time.monotonic()
            # the first probe meets the pool's dead connections, the next ones new ones
            probes = [timed(lambda: cadence.healthz(timeout=GIVE_UP_AFTER)) for _ in range(3)]
            seen = [
                (health.status_code if health is not None else "no answer", round(took, 1)) for health, took in probes
            ]
            assert all(status == 503 and took < HEALTH_WITHIN for status, took in seen), f"/healthz while down: {seen}"
            during = build_command(slack, "during-outage", "/cadence", "help", user_id="U0000001")
            ack, took = timed(lambda: cadence.post_slack(during.body, timeout=GIVE_UP_AFTER))
            assert ack is not None and took < COMMAND_ANSWERED_WITHIN, (
                f"the command sent while PostgreSQL was down was answered after {took:.1f} s"
            )
            time.sleep(max(DOWN_SECONDS - (time.monotonic() - cut_at), 0))
            assert cadence.running, "Cadence keeps running while the database is away"

            proxy.restore()
            wait_until(lambda: cadence.healthz().status_code == 200, RECOVERY_SECONDS, "/healthz to answer 200 again")
            after = build_command(slack, "after-outage", "/cadence", "help", user_id="U0000001")
            assert cadence.post_slack(after.body).status_code == 200
            wait_until(
                lambda: answers_by_path(slack).get(after.response_path) == 1, RECOVERY_SECONDS, "the answer after"
            )
            if ack.status_code == 200 and not ack.content:  # an empty ack: it was recorded after all, so answered
                wait_until(lambda: answers_by_path(slack).get(during.response_path) == 1, 10, "the answer during")
            assert cadence.running and cadence.runs == 1, "recovered without a restart"
