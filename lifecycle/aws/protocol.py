"""The AWS JSON 1.0 protocol of ``pinpoint-sms-voice-v2``, answered by a service.

:func:`handle` takes what an SDK sends (the ``X-Amz-Target`` header and the JSON
body) and returns what AWS would answer: the HTTP status, headers and JSON body,
errors included. The in-process boto3 client and ``lifecycle serve`` both use it, so
they answer the same bytes. An answer's ``ResponseMetadata`` travels as headers, never
in the body: its ``RequestId`` is the ``x-amzn-RequestId`` botocore reads back.

A body is UTF-8 JSON holding one object whose members are the operation's input
members; anything else (another encoding, a non-object, nesting too deep for the
parser, ``NaN``, a member the model does not have, such as ``self``) is the client's
mistake and answers 400 in AWS's error shape.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lifecycle.errors import CONTENT_TYPE, LifecycleError, ValidationException, response_metadata
from lifecycle.machines import ATTACHMENT_EVENTS, EVENTS, PHONE_NUMBER_EVENTS
from lifecycle.operations import OPERATIONS as OPERATIONS  # re-exported: protocol.OPERATIONS
from lifecycle.service import RegistrationService
from lifecycle.validation import BLOBS, reject_unknown
from lifecycle.validation import OPERATIONS as MEMBERS

TARGET_PREFIX = "PinpointSMSVoiceV2."
NAMESPACE = "com.amazonaws.pinpointsmsvoicev2"

Response = tuple[int, dict[str, str], bytes]
"""An answer: HTTP status, headers and body."""

WRITES: frozenset[str] = frozenset(
    op
    for events in (EVENTS, ATTACHMENT_EVENTS, PHONE_NUMBER_EVENTS)
    for spec in events.values()
    for op in spec.operations
)
"""The operations that change state: those that fire an event of the machines."""


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()  # the JSON protocol sends timestamps as epoch seconds
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(body: Mapping[str, Any]) -> bytes:
    """``body`` as the protocol's JSON (timestamps as epoch seconds)."""
    return json.dumps(body, default=_default, separators=(",", ":")).encode()


def error_response(status: int, code: str, message: str, **fields: Any) -> Response:
    """A whole AWS-style error answer: status, headers and a JSON body with ``__type``,
    ``Message`` (the model's member, which botocore also reads as ``Error.Message``)
    and ``fields``."""
    return _error(code, {"Message": message, **fields}, response_metadata(status, code))


def _error(code: str, members: Mapping[str, Any], metadata: Mapping[str, Any]) -> Response:
    return _answer({"__type": f"{NAMESPACE}#{code}", **members}, metadata)


def _answer(body: Mapping[str, Any], metadata: Mapping[str, Any]) -> Response:
    """``body`` sent with the status and headers of ``metadata`` (a ResponseMetadata)."""
    return metadata["HTTPStatusCode"], dict(metadata["HTTPHeaders"]), encode(body)


def lifecycle_error_response(exc: LifecycleError) -> Response:
    """``exc`` as a whole AWS-style error answer, with its status and request id."""
    error = exc.response
    members = {k: v for k, v in error.items() if k not in ("Error", "ResponseMetadata")}
    return _error(exc.code, members, error["ResponseMetadata"])


def handle(service: RegistrationService, target: str | None, body: bytes) -> Response:
    """Answer one request: ``(status, headers, body)``.

    Unknown operations, bodies :func:`parse` refuses, members the operation does not
    have and every :class:`~lifecycle.errors.LifecycleError` become AWS-style JSON
    errors; nothing else escapes.
    """
    if not target or not target.startswith(TARGET_PREFIX):
        return error_response(
            400,
            "UnknownOperationException",
            f"X-Amz-Target must be {TARGET_PREFIX}<Operation>, got {target!r}",
        )
    operation = target[len(TARGET_PREFIX) :]
    method = OPERATIONS.get(operation)
    if method is None:
        return error_response(
            400,
            "UnknownOperationException",
            f"{operation} is not provided by lifecycle, which implements only the "
            f"registration lifecycle: {', '.join(OPERATIONS)}.",
        )
    members = MEMBERS[operation]
    blobs = BLOBS[operation]
    bound: Callable[..., Mapping[str, Any]] = getattr(service, method)

    def call(params: dict[str, Any]) -> Mapping[str, Any]:
        # Only the model's members reach the keyword call: ``self`` is refused here,
        # not bound as the method's own.
        if not params.keys() <= members.keys():
            reject_unknown(params, members)
        for name in blobs & params.keys():
            params[name] = decode_blob(name, params[name])
        return bound(**params)

    return answer(body, call)


def decode_blob(name: str, value: object) -> object:
    """A blob member's bytes from its base64 text (other values go on to the rule)."""
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise ValidationException.for_field(name, "must be base64 text") from None


_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]*)", re.IGNORECASE)


def content_type_error(content_type: str | None) -> Response | None:
    """The error answer to a request whose ``Content-Type`` is not AWS JSON 1.0's
    (``application/x-amz-json-1.0``, with parameters, if any, naming UTF-8 only), or
    ``None`` when it is."""
    media_type, _, parameters = (content_type or "").partition(";")
    charset = _CHARSET.search(parameters)
    if media_type.strip().lower() == CONTENT_TYPE and (
        charset is None or charset[1].lower() == "utf-8"
    ):
        return None
    return error_response(
        400,
        "SerializationException",
        f"Content-Type must be {CONTENT_TYPE} (UTF-8), got {content_type!r}",
    )


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}  # fmt: skip


_TOO_DEEP = "The request body is nested too deeply."


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def parse(body: bytes) -> dict[str, Any]:
    """The JSON object ``body`` holds (``{}`` for an empty body).

    Raises:
        ValueError: ``body`` is not UTF-8, not JSON, nested too deep, or not an object;
            the message says which.
    """
    try:
        text = body.decode("utf-8")  # json.loads would also guess UTF-16 and UTF-32
    except UnicodeDecodeError as exc:
        raise ValueError(f"The request body is not UTF-8: {exc}") from None
    try:
        params = json.loads(text or "{}", parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except ValueError as exc:
        raise ValueError(f"The request body is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(
            f"The request body must be a JSON object, got {_JSON_TYPES[type(params)]}."
        )
    return params


def answer(body: bytes, call: Callable[[dict[str, Any]], Mapping[str, Any]]) -> Response:
    """``call`` with ``body``'s JSON object, and its result as a whole answer.

    A body :func:`parse` refuses and every :class:`~lifecycle.errors.LifecycleError`
    ``call`` raises become AWS-style JSON errors.
    """
    try:
        params = parse(body)
    except ValueError as exc:
        return error_response(400, "SerializationException", str(exc))
    try:
        result = dict(call(params))
    except LifecycleError as exc:
        return lifecycle_error_response(exc)
    except RecursionError:  # a value just shallow enough to parse, shown in an error message
        return error_response(400, "SerializationException", _TOO_DEEP)
    metadata = result.pop("ResponseMetadata", None) or response_metadata()
    return _answer(result, metadata)
