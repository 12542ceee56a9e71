"""The AWS JSON 1.0 protocol of ``pinpoint-sms-voice-v2``, answered by a service.

:func:`handle` takes what an SDK sends (the ``X-Amz-Target`` header and the JSON
body) and returns what AWS would answer: the HTTP status, headers and JSON body,
errors included. The in-process boto3 client and ``lifecycle serve`` both use it, so
they answer the same bytes. An answer's ``ResponseMetadata`` travels as headers, never
in the body: its ``RequestId`` is the ``x-amzn-RequestId`` botocore reads back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lifecycle.errors import LifecycleError, response_metadata
from lifecycle.service import RegistrationService

TARGET_PREFIX = "PinpointSMSVoiceV2."
NAMESPACE = "com.amazonaws.pinpointsmsvoicev2"

Response = tuple[int, dict[str, str], bytes]
"""An answer: HTTP status, headers and body."""

OPERATIONS: Mapping[str, str] = {
    "CreateRegistration": "create_registration",
    "CreateRegistrationVersion": "create_registration_version",
    "SubmitRegistrationVersion": "submit_registration_version",
    "DiscardRegistrationVersion": "discard_registration_version",
    "DeleteRegistration": "delete_registration",
    "DescribeRegistrations": "describe_registrations",
    "DescribeRegistrationVersions": "describe_registration_versions",
}
"""The operations the library answers, by API name, with the service method of each."""


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


def handle(service: RegistrationService, target: str | None, body: bytes) -> Response:
    """Answer one request: ``(status, headers, body)``.

    Unknown operations, malformed JSON and every :class:`~lifecycle.errors.LifecycleError`
    become AWS-style JSON errors; nothing else escapes.
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
    return answer(body, lambda params: getattr(service, method)(**params))


def answer(body: bytes, call: Callable[[dict[str, Any]], Mapping[str, Any]]) -> Response:
    """``call`` with ``body``'s JSON object, and its result as a whole answer.

    Malformed JSON and every :class:`~lifecycle.errors.LifecycleError` ``call`` raises
    become AWS-style JSON errors.
    """
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(400, "SerializationException", f"The request body is not JSON: {exc}")
    if not isinstance(params, dict):
        return error_response(
            400, "SerializationException", "The request body must be a JSON object."
        )
    try:
        result = dict(call(params))
    except LifecycleError as exc:
        error = exc.response
        members = {k: v for k, v in error.items() if k not in ("Error", "ResponseMetadata")}
        return _error(exc.code, members, error["ResponseMetadata"])
    metadata = result.pop("ResponseMetadata", None) or response_metadata()
    return _answer(result, metadata)
