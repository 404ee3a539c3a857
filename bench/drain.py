"""Answering a queue: the CPU the inbox worker and the outbox sender spend on each command.

The answers-under-a-burst target (issue 16, ``slack_burst.py``) is a CPU budget: some 6,500 commands
answered within 5 s of a 4-second burst, on two cores shared with the load generator and the fake
Slack. This measures what one command costs, without the noise of a live burst: a process records
``--commands`` signed ``/kudos`` through Cadence's Slack route (in process, over ASGI), then works the
whole inbox, then sends the whole outbox, each timed on its own (CPU of the process, wall time, SQL
statements). The fake Slack runs in the parent process, so its CPU is not counted.

    .venv/bin/python bench/drain.py [--commands 1500] [--database sqlite|postgres|both] [--statements]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres import fresh_database  # noqa: E402
from bench.slack_ack import SECRET, seed, signed_commands  # noqa: E402
from tests.fakes.slack_api import PROXY_ENV_VARS, RESPONSE_URL, FakeSlackApi  # noqa: E402

RECORDING_CONCURRENCY = 20


@dataclass(frozen=True)
class Phase:
    """One stretch of the drain: how many items, and what they cost."""

    items: int
    cpu_seconds: float
    wall_seconds: float
    statements: int

    def per_item(self) -> str:
        if not self.items:
            return "nothing to do"
        return (
            f"{self.items:,} in {self.wall_seconds:.1f} s ({self.items / self.wall_seconds:,.0f}/s), "
            f"{1000 * self.cpu_seconds / self.items:.2f} ms CPU and {self.statements / self.items:.1f} statements each"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=1500)
    parser.add_argument("--database", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--statements", action="store_true", help="the commonest statements of each phase")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "COMMANDS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(drain_in_this_process(*args.child))))
        return
    from storage.secrets import new_key

    secret_key = new_key()
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        slack = stack.enter_context(FakeSlackApi())
        databases = {}
        if args.database in ("sqlite", "both"):
            databases["SQLite"] = f"sqlite:///{Path(folder) / 'drain.db'}"
        if args.database in ("postgres", "both"):
            databases["PostgreSQL"] = stack.enter_context(fresh_database())
        for name, url in databases.items():
            seed(url, secret_key)
            label = name.lower()
            commands = signed_commands(args.commands, random.Random(16), slack, label)
            commands_file = Path(folder) / f"{label}.json"
            commands_file.write_text(json.dumps([[body.decode(), headers] for body, headers in commands]))
            result = measure_child(url, commands_file, slack, secret_key)
            answered = {call.path for call in slack.calls(RESPONSE_URL) if f"/{label}-" in call.path}
            print(f"{name}: {len(answered):,} of {args.commands:,} commands answered")
            for phase in ("recording", "inbox", "outbox"):
                commonest = result[phase].pop("commonest")
                print(f"  {phase:<9} {Phase(**result[phase]).per_item()}")
                if args.statements:
                    for text, times in commonest:
                        print(f"      {times / max(result[phase]['items'], 1):5.2f} x {text}")
            inbox, outbox = Phase(**result["inbox"]), Phase(**result["outbox"])
            both = (inbox.cpu_seconds + outbox.cpu_seconds) / max(inbox.items, 1)
            print(f"  per command, handled and delivered: {1000 * both:.1f} ms CPU")


def measure_child(database_url: str, commands_file: Path, slack: FakeSlackApi, secret_key: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_ENV_VARS}
    environment.update(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
        CADENCE_SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    command = [sys.executable, __file__, "--child", database_url, str(commands_file)]
    finished = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"the drain failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


async def drain_in_this_process(database_url: str, commands_file: str) -> dict:
    """Record every command through the Slack route, then work the inbox, then send the outbox."""
    import httpx

    from bot.cli import Context, _runtime
    from bot.config import AppConfig

    context = Context(AppConfig(), sys.stdout, sys.stderr, sys.stdin, lambda: datetime.now(UTC))
    runtime = _runtime(context, socket_mode=False, serve=True, worker_processes=0)
    await runtime.connect()
    runtime.use_threads()
    for adapter in runtime.adapters:
        await adapter.start(runtime.parts)
        runtime.service.routes.update(adapter.routes)
        runtime.sender.transports[adapter.platform] = await adapter.open_transport(runtime.parts)
        if (handler := await adapter.open_inbox(runtime.parts)) is not None:
            runtime.worker.handlers[adapter.platform] = handler
    statements = [0]
    texts: collections.Counter[str] = collections.Counter()

    def count(connection, cursor, statement, *_) -> None:
        statements[0] += 1
        texts[" ".join(statement.split())[:110]] += 1

    sa.event.listen(runtime.database.engine, "before_cursor_execute", count)
    commands = json.loads(Path(commands_file).read_text())

    async def phase(work) -> dict:
        texts.clear()
        cpu, wall, before = time.process_time(), time.perf_counter(), statements[0]
        items = await work()
        measured = asdict(Phase(items, time.process_time() - cpu, time.perf_counter() - wall, statements[0] - before))
        return {**measured, "commonest": texts.most_common(12)}

    async def record() -> int:
        limit = asyncio.Semaphore(RECORDING_CONCURRENCY)
        transport = httpx.ASGITransport(app=runtime.service)
        async with httpx.AsyncClient(transport=transport, base_url="http://cadence") as client:

            async def post(body: str, headers: dict) -> None:
                async with limit:
                    answer = await client.post("/slack/events", content=body.encode(), headers=headers)
                    if answer.status_code != 200:
                        sys.exit(f"a command was refused: HTTP {answer.status_code} {answer.text[:200]}")

            await asyncio.gather(*(post(body, headers) for body, headers in commands))
        return len(commands)

    async def work_inbox() -> int:
        return await runtime.worker.drain()

    async def send_outbox() -> int:
        return (await runtime.sender.drain()).handled

    result = {"recording": await phase(record)}
    result["inbox"] = await phase(work_inbox)
    result["outbox"] = await phase(send_outbox)
    await runtime.sender.close()
    return result


if __name__ == "__main__":
    main()
