"""Time `cadence org import` of a generated org chart on a fresh SQLite database.

Target (issue 2): 1,000 people in under 5 s. Runs the real CLI in a subprocess, so the figure
includes interpreter start-up and migrations check, as an operator would see it.

    .venv/bin/python bench/org_import.py [--people 1000]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Europe/London",
]


def generate(path: Path, count: int, seed: int = 7) -> None:
    """A tree: one CEO, then each person reports to someone earlier in the file (fan-out up to 8)."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "slack_id", "teams_id", "manager_email", "team", "timezone", "role"])
        for index in range(count):
            manager = "" if index == 0 else f"person{(index - 1) // 8}@bench.example"
            role = "admin" if index == 0 else ("manager" if index * 8 < count else "member")
            writer.writerow(
                [
                    f"person{index}@bench.example",
                    f"Person {index}",
                    f"U{index:07d}",
                    "",
                    manager,
                    f"team-{index // 40}",
                    rng.choice(ZONES),
                    role,
                ]
            )


def cadence(*args: str, database: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "--database-url", database, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "org.csv"
        generate(csv_path, args.people)
        database = f"sqlite:///{Path(folder) / 'bench.db'}"
        cadence("db", "upgrade", database=database)
        startup = cadence("--help", database=database)
        first = cadence("org", "import", str(csv_path), database=database)
        again = cadence("org", "import", str(csv_path), database=database)
    print(f"org import of {args.people} people on SQLite (wall time of the whole CLI process):")
    print(f"  first import (all created):   {first:.2f} s   target < 5 s   {'OK' if first < 5 else 'MISSED'}")
    print(f"  second import (all unchanged): {again:.2f} s")
    print(f"  of which CLI start-up:         {startup:.2f} s")


if __name__ == "__main__":
    main()
