"""Build 1,000 manager digests over 10,000 people and 12 weeks of history, on SQLite and PostgreSQL.

Generates the org (1,000 managers in a tree, 9,000 people under them), 12 weeks of check-ins, a
goal with two key results per person and their updates, and kudos; then, in a separate process
(so its memory is the builder's alone), builds and renders every manager's digest (words and
Slack Block Kit; nothing is sent), counting SQL statements per digest with an SQLAlchemy hook.

Targets (issue 7): a constant number of statements per digest, at most 15, whatever the team size
or history length; all 1,000 digests in at most 30 s on SQLite.

``--database both`` (the default) measures the same history in a SQLite file and in a fresh
PostgreSQL database (created for the run, dropped after it), one after the other, and prints
them side by side; ``--database sqlite`` is the measurement as it was before PostgreSQL joined.

    .venv/bin/python bench/digest_build.py [--people 10000] [--managers 1000] [--database postgres|sqlite|both]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres import fresh_database  # noqa: E402
from conversations.digest import digest_message  # noqa: E402
from conversations.messages import Platform  # noqa: E402
from conversations.schedule import week_key  # noqa: E402
from conversations.words import PlainDialect, Words  # noqa: E402
from conversations.workspace_settings import validate_settings  # noqa: E402
from storage import checkins, digests, migrate, workspaces  # noqa: E402
from storage.connections import new_organisation  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import (  # noqa: E402
    CheckinResponse,
    Goal,
    GoalUpdate,
    KeyResult,
    Kudos,
    KudosValue,
    Person,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WEEKS = [week_key((NOW - timedelta(weeks=back)).date()) for back in range(12, 0, -1)]
DONE = {"id": "done", "kind": "text", "text": "What got done?", "required": True, "highlight": True}
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Europe/London",
]


def generate(url: str, people: int, managers: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    database = Database(url)
    migrate.upgrade(database.engine)
    settings, _ = validate_settings({"kudos": {"values": ["ownership", "craft", "customer-first"]}})
    with database.session_scope() as session:
        workspace = new_organisation(session, "Bench", Platform.SHELL, "bench")
        workspaces.apply_settings(session, workspace, settings)
        ws = workspace.id
        template = checkins.template_for(session, ws, [DONE])
        connection = session.connection()
        rows = []
        for index in range(people):
            manager = (
                None if index == 0 else (index - 1) // 10 + 1 if index < managers else rng.randrange(1, managers + 1)
            )
            rows.append({"workspace_id": ws, "email": f"p{index}@bench.example", "display_name": f"Person {index}",
                         "timezone": ZONES[index % len(ZONES)], "manager_id": manager, "role": "member", "active": True,
                         "is_bot": False, "created_at": NOW, "updated_at": NOW})  # fmt: skip
        connection.execute(sa.insert(Person.__table__), rows)  # ids are 1..people in order
        cycles = {}
        for week in WEEKS:
            cycles[week] = checkins.cycle_for(session, ws, week, NOW).id
        responses = []
        for person in range(1, people + 1):
            for week in WEEKS:
                roll = rng.random()
                status = (
                    "submitted" if roll < 0.8 else "away" if roll < 0.85 else "skipped" if roll < 0.9 else "pending"
                )
                responses.append({"cycle_id": cycles[week], "person_id": person, "template_id": template.id, "status": status,
                                  "answers": {"done": f"did thing {rng.randrange(1000)}"} if status == "submitted" else {},
                                  "mood": rng.randint(1, 5) if status == "submitted" else None,
                                  "blockers": "waiting on something" if status == "submitted" and rng.random() < 0.15 else None,
                                  "reminders_sent": 0, "updated_at": NOW})  # fmt: skip
        connection.execute(sa.insert(CheckinResponse.__table__), responses)
        goals, krs, updates = [], [], []
        for person in range(1, people + 1):
            goals.append({"workspace_id": ws, "number": person, "title": f"Goal {person}", "level": "person", "kind": "business",
                          "period": "2026-Q4", "starts_on": date(2026, 10, 1), "ends_on": date(2026, 12, 31), "owner_id": person,
                          "state": "open", "progress": 0.0, "created_at": NOW - timedelta(weeks=12), "updated_at": NOW})  # fmt: skip
        connection.execute(sa.insert(Goal.__table__), goals)
        for person in range(1, people + 1):
            for k in range(2):
                current = rng.uniform(0, 100)
                krs.append({"workspace_id": ws, "goal_id": person, "number": person * 2 + k, "title": f"KR {k}", "metric": "number",
                            "start_value": 0.0, "target_value": 100.0, "current_value": current, "unit": "", "weight": 1.0,
                            "confidence": rng.randint(1, 5), "progress": current, "updated_at": NOW})  # fmt: skip
                for _ in range(2):
                    at = NOW - timedelta(days=rng.randrange(84))
                    updates.append({"goal_id": person, "key_result_id": len(krs), "author_id": person, "created_at": at,
                                    "old_value": rng.uniform(0, current), "new_value": current, "comment": "", "source": "checkin"})  # fmt: skip
        connection.execute(sa.insert(KeyResult.__table__), krs)
        connection.execute(sa.insert(GoalUpdate.__table__), updates)
        kudos = []
        for _ in range(people * 3):
            giver, recipient = rng.sample(range(1, people + 1), 2)
            at = NOW - timedelta(days=rng.randrange(84))
            kudos.append({"workspace_id": ws, "giver_id": giver, "recipient_id": recipient, "message": "thanks", "source": "command",
                          "given_at": at, "giver_local_date": at.date()})  # fmt: skip
        connection.execute(sa.insert(Kudos.__table__), kudos)
        value_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM company_values"))]
        connection.execute(
            sa.insert(KudosValue.__table__),
            [{"kudos_id": i, "value_id": rng.choice(value_ids)} for i in range(1, people * 3 + 1, 2)],
        )
    database.dispose()


def build(url: str, managers_out: str) -> None:
    """Build and render every digest; write per-digest statement counts and timings as JSON."""
    from bot.slack.render import BlockKit

    database = Database(url)
    statements = {"count": 0}
    sa.event.listen(
        database.engine,
        "before_cursor_execute",
        lambda *args, **kwargs: statements.__setitem__("count", statements["count"] + 1),
    )
    words, blocks = Words(PlainDialect()), BlockKit()
    counts, sizes = [], []
    started = time.perf_counter()
    with database.session_scope() as session:
        managers = digests.managers(session, 1)
    for manager in managers:
        before = statements["count"]
        with database.session_scope() as session:
            data = digests.build_digest(session, manager, WEEKS[-1], NOW)
        counts.append(statements["count"] - before)
        message = digest_message(data)
        words.render(message.kind, message.data)
        blocks.message(message)
        sizes.append(data["team"]["size"])
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # this process's own: one builder per database
    head = next(manager for manager in managers if manager.manager_id is None)
    tracemalloc.start()  # the head's digest covers everyone: what one digest holds at most
    with database.session_scope() as session:
        digests.build_digest(session, head, WEEKS[-1], NOW)
    head_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    Path(managers_out).write_text(
        json.dumps(
            {"counts": counts, "sizes": sizes, "seconds": elapsed, "peak_kb": peak_kb, "head_peak_bytes": head_peak}
        )
    )


DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def measure(url: str, folder: Path, args: argparse.Namespace) -> dict:
    """Generate the history in ``url``, then build every digest from it in a process of its own."""
    started = time.perf_counter()
    generate(url, args.people, args.managers)
    generated = time.perf_counter() - started
    out = folder / f"result-{uuid.uuid4().hex}.json"
    subprocess.run([sys.executable, __file__, "--build", url, str(out)], check=True)
    return {**json.loads(out.read_text()), "generated": generated}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument(
        "--database", choices=("postgres", "sqlite", "both"), default="both", help="where the history is stored"
    )
    parser.add_argument("--build", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(*args.build)
        return
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.database in ("sqlite", "both"):
            results["sqlite"] = measure(f"sqlite:///{Path(folder) / 'digests.db'}", Path(folder), args)
        if args.database in ("postgres", "both"):
            with fresh_database() as url:
                results["postgres"] = measure(url, Path(folder), args)
    first = next(iter(results.values()))
    print(f"digest build: {len(first['counts'])} managers over {args.people} people, {len(WEEKS)} weeks of history")
    rows = {
        "history generated in": [f"{result['generated']:.0f} s" for result in results.values()],
        "all digests built and rendered": [f"{result['seconds']:.1f} s" for result in results.values()],
        "SQL statements per digest": [
            f"min {min(result['counts'])}, max {max(result['counts'])}" for result in results.values()
        ],
        "team sizes (direct reports)": [
            f"min {min(result['sizes'])}, max {max(result['sizes'])}" for result in results.values()
        ],
        "peak memory of the builder": [f"{result['peak_kb'] / 1024:.1f} MB" for result in results.values()],
        "allocated for the head's digest": [f"{result['head_peak_bytes'] / 1e6:.1f} MB" for result in results.values()],
    }
    width = max(map(len, rows))
    print(" " * width + "".join(f" | {DATABASES[name]}".ljust(24) for name in results))
    for row, values in rows.items():
        print(row.ljust(width) + "".join(f" | {value}".ljust(24) for value in values))
    print("targets: all digests in at most 30 s on SQLite; at most 15 statements per digest, constant")


if __name__ == "__main__":
    main()
