"""Logging, configured the same way under every server (`python -m skill run`, gunicorn via
gunicorn.conf.py's `logconfig_dict`, Lambda): one line per event on stderr,

    2025-01-31 12:00:00,123 INFO [amzn1.echo-api.request.1234] skill.web: LaunchRequest answered in 3.1 ms

time, level, the request id (`-` outside a request), the logger, the message. Messages name
request ids, request types and outcomes, never what the user said or answered. Control
characters in the request id and in every message are shown escaped (`\\n`, `\\x1b`), so
text from a request can never start a forged log line; traceback lines are indented.
"""
from __future__ import annotations

import contextvars
import logging
import logging.config
import re

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
MAX_REQUEST_ID = 120

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def clean(text: str, limit: int | None = None) -> str:
    """`text` on one line: control characters (and lone surrogates) escaped, cut at `limit`."""
    text = text if limit is None else text[:limit]
    return _CONTROL.sub(_escape, text)


def set_request_id(value: str) -> str:
    """Remember the current request's id (cleaned) for every log line of this request."""
    value = clean(value, MAX_REQUEST_ID) or "-"
    request_id.set(value)
    return value


class Formatter(logging.Formatter):
    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: str = "%",
                 **kwargs):
        super().__init__(FORMAT, datefmt, style, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args
        record.msg, record.args = clean(record.getMessage()), None
        record.request_id = clean(str(getattr(record, "request_id", None) or request_id.get()),
                                  MAX_REQUEST_ID)
        try:
            return super().format(record)
        finally:
            record.msg, record.args = saved

    def formatException(self, ei) -> str:
        return "\n".join("    " + clean(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join("    " + clean(line) for line in stack_info.splitlines())


def dict_config(level: str = "INFO") -> dict:
    """The logging configuration: for logging.config.dictConfig and gunicorn's
    `logconfig_dict` (which then formats gunicorn's own lines the same way; its access log,
    which would repeat every request, stays off: the skill logs each request once)."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"skill": {"()": Formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "skill",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "werkzeug": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(dict_config(level))
