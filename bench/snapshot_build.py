"""Build the quarterly snapshots of 10,000 people under 1,000 managers, on SQLite.

Generates the org and a full quarter (2026-Q4, fourteen ISO weeks, and four weeks before it for
each person's own baseline mood) of check-ins, a goal with two key results per person and their
updates, kudos with values and skills, and feedback; then, in a separate process (so its memory is
the builder's alone), builds every person's snapshot in batches and renders each (words and Slack
Block Kit; nothing is sent), counting SQL statements per batch with an SQLAlchemy hook. The charts
are PNGs drawn when a snapshot is delivered; their cost per chart is measured on a sample and
reported apart.

Targets (issue 14): a constant number of statements per snapshot, at most 20, whatever the team
size or history length; all 10,000 snapshots in at most 60 s on SQLite on a 2-core machine.

    .venv/bin/python bench/snapshot_build.py [--people 10000] [--managers 1000] [--batch 500]
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.digest_build as org_and_history  # noqa: E402
from conversations.digest import weeks_back  # noqa: E402
from conversations.messages import Outbound  # noqa: E402
from conversations.schedule import period_weeks, week_before  # noqa: E402
from conversations.snapshot import SNAPSHOT, chart  # noqa: E402
from conversations.words import PlainDialect, Words  # noqa: E402
from conversations.workspace_settings import validate_settings  # noqa: E402
from storage import workspaces  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import Feedback, KudosSkill, Workspace  # noqa: E402
from storage.snapshots import build_snapshots  # noqa: E402

PERIOD, FIRST, LAST = "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)
TODAY = date(2027, 1, 4)
SKILLS = ["mentoring", "system-design", "communication"]
QUARTER_WEEKS = period_weeks(FIRST, LAST)
HISTORY = [*weeks_back(week_before(QUARTER_WEEKS[0]), 4), *QUARTER_WEEKS]
CHART_SAMPLE = 40


def generate(url: str, people: int, managers: int, seed: int = 14) -> None:
    """The digest benchmark's org and history over this quarter's weeks, then skills and feedback."""
    org_and_history.WEEKS[:] = HISTORY  # the same generator, over the quarter and the weeks before it
    org_and_history.generate(url, people, managers)
    rng = random.Random(seed)
    database = Database(url)
    settings, problems = validate_settings(
        {
            "kudos": {"values": ["ownership", "craft", "customer-first"]},
            "skills": SKILLS,
            "expectations": {"engineer/senior": {skill: [f"Good {skill}, written down"] for skill in SKILLS}},
        }
    )
    assert not problems, problems
    with database.session_scope() as session:
        workspace = session.get(Workspace, 1)
        workspaces.apply_settings(session, workspace, settings)
        connection = session.connection()
        connection.execute(sa.text("UPDATE people SET level = 'engineer/senior'"))
        kudos_ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM kudos"))]
        connection.execute(
            sa.insert(KudosSkill.__table__),
            [{"kudos_id": kudos_id, "skill": rng.choice(SKILLS)} for kudos_id in kudos_ids[::2]],
        )
        feedback = []
        for _ in range(people * 2):
            giver, recipient = rng.sample(range(1, people + 1), 2)
            at = datetime.combine(FIRST, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=rng.randrange(91 * 1440))
            feedback.append({"workspace_id": 1, "giver_id": giver, "recipient_id": recipient, "went_well": "clear reviews",
                             "could_be_better": "say no earlier", "skill": rng.choice(SKILLS), "value_slug": "craft",
                             "audience": "recipient", "given_at": at, "quoted_in_snapshot": rng.random() < 0.3})  # fmt: skip
        connection.execute(sa.insert(Feedback.__table__), feedback)
    database.dispose()


def build(url: str, batch: int, out: str) -> None:
    """Build and render every snapshot, batch by batch; write statement counts and timings as JSON."""
    from bot.charts import render_chart
    from bot.slack.render import BlockKit

    database = Database(url)
    statements = {"count": 0}
    sa.event.listen(
        database.engine,
        "before_cursor_execute",
        lambda *args, **kwargs: statements.__setitem__("count", statements["count"] + 1),
    )
    words, blocks = Words(PlainDialect()), BlockKit()
    with database.session_scope() as session:
        ids = [row[0] for row in session.connection().execute(sa.text("SELECT id FROM people ORDER BY id"))]
    per_batch, built, sample = [], 0, []
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        before = statements["count"]
        with database.session_scope() as session:
            snapshots = build_snapshots(session, 1, PERIOD, ids[start : start + batch], TODAY)
        per_batch.append((statements["count"] - before, len(snapshots)))
        for snapshot in snapshots.values():
            message = Outbound(SNAPSHOT, snapshot)
            words.render(message.kind, message.data)
            blocks.message(message)
            built += 1
            if len(sample) < CHART_SAMPLE:
                sample.append(chart(snapshot))
    elapsed = time.perf_counter() - started
    chart_started = time.perf_counter()
    for data in sample:
        render_chart(data)
    per_chart = (time.perf_counter() - chart_started) / max(len(sample), 1)
    Path(out).write_text(json.dumps({"batches": per_batch, "built": built, "seconds": elapsed, "chart": per_chart}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--build", nargs=3, metavar=("URL", "BATCH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build[0], int(args.build[1]), args.build[2])
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'snapshots.db'}"
        started = time.perf_counter()
        generate(url, args.people, args.managers)
        generated = time.perf_counter() - started
        out = Path(folder) / "result.json"
        subprocess.run([sys.executable, __file__, "--build", url, str(args.batch), str(out)], check=True)
        result = json.loads(out.read_text())
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    statements = [count for count, _ in result["batches"]]
    per_snapshot_one = max(count / size for count, size in result["batches"])
    print(
        f"snapshot build: {result['built']} snapshots of {PERIOD} over {args.people} people, {len(QUARTER_WEEKS)} weeks "
        f"and {len(HISTORY) - len(QUARTER_WEEKS)} before (generated in {generated:.0f} s)"
    )
    print(f"  all snapshots built and rendered:  {result['seconds']:6.1f} s   target at most 60 s")
    print(
        f"  SQL statements per batch of {args.batch}: min {min(statements)}, max {max(statements)} "
        f"(per snapshot at most {per_snapshot_one:.3f}; a batch of one person costs the same)   target at most 20, constant"
    )
    print(f"  chart PNG, drawn at delivery:      {result['chart'] * 1000:6.1f} ms each (sample of {CHART_SAMPLE})")
    print(f"  peak memory of the builder:        {peak_mb:6.1f} MB")


if __name__ == "__main__":
    main()
