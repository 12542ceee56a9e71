"""The catalogue of registration types a service accepts, with each type's form.

A :class:`Catalogue` starts from the built-in types and loads more from saved answers
of the three describe-definitions calls (:mod:`lifecycle.catalogue.documents`). Each
document replaces what came before it for what it covers: a type-definitions answer
the types it lists, a sections or fields answer that type's sections or fields. So a
catalogue refreshed from a live account overrides the built-in forms it covers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from lifecycle.catalogue.definitions import (
    Document,
    RegistrationFieldDefinition,
    RegistrationSectionDefinition,
    RegistrationTypeDefinition,
    SectionDefinitions,
    SupportedAssociation,
    TypeDefinitions,
    TypeDisplayHints,
)
from lifecycle.catalogue.documents import Source, builtin_documents, invalid, read_source
from lifecycle.errors import ValidationException
from lifecycle.validation import REGISTRATION_TYPE

_TYPE_FILTERS = {
    "supported-association-resource-type": "ResourceType",
    "supported-association-iso-country-code": "IsoCountryCode",
}
"""The ``DescribeRegistrationTypeDefinitions`` filters and the association member each
one tests."""


_T = TypeVar("_T")


@functools.cache
def _builtins() -> tuple[tuple[str, Document], ...]:
    return tuple(builtin_documents())


class Catalogue:
    """The registration types a service accepts, and each one's sections and fields.

    Args:
        types: names of bare types to accept besides (no sections, no fields).
        sources: directories of ``*.json`` answers, such files, or parsed answers,
            loaded in order after the built-in ones.
        builtins: start from the built-in types.

    Raises:
        ValidationException: a name is malformed, or a source is unreadable or
            invalid; the error names the source and the key.
    """

    def __init__(
        self,
        types: Iterable[str] = (),
        *,
        sources: Iterable[Source] = (),
        builtins: bool = True,
    ) -> None:
        self._types: dict[str, RegistrationTypeDefinition] = {}
        self._sections: dict[str, tuple[RegistrationSectionDefinition, ...]] = {}
        self._fields: dict[str, tuple[RegistrationFieldDefinition, ...]] = {}
        self._origins: dict[tuple[str, str], str] = {}
        """Which source last gave each (type, ``sections`` or ``fields``), for errors."""
        layers = [_builtins()] if builtins else []
        for i, source in enumerate(sources):
            layers.append(tuple(read_source(source, f"sources[{i}]")))
        for layer in layers:
            self._merge(layer)
        self._check_forms()
        for name in types:
            self.register(name)

    def _merge(self, layer: Iterable[tuple[str, Document]]) -> None:
        seen: dict[tuple[str, str], str] = {}

        def claim(name: str, key: tuple[str, str], where: str) -> None:
            if key in seen:
                raise invalid(name, [(where, f"{key[0]} is also defined by {seen[key]}")])
            seen[key] = self._origins[key] = name

        for name, document in layer:
            if isinstance(document, TypeDefinitions):
                for i, definition in enumerate(document.registration_type_definitions):
                    key = (definition.registration_type, "type")
                    claim(name, key, f"RegistrationTypeDefinitions[{i}].RegistrationType")
                    self._types[definition.registration_type] = definition
            elif isinstance(document, SectionDefinitions):
                claim(name, (document.registration_type, "sections"), "RegistrationType")
                self._sections[document.registration_type] = (
                    document.registration_section_definitions
                )
            else:
                claim(name, (document.registration_type, "fields"), "RegistrationType")
                self._fields[document.registration_type] = document.registration_field_definitions

    def _check_forms(self) -> None:
        """Refuse sections or fields of an undefined type, and fields outside the sections."""
        for (name, kind), origin in self._origins.items():
            if kind != "type" and name not in self._types:
                raise invalid(origin, [("RegistrationType", f"{name!r} is not a defined type")])
        for name, fields in self._fields.items():
            sections = {s.section_path for s in self._sections.get(name, ())}
            for i, field in enumerate(fields):
                if field.section_path not in sections:
                    raise invalid(
                        self._origins[(name, "fields")],
                        [(f"RegistrationFieldDefinitions[{i}].SectionPath",
                          f"{field.section_path!r} is not a section of {name}")],
                    )  # fmt: skip

    def register(self, name: str) -> None:
        """Accept the bare type ``name`` from now on (a known name keeps its form).

        Raises:
            ValidationException: ``name`` is not 1-64 characters of ``[A-Za-z0-9_]``.
        """
        name = REGISTRATION_TYPE("registration_types", name)
        if name not in self._types:
            hints = TypeDisplayHints(title=name)
            self._types[name] = RegistrationTypeDefinition(registration_type=name,
                                                           display_hints=hints)  # fmt: skip

    def canonical(self, name: str) -> str:
        """The catalogue's own copy of ``name`` (so records share one string).

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE``.
        """
        return self.definition(name).registration_type

    def definition(self, name: str) -> RegistrationTypeDefinition:
        """The definition of type ``name``.

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

    def associations(self, name: str) -> tuple[SupportedAssociation, ...]:
        """The associations type ``name`` supports; none for an unknown type (submit's
        path: one lookup)."""
        known = self._types.get(name)
        return () if known is None else known.supported_associations or ()

    def sections(self, name: str) -> tuple[RegistrationSectionDefinition, ...]:
        """The sections of type ``name``, in form order.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE``.
        """
        return self._sections.get(self.canonical(name), ())

    def fields(
        self, name: str, section_path: str | None = None
    ) -> tuple[RegistrationFieldDefinition, ...]:
        """The fields of type ``name`` (of its section ``section_path`` if given), in form
        order.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE`` or
                ``UNKNOWN_REGISTRATION_SECTION``.
        """
        fields = self._fields.get(name)  # submit's path (only defined types have fields)
        if fields is None:
            fields = self._fields.get(self.canonical(name), ())
        if section_path is None:
            return fields
        self.section(name, section_path)
        return tuple(f for f in fields if f.section_path == section_path)

    def section(self, name: str, section_path: str) -> RegistrationSectionDefinition:
        """The section ``section_path`` of type ``name``.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE`` or
                ``UNKNOWN_REGISTRATION_SECTION``.
        """
        return _find(self.sections(name), lambda s: s.section_path, section_path, name,
                     "SectionPath", "UNKNOWN_REGISTRATION_SECTION")  # fmt: skip

    def field(self, name: str, field_path: str) -> RegistrationFieldDefinition:
        """The field ``field_path`` of type ``name``.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE`` or
                ``UNKNOWN_REGISTRATION_FIELD``.
        """
        return _find(self.fields(name), lambda f: f.field_path, field_path, name,
                     "FieldPath", "UNKNOWN_REGISTRATION_FIELD")  # fmt: skip

    def describe_types(
        self,
        registration_types: Collection[str] = (),
        filters: Iterable[Mapping[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        """``RegistrationTypeDefinitions`` of ``DescribeRegistrationTypeDefinitions``:
        the types named (all if none), in catalogue order, that pass every filter
        (``{"Name": ..., "Values": [...]}``: some supported association matches).

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE``.
        """
        for name in registration_types:
            self.canonical(name)
        definitions = [self._types[n] for n in self if not registration_types
                       or n in registration_types]  # fmt: skip
        out = []
        for definition in definitions:
            associations = [a.to_dict() for a in definition.supported_associations or ()]
            if all(
                any(a.get(_TYPE_FILTERS[f["Name"]]) in f["Values"] for a in associations)
                for f in filters
            ):
                out.append(definition.to_dict())
        return out

    def describe_sections(
        self, registration_type: str, section_paths: Collection[str] = ()
    ) -> list[dict[str, Any]]:
        """``RegistrationSectionDefinitions`` of ``DescribeRegistrationSectionDefinitions``:
        the sections named (all if none), in form order.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE`` or
                ``UNKNOWN_REGISTRATION_SECTION``.
        """
        for path in section_paths:
            self.section(registration_type, path)
        return [s.to_dict() for s in self.sections(registration_type)
                if not section_paths or s.section_path in section_paths]  # fmt: skip

    def describe_fields(
        self,
        registration_type: str,
        section_path: str | None = None,
        field_paths: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """``RegistrationFieldDefinitions`` of ``DescribeRegistrationFieldDefinitions``:
        the fields named (all if none) of the section (any if ``None``), in form order.

        Raises:
            ValidationException: Reason ``UNKNOWN_REGISTRATION_TYPE``,
                ``UNKNOWN_REGISTRATION_SECTION`` or ``UNKNOWN_REGISTRATION_FIELD``.
        """
        for path in field_paths:
            self.field(registration_type, path)
        return [f.to_dict() for f in self.fields(registration_type, section_path)
                if not field_paths or f.field_path in field_paths]  # fmt: skip

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


def _find(items: Iterable[_T], path_of: Callable[[_T], str], path: str, name: str, key: str,
          reason: str) -> _T:  # fmt: skip
    """The item of ``items`` at ``path``; else the ``reason`` error naming ``key``."""
    for item in items:
        if path_of(item) == path:
            return item
    raise ValidationException.for_field(key, f"{path!r} is not a {key} of {name}", reason=reason)


BUILT_IN_REGISTRATION_TYPES: tuple[str, ...] = tuple(Catalogue())
"""The types every catalogue starts with (unless ``builtins=False``)."""
