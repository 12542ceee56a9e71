"""``lifecycle serve``: the AWS JSON 1.0 endpoint over HTTP, for any SDK or the AWS CLI.

A plain WSGI application served by waitress (the ``server`` extra). ``POST /`` with
``X-Amz-Target: PinpointSMSVoiceV2.<Operation>`` answers as AWS does, for the account
of the request's SigV4-signing access key in its signing region
(:mod:`lifecycle.aws.sigv4`, :mod:`lifecycle.aws.accounts`). The admin routes let a
test in any language play the reviewer, with the admin token
(:mod:`lifecycle.aws.access`):

- ``POST /_lifecycle/review/<action>/<registration-id-or-arn>``: a reviewer action
  (``begin_review``, ``approve``, ``deny``, ...) on the registration, in whichever
  account holds it; for ``deny``, the JSON body is
  ``{"reasons": [{"Reason": ..., "ShortDescription": ...}]}``, and may flag fields with
  ``"fields": {"<field path>": {"DeniedReason": ..., "Feedback": ...}}``. Answers the
  registration as ``DescribeRegistrations`` shows it.
- ``GET /_lifecycle/health``: ``{"status": "ok"}`` (``HEAD`` too), to anyone.

:func:`serve` runs it on waitress with the limits of :mod:`lifecycle.aws.waitress_edge`,
an access log (:mod:`lifecycle.aws.access_log`), and at most ``threads`` minus
:data:`RESERVED_THREADS` writes at once (:mod:`lifecycle.aws.write_slots`).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from http import HTTPStatus
from typing import Any, TextIO

from lifecycle.aws import access, access_log
from lifecycle.aws.accounts import Accounts
from lifecycle.aws.credentials import Credentials
from lifecycle.aws.protocol import (
    TARGET_PREFIX,
    WRITES,
    Response,
    answer,
    content_type_error,
    decode_blob,
    error_response,
    handle,
    lifecycle_error_response,
)
from lifecycle.aws.sigv4 import AuthFailure, InvalidSignature, Verifier
from lifecycle.aws.write_slots import WriteSlots
from lifecycle.errors import ThrottlingException, ValidationException
from lifecycle.machines import ALSO_BY_REVIEWER, ATTACHMENT_EVENTS, EVENTS
from lifecycle.statuses import Actor
from lifecycle.validation import reject_unknown

MAX_BODY = 1024 * 1024
"""The largest request body accepted (bytes); larger ones get 413."""

UPLOAD_ACTIONS: tuple[str, ...] = tuple(
    name for name, spec in ATTACHMENT_EVENTS.items() if spec.actor is Actor.SYSTEM
)
"""The system's events of an attachment, read from its machine (the admin route takes
an attachment id or ARN for these)."""

REVIEW_ACTIONS: tuple[str, ...] = (
    *(name for name, spec in EVENTS.items() if spec.actor is Actor.REVIEWER),
    *ALSO_BY_REVIEWER,
    *UPLOAD_ACTIONS,
)
"""The reviewer's events (and the system's it fires too) and the attachment's system
events, read from the machines: the admin route's actions."""

HEALTH_PATH = "/_lifecycle/health"
REVIEW_PREFIX = "/_lifecycle/review/"

RESERVED_THREADS = 2
"""Threads :func:`serve` keeps from writes, for health checks and reads."""

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class App:
    """The WSGI application answering for ``accounts``.

    An authenticated request's account and region are set in its WSGI environ as
    ``lifecycle.account_id`` and ``lifecycle.region``.

    Args:
        accounts: the services that answer, by account and region.
        verifier: checks the SigV4 signature of each API request.
        admin_token: the secret of the reviewer's routes.
        max_body: the largest request body accepted (bytes).
        write_limit: at most this many state-changing requests at once; one more
            answers ThrottlingException (default: no limit).
    """

    def __init__(
        self,
        accounts: Accounts,
        verifier: Verifier,
        admin_token: access.AdminToken,
        max_body: int = MAX_BODY,
        *,
        write_limit: int | None = None,
    ) -> None:
        self.accounts = accounts
        self.verifier = verifier
        self.admin_token = admin_token
        self.max_body = max_body
        self.write_slots = WriteSlots(write_limit) if write_limit is not None else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self.respond(environ)
        if environ.get("REQUEST_METHOD") == "HEAD":  # the headers of GET, without the body
            headers["Content-Length"], body = str(len(body)), b""
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [body]

    def respond(self, environ: dict[str, Any]) -> Response:
        """``(status, headers, body)`` for one request; never raises."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        try:
            if path == HEALTH_PATH and method in ("GET", "HEAD"):
                return 200, {"Content-Type": "application/json"}, b'{"status":"ok"}'
            if method != "POST":
                return error_response(
                    405, "UnknownOperationException", f"{method} {path} is not served"
                )
            if path == "/" and (refused := content_type_error(environ.get("CONTENT_TYPE"))):
                return refused
            reviewing = path.startswith(REVIEW_PREFIX)
            if reviewing and (
                refused := self.admin_token.refusal(environ.get("HTTP_AUTHORIZATION"))
            ):
                return refused
            body = self._body(environ)
            if isinstance(body, tuple):
                return body
            if path == "/":
                return self._operation(environ, body)
            if reviewing:
                with self._slot(True):
                    return self._review(path.removeprefix(REVIEW_PREFIX), body, environ)
            return error_response(404, "UnknownOperationException", f"no route {path}")
        except ThrottlingException as exc:
            return lifecycle_error_response(exc)
        except Exception as exc:  # pragma: no cover - the last line of defence
            return error_response(500, "InternalServerException", f"{type(exc).__name__}: {exc}")

    @staticmethod
    def operation(environ: dict[str, Any]) -> str:
        """What a request asks for, as the access log names it: the API operation
        (``CreateRegistration``), ``review:<action>``, ``health``, or ``METHOD:path``."""
        path = str(environ.get("PATH_INFO", ""))
        if path == "/":
            return str(environ.get("HTTP_X_AMZ_TARGET", "")).removeprefix(TARGET_PREFIX)
        if path == HEALTH_PATH:
            return "health"
        if path.startswith(REVIEW_PREFIX):
            return "review:" + path.removeprefix(REVIEW_PREFIX).partition("/")[0]
        return f"{environ.get('REQUEST_METHOD', '')}:{path}"

    @contextmanager
    def _slot(self, write: bool) -> Iterator[None]:
        """A write slot for a write (raises ThrottlingException when none is free)."""
        with self.write_slots.slot() if write and self.write_slots else nullcontext():
            yield

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

    def _operation(self, environ: dict[str, Any], body: bytes) -> Response:
        """An API request: authenticated, then answered by its account's service."""
        try:
            caller = self.verifier.verify(environ, body)
            service = self.accounts.service(caller.account_id, caller.region)
        except AuthFailure as exc:
            return exc.answer()
        except ValidationException:  # the account is checked: the region is not a region
            message = f"Credential should be scoped to a valid region, not {caller.region!r}."
            return InvalidSignature(message).answer()
        environ.update(
            {access_log.ACCOUNT_KEY: caller.account_id, "lifecycle.region": caller.region}
        )
        target = environ.get("HTTP_X_AMZ_TARGET")
        with self._slot((target or "").removeprefix(TARGET_PREFIX) in WRITES):
            return handle(service, target, body)

    def _review(self, rest: str, body: bytes, environ: dict[str, Any]) -> Response:
        """A reviewer action on a registration (an upload action on an attachment);
        ``complete_upload`` takes the fetched file as ``{"body": BASE64}``."""
        action, _, registration_id = rest.partition("/")
        if action not in REVIEW_ACTIONS:
            return error_response(
                404, "UnknownOperationException",
                f"unknown reviewer action {action!r}; one of {', '.join(REVIEW_ACTIONS)}",
            )  # fmt: skip

        def call(params: dict[str, Any]) -> dict[str, Any]:
            if action == "deny" and "reasons" not in params:
                raise ValidationException.for_field("reasons", "is required")
            service = self.accounts.owner(registration_id)
            environ.update(
                {access_log.ACCOUNT_KEY: service.account_id, "lifecycle.region": service.region}
            )
            method: Callable[..., dict[str, Any]] = getattr(service.reviewer, action)
            if action == "complete_upload":
                reject_unknown(params, ["body"])
                fetched = params.get("body")
                return method(
                    registration_id, None if fetched is None else decode_blob("body", fetched)
                )
            if action != "deny":
                return method(registration_id)
            return method(registration_id, params["reasons"], fields=params.get("fields"))

        return answer(body, call)


def listen_urls(server: Any) -> list[str]:
    """The URL of each address a waitress ``server`` listens on (a host name may
    resolve to several: ``localhost`` to ``::1`` and ``127.0.0.1``)."""
    addresses = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]
    return [
        f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        for host, port in addresses
    ]


def serve(
    accounts: Accounts,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    credentials: Credentials | None = None,
    admin_token: str | None = None,
    threads: int = 16,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    log_level: str | None = None,
) -> None:
    """Serve ``accounts`` until SIGTERM or SIGINT, then close cleanly.

    Requests must be signed by one of ``credentials`` (default: the test credential,
    ``lifecycle``/``lifecycle``, of account 123456789012); the reviewer's routes need
    ``admin_token`` (default: a generated one). Prints the test credential and a
    generated token, then ``listening on http://HOST:PORT`` for each address
    (the real port, when ``port`` is 0); beyond loopback, a warning on ``err``. With ``log_level``
    (``"info"``, ...), log records of that level and above, the access log included,
    go to stderr; without it, logging is left as configured.

    Raises:
        ValidationException: ``host`` is not loopback and ``credentials`` are the test
            credential, or ``admin_token`` is malformed.
    """
    credentials = Credentials.test() if credentials is None else credentials
    token = access.AdminToken(admin_token)
    warning = access.bind_warning(host, credentials)
    try:
        from lifecycle.aws.waitress_edge import create_server, run
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "lifecycle serve needs waitress: pip install 'lifecycle[server]'"
        ) from exc
    if log_level is not None:
        access_log.configure(log_level)
    app = App(
        accounts, Verifier(credentials), token, write_limit=max(1, threads - RESERVED_THREADS)
    )
    sockets: dict[int, Any] = {}
    server = create_server(
        access_log.AccessLog(app, App.operation),
        host,
        port,
        threads=threads,
        max_body=app.max_body,
        map=sockets,
    )
    if warning is not None:
        print(warning, file=err, flush=True)
    for line in access.banner(credentials, token):
        print(line, file=out)

    stopping = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stopping.set())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    for url in listen_urls(server):
        print(f"listening on {url}", file=out, flush=True)
    try:
        run(server, sockets, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped", file=out, flush=True)
