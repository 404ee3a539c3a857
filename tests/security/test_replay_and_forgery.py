"""Replayed and forged requests: Slack signatures outside their five minutes or over other bytes, OAuth
states used twice, expired or from another browser, install links that try to send people elsewhere,
and Teams tokens that are expired, premature, for someone else, from someone else or for another
service URL. Each is refused over HTTP and leaves nothing behind."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from sqlmodel import select

from storage.models import InboxRequest, OutboxDelivery, SlackBot, SlackOAuthState
from tests.bot.slack.harness import SIGNING_SECRET, RunningCadence
from tests.bot.teams.conftest import ADA
from tests.bot.teams.harness import RunningTeams, activity
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import event_callback, signed_headers, slash_command
from tests.fakes.teams_services import APP_ID

OAUTH = {"slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "shh"}
ELSEWHERE = "https://evil.example/phish"


def nothing_recorded(database) -> bool:
    with database.session_scope() as session:
        return not session.exec(select(InboxRequest)).all() and not session.exec(select(OutboxDelivery)).all()


# ---- Slack signatures ---------------------------------------------------------------------------------------------


def help_message() -> tuple[str, str]:
    return event_callback({"type": "message", "channel_type": "im", "user": "U0001", "text": "help"})


def test_a_signature_older_or_newer_than_five_minutes_is_refused(cadence: RunningCadence) -> None:
    now = int(time.time())
    for moved in (-301, -3600, 301, 86_400):
        response = cadence.post(help_message(), timestamp=now + moved)
        assert response.status_code == 401, moved
    assert nothing_recorded(cadence.database)
    assert cadence.post(help_message(), timestamp=now - 240).status_code == 200, "inside the window it is Slack's"


def test_a_replayed_request_is_refused_once_its_five_minutes_are_over(cadence: RunningCadence) -> None:
    """A captured request, replayed byte for byte with its own headers, only passes while it is fresh."""
    body, content_type = help_message()
    headers = {**signed_headers(SIGNING_SECRET, body, int(time.time()) - 400), "Content-Type": content_type}
    assert cadence.http.post("/slack/events", content=body, headers=headers).status_code == 401
    assert nothing_recorded(cadence.database)


def test_a_signature_over_other_bytes_or_with_another_secret_is_refused(cadence: RunningCadence) -> None:
    body, content_type = slash_command("/cadence", "whoami", user_id="U0001")
    signed = signed_headers(SIGNING_SECRET, body, content_type=content_type)
    tampered = body.replace("U0001", "U0002")
    attempts = [
        (tampered, signed),  # Grace's id swapped in after signing
        (body + "&text=kudos", signed),
        (body, {**signed, "X-Slack-Signature": signed["X-Slack-Signature"].replace("v0=", "v1=")}),
        (body, {**signed, "X-Slack-Signature": "v0=" + "0" * 64}),
        (body, {**signed, "X-Slack-Signature": ""}),
        (body, {key: value for key, value in signed.items() if key != "X-Slack-Request-Timestamp"}),
        (body, {**signed, "X-Slack-Request-Timestamp": "not-a-time"}),
        (body, signed_headers("another-apps-secret", body, content_type=content_type)),
    ]
    for content, headers in attempts:
        response = cadence.http.post("/slack/events", content=content, headers=headers)
        assert response.status_code == 401, (content[-40:], headers)
    assert nothing_recorded(cadence.database)


# ---- Slack OAuth --------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def installable(tmp_path: Path, slack: FakeSlackApi, clock: Clock) -> Iterator[RunningCadence]:
    """Cadence with OAuth (no bot token yet), on a clock the test moves."""
    with RunningCadence(tmp_path, slack, clock=clock, **OAUTH) as running:
        yield running


def start_install(cadence: RunningCadence, **query: str) -> tuple[str, str, str]:
    """The install page's Slack link, its state and the cookie that ties the state to this browser."""
    page = cadence.http.get("/slack/install", params=query)
    assert page.status_code == 200, page.text
    link = re.search(r'href="(https://slack.com/oauth[^"]+)"', page.text).group(1).replace("&amp;", "&")
    state = parse_qs(urlparse(link).query)["state"][0]
    return link, state, page.headers["set-cookie"].split(";")[0]


def finish_install(cadence: RunningCadence, state: str, cookie: str | None, **query: str) -> httpx.Response:
    headers = {"cookie": cookie} if cookie else {}
    return cadence.http.get("/slack/oauth_redirect", params={"code": "c0de", "state": state, **query}, headers=headers)


def installed_bots(cadence: RunningCadence) -> int:
    with cadence.database.session_scope() as session:
        return len(session.exec(select(SlackBot)).all())


def test_an_oauth_state_is_used_once(installable: RunningCadence, slack: FakeSlackApi) -> None:
    _, state, cookie = start_install(installable)
    assert finish_install(installable, state, cookie).status_code == 200
    replayed = finish_install(installable, state, cookie)
    assert replayed.status_code == 401 and "invalid_state" in replayed.text
    assert slack.count("oauth.v2.access") == 1, "the replayed code never reaches Slack"
    assert installed_bots(installable) == 1


def test_an_oauth_state_expires_after_ten_minutes(
    installable: RunningCadence, clock: Clock, slack: FakeSlackApi
) -> None:
    _, state, cookie = start_install(installable)
    clock.now += timedelta(minutes=10, seconds=1)
    late = finish_install(installable, state, cookie)
    assert late.status_code == 401 and "invalid_state" in late.text
    assert slack.count("oauth.v2.access") == 0 and installed_bots(installable) == 0
    with installable.database.session_scope() as session:
        assert session.exec(select(SlackOAuthState)).all() == [], "an expired state is gone once tried"


def test_an_oauth_state_only_works_in_the_browser_that_started_the_install(
    installable: RunningCadence, slack: FakeSlackApi
) -> None:
    """A state lured into someone else's browser (login CSRF) lacks its cookie there."""
    _, state, _ = start_install(installable)
    _, _, other_cookie = start_install(installable)
    for cookie in (None, other_cookie, "slack-app-oauth-state=forged"):
        response = finish_install(installable, state, cookie)
        assert response.status_code == 400 and "invalid_browser" in response.text, cookie
    assert slack.count("oauth.v2.access") == 0 and installed_bots(installable) == 0


def links_of(page: str) -> list[str]:
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'(?:href="|URL=)([^"]+)"', page)
        if not link.startswith("data:")
    ]


@pytest.mark.parametrize("parameter", ["redirect_uri", "next", "return_to", "redirect", "url", "success_url"])
def test_the_install_page_never_sends_anyone_where_a_query_says(installable: RunningCadence, parameter: str) -> None:
    link, state, cookie = start_install(installable, **{parameter: ELSEWHERE})
    assert "evil.example" not in link and urlparse(link).netloc == "slack.com"
    assert "redirect_uri" not in parse_qs(urlparse(link).query)
    done = finish_install(installable, state, cookie, **{parameter: ELSEWHERE})
    assert done.status_code == 200 and "location" not in done.headers
    assert "evil.example" not in done.text
    assert all(link.startswith(("slack://", "https://app.slack.com/")) for link in links_of(done.text)), done.text


def test_a_team_in_the_install_link_cannot_smuggle_in_parameters_of_its_own(installable: RunningCadence) -> None:
    """Bolt copies ``team`` into Slack's authorize URL as it is; only a Slack team id is passed on."""
    link, _, _ = start_install(installable, team=f"T0001&redirect_uri={ELSEWHERE}&scope=admin")
    query = parse_qs(urlparse(link).query)
    assert "redirect_uri" not in query and "team" not in query, link
    assert query["scope"][0] != "admin" and "evil.example" not in link
    link, _, _ = start_install(installable, team="T0001")
    assert parse_qs(urlparse(link).query)["team"] == ["T0001"], "a real team id still picks the workspace"


def test_a_failed_install_names_its_reason_as_text_and_links_only_to_the_install_page(
    installable: RunningCadence,
) -> None:
    response = installable.http.get(
        "/slack/oauth_redirect", params={"error": "<script>alert(1)</script>", "redirect_uri": ELSEWHERE}
    )
    assert "<script>" not in response.text and "script&amp;gt;" in response.text, "escaped (by Bolt, twice)"
    assert links_of(response.text) == ["/slack/install"]


# ---- Teams tokens -------------------------------------------------------------------------------------------------


def teams_message(teams: RunningTeams) -> dict:
    return activity("message_personal", **teams.fill(ADA, text="help"))


def test_teams_tokens_that_never_expire_are_not_yet_valid_unsigned_or_without_a_service_url_are_refused(
    teams: RunningTeams,
) -> None:
    """Besides the forged, expired, wrong-audience, wrong-issuer and other-service-URL tokens of the
    Teams suite (tests/bot/teams/test_teams_service.py)."""
    microsoft, body = teams.microsoft, teams_message(teams)
    service_url, now = body["serviceUrl"], int(time.time())
    tokens = {
        "not yet valid": microsoft.mint(APP_ID, service_url, extra_claims={"nbf": now + 3600, "iat": now + 3600}),
        "no service URL claim": microsoft.mint(APP_ID, None),
        "no expiry": microsoft.mint(APP_ID, service_url, omit={"exp"}),
        "an expiry that is not a time": microsoft.mint(APP_ID, service_url, extra_claims={"exp": None}),
        "unknown key": microsoft.mint(APP_ID, service_url, headers={"kid": "rotated-out"}),
        "unsigned (alg none)": jwt.encode(
            {"iss": microsoft.issuer, "aud": APP_ID, "exp": now + 3600, "serviceurl": service_url}, None, "none"
        ),
        "signed with a shared secret": jwt.encode(
            {"iss": microsoft.issuer, "aud": APP_ID, "exp": now + 3600, "serviceurl": service_url}, "s" * 32, "HS256"
        ),
    }
    for name, token in tokens.items():
        response = teams.post(body, headers={"Authorization": f"Bearer {token}"}, signed=False)
        assert response.status_code == 401, (name, response.text)
    assert nothing_recorded(teams.database)


def test_a_teams_token_vouches_only_for_the_service_url_it_names(teams: RunningTeams) -> None:
    """The SDK compares the token's service URL with the activity's only when the activity names one:
    an activity that names none is refused, so a token can't be spent on a conversation elsewhere."""
    body = teams_message(teams)
    token = teams.microsoft.authorization(APP_ID, body["serviceUrl"])
    for service_url in (None, "", "https://elsewhere.example/"):
        response = teams.post({**body, "serviceUrl": service_url}, headers=token, signed=False)
        assert response.status_code in (400, 401), (service_url, response.status_code)
    assert (
        teams.post(
            {**body, "serviceUrl": body["serviceUrl"].rstrip("/") + "/"}, headers=token, signed=False
        ).status_code
        == 200
    )
    assert teams.sent(ADA.conversation)
