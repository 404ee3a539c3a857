"""Checking rendered payloads the way Slack would: slack_sdk's Block Kit models plus the limits they
don't enforce themselves (50 blocks per message, 100 per view, section text lengths, headers)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150


def problems_in_blocks(blocks: list[dict[str, Any]], limit: int) -> list[str]:
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks, more than {limit}")
    for index, data in enumerate(blocks):
        block = Block.parse(data)
        if block is None:
            problems.append(f"block {index}: unknown type {data.get('type')!r}")
            continue
        block.to_dict()  # raises SlackObjectFormationError on any limit the SDK knows
        if data["type"] == "section":
            text = (data.get("text") or {}).get("text", "")
            if not text.strip() or len(text) > SECTION_TEXT:
                problems.append(f"block {index}: section text of {len(text)} characters")
        if data["type"] == "header":
            text = data["text"]
            if text["type"] != "plain_text" or not 0 < len(text["text"]) <= HEADER_TEXT:
                problems.append(f"block {index}: header must be 1-150 characters of plain_text")
    return problems


def assert_valid_message(message: dict[str, Any]) -> None:
    assert isinstance(message.get("text"), str) and message["text"].strip(), "every message needs a text fallback"
    problems = problems_in_blocks(message["blocks"], MESSAGE_BLOCKS)
    assert problems == [], problems


def assert_valid_view(view: dict[str, Any]) -> None:
    View(**view).to_dict()
    problems = problems_in_blocks(view["blocks"], VIEW_BLOCKS)
    assert problems == [], problems
    if view["type"] == "modal":
        assert view.get("title"), "a modal needs a title"
        if any(block["type"] == "input" for block in view["blocks"]):
            assert view.get("submit"), "a modal with inputs needs a submit button"
