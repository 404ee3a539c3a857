"""The fakes against the real slack_sdk clients and Bolt, so that other suites can rely on them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import aiohttp
import httpx
import pytest
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_requests
from tests.fakes.slack_api import (
    PROXY_ENV_VARS,
    RESPONSE_URL,
    SOCKET_MODE_ACK,
    UPLOAD,
    FakeSlackApi,
    ManualClock,
    slack_user,
)

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"


@pytest.fixture(autouse=True)
def no_proxy_or_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends loopback calls to HTTPS_PROXY (ignoring NO_PROXY); SLACK_CLIENT_ID would switch Bolt to OAuth."""
    for name in (*PROXY_ENV_VARS, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def async_client(slack: FakeSlackApi) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url)


# ---- Web API round trips ------------------------------------------------------------------------------------------


def test_post_message_round_trip_records_json_args_and_token(slack: FakeSlackApi) -> None:
    async def post_twice() -> list[dict]:
        client = async_client(slack)
        first = await client.chat_postMessage(channel="C0001", text="hello", blocks=[{"type": "divider"}])
        second = await client.chat_postMessage(channel="U0002", text="hi there")
        return [first.data, second.data]

    first, second = asyncio.run(post_twice())

    assert first["ok"] is True
    assert (first["channel"], first["ts"]) == ("C0001", "1700000000.000100")
    assert (second["channel"], second["ts"]) == ("DU0002", "1700000000.000200")
    call = slack.calls("chat.postMessage")[0]
    assert call.args == {"channel": "C0001", "text": "hello", "blocks": [{"type": "divider"}]}
    assert call.token == TOKEN
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.response == first
    assert slack.count("chat.postMessage") == 2


def test_a_poller_reads_on_from_where_it_stopped(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    client.chat_postMessage(channel="C0001", text="before")
    seen = slack.recorded()
    assert seen == 1 and slack.calls_after(seen) == []
    client.chat_postMessage(channel="C0001", text="one")
    client.users_info(user="U0001")
    new = slack.calls_after(seen)
    assert [(call.method, call.args.get("text")) for call in new] == [("chat.postMessage", "one"), ("users.info", None)]
    assert slack.calls_after(seen + len(new)) == [] and slack.recorded() == 3


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk's oauth call, not ours
def test_query_string_form_and_json_args_are_merged(slack: FakeSlackApi) -> None:
    async def calls() -> None:
        client = async_client(slack)
        await client.conversations_info(channel="C0001")
        await client.api_call("chat.postMessage", params={"team_id": "T0001"}, json={"channel": "C1", "text": "x"})
        await client.oauth_v2_access(client_id="111.222", client_secret="shh", code="code-1")

    asyncio.run(calls())

    assert slack.last("conversations.info").args == {"channel": "C0001"}
    assert slack.last("chat.postMessage").args == {"team_id": "T0001", "channel": "C1", "text": "x"}
    oauth = slack.last("oauth.v2.access")
    assert oauth.args["code"] == "code-1"
    assert oauth.token is None  # Basic auth with the client credentials
    assert oauth.headers["authorization"].startswith("Basic ")


def test_sync_web_client_works_too(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)

    identity = client.auth_test()
    opened = client.conversations_open(users="U0001")

    assert (identity["team_id"], identity["user_id"], identity["bot_id"]) == ("T0001", "UBOT", "BBOT")
    assert "chat:write" in identity.headers["X-OAuth-Scopes"]
    assert opened["channel"]["id"] == "DU0001"


def test_oauth_v2_access_answers_like_slack(slack: FakeSlackApi) -> None:
    response = WebClient(base_url=slack.base_url).oauth_v2_access(client_id="1", client_secret="2", code="c")

    assert response["access_token"] == "xoxb-installed"
    assert response["token_type"] == "bot"
    assert response["team"] == {"id": "T0001", "name": "Acme"}
    assert response["enterprise"] is None
    assert response["authed_user"]["id"] == "U0001"
    assert {"bot_user_id", "app_id", "scope"} <= response.data.keys()


def test_views_and_ephemeral_and_update(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    view = {
        "type": "modal",
        "callback_id": "checkin",
        "title": {"type": "plain_text", "text": "Check-in"},
        "blocks": [],
    }

    opened = client.views_open(trigger_id="1.2.abc", view=view)
    updated = client.views_update(view_id=opened["view"]["id"], view=view)
    home = client.views_publish(user_id="U0001", view={"type": "home", "blocks": []})
    ephemeral = client.chat_postEphemeral(channel="C0001", user="U0001", text="only you")
    edited = client.chat_update(channel="C0001", ts="1700000000.000100", text="edited")

    assert opened["view"]["callback_id"] == "checkin"
    assert updated["view"]["id"] == opened["view"]["id"]
    assert home["view"]["id"] != opened["view"]["id"]
    assert home["view"]["type"] == "home"
    assert ephemeral["message_ts"]
    assert edited["text"] == "edited"


# ---- failures -----------------------------------------------------------------------------------------------------


def test_rate_limit_injection_surfaces_429_and_retry_after(slack: FakeSlackApi) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)

    async def post() -> SlackApiError:
        client = async_client(slack)
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C0001", text="x")
        await client.chat_postMessage(channel="C0001", text="x")  # only the next call fails
        return caught.value

    error = asyncio.run(post())

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert [(call.status, call.error) for call in slack.calls("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]


def test_a_dropped_connection_is_server_disconnected_on_a_kept_alive_connection(slack: FakeSlackApi) -> None:
    async def calls() -> aiohttp.ServerDisconnectedError:
        async with aiohttp.ClientSession() as session:
            client = AsyncWebClient(token=TOKEN, base_url=slack.base_url, session=session, retry_handlers=[])
            await client.views_open(trigger_id="t1", view={"type": "modal"})  # the connection is kept alive
            slack.drop_connection_next("views.open")
            with pytest.raises(aiohttp.ServerDisconnectedError) as caught:
                await client.views_open(trigger_id="t2", view={"type": "modal"})
            await client.views_open(trigger_id="t3", view={"type": "modal"})  # only the next call is dropped
            return caught.value

    assert "Server disconnected" in str(asyncio.run(calls()))
    assert [(call.args["trigger_id"], call.status, call.error) for call in slack.calls("views.open")] == [
        ("t1", 200, None),
        ("t2", 0, "connection_dropped"),
        ("t3", 200, None),
    ]


def test_server_error_has_a_non_json_body(slack: FakeSlackApi) -> None:
    slack.fail_next("users.info", status=500)
    slack.fail_next("users.info", status=503, error="service_unavailable")
    client = WebClient(token=TOKEN, base_url=slack.base_url)

    async def plain_text_body() -> SlackApiError:
        with pytest.raises(SlackApiError) as caught:
            await async_client(slack).users_info(user="U0001")
        return caught.value

    error = asyncio.run(plain_text_body())
    with pytest.raises(SlackApiError) as json_error:
        client.users_info(user="U0001")

    assert error.response.status_code == 500
    assert isinstance(error.response.data, str)
    assert json_error.value.response.status_code == 503
    assert json_error.value.response["error"] == "service_unavailable"
    assert client.users_info(user="U0001")["user"]["real_name"] == "Ada Lovelace"


def test_error_codes_injected_and_default(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    slack.fail_next("users.info", error="user_not_found", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as injected:
            client.users_info(user="U0001")
        assert (injected.value.response.status_code, injected.value.response["error"]) == (200, "user_not_found")
    assert client.users_info(user="U0001")["ok"] is True
    with pytest.raises(SlackApiError) as unknown_user:
        client.users_info(user="U9999")
    with pytest.raises(SlackApiError) as unknown_method:
        client.api_call("made.up")

    assert unknown_user.value.response["error"] == "user_not_found"
    assert unknown_method.value.response["error"] == "unknown_method"


def test_injection_scoped_to_a_team_leaves_other_teams_alone(slack: FakeSlackApi) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive", team_id="T0002")
    other_team = WebClient(token="xoxb-2", base_url=slack.base_url, team_id="T0002")
    home_team = WebClient(token=TOKEN, base_url=slack.base_url, team_id="T0001")

    assert home_team.chat_postMessage(channel="C0001", text="x")["ok"] is True
    with pytest.raises(SlackApiError) as caught:
        other_team.chat_postMessage(channel="C0001", text="x")

    assert caught.value.response["error"] == "account_inactive"


def test_respond_overrides_with_a_payload_or_a_function(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    slack.respond("conversations.members", {"members": ["U0001"], "response_metadata": {"next_cursor": ""}})
    slack.respond("chat.postMessage", lambda args: {"channel": args["channel"], "ts": "42.000001"})

    assert client.conversations_members(channel="C0001")["members"] == ["U0001"]
    assert client.chat_postMessage(channel="C7", text="x")["ts"] == "42.000001"
    slack.forget_response("chat.postMessage")
    assert client.chat_postMessage(channel="C7", text="x")["ts"] == "1700000000.000100"


def test_rate_limiter_rejects_the_51st_call_in_a_second() -> None:
    clock = ManualClock()
    with FakeSlackApi(rate_limits={"chat.postMessage": 50}, clock=clock) as slack:
        client = WebClient(token=TOKEN, base_url=slack.base_url)
        for _ in range(50):
            client.chat_postMessage(channel="C0001", text="x")
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C0001", text="x")
        clock.advance(0.999)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0001", text="x")
        clock.advance(0.001)
        client.chat_postMessage(channel="C0001", text="x")
        client.auth_test()  # methods without a limit are unaffected

        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "1"
        assert [call.status for call in slack.calls("chat.postMessage")] == [200] * 50 + [429, 429, 200]


def test_two_hundred_concurrent_requests(slack: FakeSlackApi) -> None:
    async def burst() -> list[str]:
        client = async_client(slack)
        responses = await asyncio.gather(*(client.chat_postMessage(channel="C1", text=str(n)) for n in range(200)))
        return [response["ts"] for response in responses]

    timestamps = asyncio.run(burst())

    assert len(set(timestamps)) == 200
    assert sorted(call.args["text"] for call in slack.calls("chat.postMessage")) == sorted(map(str, range(200)))


def test_concurrent_burst_against_the_rate_limiter() -> None:
    with FakeSlackApi(rate_limits={"chat.postMessage": 50}, clock=ManualClock()) as slack:

        async def burst() -> list[int]:
            client = async_client(slack)
            posts = (client.chat_postMessage(channel="C1", text="x") for _ in range(200))
            results = await asyncio.gather(*posts, return_exceptions=True)
            return [
                result.response.status_code if isinstance(result, SlackApiError) else result.status_code
                for result in results
            ]

        statuses = asyncio.run(burst())

    assert sorted(statuses) == [200] * 50 + [429] * 150


# ---- pagination, files, reactions ---------------------------------------------------------------------------------


def test_users_list_paginates_with_cursor(slack: FakeSlackApi) -> None:
    slack.users = [slack_user(f"U{n:04d}", f"person{n}") for n in range(1, 6)]

    async def all_member_ids() -> list[list[str]]:
        pages = []
        async for page in await async_client(slack).users_list(limit=2):
            pages.append([member["id"] for member in page["members"]])
        return pages

    pages = asyncio.run(all_member_ids())

    assert pages == [["U0001", "U0002"], ["U0003", "U0004"], ["U0005"]]
    cursors = [call.args.get("cursor") for call in slack.calls("users.list")]
    assert cursors[0] is None
    assert all(cursors[1:])
    assert slack.calls("users.list")[-1].response["response_metadata"]["next_cursor"] == ""


def test_files_upload_v2_round_trip(slack: FakeSlackApi) -> None:
    content = b"name,score\nada,5\n"

    async def upload() -> dict:
        response = await async_client(slack).files_upload_v2(
            channel="C0001", content=content, filename="report.csv", title="Report", initial_comment="here"
        )
        return response.data

    response = asyncio.run(upload())

    file_id = response["file"]["id"]
    assert slack.uploads == {file_id: content}
    assert slack.last(UPLOAD).headers.get("authorization") is None  # Slack's upload URLs need no token
    assert response["file"]["title"] == "Report"
    assert response["file"]["size"] == len(content)
    completion = slack.last("files.completeUploadExternal").args
    assert completion["channel_id"] == "C0001"
    assert json.loads(completion["files"]) == [{"id": file_id, "title": "Report"}]
    assert slack.last("files.getUploadURLExternal").args == {"filename": "report.csv", "length": str(len(content))}


def test_reactions_added_by_bot_or_people_show_in_reactions_get(slack: FakeSlackApi) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    client.reactions_add(channel="C0001", timestamp="1.000001", name="eyes")
    slack.add_reaction("C0001", "1.000001", "eyes", "U0001")

    message = client.reactions_get(channel="C0001", timestamp="1.000001")["message"]

    assert message["reactions"] == [{"name": "eyes", "users": ["UBOT", "U0001"], "count": 2}]


def test_malformed_json_body_and_get_requests(slack: FakeSlackApi) -> None:
    with httpx.Client(base_url=slack.base_url) as http:
        malformed = http.post("chat.postMessage", content=b"{", headers={"Content-Type": "application/json"})
        by_get = http.get("users.info", params={"user": "U0002"}, headers={"Authorization": "Bearer xoxb-get"})

    assert malformed.json() == {"ok": False, "error": "invalid_json"}
    assert by_get.json()["user"]["name"] == "grace"
    assert slack.last("users.info").token == "xoxb-get"


def test_wait_for_calls_async_sees_work_done_in_the_background(slack: FakeSlackApi) -> None:
    async def background_post() -> list:
        client = async_client(slack)
        task = asyncio.create_task(client.chat_postMessage(channel="C1", text="later"))
        calls = await slack.wait_for_calls_async("chat.postMessage", timeout=5)
        await task
        return calls

    assert asyncio.run(background_post())[0].args["text"] == "later"
    with pytest.raises(TimeoutError):
        slack.wait_for_calls("chat.postMessage", count=2, timeout=0.01)


# ---- Socket Mode --------------------------------------------------------------------------------------------------


def test_socket_mode_envelope_reaches_the_client_and_the_ack_is_recorded(slack: FakeSlackApi) -> None:
    event = slack_requests.message_im_payload("U0001", "hello")

    async def exchange() -> SocketModeRequest:
        received: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

        async def acknowledge(client: SocketModeClient, request: SocketModeRequest) -> None:
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            await received.put(request)

        client = SocketModeClient(app_token="xapp-test", web_client=AsyncWebClient(base_url=slack.base_url))
        client.socket_mode_request_listeners.append(acknowledge)
        try:
            await client.connect()
            slack.send_socket_envelope("events_api", event)
            request = await asyncio.wait_for(received.get(), timeout=5)
            await slack.wait_for_calls_async(SOCKET_MODE_ACK)
        finally:
            await client.close()
        return request

    request = asyncio.run(exchange())

    assert request.type == "events_api"
    assert request.payload["event"]["text"] == "hello"
    assert slack.last("apps.connections.open").token == "xapp-test"
    assert slack.last(SOCKET_MODE_ACK).args == {"envelope_id": request.envelope_id}


# ---- signed requests ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "built",
    [
        slack_requests.slash_command("/cadence", "help me"),
        slack_requests.event_callback({"type": "app_mention", "user": "U0001", "text": "<@UBOT> hi"}),
        slack_requests.block_action("approve", "42"),
        slack_requests.view_submission("checkin", {"b": {"a": slack_requests.text_input_state("ok")}}),
        slack_requests.app_home_opened("U0001"),
        slack_requests.message_im("U0001", "hi 👋"),
    ],
)
def test_signed_headers_verify_with_slack_sdk(built: tuple[str, str]) -> None:
    body, headers = slack_requests.sign(SECRET, built)

    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert headers["Content-Type"] == built[1]


def test_stale_signature_is_rejected() -> None:
    body, _ = slack_requests.slash_command("/cadence")
    headers = slack_requests.signed_headers(SECRET, body, timestamp=int(time.time()) - 301)

    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_payload_shapes() -> None:
    command = parse_qs(slack_requests.slash_command("/cadence", "add goal", user_id="U0002")[0])
    action_body, action_type = slack_requests.block_action("approve", "42", block_id="goal-1")
    action = json.loads(parse_qs(action_body)["payload"][0])
    home_action = slack_requests.block_action_payload("refresh", view={"id": "V1", "type": "home"})
    submission = slack_requests.view_submission_payload(
        "checkin", {"mood": {"pick": slack_requests.select_state("good")}}, "meta"
    )
    envelope = json.loads(slack_requests.message_im("U0001", "hi", channel="D123")[0])

    assert command["command"] == ["/cadence"]
    assert command["text"] == ["add goal"]
    assert command["user_id"] == ["U0002"]
    assert action_type == "application/x-www-form-urlencoded"
    assert action["type"] == "block_actions"
    assert action["actions"][0] | {"action_ts": None} == {
        "action_id": "approve",
        "block_id": "goal-1",
        "type": "button",
        "text": {"type": "plain_text", "text": "42", "emoji": True},
        "value": "42",
        "action_ts": None,
    }
    assert action["container"]["type"] == "message"
    assert action["channel"]["id"] == "DU0001"
    assert home_action["container"] == {"type": "view", "view_id": "V1"}
    assert "response_url" not in home_action
    assert submission["view"]["state"]["values"]["mood"]["pick"]["selected_option"]["value"] == "good"
    assert submission["view"]["private_metadata"] == "meta"
    assert envelope["type"] == "event_callback"
    assert envelope["event"]["channel_type"] == "im"
    assert envelope["event"]["channel"] == "D123"
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert envelope["event_id"].startswith("Ev")


# ---- the whole loop through Bolt ---------------------------------------------------------------------------------


def test_bolt_app_handles_the_built_requests_against_the_fake(slack: FakeSlackApi) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack.base_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.command("/cadence")
    async def on_command(ack, respond, command) -> None:
        await ack()
        await respond(f"you said {command['text']}")

    @app.event("message")
    async def on_dm(event, say) -> None:
        await say(f"echo {event['text']}")

    @app.event("app_home_opened")
    async def on_home(event, client) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    @app.action("approve")
    async def on_approve(ack) -> None:
        await ack()

    @app.view("checkin")
    async def on_checkin(ack, view) -> None:
        await ack(response_action="errors", errors={"b": view["state"]["values"]["b"]["a"]["value"]})

    async def dispatch(built: tuple[str, str]):
        body, headers = slack_requests.sign(SECRET, built)
        return await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    async def conversation() -> list:
        return [
            await dispatch(slack_requests.slash_command("/cadence", "hi", response_url=slack.response_url("cmd"))),
            await dispatch(slack_requests.message_im("U0001", "ping")),
            await dispatch(slack_requests.app_home_opened("U0001")),
            await dispatch(slack_requests.block_action("approve", "1")),
            await dispatch(
                slack_requests.view_submission("checkin", {"b": {"a": slack_requests.text_input_state("no")}})
            ),
        ]

    responses = asyncio.run(conversation())

    assert [response.status for response in responses] == [200] * 5
    assert json.loads(responses[-1].body) == {"response_action": "errors", "errors": {"b": "no"}}
    assert slack.last(RESPONSE_URL).args["text"] == "you said hi"
    assert slack.last(RESPONSE_URL).path == "/response-url/cmd"
    assert slack.last("chat.postMessage").args["text"] == "echo ping"
    assert slack.last("chat.postMessage").args["channel"] == "DU0001"
    assert slack.last("views.publish").args["user_id"] == "U0001"
    assert slack.count("auth.test") == 1
