"""waitress at ``lifecycle serve``'s edge: its limits, and its own answers in AWS JSON.

waitress reads and parses every request before the application sees it, and answers
what it cannot parse itself (a malformed request line or header, bad chunking,
headers or a body over the limit). :func:`create_server` sets its limits so that one
client cannot starve the others, and makes those answers AWS JSON 1.0 errors, with a
request id and an access-log line, like the application's:

- a body over the limit is refused while it arrives, chunked or not, and a body
  within it stays in memory: nothing is spooled to disk;
- many connections are served at once, through ``poll`` (``select`` cannot watch
  more than 1,024 sockets);
- a request must arrive whole within :data:`REQUEST_DEADLINE` seconds of its first
  byte, and the first request of a connection within as long of its opening (a
  client trickling bytes, or sending none, holds its connection no longer), and an
  idle connection is closed after :data:`IDLE_TIMEOUT` seconds;
- after refusing a request, the connection drops what the client still sends for up
  to :data:`LINGER` seconds before it closes, so the client reads the answer;
- :func:`run` stops gracefully: it accepts no more connections, answers every request
  already received, and closes each connection once it is idle, all within
  :data:`SHUTDOWN_GRACE` seconds;
- waitress's own per-request log lines (the "Task queue depth" warnings, client
  disconnects, socket errors) are kept off stderr: the access log says what happened.
"""

from __future__ import annotations

import logging
import re
import select
import socket
import threading
import time
from http import HTTPStatus
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.server import create_server as waitress_server
from waitress.task import ErrorTask
from waitress.utilities import (
    BadRequest,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    ServerNotImplemented,
)

from lifecycle.aws import access_log
from lifecycle.aws.protocol import Response, error_response

_LOG = logging.getLogger("lifecycle.serve")
_BARE_LF = re.compile(rb"(?<!\r)\n")

MAX_HEADER_BYTES = 64 * 1024
"""The largest request line plus headers accepted (bytes); larger ones get 431."""

CONNECTION_LIMIT = 1000
"""Connections open at once; more wait in the listen backlog."""

REQUEST_DEADLINE = 20.0
"""Seconds within which a request, once its first byte arrived, must arrive whole."""

IDLE_TIMEOUT = 30
"""Seconds an idle kept-alive connection stays open."""

SHUTDOWN_GRACE = 10.0
"""Seconds a stopping server goes on answering the requests it received."""

LINGER = 2.0
"""Seconds a connection refused mid-request goes on reading, and dropping, what the
client still sends. Closed at once, it would reset the connection, and the client
would see the reset instead of the answer."""


def _error_answer(error: Any, max_body: int) -> Response:
    """The AWS JSON answer to a request waitress refused with ``error``."""
    if isinstance(error, RequestEntityTooLarge):
        return error_response(
            413, "ValidationException", f"The request body exceeds the limit of {max_body} bytes."
        )
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return error_response(
            431,
            "ValidationException",
            f"The request line and headers exceed the limit of {MAX_HEADER_BYTES} bytes.",
        )
    if isinstance(error, BadRequest | ServerNotImplemented):
        # An unsupported Transfer-Encoding (waitress: 501) is the client's mistake too.
        return error_response(
            400, "SerializationException", f"Malformed HTTP request: {error.body}"
        )
    return error_response(
        500, "InternalServerException", "The server failed while answering the request."
    )


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's error answer, in AWS JSON and in the access log."""

    def execute(self) -> None:
        status, headers, body = _error_answer(self.request.error, self.channel.max_body)
        self.status = f"{status} {HTTPStatus(status).phrase}"
        self.response_headers.extend(headers.items())
        self.set_close_on_finish()
        self.channel.linger = True  # the client may still be sending the refused request
        self.content_length = len(body)
        self.write(body)
        access_log.log(headers["x-amzn-requestid"], "-", "-", status, time.time() - self.start_time)


class _Parser(HTTPRequestParser):  # type: ignore[misc]
    """A request being received, with the time its first byte arrived.

    It refuses at once what waitress would wait for until the deadline: a chunked body
    announcing more than ``max_body`` bytes of data (its framing does not count), and
    header lines ended by a bare LF (waitress looks for CRLF CRLF only).
    """

    max_body = 0
    """The largest body accepted (bytes); set per server."""
    completed: bool  # waitress's, typed for mypy
    error: Any

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.started = time.monotonic()

    def received(self, data: bytes) -> int:
        if self.body_rcv is None and not self.completed and self._bare_lf(data):
            self.parse_header(b"GET / HTTP/1.0\r\n")  # as waitress does, to answer at all
            self.error = BadRequest("Lines must end in CRLF, not a bare LF")
            self.completed = True
            return len(data)
        consumed: int = super().received(data)
        body = self.body_rcv
        if (
            self.chunked
            and body is not None
            and not self.completed
            and len(body) + body.chunk_remainder > self.max_body
        ):
            self.error = RequestEntityTooLarge(f"exceeds max_body of {self.max_body}")
            self.completed = True
        return consumed

    def _bare_lf(self, data: bytes) -> bool:
        """Whether the header, up to its end, holds an LF without a CR before it."""
        seen = self.header_plus[-3:]  # enough to see a CRLF CRLF or a CRLF across reads
        head = seen + data
        if (end := head.find(b"\r\n\r\n")) >= 0:
            head = head[: end + 4]
        return _BARE_LF.search(head, min(1, len(seen))) is not None


class _Channel(HTTPChannel):  # type: ignore[misc]
    """A connection that answers waitress's errors in AWS JSON, lingers after them,
    and is closed when a request takes longer than ``deadline`` seconds to arrive (the
    first request: counted from the connection's opening)."""

    error_task_class = _JsonErrorTask
    parser_class = _Parser
    max_body = 0
    """The largest body accepted (bytes); set per server."""
    deadline = REQUEST_DEADLINE
    linger = False
    """Set by an error answer: at close, linger first."""
    _linger_until: float | None = None
    spoke = False
    """Whether the client sent anything yet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened = time.monotonic()

    def handle_close(self) -> None:
        # socket is None once closed: a reset while the answer was sent closes it first.
        if self.linger and self._linger_until is None and self.socket is not None:
            try:  # the answer is sent; end it with FIN, then read until the client stops
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            else:
                self._linger_until = time.monotonic() + LINGER
                return
        super().handle_close()  # at the client's EOF, or when the linger ran out

    def writable(self) -> bool:
        if self._linger_until is not None:  # nothing to write: only the close, once due
            return time.monotonic() >= self._linger_until
        return bool(super().writable())

    def readable(self) -> bool:
        # The event loop asks every connection this at least once a second.
        if self._linger_until is not None:  # what arrives is dropped (will_close is set)
            return time.monotonic() < self._linger_until
        if not self.requests:
            if self.request is not None:
                started = self.request.started
            else:  # a connection silent since it opened is a request not yet arriving
                started = None if self.spoke else self.opened
            if started is not None and time.monotonic() - started > self.deadline:
                self.will_close = True
        return bool(super().readable())

    def received(self, data: bytes) -> Any:
        self.spoke = True
        return super().received(data)


def _connection_limit() -> int:
    """:data:`CONNECTION_LIMIT`, or fewer where the process may not open that many files
    (a server out of descriptors would spin on connections it cannot accept)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return CONNECTION_LIMIT
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(1, min(CONNECTION_LIMIT, soft - 64))


def create_server(
    app: Any,
    host: str,
    port: int,
    *,
    threads: int,
    max_body: int,
    request_deadline: float = REQUEST_DEADLINE,
    map: dict[int, Any] | None = None,
) -> Any:
    """A waitress server for ``app`` on ``host``:``port`` (0: a free port), with the
    limits above and ``max_body`` as the largest request body (bytes).

    ``map`` is the event loop's socket map (default: a new one).
    """
    logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sockets: dict[int, Any] = {} if map is None else map
    server = waitress_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=threads,
        # waitress counts a chunked body with its framing: room for that, and the
        # parser holds the data to max_body (the app, a Content-Length body). waitress
        # checks after each read, which may take it past its limit by one read: the
        # memory buffer leaves room for that, so nothing is ever spooled to disk.
        max_request_body_size=max_body + max_body // 8,
        inbuf_overflow=2 * (max_body + max_body // 8),
        max_request_header_size=MAX_HEADER_BYTES,
        connection_limit=_connection_limit(),
        asyncore_use_poll=hasattr(select, "poll"),
        channel_timeout=IDLE_TIMEOUT,
        cleanup_interval=5,
        log_socket_errors=False,
    )
    parser = type("Parser", (_Parser,), {"max_body": max_body})
    channel = type(
        "Channel",
        (_Channel,),
        {"deadline": request_deadline, "max_body": max_body, "parser_class": parser},
    )
    for listener in sockets.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server


def _idle(channel: HTTPChannel) -> bool:
    """Whether ``channel`` has no request running, arriving or waiting to be sent."""
    return not channel.requests and channel.request is None and not channel.total_outbufs_len


def run(
    server: Any, sockets: dict[int, Any], stop: threading.Event, grace: float = SHUTDOWN_GRACE
) -> None:
    """Run ``server`` (from :func:`create_server`, whose socket map ``sockets`` is)
    until ``stop`` is set, then stop
    gracefully: close the listening sockets, finish the requests received (a client's
    write is answered, not cut off after it committed), close each connection as it
    becomes idle, and after ``grace`` seconds close the rest."""
    adj = server.adj

    def turn(timeout: float) -> None:
        try:
            wasyncore.loop(timeout=timeout, map=sockets, use_poll=adj.asyncore_use_poll, count=1)
        except Exception:  # a failure closing one connection: it must not stop the rest
            _LOG.exception("a connection failed while it was being closed")

    while not stop.is_set():
        turn(adj.asyncore_loop_timeout)
    deadline = time.monotonic() + grace
    for listener in [s for s in sockets.values() if isinstance(s, BaseWSGIServer)]:
        listener.close()
    while channels := [c for c in sockets.values() if isinstance(c, HTTPChannel)]:
        overdue = time.monotonic() > deadline
        for channel in channels:
            if overdue or _idle(channel):
                channel.will_close = True  # as waitress's own idle cleanup closes one
        turn(0.05)
    wasyncore.close_all(sockets)  # what is left: the trigger that wakes the loop
    server.task_dispatcher.shutdown()
