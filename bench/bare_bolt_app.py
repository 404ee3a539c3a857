"""The baseline for bench/slack_ack.py: a bare Bolt AsyncApp whose slash command does nothing but ack.

Served the same way as Cadence (Bolt's ASGI handler under uvicorn), against the same fake Web API.
"""

from __future__ import annotations

import os

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

bolt = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


@bolt.command("/kudos")
async def no_op(ack) -> None:
    await ack()


app = AsyncSlackRequestHandler(bolt)
