"""The registration types a service accepts: a built-in set that users extend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lifecycle.errors import ValidationException
from lifecycle.validation import REGISTRATION_TYPE

BUILT_IN_REGISTRATION_TYPES: tuple[str, ...] = (
    "US_TEN_DLC_BRAND_REGISTRATION",
    "US_TEN_DLC_CAMPAIGN_REGISTRATION",
    "US_TOLL_FREE_REGISTRATION",
)
"""The types every registry starts with."""


class RegistrationTypeRegistry:
    """A set of registration type names, starting from the built-in ones."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._types: dict[str, str] = {}
        for name in (*BUILT_IN_REGISTRATION_TYPES, *extra):
            self.register(name)

    def register(self, name: str) -> None:
        """Accept ``name`` from now on.

        Raises:
            ValidationException: ``name`` is not 1-64 characters of ``[A-Za-z0-9_]``.
        """
        name = REGISTRATION_TYPE("registration_types", name)
        self._types.setdefault(name, name)

    def canonical(self, name: str) -> str:
        """The registry's own copy of ``name`` (so records share one string).

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE``.
        """
        known = self._types.get(name)
        if known is None:
            raise ValidationException.for_field(
                "RegistrationType",
                f"unknown registration type {name!r}; known types: {', '.join(self._types)}",
                reason="UNKNOWN_REGISTRATION_TYPE",
            )
        return known

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)
