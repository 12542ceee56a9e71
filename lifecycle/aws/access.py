"""Who may reach ``lifecycle serve`` and its reviewer routes.

:class:`AdminToken` guards the reviewer's admin routes (``Authorization: Bearer
TOKEN``). :func:`bind_warning` is the bind rule: beyond loopback only with a
credentials file. :func:`banner` is what the server says about both at start.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from lifecycle.aws.credentials import Credentials
from lifecycle.aws.protocol import Response, error_response
from lifecycle.errors import ValidationException
from lifecycle.validation import string

ADMIN_TOKEN_ENV = "LIFECYCLE_ADMIN_TOKEN"
"""The environment variable ``serve`` and ``review`` read the admin token from."""

_ADMIN_TOKEN = string(16, 256, r"[!-~]+")


class AdminToken:
    """The secret of the reviewer's admin routes.

    Args:
        value: the token; ``None`` generates one.

    Raises:
        ValidationException: ``value`` is not 16 to 256 visible ASCII characters.
    """

    def __init__(self, value: str | None = None) -> None:
        self.generated = value is None
        """Whether the token was generated (and so must be printed to be known)."""
        self.value: str = (
            secrets.token_urlsafe(32) if value is None else _ADMIN_TOKEN("admin_token", value)
        )
        self._expected = self.value.encode()

    def refusal(self, authorization: str | None) -> Response | None:
        """``None`` if ``authorization`` (the header) is ``Bearer`` and this token, else
        the answer: 403 ``AccessDeniedException``."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        given = token.strip().encode("utf-8", "replace")
        if scheme.lower() == "bearer" and hmac.compare_digest(given, self._expected):
            return None
        if not authorization:
            message = (
                "The reviewer's routes need the admin token, sent as Authorization: Bearer "
                f"TOKEN (lifecycle review --admin-token TOKEN, or {ADMIN_TOKEN_ENV}). "
                "lifecycle serve printed it at start unless it was given one."
            )
        else:
            message = "The Authorization header is not Bearer and this server's admin token."
        return error_response(403, "AccessDeniedException", message)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``.

    Only these canonical forms count: any other (``0x7f000001``, ``127.1``, a name that
    resolves to 127.0.0.1) is taken as beyond loopback, so the bind rule may refuse a
    loopback bind but never allows a wider one. ``lifecycle serve`` refuses the numeric
    forms outright."""
    name = host.removeprefix("[").removesuffix("]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a name: it may resolve to anything
        return False


def bind_warning(host: str, credentials: Credentials) -> str | None:
    """The warning to print before serving on ``host``: ``None`` on loopback.

    Raises:
        ValidationException: ``host`` is not loopback and ``credentials`` are the
            test credential, which anyone knows.
    """
    if is_loopback(host):
        return None
    if credentials.is_test:
        raise ValidationException.for_field(
            "host",
            f"{host!r} is not loopback (127.0.0.0/8, ::1, localhost); serving beyond this "
            "machine needs a credentials file (--credentials FILE), not the test credential",
        )
    return (
        f"lifecycle: warning: {host} is reachable from the network; only the "
        f"{len(credentials)} access key(s) of {credentials.path} are accepted"
    )


def banner(credentials: Credentials, admin_token: AdminToken) -> list[str]:
    """The lines that tell the server's users how to reach it: the test credential
    (when it is the one accepted) and the admin token (when generated)."""
    if credentials.is_test:
        key = next(iter(credentials))
        lines = [
            f"test credential: access key {key.access_key_id}, secret "
            f"{key.secret_access_key}, account {key.account_id}, any region"
        ]
    else:
        lines = [f"credentials: {len(credentials)} access key(s) from {credentials.path}"]
    if admin_token.generated:
        lines.append(
            f"admin token: {admin_token.value} (send it as Authorization: Bearer TOKEN, or "
            f"lifecycle review --admin-token TOKEN)"
        )
    return lines
