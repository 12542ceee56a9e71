"""Real AWS clients drive the library.

:func:`client` returns a genuine boto3 client for ``pinpoint-sms-voice-v2`` whose
requests are answered in process by a :class:`~lifecycle.RegistrationService`:
botocore's own serializer, parser, paginators, waiters and exception classes, no
network and no real credentials; :func:`waiter` gives any such client, the real one
too, this library's waiters. Needs the ``aws`` extra (boto3).
"""

from __future__ import annotations

from typing import Any

from lifecycle import waiters
from lifecycle.aws.protocol import handle
from lifecycle.service import RegistrationService

SERVICE_NAME = "pinpoint-sms-voice-v2"


def client(service: RegistrationService | None = None, **client_kwargs: Any) -> Any:
    """A boto3 ``pinpoint-sms-voice-v2`` client answered by ``service``.

    Args:
        service: the service that answers (default: a new one, in memory).
        client_kwargs: passed to ``boto3.client``; the region defaults to the
            service's, the credentials to dummy ones.

    Raises:
        ImportError: boto3 is not installed (``pip install 'lifecycle[aws]'``).
    """
    try:
        import boto3
        from botocore.awsrequest import AWSResponse
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("lifecycle.aws needs boto3: pip install 'lifecycle[aws]'") from exc
    service = RegistrationService() if service is None else service
    client_kwargs.setdefault("region_name", service.region)
    client_kwargs.setdefault("aws_access_key_id", "lifecycle")
    client_kwargs.setdefault("aws_secret_access_key", "lifecycle")
    boto_client = boto3.session.Session().client(SERVICE_NAME, **client_kwargs)

    def answer(request: Any, **_: Any) -> Any:
        target = request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        status, headers, body = handle(service, target, request.body)
        return AWSResponse(request.url, status, headers, _Raw(body))

    boto_client.meta.events.register(f"before-send.{SERVICE_NAME}", answer)
    return boto_client


def waiter(boto_client: Any, waiter_name: str) -> Any:
    """The waiter ``waiter_name`` of :mod:`lifecycle.waiters` (``registration_complete``,
    ``registration_requires_updates``, ``registration_version_approved``,
    ``phone_number_active``) on ``boto_client``, any boto3 client of
    ``pinpoint-sms-voice-v2`` (the real one too): a botocore ``Waiter``, so
    ``.wait(RegistrationIds=[...], WaiterConfig={...})``.

    Raises:
        ValidationException: no waiter by that name.
    """
    return waiters.waiter(waiter_name, lambda method: getattr(boto_client, method))


class _Raw:
    """The raw body botocore's AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        body, self._body = self._body, b""
        return body


from lifecycle.aws.mock import Mock, mock  # noqa: E402 - it reads this module's _Raw

__all__ = ["SERVICE_NAME", "Mock", "client", "mock", "waiter"]
