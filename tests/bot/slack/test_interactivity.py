"""Buttons, forms and multi-turn conversations in Slack, with a small test flow."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest
from sqlmodel import select

from conversations.flow import State, StepResult
from conversations.flows import all_flows
from conversations.messages import (
    FORM_ERRORS,
    FORM_TOO_LATE,
    Choice,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
    Platform,
)
from storage.inbox import by_key
from storage.models import ConversationState, InboxRequest, InboxStatus, OutboxDelivery
from storage.workspaces import find
from tests.bot.slack.block_kit import assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import (
    block_action,
    event_callback,
    retry_headers,
    select_state,
    text_input_state,
    view_submission,
)

SURVEY_FORM = Form(
    id="survey.answers",
    title="Survey",
    fields=(
        FormField(
            "mood", "Mood", FieldKind.SINGLE_CHOICE, required=True, options=(Choice("Good", "4"), Choice("Bad", "2"))
        ),
        FormField("hours", "Hours", FieldKind.NUMBER, required=True),
    ),
)


class SurveyFlow:
    """Offers a form; validates it; asks a follow-up question in the DM; fails once on 'explode', always on 'explode forever'."""

    name: ClassVar[str] = "survey"
    commands: ClassVar[tuple[str, ...]] = ("survey",)
    keywords: ClassVar[tuple[str, ...]] = ("survey", "explode")
    exploded: ClassVar[list[bool]] = []

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        if inbound.text == "explode forever" or (inbound.text == "explode" and not self.exploded):
            self.exploded.append(True)
            raise RuntimeError("the database fell over")
        if inbound.choice == "survey.form":
            return StepResult(outbound=(Outbound("probe", {"text": ""}, form=SURVEY_FORM),))
        if inbound.form_id == "survey.answers":
            hours = str(inbound.form.get("hours") or "")
            if not hours.replace(".", "", 1).isdigit():
                problem = {"text": "Hours must be a number, like 7.5"}
                return StepResult(
                    outbound=(Outbound(FORM_ERRORS, {"template": "probe", "errors": {"hours": problem}}),)
                )
            return StepResult(outbound=(Outbound("probe", {"text": f"saved mood {inbound.form['mood']}"}),))
        if state is not None:
            return StepResult(None, (Outbound("probe", {"text": f"you said {inbound.text}"}),))
        return StepResult(
            State("survey", "asked", {}),
            (Outbound("probe", {"text": "question"}, choices=(Choice("Open form", "survey.form"),)),),
        )


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    SurveyFlow.exploded.clear()
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "probe.j2").write_text("{% block body %}{{ text }}{% endblock %}")
    with RunningCadence(tmp_path, slack, flows=(*all_flows(), SurveyFlow())) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            workspace = find(session, Platform.SLACK, "T0001")
            workspace.settings = {"templates_dir": str(templates)}
            session.add(workspace)
        yield running


def dm(text: str, event_id: str | None = None):
    event = {"type": "message", "channel_type": "im", "user": "U0001", "text": text, "channel": "D0001", "ts": "1.2"}
    return event_callback(event, event_id=event_id)


def test_a_button_opens_a_modal_with_the_trigger_id(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    response = cadence.post(
        block_action(
            "survey.form",
            "survey.form",
            user_id="U0001",
            channel_id="D0001",
            trigger_id="13345224609.738474920.8088930838d88f008e0",
        )
    )
    assert response.status_code == 200
    [call] = slack.wait_for_calls("views.open")
    assert call.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = call.args["view"] if isinstance(call.args["view"], dict) else json.loads(call.args["view"])
    assert_valid_view(view)
    assert view["callback_id"] == "survey.answers" and json.loads(view["private_metadata"]) == {"channel": "D0001"}


def test_a_form_opens_first_time_when_slack_had_dropped_the_kept_alive_connection(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    """After a quiet spell, the connection kept open to Slack may be gone at the other end: the
    views.open sent on it meets "Server disconnected". It is sent again at once, on a fresh
    connection, so the form still opens inside Slack's 3 seconds and nobody is told it's too late."""
    cadence.post(block_action("survey.form", "survey.form", user_id="U0001", channel_id="D0001", trigger_id="t.first"))
    slack.wait_for_calls("views.open")  # the transport's connection to Slack is now kept alive
    slack.drop_connection_next("views.open")
    clicked = time.monotonic()
    cadence.post(block_action("survey.form", "survey.form", user_id="U0001", channel_id="D0001", trigger_id="t.second"))
    _, dropped, sent_again = slack.wait_for_calls("views.open", 3)
    assert (dropped.args["trigger_id"], dropped.error) == ("t.second", "connection_dropped")
    assert (sent_again.args["trigger_id"], sent_again.ok) == ("t.second", True)
    assert sent_again.at - clicked < 3.0, "inside the trigger's 3 seconds"
    cadence.command("/cadence", "help", user_id="U0001")  # handled after the click, so the click is done with
    assert slack.count("views.open") == 3
    with cadence.database.session_scope() as session:
        assert session.exec(select(OutboxDelivery).where(OutboxDelivery.kind == FORM_TOO_LATE)).all() == []


def test_form_problems_come_back_inline_and_a_good_form_is_answered_in_the_dm(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    metadata = json.dumps({"channel": "D0001"})
    bad = {
        "mood": {"value": select_state("4", element_type="radio_buttons")},
        "hours": {"value": text_input_state("lots")},
    }
    response = cadence.post(view_submission("survey.answers", bad, metadata, user_id="U0001"))
    assert response.json() == {"response_action": "errors", "errors": {"hours": "Hours must be a number, like 7.5"}}
    good = {
        "mood": {"value": select_state("4", element_type="radio_buttons")},
        "hours": {"value": text_input_state("7.5")},
    }
    response = cadence.post(view_submission("survey.answers", good, metadata, user_id="U0001"))
    assert response.status_code == 200 and response.text == ""
    [call] = slack.wait_for_calls("chat.postMessage")
    assert call.args["channel"] == "D0001" and "saved mood 4" in call.args["text"]


def test_a_conversation_continues_across_direct_messages(cadence: RunningCadence, slack: FakeSlackApi) -> None:
    cadence.post(dm("survey"))
    slack.wait_for_calls("chat.postMessage")
    cadence.post(dm("fine, thanks"))
    first, second = slack.wait_for_calls("chat.postMessage", 2)
    assert first.args["blocks"][-1]["elements"][0]["value"] == "survey.form"
    assert "you said fine, thanks" in second.args["text"]


def test_an_event_whose_handling_fails_is_tried_again_and_a_redelivery_is_dropped(
    cadence: RunningCadence, slack: FakeSlackApi
) -> None:
    event = dm("explode", event_id="Ev0FAILS")
    assert cadence.post(event).status_code == 200
    [call] = slack.wait_for_calls("chat.postMessage")
    assert "question" in call.args["text"]
    assert cadence.metric("cadence_events_total", platform="slack", outcome="retried") == 1
    with cadence.database.session_scope() as session:
        request = by_key(session, "slack:event:Ev0FAILS")
        assert request.status is InboxStatus.DONE and request.attempts == 2 and request.error is None
    assert cadence.post(event, headers=retry_headers(1, "http_error")).status_code == 200
    wait_until(lambda: cadence.metric("cadence_events_total", platform="slack", outcome="duplicate") == 1)
    assert slack.count("chat.postMessage") == 1


def test_a_command_that_keeps_failing_answers_with_one_plain_sentence_and_saves_nothing(
    cadence: RunningCadence,
) -> None:
    answer = cadence.command("/cadence", "survey explode forever", user_id="U0001")
    assert answer["response_type"] == "ephemeral"
    assert (
        answer["text"] == "Sorry, something went wrong on our side and nothing was saved. Please try again in a minute."
    )
    with cadence.database.session_scope() as session:
        [request] = session.exec(select(InboxRequest)).all()
        assert request.status is InboxStatus.FAILED and request.attempts == 3 and "fell over" in request.error
        assert session.exec(select(ConversationState)).all() == []
    assert cadence.metric("cadence_events_total", platform="slack", outcome="failed") == 1
    assert "Traceback" not in json.dumps(answer)
