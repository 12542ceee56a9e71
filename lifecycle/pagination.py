"""Pagination: opaque keyset tokens for the describe calls, and botocore-style paginators.

A ``NextToken`` carries the keyset position of the last item a page returned,
encrypted, and a tag that authenticates it together with the operation, the account,
the region and a fingerprint of the query. Nothing in it is readable: not the
account, not the position (a store-wide counter that would tell how many
registrations other accounts created). A forged, altered, re-encoded or foreign token
(another query, operation, account or backend) is refused with Reason
``INVALID_NEXT_TOKEN``.

:class:`Paginator` behaves like botocore's: ``PageSize`` sets ``MaxResults``,
``MaxItems`` truncates and yields a resume token in botocore's own format (base64
JSON with ``boto_truncate_amount``), and ``StartingToken`` resumes from either kind.
:data:`PAGINATORS` names the operations it pages, by the method names botocore's
``get_paginator`` takes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lifecycle.errors import OperationNotPageableError, ValidationException

_NONCE_BYTES = 12
_POSITION_BYTES = 8
_TAG_BYTES = 16
_TOKEN = re.compile(r"[A-Za-z0-9_-]{48}")
"""A token's only spelling: unpadded URL-safe base64 of nonce, position and tag."""


def _invalid(detail: str) -> ValidationException:
    return ValidationException(
        f"Invalid NextToken: {detail}",
        reason="INVALID_NEXT_TOKEN",
        fields=[{"Name": "NextToken", "Message": detail}],
    )


class TokenCodec:
    """Seals keyset positions into tokens with ``key``, and opens them.

    Encrypt-then-MAC with two keys derived from ``key``: the position is XORed with
    HMAC-SHA256(encryption key, random nonce), which is a one-block stream cipher
    with HMAC as its pseudo-random function; HMAC-SHA256(authentication key) then
    tags the scope, the nonce and the sealed position. The standard library is
    enough for this, so the core takes no cryptography dependency.
    """

    def __init__(self, key: bytes) -> None:
        self._encryption_key = hmac.new(key, b"lifecycle NextToken encryption", "sha256").digest()
        self._tag_key = hmac.new(key, b"lifecycle NextToken authentication", "sha256").digest()

    def _pad(self, nonce: bytes) -> int:
        digest = hmac.new(self._encryption_key, nonce, "sha256").digest()
        return int.from_bytes(digest[:_POSITION_BYTES], "big")

    def _tag(self, scope: list[Any], nonce: bytes, sealed: bytes) -> bytes:
        bound = json.dumps(scope, separators=(",", ":")).encode() + nonce + sealed
        return hmac.new(self._tag_key, bound, "sha256").digest()[:_TAG_BYTES]

    def encode(self, scope: list[Any], position: int) -> str:
        """A token for resuming after keyset ``position`` (0 to 2**64 - 1) within ``scope``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = (position ^ self._pad(nonce)).to_bytes(_POSITION_BYTES, "big")
        raw = nonce + sealed + self._tag(scope, nonce, sealed)
        return base64.urlsafe_b64encode(raw).decode()

    def decode(self, token: str, scope: list[Any]) -> int:
        """The keyset position in ``token``, which must have been issued for ``scope``.

        Raises:
            ValidationException: Reason ``INVALID_NEXT_TOKEN``.
        """
        if type(token) is not str or not _TOKEN.fullmatch(token):
            raise _invalid("not a token issued by this service")
        raw = base64.urlsafe_b64decode(token)
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES : _NONCE_BYTES + _POSITION_BYTES]
        if not hmac.compare_digest(raw[-_TAG_BYTES:], self._tag(scope, nonce, sealed)):
            raise _invalid(
                "altered, or issued for another request (operation, account, region or "
                "filters) or by another store"
            )
        return int.from_bytes(sealed, "big") ^ self._pad(nonce)


def query_fingerprint(*parts: object) -> str:
    """A short, stable digest of a query's parameters, for binding tokens to it."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _int_config(name: str, value: object) -> int:
    if type(value) is str and value.isdigit():
        value = int(value)
    if type(value) is not int or value < 1:
        raise ValidationException.for_field(
            f"PaginationConfig.{name}", "must be a positive integer"
        )
    return value


def _encode_resume(token: Mapping[str, Any]) -> str:
    # botocore's TokenEncoder format, so botocore paginators accept our resume tokens.
    return base64.b64encode(json.dumps(token).encode("utf-8")).decode("utf-8")


def _decode_starting(token: str) -> tuple[str | None, int]:
    """(service NextToken, items to skip) of a botocore-style or raw starting token."""
    try:
        data = json.loads(base64.b64decode(token, validate=True).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return token, 0
    if not isinstance(data, dict) or not set(data) <= {"NextToken", "boto_truncate_amount"}:
        return token, 0
    next_token, skip = data.get("NextToken"), data.get("boto_truncate_amount", 0)
    if (next_token is not None and type(next_token) is not str) or type(skip) is not int:
        raise ValidationException.for_field(
            "PaginationConfig.StartingToken", "is not a token this paginator issued"
        )
    return next_token, max(skip, 0)


class PageIterator:
    """The pages of one ``paginate`` call; iterate it, or ``build_full_result()``."""

    def __init__(
        self,
        method: Callable[..., dict[str, Any]],
        result_key: str,
        non_aggregate_keys: tuple[str, ...],
        op_kwargs: dict[str, Any],
        max_items: int | None,
        page_size: int | None,
        starting_token: str | None,
    ) -> None:
        self._method = method
        self._result_key = result_key
        self._non_aggregate_keys = non_aggregate_keys
        self._op_kwargs = op_kwargs
        self._max_items = max_items
        self._page_size = page_size
        self._starting_token = starting_token
        self.resume_token: str | None = None
        """Where to resume when ``MaxItems`` stopped the iteration; else ``None``."""
        self.non_aggregate_part: dict[str, Any] = {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        kwargs = dict(self._op_kwargs)
        next_token, skip = None, 0
        if self._starting_token is not None:
            next_token, skip = _decode_starting(self._starting_token)
        if next_token is not None:
            kwargs["NextToken"] = next_token
        if self._page_size is not None:
            kwargs["MaxResults"] = self._page_size
        total = 0
        first = True
        while True:
            page = self._method(**kwargs)
            if first:
                page[self._result_key] = page[self._result_key][skip:]
                self.non_aggregate_part = {
                    k: page[k] for k in self._non_aggregate_keys if k in page
                }
            else:
                skip = 0
            items = page[self._result_key]
            if self._max_items is not None and total + len(items) > self._max_items:
                keep = self._max_items - total
                page[self._result_key] = items[:keep]
                self.resume_token = _encode_resume(
                    {"NextToken": next_token, "boto_truncate_amount": keep + (skip if first else 0)}
                )
                yield page
                return
            first = False
            total += len(items)
            service_token = page.get("NextToken")
            yield page
            if not service_token:
                return
            if self._max_items is not None and total == self._max_items:
                self.resume_token = _encode_resume({"NextToken": service_token})
                return
            next_token = kwargs["NextToken"] = service_token

    def search(self, expression: str) -> Iterator[Any]:
        """The JMESPath ``expression`` applied to each page, as botocore's
        ``PageIterator.search``: a list result yields its items, anything else itself.

        Raises:
            ImportError: jmespath is not installed (``pip install jmespath``; boto3,
                the ``aws`` extra, brings it).
            ValidationException: ``expression`` is not a JMESPath expression.
        """
        try:  # imported by name: an optional dependency without type information
            jmespath = importlib.import_module("jmespath")
        except ImportError as exc:
            raise ImportError(
                "PageIterator.search needs jmespath: pip install jmespath "
                "(or the aws extra: pip install 'lifecycle[aws]')"
            ) from exc
        if type(expression) is not str:
            raise ValidationException.for_field("expression", "must be a string")
        try:
            compiled = jmespath.compile(expression)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationException.for_field(
                "expression", f"is not a JMESPath expression: {exc}"
            ) from None
        return self._search(compiled)

    def _search(self, compiled: Any) -> Iterator[Any]:
        for page in self:
            result = compiled.search(page)
            if isinstance(result, list):
                yield from result
            else:
                yield result

    def build_full_result(self) -> dict[str, Any]:
        """All pages merged: the result list, the non-aggregate keys, and
        ``NextToken`` (the resume token) if ``MaxItems`` stopped it."""
        items: list[Any] = []
        for page in self:
            items.extend(page[self._result_key])
        result: dict[str, Any] = {self._result_key: items, **self.non_aggregate_part}
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result


class Paginator:
    """Pages through a describe operation, as ``client.get_paginator(name)`` does."""

    def __init__(
        self,
        method: Callable[..., dict[str, Any]],
        result_key: str,
        non_aggregate_keys: tuple[str, ...] = (),
    ) -> None:
        self._method = method
        self._result_key = result_key
        self._non_aggregate_keys = non_aggregate_keys

    def paginate(self, **kwargs: Any) -> PageIterator:
        """An iterable of response pages.

        ``PaginationConfig`` may hold ``MaxItems``, ``PageSize`` and
        ``StartingToken``; every other keyword goes to the operation.
        """
        config = kwargs.pop("PaginationConfig", None) or {}
        if not isinstance(config, Mapping):
            raise ValidationException.for_field("PaginationConfig", "must be a dictionary")
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ValidationException.for_field(
                "PaginationConfig",
                f"unknown key(s) {sorted(map(str, unknown))}; "
                "valid keys are MaxItems, PageSize, StartingToken",
            )
        if "NextToken" in kwargs or "MaxResults" in kwargs:
            raise ValidationException.for_field(
                "NextToken" if "NextToken" in kwargs else "MaxResults",
                "is set by the paginator; use PaginationConfig",
            )
        max_items = config.get("MaxItems")
        page_size = config.get("PageSize")
        starting = config.get("StartingToken")
        if starting is not None and type(starting) is not str:
            raise ValidationException.for_field(
                "PaginationConfig.StartingToken", "must be a string"
            )
        return PageIterator(
            self._method,
            self._result_key,
            self._non_aggregate_keys,
            kwargs,
            None if max_items is None else _int_config("MaxItems", max_items),
            None if page_size is None else _int_config("PageSize", page_size),
            starting,
        )


PAGINATORS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "describe_registrations": ("Registrations", ()),
    "describe_registration_versions": (
        "RegistrationVersions",
        ("RegistrationId", "RegistrationArn"),
    ),
    "describe_registration_type_definitions": ("RegistrationTypeDefinitions", ()),
    "describe_registration_section_definitions": ("RegistrationSectionDefinitions", ()),
    "describe_registration_field_definitions": ("RegistrationFieldDefinitions", ()),
    "describe_registration_field_values": (
        "RegistrationFieldValues",
        ("RegistrationArn", "RegistrationId", "VersionNumber"),
    ),
    "describe_registration_attachments": ("RegistrationAttachments", ()),
    "describe_phone_numbers": ("PhoneNumbers", ()),
    "list_registration_associations": (
        "RegistrationAssociations",
        ("RegistrationId", "RegistrationArn", "RegistrationType"),
    ),
}
"""The operations the service pages, by method name: every one of its operations that
botocore's ``paginators-1.json`` pages. Each has its result key and the keys
``build_full_result`` keeps from the first page (botocore keeps none for either)."""


def can_paginate(operation_name: str) -> bool:
    """Whether :data:`PAGINATORS` has ``operation_name``, a method name as boto3's
    ``can_paginate`` takes it; ``False`` for any other string.

    Raises:
        ValidationException: ``operation_name`` is not a string.
    """
    if type(operation_name) is not str:
        raise ValidationException.for_field("operation_name", "must be a string")
    return operation_name in PAGINATORS


def get_paginator(client: object, operation_name: str) -> Paginator:
    """The paginator of ``client``'s method ``operation_name``, as boto3's
    ``get_paginator`` gives it.

    Raises:
        OperationNotPageableError: ``operation_name`` is not in :data:`PAGINATORS`
            (a ValidationException).
    """
    if not can_paginate(operation_name):
        # botocore takes only method names; point an API name at its method name.
        squashed = {name.replace("_", ""): name for name in PAGINATORS}
        method = squashed.get(operation_name.replace("_", "").lower())
        hint = f" (the method name is {method})" if method else ""
        raise OperationNotPageableError.for_field(
            "operation_name",
            f"operation {operation_name!r} cannot be paginated{hint}; "
            f"paginators: {', '.join(PAGINATORS)}",
            reason="UNKNOWN_OPERATION",
        )
    result_key, non_aggregate_keys = PAGINATORS[operation_name]
    return Paginator(getattr(client, operation_name), result_key, non_aggregate_keys)
