from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from conversations.messages import Platform
from storage.connections import new_organisation
from storage.database import POOL_SIZE, Database
from storage.models import Kudos, OutboxDelivery, Person, Workspace


def make_people(database: Database, count: int = 2) -> list[int]:
    with database.session_scope() as session:
        workspace = new_organisation(session, "Acme", Platform.SLACK, "T1")
        people = [
            Person(workspace_id=workspace.id, email=f"p{i}@acme.test", display_name=f"P{i}") for i in range(count)
        ]
        session.add_all(people)
        session.flush()
        return [workspace.id, *[person.id for person in people]]


def test_datetimes_come_back_as_aware_utc_whatever_offset_went_in(any_database: Database) -> None:
    workspace_id, *_ = make_people(any_database, 0)
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with any_database.session_scope() as session:
        session.add(
            OutboxDelivery(
                workspace_id=workspace_id,
                platform=Platform.SLACK,
                kind="x",
                recipient="U1",
                dedupe_key="k",
                next_attempt_at=berlin_noon,
            )
        )
    with any_database.session_scope() as session:
        row = session.exec(select(OutboxDelivery)).one()
    assert row.next_attempt_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert row.next_attempt_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(any_database: Database) -> None:
    workspace_id, *_ = make_people(any_database, 0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), any_database.session_scope() as session:
        session.add(
            OutboxDelivery(
                workspace_id=workspace_id,
                platform=Platform.SLACK,
                kind="x",
                recipient="U1",
                dedupe_key="k",
                next_attempt_at=datetime(2026, 7, 1, 12, 0),
            )
        )


def test_the_database_refuses_kudos_to_oneself(any_database: Database) -> None:
    workspace_id, alice, _ = make_people(any_database)
    with pytest.raises(sa.exc.IntegrityError), any_database.session_scope() as session:
        session.add(
            Kudos(
                workspace_id=workspace_id,
                giver_id=alice,
                recipient_id=alice,
                message="me!",
                giver_local_date=date(2026, 1, 1),
            )
        )


def test_foreign_keys_are_enforced(any_database: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError), any_database.session_scope() as session:
        session.add(Person(workspace_id=999, email="ghost@acme.test", display_name="Ghost"))


def test_a_failing_unit_of_work_leaves_nothing_behind(any_database: Database) -> None:
    with pytest.raises(RuntimeError), any_database.session_scope() as session:
        new_organisation(session, "Half", Platform.SLACK, "T9")
        session.flush()
        raise RuntimeError("boom")
    with any_database.session_scope() as session:
        assert session.exec(select(Workspace)).all() == []


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(database: Database) -> None:
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_units_of_work_on_every_thread_at_once_reuse_their_connections(any_database: Database) -> None:
    """A busy worker process has about as many threads in units of work as the pool keeps connections;
    past SQLAlchemy's default of 5, each further one opened a connection and closed it again (on
    SQLite the schema read anew, on PostgreSQL a new backend)."""
    threads = POOL_SIZE - 2  # the scheduler's lock and the replicas' wake-up keep theirs
    opened: list[object] = []
    sa.event.listen(any_database.engine, "connect", lambda *_: opened.append(1))
    together = threading.Barrier(threads)

    def unit_of_work(_: int) -> None:
        with any_database.session_scope() as session:
            session.exec(select(Workspace)).all()
            together.wait(timeout=10)  # every thread holds its connection now

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(unit_of_work, range(threads)))
    assert 0 < len(opened) <= threads


def test_a_requests_unit_of_work_reads_a_person_once_however_many_steps_ask(any_database: Database) -> None:
    """A session holds its rows weakly: a person read by one step of a request and let go was read
    again by the next (three more statements in a kudos). A request's unit of work holds them."""
    _, first, _ = make_people(any_database)
    reads: list[str] = []
    sa.event.listen(any_database.engine, "before_cursor_execute", lambda *args: reads.append(args[2]))
    with any_database.session_scope(hold_rows=True) as session:
        assert session.exec(select(Person).where(Person.id == first)).one().id == first  # and let go at once
        gc.collect()
        before = len(reads)
        assert session.get(Person, first) is not None
        assert len(reads) == before, "read again"
