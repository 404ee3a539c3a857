"""What a serving process and its worker processes write to their log, and how.

One stream, standard error, as a container or systemd expects, with every line saying when, how
bad, which process and which part of Cadence. ``LOG_LEVEL`` is the level of Cadence's own loggers
and of uvicorn's (its access log is at INFO); other libraries speak from WARNING up whatever it is,
because at DEBUG they print every SQL statement and Web API request, far more than an operator
asks for. ``LOG_FORMAT=json`` writes one JSON object per line for a log collector (Loki,
Elasticsearch, CloudWatch) instead of text.
"""

from __future__ import annotations

import enum
import logging
import logging.config
from typing import Any


class Choice(enum.StrEnum):
    """A setting's choices, read in any case and with spaces around: ``LOG_LEVEL=info`` and
    ``LOG_FORMAT=JSON`` mean what they say."""

    @classmethod
    def _missing_(cls, value: object) -> Choice | None:
        wanted = str(value).strip().casefold()
        return next((member for member in cls if member.value.casefold() == wanted), None)


class LogLevel(Choice):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormat(Choice):
    TEXT = "text"
    JSON = "json"


CADENCE_LOGGERS = ("bot", "conversations", "storage", "uvicorn", "uvicorn.error", "uvicorn.access")
"""The loggers ``LOG_LEVEL`` is for: Cadence's packages, and the server that every request passes."""

TEXT_LINE = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
"""The process id tells a worker process's lines from the serving process's (its start is logged with it)."""

JSON_FIELDS = "%(levelname)s %(process)d %(name)s %(message)s"
JSON_NAMES = {"levelname": "level", "process": "pid", "name": "logger"}


class BoltTokenNotice(logging.Filter):
    """Drops Bolt's warning that our Web API client wins over ``SLACK_BOT_TOKEN``: Bolt reads that
    variable itself, and it is ours too, so the warning would open every start for nothing."""

    NOTICE = "As you gave `client` as well, `token` will be unused."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.NOTICE


def json_formatter() -> logging.Formatter:
    """One object per line: when (UTC), level, pid, logger, message, and whatever a record carries
    besides (uvicorn's access log: the client and the request line), but for uvicorn's coloured
    copy of the message, which is for terminals."""
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS, rename_fields=JSON_NAMES, timestamp=True, reserved_attrs=[*RESERVED_ATTRS, "color_message"]
    )


def logging_config(level: LogLevel, style: LogFormat) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: applied as it is, and handed to uvicorn, which
    applies it again when it starts (its own default would reformat its loggers)."""
    formatter: dict[str, Any] = {"()": json_formatter} if style is LogFormat.JSON else {"format": TEXT_LINE}
    libraries = max(logging.getLevelNamesMapping()[level], logging.WARNING)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"bolt_token_notice": {"()": BoltTokenNotice}},
        "formatters": {"cadence": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "cadence",
                "filters": ["bolt_token_notice"],
            }
        },
        "root": {"level": logging.getLevelName(libraries), "handlers": ["stderr"]},
        "loggers": {name: {"level": level.value, "handlers": [], "propagate": True} for name in CADENCE_LOGGERS},
    }


def configure_logging(level: LogLevel, style: LogFormat) -> dict[str, Any]:
    """Set this process's logging up; returns the configuration for uvicorn to apply as well."""
    config = logging_config(level, style)
    logging.config.dictConfig(config)  # works on copies: the dictionary stays as it was, for uvicorn
    return config
