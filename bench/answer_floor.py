"""The floor under the answers-under-a-burst target: what answering N commands costs in HTTP alone.

No database, no flow, no outbox: a client process posts ``--answers`` command answers (the Block Kit a
``/kudos`` answer carries) to their own response URLs on the fake Slack, ``--at-once`` at a time, once
with plain aiohttp and once with slack_sdk's webhook client on one shared session (what Cadence's
Slack transport uses). It reports the CPU each answer costs the client and the fake. Set against
``drain.py``'s figures, it says how much of a command's cost is the HTTP call and how much is ours.

    .venv/bin/python bench/answer_floor.py [--answers 6000] [--at-once 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

ANSWER = {
    "response_type": "ephemeral",
    "text": "Kudos sent to Ada Lovelace for Craft",
    "blocks": [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Kudos sent to <@U0000002> for *Craft*: thanks for the review"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "4 of 5 left today"}]},
    ],
}
CLIENTS = ("aiohttp", "slack_sdk")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=6000)
    parser.add_argument("--at-once", type=int, default=20)
    parser.add_argument("--child", nargs=3, metavar=("CLIENT", "AT_ONCE", "URLS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        client, at_once, urls_file = args.child
        print(json.dumps(asyncio.run(post_all(client, int(at_once), json.loads(Path(urls_file).read_text())))))
        return
    with FakeSlackApi() as slack, tempfile.TemporaryDirectory() as folder:
        for client in CLIENTS:
            urls = [slack.response_url(f"floor-{client}-{index}") for index in range(args.answers)]
            urls_file = Path(folder) / f"{client}.json"
            urls_file.write_text(json.dumps(urls))
            before = resource.getrusage(resource.RUSAGE_SELF)
            command = [sys.executable, __file__, "--child", client, str(args.at_once), str(urls_file)]
            finished = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            after = resource.getrusage(resource.RUSAGE_SELF)
            if finished.returncode:
                sys.exit(f"the {client} client failed:\n{finished.stderr[-2000:]}")
            measured = json.loads(finished.stdout.strip().splitlines()[-1])
            fake = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            print(
                f"{client:10s} {args.answers:,} answers in {measured['wall']:.2f} s "
                f"({args.answers / measured['wall']:,.0f}/s): the client {1000 * measured['cpu'] / args.answers:.2f} ms "
                f"CPU each, the fake Slack {1000 * fake / args.answers:.2f} ms"
            )


async def post_all(client: str, at_once: int, urls: list[str]) -> dict[str, float]:
    import aiohttp
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    limit = asyncio.Semaphore(at_once)
    cpu, wall = time.process_time(), time.perf_counter()
    async with aiohttp.ClientSession() as session:

        async def post(url: str) -> None:
            async with limit:
                if client == "slack_sdk":
                    status = (await AsyncWebhookClient(url, session=session).send_dict(ANSWER)).status_code
                else:
                    async with session.post(url, json=ANSWER) as answer:
                        await answer.read()
                        status = answer.status
                if status != 200:
                    sys.exit(f"the fake answered HTTP {status}")

        await asyncio.gather(*(post(url) for url in urls))
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


if __name__ == "__main__":
    main()
