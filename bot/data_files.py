"""Messages that are files built where they are delivered: a person's data (``/cadence export``).

The outbox row of such a message holds only whose data it is (``{"person_id": 12}``), never the data:
the file is made from the database when the message goes out, for the person it goes to, so no copy
waits in the outbox, and an erasure in between leaves nothing behind. Each platform sends the file
its own way (Slack uploads it to the person's direct messages, Teams asks the person to accept it
into their OneDrive, the shell saves it), with the words of the kind's template beside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.outbox_sender import DeliveryRefused
from conversations.destinations import Destination, reader_of
from conversations.messages import Outbound
from conversations.personal_data import PERSONAL_DATA_FILE
from storage import personal_data, privacy
from storage.database import Database
from storage.models import Person

JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class DataFile:
    """A file to send: its name, bytes and type, and the message that goes with it (``caption``)."""

    name: str
    content: bytes
    caption: Outbound
    media_type: str = JSON_MEDIA_TYPE

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "someone"


def data_file_name(person: Person, day: date) -> str:
    """``cadence-data-quilla-2026-12-04.json``: whose data, and as of which day."""
    who = (person.email or "").split("@")[0] or f"person-{person.id}"
    return f"cadence-data-{safe_stem(who)}-{day.isoformat()}.json"


def personal_data_file(session: Session, data: Mapping[str, Any], reader_id: int | None, now: datetime) -> DataFile:
    """The export of ``data["person_id"]`` as the person it goes to may read it: their own whole, or
    someone else's for an admin (who must still be one, ``privacy.Record.EXPORT``)."""
    subject = session.get(Person, int(data["person_id"]))
    reader = session.get(Person, reader_id) if reader_id is not None else None
    if subject is None or reader is None or subject.workspace_id != reader.workspace_id:
        raise DeliveryRefused("the person whose data this was, or who asked for it, is no longer in Cadence")
    own = reader.id == subject.id
    if not privacy.allowed(session, privacy.Record.EXPORT, reader, subject):
        raise DeliveryRefused(f"{reader.display_name} is no longer an admin, so gets no one else's data")
    document = personal_data.export(session, subject, now, reader=reader)
    local = now.astimezone(ZoneInfo(reader.timezone))
    name = data_file_name(subject, local.date())
    caption = Outbound(
        PERSONAL_DATA_FILE,
        {
            "own": own,
            "name": subject.display_name,
            "file_name": name,
            "as_of": f"{local.day} {local:%b %Y %H:%M}",
            "format": personal_data.FORMAT,
            "version": personal_data.VERSION,
            "withheld": document["withheld"],
        },
    )
    return DataFile(name, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode(), caption)


Builder = Callable[[Session, Mapping[str, Any], int | None, datetime], DataFile]
DATA_FILES: Mapping[str, Builder] = {PERSONAL_DATA_FILE: personal_data_file}
"""The outbound kinds that are files, and how each is built for the person it goes to."""


def build(database: Database, outbound: Outbound, destination: Destination, now: datetime) -> DataFile:
    """The file a delivery of ``outbound`` sends, made now (call it off the event loop)."""
    with database.session_scope() as session:
        return DATA_FILES[outbound.kind](session, outbound.data, reader_of(destination), now)
