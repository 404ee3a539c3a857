"""What ``cadence serve`` writes to its log: Cadence's own lines at ``LOG_LEVEL``, libraries from WARNING,
as text or one JSON object a line; and a setting it can't use is one sentence naming it, with an example."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import pytest

from bot.log_output import CADENCE_LOGGERS, LogFormat, LogLevel, configure_logging
from tests.bot.cli_helpers import Cadence
from tests.bot.test_cli import assert_one_line_error


class Stderr:
    """What the handler wrote to standard error (pytest's, which the test's own phase puts in place)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.seen = ""

    def getvalue(self) -> str:
        self.seen += self.capsys.readouterr().err
        return self.seen


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    """Standard error as the handler finds it, and the logging set-up as it was put back afterwards."""
    stream = Stderr(capsys)
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (logger.level, logger.handlers[:], logger.propagate)
        for name in CADENCE_LOGGERS
        for logger in [logging.getLogger(name)]
    }
    try:
        yield stream
    finally:
        for handler in root.handlers:
            if handler not in saved_root[1]:
                handler.close()
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, (level, handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate


def test_text_lines_say_when_how_bad_which_process_and_which_part(stderr: Stderr) -> None:
    configure_logging(LogLevel.INFO, LogFormat.TEXT)
    logging.getLogger("bot.leadership").info("this replica now runs the scheduler")
    line = stderr.getvalue().strip()
    assert line.endswith(f"INFO [{os.getpid()}] bot.leadership: this replica now runs the scheduler")
    assert line[:4].isdigit() and line[4] == "-"  # the date first


def test_log_level_is_cadence_s_and_libraries_speak_from_warning(stderr: Stderr) -> None:
    configure_logging(LogLevel.DEBUG, LogFormat.TEXT)
    logging.getLogger("storage.outbox").debug("claimed 20 deliveries")
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")  # every statement, at DEBUG elsewhere
    logging.getLogger("slack_sdk.web").debug("Sending a request")
    logging.getLogger("aiohttp.client").warning("Unclosed client session")
    logged = stderr.getvalue()
    assert "claimed 20 deliveries" in logged and "Unclosed client session" in logged
    assert "SELECT 1" not in logged and "Sending a request" not in logged


def test_a_quieter_level_quietens_the_libraries_too(stderr: Stderr) -> None:
    configure_logging(LogLevel.ERROR, LogFormat.TEXT)
    logging.getLogger("bot.outbox_sender").warning("a delivery was retried")
    logging.getLogger("aiohttp.client").warning("Unclosed client session")
    logging.getLogger("bot.outbox_sender").error("a delivery failed")
    logged = stderr.getvalue()
    assert "a delivery failed" in logged
    assert "retried" not in logged and "Unclosed" not in logged


def test_json_is_one_object_a_line_with_the_record_s_own_fields(stderr: Stderr) -> None:
    configure_logging(LogLevel.INFO, LogFormat.JSON)
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/slack/events", "1.1", 200)
    logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "\x1b[36mStarted\x1b[0m"})
    records = [json.loads(line) for line in stderr.getvalue().splitlines()]
    assert records[0]["message"] == '127.0.0.1:5000 - "POST /slack/events HTTP/1.1" 200'
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "uvicorn.access"
    assert records[0]["pid"] == os.getpid() and records[0]["timestamp"].endswith("+00:00")
    assert records[1]["message"] == "Started" and "color_message" not in records[1]


def test_bolt_s_notice_about_our_own_client_is_left_out(stderr: Stderr) -> None:
    configure_logging(LogLevel.INFO, LogFormat.TEXT)
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    bolt.warning("As you gave `client` as well, `token` will be unused.")
    bolt.warning("Unhandled request")
    assert "token" not in stderr.getvalue() and "Unhandled request" in stderr.getvalue()


@pytest.mark.parametrize(
    ("variable", "value", "fragments"),
    [
        ("LOG_LEVEL", "loud", ("LOG_LEVEL=loud can't be used", "'DEBUG', 'INFO'", "for example LOG_LEVEL=INFO")),
        ("LOG_FORMAT", "xml", ("LOG_FORMAT=xml can't be used", "'text' or 'json'", "for example LOG_FORMAT=text")),
        ("CADENCE_CONCURRENCY", "many", ("CADENCE_CONCURRENCY=many", "valid integer", "CADENCE_CONCURRENCY=8")),
        ("PORT", "0", ("PORT=0", "greater than or equal to 1", "for example PORT=3000")),
        ("TEAMS_ALLOW_UNAUTHENTICATED", "maybe", ("valid boolean", "TEAMS_ALLOW_UNAUTHENTICATED=false")),
    ],
)
def test_a_setting_cadence_can_t_use_is_one_sentence_naming_it_with_an_example(
    cadence: Cadence, monkeypatch, variable: str, value: str, fragments: tuple[str, ...]
) -> None:
    monkeypatch.setenv(variable, value)
    assert_one_line_error(cadence("db", "current"), *fragments)


@pytest.mark.parametrize(("level", "style"), [("debug", "JSON"), (" Warning ", "Text")])
def test_level_and_format_are_read_in_any_case(cadence: Cadence, monkeypatch, level: str, style: str) -> None:
    monkeypatch.setenv("LOG_LEVEL", level)
    monkeypatch.setenv("LOG_FORMAT", style)
    assert cadence("db", "current").code == 0
