"""Cadence at 1,000, 10,000 and 100,000 people on PostgreSQL (issue 16).

For each size, on a fresh PostgreSQL database that is dropped afterwards:

1. ``cadence org import people.csv`` of a generated org chart (a tenth of the people are managers,
   in a tree ten wide; one manager has 1,000 direct reports), timed as the whole CLI process;
2. 12 weeks of history written with COPY (not through the flows): check-ins (80 % answered),
   a goal with two key results per person and two updates per key result, three kudos per person;
3. one tick's check-in enqueue at the instant everyone's prompt is due (``enqueue_due`` with the
   check-in producer, in its own process, so its peak memory is the enqueue's alone; delivery is
   not measured here: ``bench/checkin_fanout.py`` does that against a rate-limited fake Slack);
4. every manager's digest for the last week built and rendered (words and Block Kit), in its own
   process, counting SQL statements per digest with a ``before_cursor_execute`` hook;
5. the Home view of the manager with 1,000 direct reports, and of the CEO (everyone in the tree).

Targets (issue 16, at 100,000 people): import under 60 s; the tick under 30 s and 300 MB; 10,000
digests under 5 minutes with the same number of statements each at every size; Home under 1 s.

    .venv/bin/python bench/scale.py [--people 1000 10000 100000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.checkin_fanout import ZONES  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from conversations.schedule import week_key  # noqa: E402
from storage import secrets  # noqa: E402

TICK_AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # Saturday: every zone's Friday 10:00 has passed
WEEKS = [week_key((TICK_AT - timedelta(weeks=back)).date()) for back in range(12, 0, -1)]  # W37..W48
DIGEST_WEEK = WEEKS[-1]
DIGEST_CAP = 900.0  # seconds: past this the digest phase stops and reports how far it got
TEAM_ID = "T0SCALE01"
WIDE = 1_000  # direct reports of the widest manager, whose Home view is timed (half the members, if fewer)

DONE = {"id": "done", "kind": "text", "text": "What got done?", "required": True, "highlight": True}


def email(index: int) -> str:
    return f"p{index}@scale.example"


def managers_of(people: int) -> int:
    return max(1, people // 10)


def wide_manager(people: int) -> int:
    """The index of the manager who gets the first ``WIDE`` members (a leaf of the managers' tree)."""
    return managers_of(people) - 1


def wide_reports(people: int) -> int:
    return min(WIDE, (people - managers_of(people)) // 2)


def write_org(path: Path, people: int, seed: int = 16) -> None:
    """One CEO; managers 1..M-1 in a tree ten wide; the first 1,000 members (half of them, if fewer)
    report to the last manager, the others to a manager picked at random."""
    rng = random.Random(seed)
    managers = managers_of(people)
    wide = wide_reports(people)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "slack_id", "manager_email", "team", "timezone", "role"])
        for index in range(people):
            if index == 0:
                manager = None
            elif index < managers:
                manager = (index - 1) // 10
            elif index < managers + wide:
                manager = wide_manager(people)
            else:
                manager = rng.randrange(managers)
            role = "admin" if index == 0 else "manager" if index < managers else "member"
            writer.writerow(
                [
                    email(index),
                    f"Person {index}",
                    f"U{index:08d}",
                    "" if manager is None else email(manager),
                    f"team-{index // 50}",
                    ZONES[index % len(ZONES)],
                    role,
                ]
            )


# -- the database --------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def drop_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def cadence(url: str, environment: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--database-url", url, *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"cadence {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def copy_rows(connection: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into ``table`` inside the connection's transaction (psycopg's COPY FROM STDIN)."""
    raw = connection.connection.driver_connection
    count = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def generate_history(url: str, keys: str, people: int, seed: int = 5) -> dict[str, int]:
    """Twelve weeks of check-ins, goals with key results and updates, and kudos, for everyone."""
    from storage import checkins
    from storage.database import Database

    rng = random.Random(seed)
    database = Database(url, secret_keys=keys)
    written: dict[str, int] = {}
    with database.session_scope() as session:
        connection = session.connection()
        workspace_id = connection.execute(sa.text("SELECT id FROM workspaces")).scalar_one()
        ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM people ORDER BY id"))]
        template = checkins.template_for(session, workspace_id, [DONE])
        cycles = [checkins.cycle_for(session, workspace_id, week, TICK_AT).id for week in WEEKS]
        session.flush()

        def responses():
            for person in ids:
                for cycle in cycles:
                    roll = rng.random()
                    status = (
                        "submitted" if roll < 0.8 else "away" if roll < 0.85 else "skipped" if roll < 0.9 else "pending"
                    )
                    answered = status == "submitted"
                    answers = json.dumps({"done": f"did thing {rng.randrange(1000)}"} if answered else {})
                    blockers = "waiting on something" if answered and rng.random() < 0.15 else None
                    mood = rng.randint(1, 5) if answered else None
                    yield (cycle, person, template.id, status, answers, mood, blockers, TICK_AT, 0, TICK_AT)

        written["checkin_responses"] = copy_rows(
            connection,
            "checkin_responses",
            (
                "cycle_id",
                "person_id",
                "template_id",
                "status",
                "answers",
                "mood",
                "blockers",
                "prompted_at",
                "reminders_sent",
                "updated_at",
            ),
            responses(),
        )
        quarter = (date(2026, 10, 1), date(2026, 12, 31))
        written["goals"] = copy_rows(
            connection,
            "goals",
            (
                "workspace_id",
                "number",
                "title",
                "description",
                "level",
                "kind",
                "period",
                "starts_on",
                "ends_on",
                "owner_id",
                "state",
                "progress",
                "created_at",
                "updated_at",
            ),
            (
                (
                    workspace_id,
                    number,
                    f"Goal {number}",
                    "",
                    "person",
                    "business",
                    "2026-Q4",
                    *quarter,
                    person,
                    "open",
                    0.0,
                    TICK_AT - timedelta(weeks=12),
                    TICK_AT,
                )
                for number, person in enumerate(ids, start=1)
            ),
        )
        goal_of = dict(connection.execute(sa.text("SELECT owner_id, id FROM goals")).all())
        currents: list[tuple[int, float]] = []

        def key_results():
            for person in ids:
                for k in range(2):
                    current = rng.uniform(0, 100)
                    currents.append((person, current))
                    yield (
                        workspace_id,
                        goal_of[person],
                        len(currents),
                        f"KR {k}",
                        "number",
                        0.0,
                        100.0,
                        current,
                        "",
                        1.0,
                        rng.randint(1, 5),
                        current,
                        TICK_AT,
                    )

        written["key_results"] = copy_rows(
            connection,
            "key_results",
            (
                "workspace_id",
                "goal_id",
                "number",
                "title",
                "metric",
                "start_value",
                "target_value",
                "current_value",
                "unit",
                "weight",
                "confidence",
                "progress",
                "updated_at",
            ),
            key_results(),
        )
        kr_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM key_results ORDER BY number"))]
        written["goal_updates"] = copy_rows(
            connection,
            "goal_updates",
            ("goal_id", "key_result_id", "author_id", "created_at", "old_value", "new_value", "comment", "source"),
            (
                (
                    goal_of[person],
                    kr_id,
                    person,
                    TICK_AT - timedelta(days=rng.randrange(84)),
                    rng.uniform(0, current),
                    current,
                    "",
                    "checkin",
                )
                for kr_id, (person, current) in zip(kr_ids, currents, strict=True)
                for _ in range(2)
            ),
        )

        def kudos():
            for _ in range(people * 3):
                giver, recipient = rng.sample(ids, 2)
                at = TICK_AT - timedelta(days=rng.randrange(84))
                yield (workspace_id, giver, recipient, "thanks", "command", at, at.date())

        written["kudos"] = copy_rows(
            connection,
            "kudos",
            ("workspace_id", "giver_id", "recipient_id", "message", "source", "given_at", "giver_local_date"),
            kudos(),
        )
        value_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM company_values"))]
        if value_ids:
            kudos_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM kudos WHERE id % 2 = 1"))]
            written["kudos_values"] = copy_rows(
                connection, "kudos_values", ("kudos_id", "value_id"), ((k, rng.choice(value_ids)) for k in kudos_ids)
            )
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    database.dispose()
    return written


# -- the measured phases, each in its own process --------------------------------------------------


def counted(database) -> dict[str, int]:
    statements = {"count": 0}

    def count(*_args, **_kwargs) -> None:
        statements["count"] += 1

    sa.event.listen(database.engine, "before_cursor_execute", count)
    return statements


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_tick(url: str, keys: str) -> dict:
    """One tick's check-in enqueue, as ``cadence tick`` runs it for a process serving Slack."""
    from bot.checkin_tick import checkin_producer
    from bot.tick import enqueue_due
    from conversations.words import Labels
    from storage.database import Database

    database = Database(url, secret_keys=keys)
    statements = counted(database)
    before = peak_mb()
    started = time.perf_counter()
    enqueued = enqueue_due(database, TICK_AT, [checkin_producer(Labels())], {Platform.SLACK})
    seconds = time.perf_counter() - started
    with database.engine.connect() as connection:
        queued = connection.execute(sa.text("SELECT count(*) FROM outbox_deliveries")).scalar_one()
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "baseline_mb": before,
        "enqueued": sum(enqueued.values()),
        "queued": queued,
        "statements": statements["count"],
    }


def phase_digests(url: str, keys: str) -> dict:
    from bot.slack.render import BlockKit
    from conversations.digest import digest_message
    from conversations.words import PlainDialect, Words
    from storage import digests
    from storage.database import Database

    database = Database(url, secret_keys=keys)
    statements = counted(database)
    words, blocks = Words(PlainDialect()), BlockKit()
    counts: list[int] = []
    started = time.perf_counter()
    with database.session_scope() as session:
        workspace_id = session.connection().execute(sa.text("SELECT id FROM workspaces")).scalar_one()
        managers = digests.managers(session, workspace_id)
    for manager in managers:
        if time.perf_counter() - started > DIGEST_CAP:
            break  # reported as a partial figure: how many were built in the time
        before = statements["count"]
        with database.session_scope() as session:
            data = digests.build_digest(session, manager, DIGEST_WEEK, TICK_AT)
        counts.append(statements["count"] - before)
        if data is not None:
            message = digest_message(data)
            words.render(message.kind, message.data)
            blocks.message(message)
    return {
        "seconds": time.perf_counter() - started,
        "digests": len(counts),
        "managers": len(managers),
        "min": min(counts),
        "max": max(counts),
        "peak_mb": peak_mb(),
    }


def phase_home(url: str, keys: str, people: int) -> dict:
    from sqlmodel import select

    from storage.database import Database
    from storage.home import home_view
    from storage.models import Person

    database = Database(url, secret_keys=keys)
    statements = counted(database)
    result = {}
    for label, index in (("wide", wide_manager(people)), ("ceo", 0)):
        timings, counts = [], []
        for _ in range(5):
            before = statements["count"]
            started = time.perf_counter()
            with database.session_scope() as session:
                person = session.exec(select(Person).where(Person.email == email(index))).one()
                home_view(session, person, TICK_AT)
            timings.append(time.perf_counter() - started)
            counts.append(statements["count"] - before)
        with database.session_scope() as session:
            reports = session.connection().execute(
                sa.text("SELECT count(*) FROM people r JOIN people m ON r.manager_id = m.id WHERE m.email = :e"),
                {"e": email(index)},
            )
            direct = reports.scalar_one()
        result[label] = {"seconds": statistics.median(timings), "statements": counts[-1], "direct": direct}
    return result


def run_phase(name: str, url: str, environment: dict[str, str], *extra: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, __file__, "--phase", name, url, out.name, *extra], env=environment, check=True)
        return json.loads(Path(out.name).read_text())


def measure(admin_url: str, people: int) -> dict:
    keys = secrets.new_key()  # what `cadence secrets new-key` prints
    environment = {**os.environ, secrets.SECRET_KEY_VARIABLE: keys, "LOG_LEVEL": "WARNING"}
    name = f"cadence_scale_{people}_{os.getpid()}"
    create_database(admin_url, name)
    url = with_database(admin_url, name)
    try:
        with tempfile.TemporaryDirectory() as folder:
            org = Path(folder) / "people.csv"
            write_org(org, people)
            cadence(url, environment, "db", "upgrade")
            imported = cadence(url, environment, "org", "import", str(org), "--workspace", TEAM_ID)
        started = time.perf_counter()
        written = generate_history(url, keys, people)
        generated = time.perf_counter() - started
        print(f"  {people}: imported in {imported:.1f} s, history in {generated:.1f} s: {written}", flush=True)
        tick = run_phase("tick", url, environment)
        print(f"  {people}: tick {tick}", flush=True)
        built = run_phase("digests", url, environment)
        print(f"  {people}: digests {built}", flush=True)
        home = run_phase("home", url, environment, str(people))
        print(f"  {people}: home {home}", flush=True)
    finally:
        drop_database(admin_url, name)
    return {"people": people, "import": imported, "generated": generated, "tick": tick, "digests": built, "home": home}


def report(rows: list[dict], load: str) -> None:
    print(f"\nscale on PostgreSQL ({load})")
    print(
        "| people | import s | tick s (prompts) | tick MB (before) | digests s (count) | statements/digest "
        "| home s, 1,000 direct (statements) | home s, CEO |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        tick, built, home = row["tick"], row["digests"], row["home"]
        print(
            f"| {row['people']:,} | {row['import']:.1f} | {tick['seconds']:.1f} ({tick['enqueued']:,}) "
            f"| {tick['peak_mb']:.0f} ({tick['baseline_mb']:.0f}) | {built['seconds']:.1f} ({built['digests']:,} of {built['managers']:,}) "
            f"| {built['min']}–{built['max']} | {home['wide']['seconds']:.3f} ({home['wide']['direct']:,} direct, "
            f"{home['wide']['statements']}) | {home['ceo']['seconds']:.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, url, out, *extra = args.phase
        keys = os.environ[secrets.SECRET_KEY_VARIABLE]
        phases = {"tick": phase_tick, "digests": phase_digests}
        result = phase_home(url, keys, int(extra[0])) if name == "home" else phases[name](url, keys)
        Path(out).write_text(json.dumps(result))
        return
    load = f"1-minute load {os.getloadavg()[0]:.2f} at the start"
    rows = [measure(args.admin_url, people) for people in args.people]
    report(rows, load + f", {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
