"""Files in Teams: a bot sends one to a person in their chat with it by asking first.

1. The delivery of a file (a person's data) sends a **file consent card** to the person's chat: the
   file's name, size and what it is, with Allow and Decline. Its context names the delivery (its
   outbox key); nothing of the file is in the card or the outbox.
2. The person's answer arrives as a ``fileConsent/invoke``, recorded in the inbox and answered at
   once; the worker checks the card was this person's, and queues the upload (accepted) or a line
   saying nothing was sent (declined). Both are keyed on the delivery, so a card answered twice
   uploads once.
3. The upload is a delivery of its own: the file is built again, from the database as it is then,
   and PUT whole to the upload session Teams opened in the person's OneDrive (pre-authorised: no
   token), then a **file info card** shows it in the chat, to open or download.

Teams allows this in a personal chat only, so a file asked for in a channel goes to the person's chat.
The bot's manifest says ``supportsFiles``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session

from bot.data_files import DATA_FILES
from bot.outbox_sender import DeliveryRefused
from bot.request_runner import enqueue_one
from conversations.destinations import DirectMessage, destination_from_dict, reader_of
from conversations.messages import Outbound, Platform
from conversations.personal_data import PERSONAL_DATA_DECLINED
from storage import outbox, people
from storage.models import OutboxDelivery

FILE_UPLOAD = "teams_file_upload"
"""An outbound kind of Teams' own: put an accepted file in the upload session Teams opened, then show
it in the chat. ``data``: ``asked_by`` (the outbox key of the file's delivery) and ``upload``."""
UPLOAD_TIMEOUT_SECONDS = 30.0
RETRYABLE_UPLOAD_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def asked_file(session: Session, key: str, workspace_id: int) -> OutboxDelivery | None:
    """The delivery of a file whose consent card this is, if it still is one (an erasure in between
    leaves nothing to send)."""
    asked = outbox.by_key(session, key)
    if asked is None or asked.workspace_id != workspace_id or asked.kind not in DATA_FILES:
        return None
    return asked


def answer_consent(
    session: Session, workspace_id: int, teams_user: str, consent: Mapping[str, Any], key: str, now: datetime
) -> None:
    """The person's answer to a consent card: the upload queued, or a line saying no file was sent.
    A card answered by anyone but the person it went to does nothing."""
    asked = asked_file(session, str(consent["asked_by"]), workspace_id)
    if asked is None:
        return
    reader_id = reader_of(destination_from_dict(asked.payload["destination"]))
    if reader_id is None or people.identity_of(session, reader_id, Platform.TEAMS) != teams_user:
        return
    if consent["accepted"]:
        message = Outbound(FILE_UPLOAD, {"asked_by": asked.dedupe_key, "upload": dict(consent["upload"])})
        enqueue_one(
            session, workspace_id, Platform.TEAMS, message, DirectMessage(reader_id), f"{asked.dedupe_key}:upload", now
        )
    else:
        declined = Outbound(PERSONAL_DATA_DECLINED, {})
        enqueue_one(
            session,
            workspace_id,
            Platform.TEAMS,
            declined,
            DirectMessage(reader_id),
            f"{asked.dedupe_key}:declined",
            now,
        )


async def put_file(upload_url: str, content: bytes) -> None:
    """The whole file in one PUT to its upload session. OneDrive takes up to 60 MiB this way; a
    person's data is far smaller. A session that is gone or refuses the bytes won't get better."""
    size = len(content)
    headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT_SECONDS) as http:
        response = await http.put(upload_url, content=content, headers=headers)
    if response.status_code in RETRYABLE_UPLOAD_STATUSES:
        response.raise_for_status()
    if response.status_code >= 400:
        raise DeliveryRefused(
            f"OneDrive refused the file (HTTP {response.status_code}); the person can ask for it again"
        )
