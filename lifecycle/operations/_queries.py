"""What the describe operations share: the default page size, ``Filters`` as sets, and
the paging of an answer, computed whole or asked of the backend by keyset."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lifecycle.errors import ValidationException
from lifecycle.models import Registration
from lifecycle.ports import Page

if TYPE_CHECKING:
    from lifecycle.service import RegistrationService

DEFAULT_MAX_RESULTS = 100
"""Page size of the describe calls when ``MaxResults`` is not given."""


def filter_sets(filters: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Filters by name: values of one filter ORed, repeated names ANDed (intersected)."""
    sets: dict[str, frozenset[str]] = {}
    for f in filters:
        values = frozenset(f["Values"])
        sets[f["Name"]] = sets[f["Name"]] & values if f["Name"] in sets else values
    return sets


def check_version(registration: Registration, number: int, field: str) -> None:
    """Refuse ``number`` (given as ``field``) if ``registration`` has no such version.

    Raises:
        ValidationException: Reason ``UNKNOWN_REGISTRATION_VERSION``.
    """
    if number > registration.current_version_number:
        raise ValidationException.for_field(
            field,
            f"registration {registration.registration_id} has no version {number}",
            reason="UNKNOWN_REGISTRATION_VERSION",
        )


def sorted_or_none(values: Iterable[Any] | None) -> list[Any] | None:
    """``values`` sorted, for a query fingerprint; ``None`` (no such condition) kept."""
    return None if values is None else sorted(values)


def page_of(
    service: RegistrationService,
    operation: str,
    fingerprint: str,
    params: Mapping[str, Any],
    head: dict[str, Any],
    result_key: str,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """The page of ``items`` that ``params`` (``NextToken``, ``MaxResults``) asks for,
    after the members ``head``; a token's position is the number of items before it."""
    scope = [operation, service.account_id, service.region, fingerprint]
    start = service._after(params, scope) or 0
    end = start + params.get("MaxResults", DEFAULT_MAX_RESULTS)
    response = {**head, result_key: items[start:end]}
    if end < len(items):
        response["NextToken"] = service._codec.encode(scope, end)
    return response


def keyset_page_of(
    service: RegistrationService,
    operation: str,
    fingerprint: str,
    params: Mapping[str, Any],
    head: dict[str, Any],
    result_key: str,
    fetch: Callable[[int | None, int], Page[Any]],
) -> dict[str, Any]:
    """The page ``fetch(after, limit)`` returns for ``params`` (``NextToken``,
    ``MaxResults``), its items as dictionaries after the members ``head``; a token's
    position is the backend's keyset position."""
    scope = [operation, service.account_id, service.region, fingerprint]
    page = fetch(service._after(params, scope), params.get("MaxResults", DEFAULT_MAX_RESULTS))
    response = {**head, result_key: [item.to_dict() for item in page.items]}
    if page.next_position is not None:
        response["NextToken"] = service._codec.encode(scope, page.next_position)
    return response
