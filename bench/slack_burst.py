"""Answers under a burst: a 4-second burst of slash commands at 20 connections, from a compiled load generator.

``wrk`` (with ``bench/slack_burst.lua``) replays a pool of distinct pre-signed ``/kudos`` commands, each
naming real givers and recipients and its own response URL on the fake Slack, so the client is never the
bottleneck (a Python client tops out near 400 requests/s here). Rounds alternate between a bare Bolt app
that only acks and Cadence (on SQLite, PostgreSQL or both), all under uvicorn in their own processes.

Two targets (issue 16): Cadence acks at least 0.9x as many commands per second as the bare Bolt app in
the same round, and every command it acked is answered at its response URL within 5 s of the burst's
end (cards in #kudos and the recipients' DMs may follow later; the round waits for them too, so nothing
spills into the next one).

    apt-get install wrk
    .venv/bin/python bench/slack_burst.py [--rounds 3] [--seconds 4] [--connections 20] [--database postgres|sqlite|both]
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.slack_ack import (  # noqa: E402
    BARE,
    RoundWatch,
    bench_servers,
    label_of,
    signed_commands,
)

LUA = ROOT / "bench" / "slack_burst.lua"
POOL_PER_SECOND = 4000  # more than any server here acks in a second: a round whose pool runs dry is refused
ANSWER_BOUND_SECONDS = 5.0
ACK_RATIO_TARGET = 0.9
THREADS = 2


@dataclass(frozen=True)
class Burst:
    acked: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float
    ended_at: float  # monotonic, when wrk returned: no request was sent after it

    @property
    def rate(self) -> float:
        return self.acked / self.seconds


def write_pool(path: Path, requests: list[tuple[bytes, dict]]) -> None:
    with path.open("w") as pool:
        for body, headers in requests:
            pool.write(f"{headers['X-Slack-Request-Timestamp']}\t{headers['X-Slack-Signature']}\t{body.decode()}\n")


def burst(url: str, pool: Path, seconds: float, connections: int) -> Burst:
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds:g}s", "-s", str(LUA)]
    output = subprocess.run(
        [*command, url, "--", str(pool), str(THREADS)], capture_output=True, text=True, check=True
    ).stdout
    ended_at = time.monotonic()
    threads = [tuple(map(int, row)) for row in re.findall(r"sent (\d+) ok (\d+) failed (\d+) exhausted (\d+)", output)]
    if len(threads) != THREADS or any(row[3] for row in threads):
        sys.exit(f"the pool of pre-signed commands ran dry or wrk failed:\n{output}")
    p50, p99 = map(int, re.search(r"latency p50 (\d+) p99 (\d+)", output).groups())
    duration = int(re.search(r"duration (\d+)", output).group(1)) / 1e6
    return Burst(
        acked=sum(row[1] for row in threads),
        failed=sum(row[2] for row in threads),
        seconds=duration,
        p50_ms=p50 / 1000,
        p99_ms=p99 / 1000,
        ended_at=ended_at,
    )


@dataclass(frozen=True)
class Answers:
    answered: int
    duplicated: int
    last_after_burst: float  # seconds from the burst's end to the last answer at a response URL
    everything_after_burst: float  # ... to the last card and DM


def wait_for_answers(watch: RoundWatch, label: str, acked: int, ended_at: float) -> Answers:
    """Wait for an answer to every acked command of round ``label`` and for the cards and DMs they caused."""
    watch.wait_for(acked, label)
    time.sleep(0.5)  # anything still arriving (a command acked as wrk stopped) is counted too
    watch.read_on()
    per_url = collections.Counter(call.path for call in watch.answers)
    last_answer = watch.last_answer()
    return Answers(
        answered=len(per_url),
        duplicated=sum(count - 1 for count in per_url.values()),
        last_after_burst=last_answer - ended_at,
        everything_after_burst=max([last_answer, *(call.at for call in watch.posts)]) - ended_at,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--database", choices=("postgres", "sqlite", "both"), default="both")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk, a compiled HTTP load generator: apt-get install wrk")
    rng = random.Random(16)
    with bench_servers(args.database) as (folder, slack, urls):
        results = measure(urls, slack, rng, folder, args)
    report(results, args)


def measure(urls, slack, rng, folder: Path, args) -> dict[str, list[tuple[Burst, Answers | None]]]:
    results: dict[str, list[tuple[Burst, Answers | None]]] = {name: [] for name in urls}
    pool_size = int(POOL_PER_SECOND * args.seconds)
    for round_number in range(-1, args.rounds):  # round -1 warms every server up and is not counted
        for name, url in urls.items():
            label = f"r{round_number}-{name}"
            pool = folder / f"{label}.pool"
            write_pool(pool, signed_commands(pool_size, rng, slack, label))
            watch = RoundWatch(slack, label)
            measured = burst(url, pool, args.seconds if round_number >= 0 else 1, args.connections)
            answers = None if name == BARE else wait_for_answers(watch, label, measured.acked, measured.ended_at)
            if round_number >= 0:
                results[name].append((measured, answers))
                tail = (
                    ""
                    if answers is None
                    else (
                        f", answered {answers.answered} ({answers.duplicated} twice), last answer "
                        f"{answers.last_after_burst:.1f} s after the burst, everything {answers.everything_after_burst:.1f} s"
                    )
                )
                print(f"  round {round_number + 1} {label_of(name):22s} {measured.rate:7.1f} acks/s{tail}", flush=True)
    return results


def report(results: dict[str, list[tuple[Burst, Answers | None]]], args) -> None:
    bare = [burst.rate for burst, _ in results[BARE]]
    print(f"\nburst: {args.seconds:g} s of signed /kudos at {args.connections} connections (wrk), {args.rounds} rounds")
    print(f"  bare bolt: {statistics.median(bare):.1f} acks/s (rounds: {', '.join(f'{r:.0f}' for r in bare)})")
    for name, rounds in results.items():
        if name == BARE:
            continue
        ratios = [burst.rate / bare_rate for (burst, _), bare_rate in zip(rounds, bare, strict=True)]
        answers = [answers for _, answers in rounds]
        worst = max(answer.last_after_burst for answer in answers)
        print(
            f"  {label_of(name)}: {statistics.median(burst.rate for burst, _ in rounds):.1f} acks/s, "
            f"ratio to bare bolt {statistics.median(ratios):.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
            f"target >= {ACK_RATIO_TARGET}x), p99 ack {statistics.median(burst.p99_ms for burst, _ in rounds):.1f} ms"
        )
        print(
            f"    every acked command answered {worst:.1f} s after the burst at worst (target <= {ANSWER_BOUND_SECONDS:g} s); "
            f"everything delivered {max(a.everything_after_burst for a in answers):.1f} s after; "
            f"non-200 acks {sum(burst.failed for burst, _ in rounds)}; answered twice {sum(a.duplicated for a in answers)}; "
            f"acked {sum(burst.acked for burst, _ in rounds)}, answered {sum(a.answered for a in answers)}"
        )


if __name__ == "__main__":
    main()
