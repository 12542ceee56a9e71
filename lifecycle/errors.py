"""The exceptions of the library, one per AWS error code of ``pinpoint-sms-voice-v2``,
and the boto3 envelope every answer of the service wears.

Each exception carries the AWS fields of its error shape and, like botocore's
``ClientError``, a ``response`` dictionary and an ``operation_name``, so workflow code
written against a boto3 client handles it unchanged. Where botocore is installed the
exceptions also subclass ``botocore.exceptions.ClientError``, so ``except ClientError``
catches them; the library itself never needs botocore. Every refused call raises one
of these and changes nothing.

:func:`operation` gives each user operation of the service the rest of boto3's shape:
its answer carries ``ResponseMetadata``, and an error it raises names the operation.
It also refuses a call made from inside a commit (:class:`ReentrantCallError`).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, Self

if TYPE_CHECKING:
    _ClientError = Exception
else:
    try:
        from botocore.exceptions import ClientError as _ClientError
    except ImportError:  # pragma: no cover - depends on the installed extras
        _ClientError = Exception

CONTENT_TYPE = "application/x-amz-json-1.0"
"""The content type of the AWS JSON 1.0 protocol."""

P = ParamSpec("P")


class _RequestIds:
    """Random request ids in UUID version 4 form.

    An id tells nothing of the requests before it: no process prefix, no counter. One
    ``os.urandom`` call per :data:`BATCH` ids keeps the cost near a counter's (a
    ``uuid4`` per call would cost a quarter of a state-changing call); a forked child
    drops its parent's unused ids, so processes never share one.
    """

    BATCH = 256
    _FIXED = ((8, b"-"), (13, b"-"), (14, b"4"), (18, b"-"), (19, b"a"), (23, b"-"))
    """The characters every id has at these positions: version 4, variant digit "a"."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        """The ids drawn and not yet taken."""
        os.register_at_fork(after_in_child=self.ids.clear)

    @classmethod
    def _draw(cls) -> list[str]:
        # 36 random hex digits per id, then the fixed characters written over all ids
        # at once (extended slices): a quarter of the cost of formatting each id from
        # five slices. 30 random digits remain in each id.
        text = bytearray(os.urandom(18 * cls.BATCH).hex(), "ascii")
        for position, char in cls._FIXED:
            text[position::36] = char * cls.BATCH
        ids = text.decode("ascii")
        return [ids[i : i + 36] for i in range(0, len(ids), 36)]

    def take(self) -> str:
        """A fresh id. (:func:`response_metadata` pops ``ids`` itself, and calls this
        only when they ran out: one Python call less on every answer.)"""
        try:
            return self.ids.pop()  # atomic: two threads never take the same id
        except IndexError:
            self.ids.extend(self._draw())
            return self.take()


_request_ids = _RequestIds()


def response_metadata(status: int = 200, error_code: str | None = None) -> dict[str, Any]:
    """boto3's ``ResponseMetadata`` of one answer with HTTP ``status``.

    A new ``RequestId``, the ``HTTPHeaders`` the JSON protocol sends for it (names
    lowercased, as botocore reports them; ``x-amzn-errortype`` for an error) and
    ``RetryAttempts`` 0.
    """
    try:
        request_id = _request_ids.ids.pop()
    except IndexError:
        request_id = _request_ids.take()
    headers = {"content-type": CONTENT_TYPE, "x-amzn-requestid": request_id}
    if error_code is not None:
        headers["x-amzn-errortype"] = error_code
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": headers,
        "RetryAttempts": 0,
    }


def one_line(message: str) -> str:
    """``message`` on one line: its non-blank lines, stripped, joined by ``"; "`` (a
    driver's hint on its next line, say)."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


class LifecycleError(_ClientError):
    """Base class of every error the library raises on purpose.

    Attributes mirror the AWS error shapes: ``code`` is the AWS error name, and
    ``reason``, ``resource_type``, ``resource_id`` and ``fields`` are set where the
    AWS shape has them. ``operation_name`` is the API name (``CreateRegistration``)
    when the error came out of a user operation of the service, else ``None``.
    """

    code: ClassVar[str] = "LifecycleError"
    http_status: ClassVar[int] = 400
    """The HTTP status of this error: 400 for client errors, 500 for the one fault.

    botocore's model sets no status codes for this service, so the JSON protocol's
    defaults apply."""
    members: ClassVar[tuple[str, ...]] = ("Reason", "ResourceType", "ResourceId", "Fields")
    """The members of the AWS error shape besides ``Message``. Only these reach
    :meth:`to_dict`, ``response`` and the wire, as only these reach a boto3 client."""

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        fields: Sequence[Mapping[str, str]] = (),
    ) -> None:
        # Not ClientError.__init__, which wants a whole response: the message is ours.
        Exception.__init__(self, message)
        self.message = message
        self.reason = reason
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.fields: tuple[dict[str, str], ...] = tuple(dict(f) for f in fields)
        self.operation_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The error as AWS's JSON body: ``Message`` plus the set members of the shape."""
        values = {
            "Reason": self.reason,
            "ResourceType": self.resource_type,
            "ResourceId": self.resource_id,
            "Fields": [dict(f) for f in self.fields] or None,
        }
        body: dict[str, Any] = {"Message": self.message}
        body.update((k, v) for k, v in values.items() if v is not None and k in self.members)
        return body

    @functools.cached_property
    def response(self) -> dict[str, Any]:
        """The error as botocore's ``ClientError.response``: ``Error`` (``Code`` and
        ``Message``), the shape's members at the top level (:meth:`to_dict`), and
        ``ResponseMetadata`` with the HTTP status and a request id. Made once, on
        first use."""
        metadata = response_metadata(self.http_status, self.code)
        response: dict[str, Any] = {
            "Error": {"Message": self.message, "Code": self.code},
            "ResponseMetadata": metadata,
            **self.to_dict(),
        }
        if "RequestId" in self.members:
            response["RequestId"] = metadata["RequestId"]
        return response

    def __reduce__(self) -> tuple[Any, ...]:
        # ClientError pickles as a plain ClientError; keep the class and every field.
        return type(self), (self.message,), self.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class ValidationException(LifecycleError):
    """A request parameter breaks a rule; ``fields`` names each one and its rule."""

    code = "ValidationException"
    members = ("Reason", "Fields")

    @classmethod
    def for_field(cls, name: str, rule: str, *, reason: str = "FIELD_VALIDATION_FAILED") -> Self:
        """One offending field ``name`` that breaks ``rule``."""
        return cls(
            f"Invalid parameter {name}: {rule}",
            reason=reason,
            fields=[{"Name": name, "Message": rule}],
        )


class OperationNotPageableError(ValidationException):
    """``get_paginator`` has no paginator for the name it was given (botocore raises
    its error of the same name there)."""


class ConflictException(LifecycleError):
    """The action is not legal in the resource's current state."""

    code = "ConflictException"
    members = ("Reason", "ResourceType", "ResourceId")


class ResourceNotFoundException(LifecycleError):
    """No such resource in this account and region (or it is deleted, for mutations)."""

    code = "ResourceNotFoundException"
    members = ("ResourceType", "ResourceId")


class ServiceQuotaExceededException(LifecycleError):
    """An account quota would be exceeded."""

    code = "ServiceQuotaExceededException"
    members = ("Reason",)


class AccessDeniedException(LifecycleError):
    """The resource belongs to another account or region."""

    code = "AccessDeniedException"
    members = ("Reason",)


class ThrottlingException(LifecycleError):
    """Too many requests; retry with backoff."""

    code = "ThrottlingException"
    members = ()


class InternalServerException(LifecycleError):
    """The backend failed; the call changed nothing. Its shape carries the ``RequestId``."""

    code = "InternalServerException"
    http_status = 500
    members = ("RequestId",)


class ReentrantCallError(LifecycleError):
    """A transactional subscriber called a service or a backend; the call did nothing.

    Such a subscriber runs inside the commit of the call that fired it, while that
    commit's transaction holds its locks: a call from there would wait for that commit
    forever, or write outside it. So, on every backend:

    - a call on the subscriber's own thread, to any service or backend (a read, a
      write, a reviewer event, an Outbox, ``verify``), raises this error at once;
    - a call the subscriber hands to another thread and waits for (``Thread.join``,
      an executor) cannot be told from any other caller's. If it needs a lock the
      commit holds (a write, say), it waits for it, and fails with
      InternalServerException when the backend's lock timeout runs out (10 s by
      default: the ``timeout`` of SQLite and of the in-memory backend, PostgreSQL's
      ``lock_timeout``).

    Either way the inner call writes nothing, and if the subscriber lets the error
    propagate, the outer call fails and writes nothing either. Call services from a
    plain subscriber, which runs after the commit, or from an Outbox instead.

    It is the caller's programming error, not a fault of the service: HTTP 400, so
    botocore does not retry it.
    """

    code = "ReentrantCallError"
    members = ()

    @classmethod
    def refuse(cls, call: str) -> ReentrantCallError:
        """The error of ``call`` (``CreateRegistration``, ``reviewer.approve``)."""
        return cls(
            f"{call} was called from a transactional subscriber, which runs inside the "
            "commit of another call: nothing was done. Call the service from a plain "
            "subscriber (it runs after the commit) or from an Outbox instead."
        )


class _CommitScope(threading.local):
    """Whether this thread is inside a commit, running its transactional subscribers."""

    active = False


inside_commit = _CommitScope()
"""Set by the service while it runs transactional subscribers; every call of a service
or a backend refuses to run while it is set (:class:`ReentrantCallError`)."""


def outside_commit(caller: str) -> None:
    """Refuse (:class:`ReentrantCallError`, naming ``caller``) a call made on a thread
    that runs transactional subscribers: a backend's entry points call this first."""
    if inside_commit.active:
        raise ReentrantCallError.refuse(caller)


ERRORS_BY_CODE: Mapping[str, type[LifecycleError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        ConflictException,
        ResourceNotFoundException,
        ServiceQuotaExceededException,
        AccessDeniedException,
        ThrottlingException,
        InternalServerException,
    )
}
"""Each error class by its AWS code."""


class ClientExceptions:
    """The library's exceptions by AWS code, as boto3's ``client.exceptions`` offers
    them: ``service.exceptions.ConflictException``, ``service.exceptions.ClientError``
    (the base class) and :meth:`from_code`."""

    ClientError = LifecycleError
    AccessDeniedException = AccessDeniedException
    ConflictException = ConflictException
    InternalServerException = InternalServerException
    ResourceNotFoundException = ResourceNotFoundException
    ServiceQuotaExceededException = ServiceQuotaExceededException
    ThrottlingException = ThrottlingException
    ValidationException = ValidationException

    def from_code(self, error_code: str) -> type[LifecycleError]:
        """The exception class of ``error_code``; ``ClientError`` for any other code."""
        return ERRORS_BY_CODE.get(error_code, LifecycleError)


EXCEPTIONS = ClientExceptions()
"""The one :class:`ClientExceptions`: ``RegistrationService.exceptions``."""


def operation(method: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """Give a user operation boto3's shapes.

    Its answer gains ``ResponseMetadata`` (top level only), and a
    :class:`LifecycleError` it raises gets ``operation_name``: the API name, read from
    the method's (``submit_registration_version`` is ``SubmitRegistrationVersion``).
    Called from inside a commit, it raises :class:`ReentrantCallError`.
    """
    name = "".join(part.capitalize() for part in method.__name__.split("_"))

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        try:
            if inside_commit.active:
                raise ReentrantCallError.refuse(name)
            response = method(*args, **kwargs)
        except LifecycleError as exc:
            if exc.operation_name is None:  # the innermost operation names it
                exc.operation_name = name
            raise
        response["ResponseMetadata"] = response_metadata()  # operations answer fresh dicts
        return response

    return call


__all__ = [
    "CONTENT_TYPE",
    "ERRORS_BY_CODE",
    "EXCEPTIONS",
    "AccessDeniedException",
    "ClientExceptions",
    "ConflictException",
    "InternalServerException",
    "LifecycleError",
    "OperationNotPageableError",
    "ReentrantCallError",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
    "one_line",
    "operation",
    "outside_commit",
    "response_metadata",
]
