"""A stand-in for ``cadence worker-process`` that speaks the same two pipes, for the serving side's tests.

    python stand_in_worker_process.py BEHAVIOUR --wake-fd N --report-fd M

works: ready, then one processed event per wake byte, until the wake pipe ends or SIGTERM;
leads: as works, and says it runs the scheduler; fails: an error on stderr, exit 3 before ready;
silent: never ready, until the wake pipe ends; dies: ready, then exit 9 at the first wake;
stubborn: ready, and SIGTERM is ignored.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.worker_processes import Report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("behaviour")
    parser.add_argument("--wake-fd", type=int, required=True)
    parser.add_argument("--report-fd", type=int, required=True)
    args = parser.parse_args()
    if args.behaviour == "fails":
        print("cadence: the stand-in refuses to start", file=sys.stderr)
        return 3
    if args.behaviour == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.behaviour != "silent":
        os.write(args.report_fd, Report(ready=True, leading=args.behaviour == "leads").line())
    while woken := os.read(args.wake_fd, 4096):
        if args.behaviour == "dies":
            return 9
        os.write(args.report_fd, Report(events=(("slack", "processed", len(woken)),)).line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
