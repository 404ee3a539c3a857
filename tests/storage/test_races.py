"""Read-then-write units of work run by two replicas at the same instant (PostgreSQL, two engines).

Each test makes the race certain rather than lucky: both units of work are held at the point where
they have counted and not yet written, until the other has counted too (a barrier). With the row
locks of ``storage.locks`` the second can't count before the first commits, so the barrier times
out for the first, which goes on alone, and the second then counts again."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.outbox_sender import OutboxSender
from bot.request_runner import RequestRunner
from bot.slack.handling import SlackSide
from bot.slack.installations import bind_workspace
from conversations.flows import all_flows
from conversations.messages import Inbound, Platform
from conversations.workspace_settings import load_settings
from storage import goals, kudos, org_import, workspaces
from storage.database import Database
from storage.models import ConversationState, Goal, Kudos, OutboxDelivery
from tests.conftest import another_replica, postgres_database

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ORG = """email,name,slack_id,manager_email,team,timezone,role
grace@acme.example,Grace Hopper,U0002,,Platform,America/New_York,manager
ada@acme.example,Ada Lovelace,U0001,grace@acme.example,Platform,Europe/London,member
alan@acme.example,Alan Turing,U0003,grace@acme.example,Platform,Europe/London,member
"""


@pytest.fixture
def replicas(postgres_schema: str):
    first = postgres_database(postgres_schema)
    with first.session_scope() as session:
        workspace = bind_workspace(session, "T0001", "Acme")
        assert org_import.import_org(session, workspace.id, ORG).ok
        settings = load_settings({"kudos": {"daily_allowance": 1}})
        workspaces.apply_settings(session, workspace, settings)
    second = another_replica(first)
    yield first, second
    second.dispose()
    first.dispose()


def held_after(monkeypatch, module, name: str, barrier: threading.Barrier, *, before: bool = False) -> None:
    """Hold each caller of ``module.name`` right after it returns (or, ``before``, as it is called)
    until the other caller gets there too."""
    original: Callable = getattr(module, name)

    def meet() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for our lock: go on alone
            barrier.wait(timeout=2)

    def counted_then_held(*args, **kwargs):
        if before:
            meet()
        result = original(*args, **kwargs)
        if not before:
            meet()
        return result

    monkeypatch.setattr(module, name, counted_then_held)


def at_once(replicas, inbounds: list[Inbound]) -> list[BaseException]:
    """Each inbound handled by its own replica, at the same time; the errors they raised."""
    errors: list[BaseException] = []

    def run(database: Database, inbound: Inbound, key: str) -> None:
        runner = RequestRunner(database, all_flows(), OutboxSender(database, {}, lambda: NOW), lambda: NOW)
        try:
            runner.handle(SlackSide(), inbound, key, command_answer=f"https://hooks.example/{key}", now=NOW)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(database, inbound, f"request-{index}"))
        for index, (database, inbound) in enumerate(zip(replicas, inbounds, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def command(user: str, name: str, text: str, mentions: tuple[str, ...] = ()) -> Inbound:
    return Inbound(Platform.SLACK, "T0001", user, f"D{user}", text=text, command=name, mentions=mentions)


def new_goal(user: str, title: str) -> Inbound:
    form = {"title": title, "level": "person", "period": "2026-Q4", "key_results": ""}
    return Inbound(Platform.SLACK, "T0001", user, f"D{user}", form_id="goal_new.form", form=form)


def test_two_goals_created_at_once_get_two_short_ids(replicas, monkeypatch) -> None:
    held_after(monkeypatch, goals, "next_numbers", threading.Barrier(2))
    errors = at_once(replicas, [new_goal("U0001", "Ada's goal"), new_goal("U0003", "Alan's goal")])
    assert errors == []
    with replicas[0].session_scope() as session:
        numbers = sorted(goal.number for goal in session.exec(select(Goal)))
    assert numbers == [1, 2]


def test_two_kudos_at_once_from_one_giver_spend_the_allowance_once(replicas, monkeypatch) -> None:
    held_after(monkeypatch, kudos, "given_on", threading.Barrier(2))
    errors = at_once(
        replicas,
        [
            command("U0001", "kudos", "@Grace thanks for the review", ("U0002",)),
            command("U0001", "kudos", "@Alan thanks for the pairing", ("U0003",)),
        ],
    )
    assert errors == []
    with replicas[0].session_scope() as session:
        given = session.exec(select(Kudos)).all()
        answers = sorted(row.kind for row in session.exec(select(OutboxDelivery)))
    assert len(given) == 1, "the daily allowance is 1"
    assert answers == ["kudos_problem", "kudos_received", "kudos_sent"], (
        "one given; the other told the allowance is spent"
    )


def test_two_first_messages_from_one_person_at_once_keep_one_conversation_state(replicas, monkeypatch) -> None:
    from storage import conversation_store

    at_once(replicas[:1], [command("U0003", "checkin", "")])  # this week's questions are stored: Ada's share them
    held_after(monkeypatch, conversation_store.SqlStateStore, "save", threading.Barrier(2), before=True)
    errors = at_once(replicas, [command("U0001", "checkin", ""), command("U0001", "checkin", "")])
    assert errors == []
    with replicas[0].session_scope() as session:
        states = session.exec(select(ConversationState)).all()
    assert sorted((state.person_id, state.flow) for state in states) == [(2, "checkin"), (3, "checkin")]
