"""Checking rendered payloads the way Slack would: slack_sdk's Block Kit models plus the limits they
don't enforce themselves (50 blocks per message, 100 per view, section text lengths, headers, 10
checkboxes, action ids unique in their block and block ids unique in the message)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
CHECKBOXES = 10


def problems_in_blocks(blocks: list[dict[str, Any]], limit: int) -> list[str]:
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks, more than {limit}")
    block_ids = [data["block_id"] for data in blocks if "block_id" in data]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"block ids repeat: {block_ids}")
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
        problems.extend(f"block {index}: {problem}" for problem in problems_in_elements(data))
        if data["type"] == "header":
            text = data["text"]
            if text["type"] != "plain_text" or not 0 < len(text["text"]) <= HEADER_TEXT:
                problems.append(f"block {index}: header must be 1-150 characters of plain_text")
    return problems


def problems_in_elements(block: dict[str, Any]) -> list[str]:
    elements = block.get("elements") if block["type"] == "actions" else [block.get("element") or block.get("accessory")]
    elements = [element for element in elements or [] if element]
    problems = [
        f"{len(element['options'])} checkboxes, more than {CHECKBOXES}"
        for element in elements
        if element["type"] == "checkboxes" and len(element["options"]) > CHECKBOXES
    ]
    action_ids = [element["action_id"] for element in elements if "action_id" in element]
    if len(action_ids) != len(set(action_ids)):
        problems.append(f"action ids repeat: {action_ids}")
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
