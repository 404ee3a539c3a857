"""FakeMicrosoft against the real MSAL, the Teams SDK's ApiClient and its inbound token validator.

Other suites rely on the fake behaving like the services it stands in for; these tests pin that down with
the same clients production uses, so a change of SDK or MSAL that breaks the fit shows up here first.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYTHON_DOTENV_DISABLED", "1")  # importing microsoft_teams.apps would load a .env otherwise

import asyncio
import logging
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import msal
import pytest
import requests
from microsoft_teams.api import (
    Account,
    ApiClient,
    ClientCredentials,
    CreateConversationParams,
    MessageActivityInput,
    TypingActivityInput,
)
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.apps.auth.token_validator import InboundActivityTokenValidator
from microsoft_teams.apps.token_manager import TokenManager
from microsoft_teams.apps.token_provider import AppTokenProvider
from microsoft_teams.common import ClientOptions

from tests.fakes.teams_services import (
    APP_ID,
    APP_SECRET,
    BOT_FRAMEWORK_SCOPE,
    BOT_ID,
    CONNECTOR_AUDIENCE,
    CREATE_CONVERSATION,
    JWKS,
    MEMBER,
    PAGED_MEMBERS,
    PROXY_ENV_VARS,
    REPLY,
    SEND,
    TENANT_DISCOVERY,
    TENANT_ID,
    TOKEN,
    UNKNOWN,
    FakeMicrosoft,
    ManualClock,
    teams_member,
)

SERVICE_URL = "https://smba.trafficmanager.net/teams/"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests and httpx would send loopback calls to a configured proxy."""
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def microsoft(clock: ManualClock) -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft(clock=clock) as fake:
        yield fake


@pytest.fixture
def trust_fake_ca(monkeypatch: pytest.MonkeyPatch, microsoft: FakeMicrosoft) -> None:
    for name, value in microsoft.ca_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def connector(microsoft: FakeMicrosoft) -> Iterator[httpx.Client]:
    """A plain HTTP client on the service URL with a valid bearer token, for the connector's own contract."""
    headers = {"Authorization": f"Bearer {microsoft.access_token()}"}
    with httpx.Client(base_url=microsoft.base_url, headers=headers, timeout=5) as client:
        yield client


def msal_app(microsoft: FakeMicrosoft, secret: str = APP_SECRET) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        APP_ID, client_credential=secret, authority=microsoft.authority(TENANT_ID), instance_discovery=False
    )


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


# ---- lifecycle ------------------------------------------------------------------------------------------------


def test_addresses_are_loopback_and_shaped_like_the_real_ones(microsoft: FakeMicrosoft) -> None:
    assert microsoft.base_url == f"http://127.0.0.1:{microsoft.port}/teams/"
    assert microsoft.https_base_url == f"https://127.0.0.1:{microsoft.tls_port}/teams/"
    assert microsoft.service_url("amer") == f"http://127.0.0.1:{microsoft.port}/amer/"
    assert microsoft.login_url == f"https://127.0.0.1:{microsoft.tls_port}"
    assert microsoft.openid_metadata_url.endswith("/v1/.well-known/openidconfiguration")
    assert not microsoft.issuer.startswith((microsoft.login_url, "https://sts.windows.net/"))
    assert Path(microsoft.ca_bundle_path).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_stop_is_idempotent_removes_the_ca_bundle_and_start_twice_fails() -> None:
    fake = FakeMicrosoft().start()
    ca_bundle = Path(fake.ca_bundle_path)
    with pytest.raises(RuntimeError, match="already running"):
        fake.start()
    fake.stop()
    fake.stop()
    assert not ca_bundle.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.base_url
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.ca_bundle_path


def test_cloud_points_login_metadata_and_issuer_here(microsoft: FakeMicrosoft) -> None:
    cloud = microsoft.cloud()
    assert cloud == with_overrides(
        PUBLIC,
        login_endpoint=microsoft.login_url,
        openid_metadata_url=microsoft.openid_metadata_url,
        token_issuer=microsoft.issuer,
    )
    assert cloud.bot_scope == BOT_FRAMEWORK_SCOPE


# ---- the login over TLS ----------------------------------------------------------------------------------------


def test_msal_gets_a_token_over_tls_and_caches_it(microsoft: FakeMicrosoft, trust_fake_ca: None) -> None:
    app = msal_app(microsoft)
    first = app.acquire_token_for_client([BOT_FRAMEWORK_SCOPE])
    second = app.acquire_token_for_client([BOT_FRAMEWORK_SCOPE])

    assert first["token_type"] == "Bearer"
    assert first["expires_in"] == 3599
    assert second["access_token"] == first["access_token"]
    assert second["token_source"] == "cache"
    claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    assert claims["aud"] == CONNECTOR_AUDIENCE
    assert claims["appid"] == APP_ID
    assert claims["tid"] == TENANT_ID
    assert claims["exp"] > claims["iat"]
    assert microsoft.count(TENANT_DISCOVERY) == 1
    [token_request] = microsoft.token_requests()
    assert token_request.secure
    assert token_request.form is not None
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["scope"] == BOT_FRAMEWORK_SCOPE
    assert microsoft.issued_tokens == [first["access_token"]]


def test_msal_reports_a_wrong_secret_as_entra_does(microsoft: FakeMicrosoft, trust_fake_ca: None) -> None:
    result = msal_app(microsoft, secret="wrong").acquire_token_for_client([BOT_FRAMEWORK_SCOPE])

    assert result["error"] == "invalid_client"
    assert "AADSTS7000215: Invalid client secret provided." in result["error_description"]
    assert microsoft.last(TOKEN).status == 401
    assert microsoft.issued_tokens == []


def test_msal_refuses_the_login_without_trusting_the_fake_ca(microsoft: FakeMicrosoft) -> None:
    """The environment's usual CA bundle does not know the fake's CA: proof that the login really is TLS."""
    with pytest.raises(requests.exceptions.SSLError):
        msal_app(microsoft)


def test_certificate_is_valid_for_127_0_0_1_and_localhost(microsoft: FakeMicrosoft) -> None:
    path = f"/{TENANT_ID}/v2.0/.well-known/openid-configuration"
    for host in ("127.0.0.1", "localhost"):
        response = httpx.get(f"https://{host}:{microsoft.tls_port}{path}", verify=microsoft.client_ssl_context())
        assert response.json()["token_endpoint"] == microsoft.token_endpoint(TENANT_ID)
    trusts_nothing = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{microsoft.login_url}{path}", verify=trusts_nothing)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_id": "someone-else"}, 400, "unauthorized_client"),
        ({"client_secret": ""}, 401, "invalid_client"),
        ({"scope": "https://api.botframework.com"}, 400, "invalid_scope"),
    ],
)
def test_token_endpoint_refuses_bad_requests(
    microsoft: FakeMicrosoft, form: dict[str, str], status: int, error: str
) -> None:
    base = {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET}
    response = httpx.post(
        microsoft.token_endpoint(),
        data={**base, "scope": BOT_FRAMEWORK_SCOPE, **form},
        verify=microsoft.client_ssl_context(),
    )
    assert response.status_code == status
    assert response.json()["error"] == error


def test_token_endpoint_accepts_basic_client_authentication(microsoft: FakeMicrosoft) -> None:
    response = httpx.post(
        microsoft.token_endpoint(),
        data={"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"},
        auth=(APP_ID, APP_SECRET),
        verify=microsoft.client_ssl_context(),
    )
    token = response.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == "https://graph.microsoft.com"


# ---- connector: authentication ------------------------------------------------------------------------------


def test_connector_requires_a_token_from_the_fake_login(microsoft: FakeMicrosoft) -> None:
    url = f"{microsoft.base_url}v3/conversations/a:conv-1/activities"
    with FakeMicrosoft() as elsewhere:
        foreign = elsewhere.access_token()
    bearers = [
        None,
        "not-a-jwt",
        foreign,
        microsoft.access_token(expired=True),
        microsoft.access_token(audience="https://graph.microsoft.com"),
    ]
    for bearer in bearers:
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        response = httpx.post(url, json=message("hi"), headers=headers)
        assert response.status_code == 401, bearer
        assert response.json() == {"message": "Authorization has been denied for this request."}
    assert [recorded.status for recorded in microsoft.requests(kind=SEND)] == [401] * len(bearers)
    assert microsoft.sent() == []

    accepted = httpx.post(url, json=message("hi"), headers={"Authorization": f"Bearer {microsoft.access_token()}"})
    assert accepted.status_code == 201
    assert microsoft.last(SEND).app_id == APP_ID


# ---- connector: conversations and activities ----------------------------------------------------------------


def test_create_conversation_is_idempotent_per_member(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    body = {"members": [{"id": "29:1ada"}], "tenantId": TENANT_ID, "isGroup": False, "bot": {"id": BOT_ID}}
    first = connector.post("v3/conversations", json=body)
    again = connector.post(
        "v3/conversations", json={**body, "tenantId": None, "channelData": {"tenant": {"id": TENANT_ID}}}
    )
    other = connector.post("v3/conversations", json={**body, "members": [{"id": "29:1grace"}]})

    assert first.status_code == 201
    assert first.json() == {"id": "a:conv-1"}
    assert again.json() == {"id": "a:conv-1"}
    assert other.json() == {"id": "a:conv-2"}
    assert [(c.id, c.member_id, c.tenant_id) for c in microsoft.conversations()] == [
        ("a:conv-1", "29:1ada", TENANT_ID),
        ("a:conv-2", "29:1grace", TENANT_ID),
    ]
    assert microsoft.count(CREATE_CONVERSATION) == 3
    assert microsoft.last(CREATE_CONVERSATION).json["members"] == [{"id": "29:1grace"}]


@pytest.mark.parametrize(
    "body",
    [
        {"members": [{"id": "29:1ada"}]},
        {"members": [{"id": "29:1ada"}], "tenantId": TENANT_ID, "isGroup": True},
        {"members": [{"id": "29:1ada"}, {"id": "29:1grace"}], "tenantId": TENANT_ID},
        {"members": [], "tenantId": TENANT_ID},
    ],
)
def test_create_conversation_refuses_what_teams_refuses(connector: httpx.Client, body: dict[str, Any]) -> None:
    response = connector.post("v3/conversations", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadArgument"


def test_create_conversation_with_an_initial_activity(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    body = {"members": [{"id": "29:1ada"}], "tenantId": TENANT_ID, "activity": message("welcome")}
    answer = connector.post("v3/conversations", json=body).json()
    assert microsoft.sent_activities("a:conv-1")[0].activity_id == answer["activityId"]
    assert microsoft.sent("a:conv-1") == [message("welcome")]


def test_send_reply_update_and_delete(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    activities = "v3/conversations/a:conv-1/activities"
    first = connector.post(activities, json=message("one")).json()["id"]
    second = connector.post(activities, json=message("two")).json()["id"]
    reply = connector.post(activities, json={**message("re"), "replyToId": first}).json()["id"]
    path_reply = connector.post(f"{activities}/{first}", json=message("re2")).json()["id"]
    typing = connector.post(activities, json={"type": "typing"})
    connector.post("v3/conversations/19:other@thread.tacv2/activities", json=message("elsewhere"))
    updated = connector.put(f"{activities}/{second}", json=message("two, edited"))
    deleted = connector.delete(f"{activities}/{first}")

    assert len({first, second, reply, path_reply}) == 4
    assert all(activity_id.isdigit() for activity_id in (first, second))
    assert typing.status_code == 201 and typing.json() == {}
    assert [body.get("text") for body in microsoft.sent("a:conv-1")] == ["one", "two", "re", "re2", None]
    assert len(microsoft.sent()) == 6
    assert [a.reply_to_id for a in microsoft.sent_activities("a:conv-1")][:4] == [None, None, first, first]
    assert [recorded.kind for recorded in microsoft.requests(method="POST")][2:4] == [REPLY, REPLY]
    assert updated.status_code == 200 and updated.json() == {"id": second}
    assert microsoft.updated("a:conv-1") == [(second, message("two, edited"))]
    assert microsoft.activity("a:conv-1", second) == message("two, edited")
    assert deleted.status_code == 200 and deleted.content == b""
    assert microsoft.deleted() == [first]
    assert microsoft.activity("a:conv-1", first) is None


def test_send_refuses_bodies_without_a_type_or_over_the_size_limit(connector: httpx.Client) -> None:
    activities = "v3/conversations/a:conv-1/activities"
    assert connector.post(activities, json={"text": "no type"}).status_code == 400
    too_big = connector.post(activities, json=message("x" * 30_000))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "MessageSizeTooBig"


def test_any_service_url_prefix_and_tls_are_served(microsoft: FakeMicrosoft) -> None:
    headers = {"Authorization": f"Bearer {microsoft.access_token()}"}
    plain = httpx.post(
        f"{microsoft.service_url('amer')}v3/conversations/a:x/activities", json=message("hi"), headers=headers
    )
    secure = httpx.post(
        f"{microsoft.https_base_url}v3/conversations/a:x/activities",
        json=message("hi"),
        headers=headers,
        verify=microsoft.client_ssl_context(),
    )
    assert plain.status_code == secure.status_code == 201
    assert [recorded.secure for recorded in microsoft.requests(kind=SEND)] == [False, True]
    assert microsoft.requests("/amer/")[0].path == "/amer/v3/conversations/a:x/activities"


def test_unknown_routes_are_recorded_and_answered_404(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    assert connector.get("v3/nothing-here").status_code == 404
    assert microsoft.last(UNKNOWN).path == "/teams/v3/nothing-here"


# ---- connector: roster ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["pagedmembers", "pagedMembers"])
def test_paged_members_pages_through_the_roster(
    microsoft: FakeMicrosoft, connector: httpx.Client, segment: str
) -> None:
    microsoft.roster = [teams_member(f"29:{n}", f"Person {n}", email=f"p{n}@acme.example") for n in range(5)]
    ids, token, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"pageSize": 2}
        if token is not None:
            params["continuationToken"] = token
        page = connector.get(f"v3/conversations/19:team@thread.tacv2/{segment}", params=params).json()
        ids += [member["id"] for member in page["members"]]
        pages += 1
        token = page.get("continuationToken")
        if token is None:
            assert "continuationToken" not in page
            break
    assert ids == [f"29:{n}" for n in range(5)]
    assert pages == 3
    assert microsoft.count(PAGED_MEMBERS) == 3
    assert microsoft.requests(kind=PAGED_MEMBERS)[1].query["continuationToken"]


def test_paged_members_defaults_and_bad_arguments(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    url = "v3/conversations/19:team@thread.tacv2/pagedmembers"
    whole = connector.get(url).json()
    assert len(whole["members"]) == 3 and "continuationToken" not in whole
    assert whole["members"][0]["aadObjectId"] and whole["members"][0]["tenantId"] == TENANT_ID
    assert connector.get(url, params={"continuationToken": "garbage"}).status_code == 400
    assert connector.get(url, params={"pageSize": "many"}).status_code == 400


def test_rosters_override_per_conversation_and_1_to_1_conversations_list_their_member(
    microsoft: FakeMicrosoft, connector: httpx.Client
) -> None:
    microsoft.rosters["19:small@thread.tacv2"] = [teams_member("29:solo", "Solo Person")]
    connector.post("v3/conversations", json={"members": [{"id": "29:1grace"}], "tenantId": TENANT_ID})

    assert [m["id"] for m in connector.get("v3/conversations/19:small@thread.tacv2/members").json()] == ["29:solo"]
    assert [m["name"] for m in connector.get("v3/conversations/a:conv-1/members").json()] == ["Grace Hopper"]
    assert len(connector.get("v3/conversations/19:big@thread.tacv2/members").json()) == 3


def test_member_by_id_aad_object_id_or_upn(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    ada = microsoft.roster[0]
    for key in (ada["id"], ada["aadObjectId"], ada["userPrincipalName"].upper()):
        assert connector.get(f"v3/conversations/19:team@thread.tacv2/members/{key}").json() == ada
    missing = connector.get("v3/conversations/19:team@thread.tacv2/members/29:nobody")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "MemberNotFoundInConversation"
    assert microsoft.last(MEMBER).conversation_id == "19:team@thread.tacv2"


# ---- connector: throttling -----------------------------------------------------------------------------------


def test_per_conversation_limit_of_7_in_a_rolling_second(
    microsoft: FakeMicrosoft, connector: httpx.Client, clock: ManualClock
) -> None:
    url = "v3/conversations/a:conv-1/activities"
    statuses = [connector.post(url, json=message(str(n))).status_code for n in range(8)]
    assert statuses == [201] * 7 + [429]
    throttled = microsoft.last(SEND)
    assert throttled.status == 429
    assert connector.post("v3/conversations/a:conv-2/activities", json=message("other")).status_code == 201
    clock.advance(0.5)
    assert connector.post(url, json=message("still")).status_code == 429
    clock.advance(0.5)
    assert connector.post(url, json=message("again")).status_code == 201
    assert len(microsoft.sent("a:conv-1")) == 8


def test_throttled_answers_carry_retry_after(connector: httpx.Client) -> None:
    for _ in range(7):
        connector.post("v3/conversations/a:conv-1/activities", json=message("x"))
    throttled = connector.post("v3/conversations/a:conv-1/activities", json=message("x"))
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json()["error"]["code"] == "Throttled"


def test_throttled_answers_without_retry_after(clock: ManualClock) -> None:
    with FakeMicrosoft(clock=clock, rate_limit_retry_after=None) as microsoft:
        headers = {"Authorization": f"Bearer {microsoft.access_token()}"}
        url = f"{microsoft.base_url}v3/conversations/a:conv-1/activities"
        responses = [httpx.post(url, json=message("x"), headers=headers) for _ in range(8)]
    assert responses[-1].status_code == 429
    assert "Retry-After" not in responses[-1].headers


def test_per_conversation_limit_of_60_in_a_rolling_30_seconds(connector: httpx.Client, clock: ManualClock) -> None:
    url = "v3/conversations/a:conv-1/activities"
    admitted = 0
    while admitted < 60:
        for _ in range(min(7, 60 - admitted)):
            assert connector.post(url, json=message("x")).status_code == 201
            admitted += 1
        clock.advance(1.0)
    assert connector.post(url, json=message("61st")).status_code == 429  # 9 s in: the 30 s window is full
    clock.advance(30.0 - 9.0 + 0.01)  # the first second's seven leave the window
    assert connector.post(url, json=message("later")).status_code == 201


def test_per_app_limit_across_conversations(connector: httpx.Client, clock: ManualClock) -> None:
    statuses = [
        connector.post(f"v3/conversations/a:conv-{n}/activities", json=message("x")).status_code for n in range(51)
    ]
    assert statuses == [201] * 50 + [429]
    assert connector.get("v3/conversations/19:team@thread.tacv2/members").status_code == 429
    clock.advance(1.0)
    assert connector.post("v3/conversations/a:conv-0/activities", json=message("x")).status_code == 201


def test_limits_can_be_switched_off(clock: ManualClock) -> None:
    with FakeMicrosoft(
        clock=clock, per_conversation_per_second=None, per_conversation_per_30_seconds=None, per_app_per_second=None
    ) as microsoft:
        headers = {"Authorization": f"Bearer {microsoft.access_token()}"}
        url = f"{microsoft.base_url}v3/conversations/a:conv-1/activities"
        with httpx.Client(headers=headers) as client:
            statuses = {client.post(url, json=message("x")).status_code for _ in range(70)}
    assert statuses == {201}


# ---- failure injection -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "BotNotInConversationRoster"),
        (404, "ConversationNotFound"),
        (412, "PreconditionFailed"),
        (429, "Throttled"),
    ],
)
def test_fail_next_answers_bot_connector_errors(
    microsoft: FakeMicrosoft, connector: httpx.Client, status: int, code: str
) -> None:
    microsoft.fail_next(SEND, status)
    failed = connector.post("v3/conversations/a:conv-1/activities", json=message("x"))
    assert failed.status_code == status
    assert failed.json()["error"]["code"] == code
    assert "Retry-After" not in failed.headers
    assert connector.post("v3/conversations/a:conv-1/activities", json=message("x")).status_code == 201
    assert len(microsoft.sent()) == 1


@pytest.mark.parametrize(("status", "text"), [(502, "Bad Gateway"), (504, "Gateway Timeout")])
def test_fail_next_gateway_errors_are_text(
    connector: httpx.Client, microsoft: FakeMicrosoft, status: int, text: str
) -> None:
    microsoft.fail_next(PAGED_MEMBERS, status)
    failed = connector.get("v3/conversations/19:team@thread.tacv2/pagedMembers")
    assert (failed.status_code, failed.text) == (status, text)


def test_fail_next_retry_after_times_body_and_path_fragment(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    microsoft.fail_next("a:conv-2", 429, retry_after=3, times=2)
    microsoft.fail_next(
        CREATE_CONVERSATION, 403, body={"error": {"code": "ConversationBlockedByUser", "message": "no"}}
    )

    assert connector.post("v3/conversations/a:conv-1/activities", json=message("x")).status_code == 201
    for _ in range(2):
        failed = connector.post("v3/conversations/a:conv-2/activities", json=message("x"))
        assert (failed.status_code, failed.headers["Retry-After"]) == (429, "3")
    assert connector.post("v3/conversations/a:conv-2/activities", json=message("x")).status_code == 201
    blocked = connector.post("v3/conversations", json={"members": [{"id": "29:1ada"}], "tenantId": TENANT_ID})
    assert blocked.json()["error"]["code"] == "ConversationBlockedByUser"
    assert microsoft.conversations() == []


def test_fail_next_does_not_bypass_authentication(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    microsoft.fail_next(SEND, 500)
    assert httpx.post(f"{microsoft.base_url}v3/conversations/a:c/activities", json=message("x")).status_code == 401
    assert connector.post("v3/conversations/a:c/activities", json=message("x")).status_code == 500


def test_fail_next_on_the_login(microsoft: FakeMicrosoft, trust_fake_ca: None) -> None:
    """MSAL raises on a 5xx from the token endpoint, and replays it from its throttle cache for Retry-After."""
    app = msal_app(microsoft)
    microsoft.fail_next(TOKEN, 503, retry_after=5)
    with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
        app.acquire_token_for_client([BOT_FRAMEWORK_SCOPE])
    with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
        app.acquire_token_for_client([BOT_FRAMEWORK_SCOPE])
    assert [recorded.status for recorded in microsoft.token_requests()] == [503]

    microsoft.fail_next(TOKEN, 400)
    result = msal_app(microsoft).acquire_token_for_client([BOT_FRAMEWORK_SCOPE])
    assert result["error"] == "invalid_request"


def test_fail_next_validates_its_arguments(microsoft: FakeMicrosoft) -> None:
    with pytest.raises(ValueError, match="times"):
        microsoft.fail_next(SEND, times=0)
    with pytest.raises(ValueError, match="4xx or 5xx"):
        microsoft.fail_next(SEND, 200)


def test_drop_connection_next(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    microsoft.drop_connection_next(SEND)
    with pytest.raises(httpx.RemoteProtocolError):
        connector.post("v3/conversations/a:conv-1/activities", json=message("lost"))
    assert microsoft.last(SEND).status == 0
    assert connector.post("v3/conversations/a:conv-1/activities", json=message("x")).status_code == 201
    assert microsoft.sent() == [message("x")]


# ---- inspection ----------------------------------------------------------------------------------------------


def test_requests_records_method_path_body_and_headers(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    connector.post("v3/conversations/a:conv-1/activities", json=message("x"), headers={"X-Test": "1"})
    [recorded] = microsoft.requests("a:conv-1")
    assert (recorded.method, recorded.path, recorded.json) == (
        "POST",
        "/teams/v3/conversations/a:conv-1/activities",
        message("x"),
    )
    assert recorded.headers["x-test"] == "1"
    assert recorded.bearer_token == microsoft.issued_tokens[0]
    assert recorded.response == {"id": microsoft.sent_activities()[0].activity_id}
    assert microsoft.requests(method="get") == []
    microsoft.clear()
    assert microsoft.requests() == []
    with pytest.raises(LookupError, match="no request matching"):
        microsoft.last(SEND)


def test_wait_for_requests_sees_requests_from_other_threads(microsoft: FakeMicrosoft, connector: httpx.Client) -> None:
    worker = threading.Thread(
        target=lambda: [connector.post("v3/conversations/a:c/activities", json=message("x")) for _ in range(2)]
    )
    worker.start()
    assert len(microsoft.wait_for_requests(SEND, count=2)) == 2
    worker.join()
    with pytest.raises(TimeoutError, match="expected 3"):
        microsoft.wait_for_requests(SEND, count=3, timeout=0.05)


# ---- Bot Framework metadata and the SDK's inbound validator -----------------------------------------------------


@pytest.fixture
def bot_cloud(microsoft: FakeMicrosoft) -> CloudEnvironment:
    return with_overrides(PUBLIC, openid_metadata_url=microsoft.openid_metadata_url, token_issuer=microsoft.issuer)


def validate(cloud: CloudEnvironment, token: str, service_url: str | None = SERVICE_URL) -> dict[str, Any]:
    """A fresh validator each time: the SDK's JWKS client caches keys."""
    return asyncio.run(InboundActivityTokenValidator(APP_ID, cloud).validate_token(token, service_url))


def test_openid_metadata_and_keys(microsoft: FakeMicrosoft) -> None:
    metadata = httpx.get(microsoft.openid_metadata_url).json()
    assert metadata["issuer"] == microsoft.issuer
    assert metadata["jwks_uri"] == microsoft.jwks_url
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    [key] = httpx.get(metadata["jwks_uri"]).json()["keys"]
    assert {key["kty"], key["use"], key["alg"]} == {"RSA", "sig", "RS256"}
    assert key["endorsements"] == ["msteams"]
    assert jwt.get_unverified_header(microsoft.mint(APP_ID, SERVICE_URL))["kid"] == key["kid"]


def test_the_sdk_validator_accepts_a_minted_token(microsoft: FakeMicrosoft, bot_cloud: CloudEnvironment) -> None:
    claims = validate(bot_cloud, microsoft.mint(APP_ID, SERVICE_URL, extra_claims={"appid": "x"}))
    assert claims["serviceurl"] == SERVICE_URL
    assert claims["appid"] == "x"
    assert validate(bot_cloud, microsoft.mint(f"api://botid-{APP_ID}", SERVICE_URL.rstrip("/")))["aud"]
    assert microsoft.count(JWKS) == 2  # one per fresh validator; the metadata document itself is never fetched


def test_one_validator_fetches_the_keys_once(microsoft: FakeMicrosoft, bot_cloud: CloudEnvironment) -> None:
    validator = InboundActivityTokenValidator(APP_ID, bot_cloud)

    async def validate_three() -> None:
        for _ in range(3):
            await validator.validate_token(microsoft.mint(APP_ID, SERVICE_URL), SERVICE_URL)

    asyncio.run(validate_three())
    assert microsoft.count(JWKS) == 1


@pytest.mark.parametrize(
    ("mint_kwargs", "service_url", "error"),
    [
        ({"expired": True}, SERVICE_URL, jwt.ExpiredSignatureError),
        ({"audience": "someone-else"}, SERVICE_URL, jwt.InvalidAudienceError),
        ({"issuer": "https://api.botframework.com"}, SERVICE_URL, jwt.InvalidIssuerError),
        ({"key": "other"}, SERVICE_URL, jwt.InvalidSignatureError),
        ({}, "https://smba.trafficmanager.net/emea/", jwt.InvalidTokenError),
        ({"service_url": None}, SERVICE_URL, jwt.InvalidTokenError),
        ({"headers": {"kid": "unknown"}}, SERVICE_URL, jwt.PyJWKClientError),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "other-key",
        "service-url-mismatch",
        "no-serviceurl",
        "unknown-kid",
    ],
)
def test_the_sdk_validator_rejects_bad_tokens(
    microsoft: FakeMicrosoft,
    bot_cloud: CloudEnvironment,
    mint_kwargs: dict[str, Any],
    service_url: str,
    error: type[Exception],
) -> None:
    kwargs: dict[str, Any] = {"audience": APP_ID, "service_url": SERVICE_URL, **mint_kwargs}
    token = microsoft.mint(kwargs.pop("audience"), kwargs.pop("service_url"), **kwargs)
    with pytest.raises(error):
        validate(bot_cloud, token, service_url)


def test_authorization_builds_an_inbound_header(microsoft: FakeMicrosoft, bot_cloud: CloudEnvironment) -> None:
    header = microsoft.authorization(APP_ID, SERVICE_URL)
    scheme, _, token = header["Authorization"].partition(" ")
    assert scheme == "Bearer"
    assert validate(bot_cloud, token)["aud"] == APP_ID


# ---- the SDK's ApiClient against the connector, tokens from the login through TokenManager ---------------------


class LoopbackTokenManager(TokenManager):
    """The SDK's TokenManager, but MSAL built with ``instance_discovery=False``.

    MSAL otherwise asks login.microsoftonline.com whether the authority's host is a known Microsoft login,
    which the fake is not (and the offline guard forbids the call). Production code makes its own choice.
    """

    def _get_confidential_client(
        self, credentials: ClientCredentials, tenant_id: str
    ) -> msal.ConfidentialClientApplication:
        cached = self._confidential_clients_by_tenant.get(tenant_id)
        if cached is not None:
            return cached
        client = msal.ConfidentialClientApplication(
            credentials.client_id,
            client_credential=credentials.client_secret,
            authority=f"{self._cloud.login_endpoint}/{tenant_id}",
            instance_discovery=False,
        )
        self._confidential_clients_by_tenant[tenant_id] = client
        return client


@pytest.fixture
def api(microsoft: FakeMicrosoft, trust_fake_ca: None) -> ApiClient:
    cloud = microsoft.cloud()
    credentials = ClientCredentials(client_id=APP_ID, client_secret=APP_SECRET, tenant_id=TENANT_ID)
    provider = AppTokenProvider(LoopbackTokenManager(credentials, cloud), cloud)
    return ApiClient(microsoft.base_url, ClientOptions(timeout=5), cloud=cloud, token_provider=provider)


def test_sdk_client_creates_sends_updates_replies_deletes_and_pages(
    microsoft: FakeMicrosoft, api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    microsoft.roster = [teams_member(f"29:{n}", f"Person {n}") for n in range(5)]

    async def scenario() -> tuple[str, list[str], str]:
        try:
            conversation = await api.conversations.create(
                CreateConversationParams(
                    members=[Account(id="29:1")], tenant_id=TENANT_ID, isGroup=False, bot={"id": BOT_ID}
                )
            )
            sent = await api.conversations.create_activity(conversation.id, MessageActivityInput(text="hello"))
            await api.conversations.create_activity(conversation.id, TypingActivityInput())
            await api.conversations.update_activity(conversation.id, sent.id, MessageActivityInput(text="hello!"))
            await api.conversations.reply_to_activity(conversation.id, sent.id, MessageActivityInput(text="re"))
            await api.conversations.delete_activity(conversation.id, sent.id)
            names, token = [], None
            while True:
                page = await api.conversations.get_paged_members("19:team@thread.tacv2", 2, token)
                names += [member.name or "" for member in page.members]
                token = page.continuation_token
                if not token:
                    break
            member = await api.conversations.get_member_by_id("19:team@thread.tacv2", "29:3")
            return conversation.id, names, member.name or ""
        finally:
            await api.http.http.aclose()

    conversation_id, names, member_name = asyncio.run(scenario())

    assert conversation_id == "a:conv-1"
    assert microsoft.last(CREATE_CONVERSATION).json == {
        "members": [{"id": "29:1"}],
        "tenantId": TENANT_ID,
        "isGroup": False,
        "bot": {"id": BOT_ID},
    }
    [hello, typing, reply] = microsoft.sent(conversation_id)
    assert (hello["type"], hello["text"], typing["type"], reply["text"]) == ("message", "hello", "typing", "re")
    assert microsoft.sent_activities(conversation_id)[2].reply_to_id == microsoft.sent_activities()[0].activity_id
    assert microsoft.updated(conversation_id)[0][1]["text"] == "hello!"
    assert microsoft.deleted(conversation_id) == [microsoft.sent_activities()[0].activity_id]
    assert names == [f"Person {n}" for n in range(5)]
    assert member_name == "Person 3"
    assert {recorded.path.split("?")[0].rsplit("/", 1)[-1] for recorded in microsoft.requests(kind=PAGED_MEMBERS)} == {
        "pagedMembers"
    }
    assert len(microsoft.token_requests()) == 1  # MSAL's cache serves every later call
    [token] = microsoft.issued_tokens
    assert all(recorded.bearer_token == token for recorded in microsoft.requests() if recorded.kind == SEND)
    assert token not in caplog.text
    assert APP_SECRET not in caplog.text


@pytest.mark.parametrize("retry_after", [7, None])
def test_sdk_client_surfaces_429_as_http_status_error(
    microsoft: FakeMicrosoft, api: ApiClient, retry_after: int | None
) -> None:
    microsoft.fail_next(SEND, 429, retry_after=retry_after)

    async def send() -> None:
        try:
            await api.conversations.create_activity("a:conv-1", MessageActivityInput(text="hi"))
        finally:
            await api.http.http.aclose()

    with pytest.raises(httpx.HTTPStatusError) as caught:
        asyncio.run(send())
    response = caught.value.response
    assert response.status_code == 429
    assert response.headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    assert response.json()["error"]["code"] == "Throttled"


def test_sdk_client_meets_the_connector_throttle(microsoft: FakeMicrosoft, api: ApiClient) -> None:
    async def burst() -> list[int]:
        statuses = []
        try:
            for n in range(8):
                try:
                    await api.conversations.create_activity("a:conv-1", MessageActivityInput(text=str(n)))
                    statuses.append(201)
                except httpx.HTTPStatusError as error:
                    statuses.append(error.response.status_code)
                    assert error.response.headers["retry-after"] == "1"
        finally:
            await api.http.http.aclose()
        return statuses

    assert asyncio.run(burst()) == [201] * 7 + [429]
