"""Slack over HTTP: the Home tab's Feedback part (received this quarter, waiting for an answer with a
Give feedback button, my open requests), valid Block Kit, and the same page when ``home`` is typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from conversations.feedback import Ref
from storage.models import AskStatus, FeedbackAsk, FeedbackRequest
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.bot.slack.conftest import seed_org
from tests.bot.slack.harness import RunningCadence, wait_until
from tests.bot.test_home_feedback import NOVEMBER, seed_by_email
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import app_home_opened, message_im


@pytest.fixture
def cadence(tmp_path: Path, slack: FakeSlackApi):
    """Ada (U0001, London) reports to Grace (U0002): Grace gave her feedback, asked her for some, and
    answered Ada's own request; an older piece of feedback is from the last quarter."""
    with RunningCadence(tmp_path, slack, clock=lambda: NOVEMBER) as running:
        seed_org(running)
        with running.database.session_scope() as session:
            seed_by_email(session)
        yield running


def waiting_ask(cadence: RunningCadence) -> str:
    """How buttons name the request waiting for an answer."""
    with cadence.database.session_scope() as session:
        request = session.exec(
            select(FeedbackRequest).join(FeedbackAsk).where(FeedbackAsk.status == AskStatus.OPEN)
        ).one()
        return Ref(request.requester_id, request.created_at).value


def parsed(value):
    return value if isinstance(value, dict | list) else json.loads(value)


def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [
        (element["text"]["text"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_the_home_tab_shows_the_feedback_part_with_a_give_feedback_button(cadence, slack: FakeSlackApi) -> None:
    cadence.post(app_home_opened("U0001"))
    view = parsed(slack.wait_for_calls("views.publish")[0].args["view"])
    assert_valid_view(view)
    assert view["type"] == "home"
    text = "\n".join(block["text"]["text"] for block in view["blocks"] if block["type"] == "section")
    assert "*Feedback*\n1 piece of feedback received this quarter (2026-Q4), the latest:\n" in text
    assert "• Wed 18 Nov · Grace Hopper: Your *release notes* were &lt;!here&gt; clear" in text, (
        "escaped, never a mention"
    )
    assert "Last quarter" not in text
    assert "Waiting for your answer:\n• Grace Hopper asked for your feedback on “the offsite”, until Wed 2 Dec" in text
    assert "• “my first talk”, asked Tue 17 Nov: answered so far by Grace Hopper" in text
    assert buttons(view["blocks"]) == [("Give feedback to Grace Hopper", f"feedback.answer:{waiting_ask(cadence)}")]


def test_typing_home_in_a_dm_answers_with_the_same_page(cadence, slack: FakeSlackApi) -> None:
    cadence.post(message_im("U0001", "home"))
    wait_until(lambda: slack.calls("chat.postMessage"), what="the page as a message")
    [message] = slack.calls("chat.postMessage")
    blocks = parsed(message.args["blocks"])
    assert_valid_message({"text": message.args["text"], "blocks": blocks})
    assert "Waiting for your answer" in message.args["text"]
    assert buttons(blocks) == [("Give feedback to Grace Hopper", f"feedback.answer:{waiting_ask(cadence)}")]
    assert not slack.calls("views.publish"), "a typed home answers in the chat, it doesn't repaint the tab"
