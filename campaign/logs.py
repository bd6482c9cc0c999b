"""Logs that name nobody: tokens, addresses and client IPs are redacted from every line, in UTC.

Redaction happens when a record is created (a log-record factory), so it covers every logger in
the process: ours, Flask's, Werkzeug's request lines and gunicorn's, whatever handler prints them.
"""

from __future__ import annotations

import logging
import re
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

#: What ``sys.exc_info()`` returns, as ``logging.Formatter.formatException`` takes it.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

SECURITY_LOGGER = "campaign.security"
FORMAT = "%(asctime)sZ %(levelname)s %(name)s: %(message)s"

TOKEN_IN_PATH = re.compile(
    r"(/sign/(?:confirm|withdraw|not-me|manage)/|/updates/stop/|/admin/setup/|/[a-z]{2}/partners/)[A-Za-z0-9_\-]+")
EMAIL = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[^\s@<>\"'(),;:]{2,}")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"
                  r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){0,6}(?:[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?![\w:])")
SECRET_PARAMETER = re.compile(r"((?:password|code|token|csrf_token)=)[^&\s\"]*", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact(text: str) -> str:
    """The line with tokens, addresses, IPs and secrets replaced, and control characters escaped."""
    text = TOKEN_IN_PATH.sub(r"\1[token]", text)
    text = SECRET_PARAMETER.sub(r"\1[redacted]", text)
    text = EMAIL.sub("[email]", text)
    text = IPV6.sub("[ip]", text)
    text = IPV4.sub("[ip]", text)
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class UTCFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def formatException(self, exc_info: ExcInfo) -> str:  # noqa: N802  (logging's name)
        return redact(super().formatException(exc_info))


def security_event(event: str, **details: object) -> None:
    """One line per security event (logins, second-factor failures, exports, admin actions, limits)."""
    fields = " ".join(f"{key}={value}" for key, value in sorted(details.items()))
    logging.getLogger(SECURITY_LOGGER).warning("%s %s", event, fields)


#: Libraries that log their routine steps at INFO (WeasyPrint's every layout step, pikepdf's start):
#: a pack made by the outbox worker would fill the operator's log with them. Their warnings stay.
QUIET_LIBRARY_LOGGERS = ("weasyprint.progress", "pikepdf._core", "fontTools")


def init_app(app: Flask) -> None:
    logging.setLogRecordFactory(_redacting_factory)
    for name in QUIET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(UTCFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    else:
        for existing in root.handlers:
            if existing.formatter is None or type(existing.formatter) is logging.Formatter:
                existing.setFormatter(UTCFormatter(FORMAT))
