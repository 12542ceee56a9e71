"""``lifecycle serve``: the AWS JSON 1.0 endpoint over HTTP, for any SDK or the AWS CLI.

A plain WSGI application served by waitress (the ``server`` extra). ``POST /`` with
``X-Amz-Target: PinpointSMSVoiceV2.<Operation>`` answers as AWS does (signatures are
not checked). The admin routes let a test in any language play the reviewer:

- ``POST /_lifecycle/review/<action>/<registration-id>``: a reviewer action
  (``begin_review``, ``approve``, ``deny``, ...); for ``deny``, the JSON body is
  ``{"reasons": [{"Reason": ..., "ShortDescription": ...}]}``. Answers the
  registration as ``DescribeRegistrations`` shows it.
- ``GET /_lifecycle/health``: ``{"status": "ok"}``.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, TextIO

from lifecycle.aws.protocol import Response, answer, error_response, handle
from lifecycle.errors import ValidationException
from lifecycle.machines import EVENTS
from lifecycle.service import RegistrationService
from lifecycle.statuses import Actor

MAX_BODY = 1024 * 1024
"""The largest request body accepted (bytes); larger ones get 413."""

REVIEW_ACTIONS: tuple[str, ...] = tuple(
    name for name, spec in EVENTS.items() if spec.actor is Actor.REVIEWER
)
"""The reviewer's events, read from the machines: the admin route's actions."""

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class App:
    """The WSGI application answering for ``service``."""

    def __init__(self, service: RegistrationService, max_body: int = MAX_BODY) -> None:
        self.service = service
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self.respond(environ)
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [body]

    def respond(self, environ: dict[str, Any]) -> Response:
        """``(status, headers, body)`` for one request; never raises."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        try:
            if path == "/_lifecycle/health" and method == "GET":
                return 200, {"Content-Type": "application/json"}, b'{"status":"ok"}'
            if method != "POST":
                return error_response(
                    405, "UnknownOperationException", f"{method} {path} is not served"
                )
            body = self._body(environ)
            if isinstance(body, tuple):
                return body
            if path == "/":
                return handle(self.service, environ.get("HTTP_X_AMZ_TARGET"), body)
            if path.startswith("/_lifecycle/review/"):
                return self._review(path.removeprefix("/_lifecycle/review/"), body)
            return error_response(404, "UnknownOperationException", f"no route {path}")
        except Exception as exc:  # pragma: no cover - the last line of defence
            return error_response(500, "InternalServerException", f"{type(exc).__name__}: {exc}")

    def _body(self, environ: dict[str, Any]) -> bytes | Response:
        length = environ.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return error_response(411, "ValidationException", "Content-Length must be a number")
        if int(length) > self.max_body:
            return error_response(
                413,
                "ValidationException",
                f"request body of {length} bytes exceeds the limit of {self.max_body}",
            )
        return bytes(environ["wsgi.input"].read(int(length)))

    def _review(self, rest: str, body: bytes) -> Response:
        action, _, registration_id = rest.partition("/")
        if action not in REVIEW_ACTIONS:
            return error_response(
                404, "UnknownOperationException",
                f"unknown reviewer action {action!r}; one of {', '.join(REVIEW_ACTIONS)}",
            )  # fmt: skip

        def call(params: dict[str, Any]) -> dict[str, Any]:
            method: Callable[..., dict[str, Any]] = getattr(self.service.reviewer, action)
            if action != "deny":
                return method(registration_id)
            if "reasons" not in params:
                raise ValidationException.for_field("reasons", "is required")
            return method(registration_id, params["reasons"])

        return answer(body, call)


def serve(
    service: RegistrationService,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    threads: int = 8,
    out: TextIO = sys.stdout,
) -> None:
    """Serve ``service`` until SIGTERM or SIGINT, then close cleanly.

    Prints ``listening on http://HOST:PORT`` (the real port, when ``port`` is 0).
    """
    try:
        from waitress.server import create_server
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "lifecycle serve needs waitress: pip install 'lifecycle[server]'"
        ) from exc
    server = create_server(App(service), host=host, port=port, threads=threads)

    def stop(signum: int, frame: object) -> None:
        server.close()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    print(
        f"listening on http://{server.effective_host}:{server.effective_port}", file=out, flush=True
    )
    try:
        server.run()
    except OSError:  # the loop's sockets were closed under it by the signal handler
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.task_dispatcher.shutdown()
    print("stopped", file=out, flush=True)
