"""Running the ``cadence`` CLI in-process with captured streams, like a user at a terminal."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cadence:
    def __init__(self, database_url: str, clock: Callable[[], datetime] | None = None) -> None:
        self.database_url = database_url
        self.clock = clock

    def __call__(self, *argv: str | Path, stdin: str = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["--database-url", self.database_url, *map(str, argv)],
            out=out,
            err=err,
            stdin=io.StringIO(stdin),
            clock=self.clock,
        )
        return Result(code, out.getvalue(), err.getvalue())
