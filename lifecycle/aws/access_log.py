"""The access log of ``lifecycle serve``: one line per request, through :mod:`logging`.

Each line, logged at INFO by the ``lifecycle.access`` logger, reads::

    2025-06-01T12:00:00.123Z INFO lifecycle.access REQUEST-ID ACCOUNT OPERATION STATUS 3.2ms

(the time and level come from the format :func:`configure` sets). ``REQUEST-ID`` is the
answer's ``x-amzn-RequestId``, ``ACCOUNT`` the caller's account (``-`` before
authentication), and ``OPERATION`` the API operation (``CreateRegistration``),
``review:<action>``, ``health``, or ``-`` for a request too malformed to name one. The
record also carries each field as an attribute (``request_id``, ``account_id``,
``operation``, ``status``, ``duration_ms``) for a formatter of your own.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

LOGGER = logging.getLogger("lifecycle.access")

ACCOUNT_KEY = "lifecycle.account_id"
"""The WSGI environ key authentication sets to the caller's account id."""

LEVELS = ("debug", "info", "warning", "error", "critical")
"""The levels ``--log-level`` takes."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._:/-]")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _safe(text: str) -> str:
    """``text`` fit for one space-separated field: what a client sent cannot split or
    forge a line."""
    return _UNSAFE.sub("?", text[:64]) or "-"


def log(request_id: str, account_id: str, operation: str, status: int, seconds: float) -> None:
    """Log one request's line."""
    fields = {
        "request_id": _safe(request_id),
        "account_id": _safe(account_id),
        "operation": _safe(operation),
        "status": status,
        "duration_ms": seconds * 1000,
    }
    LOGGER.info(
        "%(request_id)s %(account_id)s %(operation)s %(status)d %(duration_ms).1fms",
        fields,
        extra=fields,
    )


class AccessLog:
    """WSGI middleware: ``app``, with one access-log line per request it answers;
    ``operation`` names what a request asked for."""

    def __init__(self, app: WsgiApp, operation: Callable[[dict[str, Any]], str]) -> None:
        self.app = app
        self.operation = operation

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        answered: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, *exc_info)

        body = self.app(environ, start)
        headers = {k.lower(): v for k, v in answered.get("headers", ())}
        log(
            headers.get("x-amzn-requestid", "-"),
            str(environ.get(ACCOUNT_KEY) or "-"),
            self.operation(environ),
            int(str(answered.get("status", "0")).partition(" ")[0]),
            time.monotonic() - started,
        )
        return body


class _UtcFormatter(logging.Formatter):
    """Times in ISO 8601 UTC with milliseconds (``2025-06-01T12:00:00.123Z``)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def configure(level: str, stream: TextIO | None = None) -> None:
    """Send every log record of ``level`` and above to ``stream`` (default: stderr),
    one line each: ``TIME LEVEL LOGGER MESSAGE``."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
