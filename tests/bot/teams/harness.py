"""The real Cadence ASGI service under uvicorn on 127.0.0.1 (port 0), serving Teams against fakes of
Microsoft: its login (over TLS, as MSAL demands), the Bot Framework signing keys and the Bot Connector.

Activities are the samples in ``tests/fixtures/teams`` with our ids put in, signed with a token the
fake mints and the SDK validates through ``TEAMS_OPENID_METADATA_URL``, and posted over HTTP to
``/api/messages``; everything Cadence sends arrives at the fake Bot Connector.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.bot.served import ServedCadence, wait_until
from tests.fakes.teams_services import APP_ID, APP_SECRET, BOT_ID, TENANT_ID, FakeMicrosoft

FIXTURES = Path(__file__).parents[2] / "fixtures" / "teams"


def activity(name: str, **values: Any) -> dict[str, Any]:
    """A sample activity with ``{{placeholders}}`` filled (JSON-escaped) and any extra keys merged in."""
    text = (FIXTURES / f"{name}.json").read_text()
    extra = values.pop("extra", {})
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(str(value))[1:-1])
    body = json.loads(text)
    body.update(extra)
    return body


class Person:
    """Someone on Teams: their Bot Framework id, Entra id, name, and their chat with Cadence."""

    def __init__(self, key: str, aad: str, name: str, conversation: str | None = None) -> None:
        self.key = key
        self.aad = aad
        self.name = name
        self.conversation = conversation or f"a:chat-{key}"


class RunningTeams(ServedCadence):
    def __init__(
        self,
        tmp_path: Path,
        microsoft: FakeMicrosoft,
        *,
        clock: Callable[[], datetime] | None = None,
        **settings: Any,
    ) -> None:
        self.microsoft = microsoft
        values = {
            "teams_app_id": APP_ID,
            "teams_app_password": APP_SECRET,
            "teams_tenant_id": TENANT_ID,
            "teams_login_url": microsoft.login_url,
            "teams_openid_metadata_url": microsoft.openid_metadata_url,
            "teams_token_issuer": microsoft.issuer,
            "teams_service_url": microsoft.base_url,
            **settings,
        }
        super().__init__(tmp_path / "teams.db", values, clock=clock)
        self.ids = itertools.count(1)

    def __enter__(self) -> RunningTeams:
        return super().__enter__()

    def post(
        self, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None, signed: bool = True
    ) -> httpx.Response:
        auth = self.microsoft.authorization(APP_ID, str(body.get("serviceUrl") or "")) if signed else {}
        return self.http.post("/api/messages", json=dict(body), headers={**auth, **(headers or {})})

    def fill(self, person: Person, **values: Any) -> dict[str, Any]:
        return {
            "activity_id": f"act-{next(self.ids)}-{uuid.uuid4().hex[:6]}",
            "service_url": self.microsoft.base_url,
            "user_key": person.key,
            "user_name": person.name,
            "aad_object_id": person.aad,
            "tenant_id": TENANT_ID,
            "conversation_id": person.conversation,
            "bot_id": BOT_ID,
            **values,
        }

    def say(self, person: Person, text: str, **values: Any) -> httpx.Response:
        return self.post(activity("message_personal", **self.fill(person, text=text, **values)))

    def press(self, person: Person, reply_to: str, data: Mapping[str, Any]) -> httpx.Response:
        self.shown(reply_to)
        body = activity("invoke_card_action", **self.fill(person, reply_to_id=reply_to))
        body["value"]["action"]["data"] = dict(data)
        return self.post(body)

    def answer_file(
        self, person: Person, card: Mapping[str, Any], *, accept: bool = True, upload: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """Allow (or decline) a file consent card Cadence sent: Teams sends back the card's context, and,
        allowed, where in the person's OneDrive to put the file (an upload session of the fake)."""
        (attachment,) = card["attachments"]
        self.shown(card["id"])
        body = activity(
            "invoke_file_consent",
            **self.fill(person, reply_to_id=card["id"], action="accept" if accept else "decline"),
        )
        consent = attachment["content"]
        body["value"]["context"] = consent["acceptContext" if accept else "declineContext"]
        if accept:
            body["value"]["uploadInfo"] = dict(upload or self.microsoft.upload_session(attachment["name"]))
        return self.post(body)

    def shown(self, activity_id: str) -> None:
        """A person presses a card only once Teams has shown it, long after Cadence recorded the id
        Teams gave it: a press on a card the fake delivered (in whichever conversation: someone may
        press another's card) waits for that; ids the fake never gave, pressed on purpose, don't."""
        delivered = next((sent for sent in self.microsoft.sent_activities() if sent.activity_id == activity_id), None)
        if delivered is not None:
            self.recorded(delivered.conversation_id, activity_id)

    def install(self, person: Person, *, removed: bool = False) -> httpx.Response:
        name = "installation_update_remove" if removed else "installation_update_add"
        return self.post(activity(name, **self.fill(person)))

    def sent(self, conversation: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The activities Cadence sent to ``conversation``, once there are at least ``count``, each with
        the id the Bot Connector gave it."""
        wait_until(
            lambda: len(self.microsoft.sent(conversation)) >= count, timeout, f"{count} message(s) in {conversation}"
        )
        return [{**sent.body, "id": sent.activity_id} for sent in self.microsoft.sent_activities(conversation)]

    def recorded(self, conversation: str, activity_id: str, timeout: float = 5.0, tenant: str = TENANT_ID) -> None:
        """Wait until Cadence has recorded the id Teams gave a message it sent, as it has long before
        a person can press the message's buttons (a press finds its card by that id, among the
        messages of the tenant's organisation)."""
        from bot.teams.translate import message_ref
        from conversations.messages import Platform
        from storage import connections, outbox

        def found() -> bool:
            with self.database.session_scope() as session:
                workspace = connections.workspace_for(session, Platform.TEAMS, tenant)
                ref = message_ref(conversation, activity_id)
                return workspace is not None and outbox.by_message(session, workspace.id, ref) is not None

        wait_until(found, timeout, f"message {activity_id} recorded as sent")


def card_of(sent: Mapping[str, Any]) -> dict[str, Any]:
    (attachment,) = sent["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def card_text(card: Mapping[str, Any]) -> str:
    return "\n".join(element.get("text", "") for element in card.get("body", []) if element.get("type") == "TextBlock")


def buttons(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["title"]: action["data"] for action in card.get("actions", [])}
