"""The tick's guarantees that don't depend on what is being sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.outbox_sender import OutboxSender, Sent
from bot.tick import enqueue_due
from conversations.messages import Platform
from storage import outbox
from storage.connections import new_organisation
from storage.database import Database
from storage.models import DeliveryStatus, OutboxDelivery

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def workspaces(database: Database, count: int) -> list[int]:
    with database.session_scope() as session:
        rows = [new_organisation(session, f"W{index}", Platform.SHELL, f"w{index}") for index in range(count)]
        return [row.id for row in rows]


def enqueue_for(session, workspace, now, reach) -> int:
    if workspace.name == "W0":
        raise RuntimeError("this workspace's settings are broken")
    return int(outbox.enqueue(session, workspace_id=workspace.id, platform=Platform.SHELL, kind="x",
                              recipient="person:1", dedupe_key=f"k:{workspace.id}", payload={}, not_before=now))  # fmt: skip


def test_a_failing_workspace_neither_rolls_back_nor_blocks_the_others(database: Database) -> None:
    workspaces(database, 3)
    with pytest.raises(ExceptionGroup) as raised:
        enqueue_due(database, NOW, [enqueue_for])
    assert "workspace 1" in raised.value.exceptions[0].__notes__[0]
    with database.session_scope() as session:
        assert sorted(row.dedupe_key for row in session.exec(select(OutboxDelivery))) == ["k:2", "k:3"]


class PrintsNothing:
    async def prepare(self, deliveries) -> None:
        """Nothing to read ahead."""

    async def deliver(self, delivery):
        return Sent("ok")

    async def close(self) -> None:
        """Nothing to close."""


def test_a_sender_whose_lease_ran_out_does_not_overwrite_the_new_claim(database: Database) -> None:
    [workspace_id] = workspaces(database, 1)
    with database.session_scope() as session:
        outbox.enqueue(session, workspace_id=workspace_id, platform=Platform.SHELL, kind="x", recipient="person:1",
                       dedupe_key="slow", payload={}, not_before=NOW)  # fmt: skip
        [first_claim] = outbox.claim_due(session, NOW)
    with database.session_scope() as session:
        [second_claim] = outbox.claim_due(session, NOW + outbox.DEFAULT_LEASE + timedelta(seconds=1))
    sender = OutboxSender(
        database, {Platform.SHELL: PrintsNothing()}, lambda: NOW + outbox.DEFAULT_LEASE + timedelta(seconds=2)
    )
    report = asyncio.run(sender.drain())  # nothing due: the row is the second sender's now
    assert report.handled == 0
    from bot.outbox_sender import DrainReport

    assert sender.record_all([(first_claim, Sent("late"))], DrainReport()) == [None]
    with database.session_scope() as session:
        row = session.exec(select(OutboxDelivery)).one()
    assert (row.status, row.platform_message_id) == (DeliveryStatus.SENDING, None), "the late outcome was ignored"
    sender.record_all([(second_claim, Sent("on time"))], DrainReport())
    with database.session_scope() as session:
        assert session.exec(select(OutboxDelivery)).one().platform_message_id == "on time"
