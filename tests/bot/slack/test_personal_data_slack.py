"""``/cadence export`` and ``/cadence forget`` in Slack over HTTP: Ada gets her own data as a JSON file
uploaded to her direct messages (the outbox never holding it), is refused someone else's and an
erasure in one sentence naming the admin; Grace, the admin, is asked with a button naming Quilla
and what goes, presses it, and Quilla is gone from everything Cadence holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from conversations.messages import Platform
from storage import org_import, workspaces
from storage.models import AuditAction, AuditEvent, OutboxDelivery, Person
from tests.bot.slack.block_kit import assert_valid_message
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import UPLOAD, FakeSlackApi
from tests.fakes.slack_requests import block_action

ORG = """email,name,slack_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,U0002,,Platform,America/New_York,admin
ada@acme.example,Ada Lovelace,U0001,grace@acme.example,Platform,Europe/London,member
quilla@acme.example,Quilla Marchbanks,U0003,grace@acme.example,Platform,Europe/Paris,member
"""


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    with RunningCadence(tmp_path, slack) as running:
        with running.database.session_scope() as session:
            workspace = workspaces.find(session, Platform.SLACK, "T0001")
            assert org_import.import_org(session, workspace.id, ORG).ok
        yield running


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    elements = [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]
    return {element["text"]["text"]: element for element in elements if element["type"] == "button"}


def test_a_member_gets_her_own_data_as_a_file_in_her_direct_messages(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    answer = cadence.command("/cadence", "export", user_id="U0001")
    assert answer["response_type"] == "ephemeral"
    assert (
        "Everything Cadence holds about you is on its way, as a JSON file in your chat with Cadence." in answer["text"]
    )
    [complete] = slack.wait_for_calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DU0001"
    assert "Everything Cadence holds about you" in complete.args["initial_comment"]
    [upload] = slack.calls(UPLOAD)
    document = json.loads(upload.args["content"])
    assert document["person"]["email"] == "ada@acme.example" and document["format"] == "cadence-personal-data"
    assert document["audit_events"][0]["action"] == "exported", "the export is in the audit log before it goes"
    with cadence.database.session_scope() as session:
        [row] = session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == "personal_data_file")).all()
        assert row.payload["outbound"]["data"] == {"person_id": document["person"]["id"]}, "no copy in the outbox"


def test_only_admins_export_or_erase_someone_else_and_others_are_told_whom_to_ask(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    refused = cadence.command("/cadence", "export <@U0003|quilla>", user_id="U0001")
    assert refused["text"] == "Exporting someone else's data is for admins; ask Grace Hopper."
    refused = cadence.command("/cadence", "forget <@U0003|quilla>", user_id="U0001")
    assert refused["text"] == "Erasing someone's data is for admins; ask Grace Hopper."
    assert slack.calls("files.getUploadURLExternal") == []


def test_an_admin_erases_someone_after_a_button_naming_them_and_what_goes(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    cadence.command("/cadence", "kudos <@U0001|ada> for the zqx migration runbook", user_id="U0003")
    question = cadence.command("/cadence", "forget <@U0003|quilla>", user_id="U0002", channel_id="DU0002")
    assert_valid_message({"text": question["text"], "blocks": question["blocks"]})
    assert "Erase Quilla Marchbanks?" in question["text"]
    assert "1 kudos message given" in question["text"] and "It can't be undone." in question["text"]
    erase = buttons(question)["Erase Quilla Marchbanks"]
    assert erase["style"] == "danger"
    pressed = cadence.post(block_action(erase["action_id"], erase["value"], user_id="U0002", channel_id="DU0002"))
    assert pressed.status_code == 200

    def done() -> list[str]:
        return [call.args["text"] for call in slack.calls("chat.postMessage") if "Erased 1 kudos" in call.args["text"]]

    wait_until(lambda: done(), what="the erasure's answer")
    assert "They count as *Erased person 3* from now on" in done()[0]
    with cadence.database.session_scope() as session:
        quilla = session.get(Person, 3)
        assert (quilla.display_name, quilla.email, quilla.active) == ("Erased person 3", None, False)
        [entry] = session.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.ERASED)).all()
        assert entry.actor == "Grace Hopper <grace@acme.example>" and entry.subject_id == 3
        payloads = json.dumps([row.payload for row in session.exec(select(OutboxDelivery))])
        assert "Quilla" not in payloads and "zqx" not in payloads, "no message keeps her name or words"
    gone = cadence.command("/cadence", "export", user_id="U0003")
    assert gone["text"].startswith("I don't know you yet."), "her Slack account is no longer linked to anyone"
