"""The registration form definitions, as the model's three describe-definitions calls
return them: types, their sections, and their fields with the rules for each value.

Every record is frozen and converts to and from the exact JSON of its model shape
(``to_dict`` / ``from_dict``); the documents are the whole answers, as ``aws
pinpoint-sms-voice-v2 describe-registration-...-definitions`` prints them.
"""

from __future__ import annotations

import sys

import attrs

from lifecycle.catalogue.shape import Shape, member
from lifecycle.validation import REGISTRATION_TYPE, integer, one_of, string

TEXT = "TEXT"
SELECT = "SELECT"
ATTACHMENT = "ATTACHMENT"
FIELD_TYPES = (SELECT, TEXT, ATTACHMENT)
"""The model's ``FieldType`` values."""

REQUIRED = "REQUIRED"
OPTIONAL = "OPTIONAL"
CONDITIONAL = "CONDITIONAL"
DISALLOWED = "DISALLOWED"
FIELD_REQUIREMENTS = (REQUIRED, CONDITIONAL, OPTIONAL)
"""The model's ``FieldRequirement`` values."""
BEHAVIORS = (REQUIRED, OPTIONAL, DISALLOWED)
"""What a ``ConditionalBehavior`` resolves to (the model's documented values)."""

_STRING = string(0, sys.maxsize)
_SECTION_PATH = string(1, 100, r"[A-Za-z0-9_]+")
_FIELD_PATH = string(1, 100, r"[A-Za-z0-9_\.]+")
_COUNT = integer(0, 2**31 - 1)
_TOKEN = string(1, 64, r"[A-Za-z0-9_]+")


@attrs.frozen(kw_only=True)
class SupportedAssociation(Shape):
    """A resource a registration type associates with, and when (``SupportedAssociation``)."""

    resource_type: str = member(_STRING)
    iso_country_code: str | None = member(string(2, 2, r"[A-Z]{2}"), optional=True)
    association_behavior: str = member(
        one_of(("ASSOCIATE_BEFORE_SUBMIT", "ASSOCIATE_ON_APPROVAL", "ASSOCIATE_AFTER_COMPLETE"))
    )
    disassociation_behavior: str = member(
        one_of(
            (
                "DISASSOCIATE_ALL_CLOSES_REGISTRATION",
                "DISASSOCIATE_ALL_ALLOWS_DELETE_REGISTRATION",
                "DELETE_REGISTRATION_DISASSOCIATES",
            )
        )
    )


@attrs.frozen(kw_only=True)
class TypeDisplayHints(Shape):
    """Help for a registration type (``RegistrationTypeDisplayHints``)."""

    title: str = member(_STRING)
    short_description: str | None = member(_STRING, optional=True)
    long_description: str | None = member(_STRING, optional=True)
    documentation_title: str | None = member(_STRING, optional=True)
    documentation_link: str | None = member(_STRING, optional=True)


@attrs.frozen(kw_only=True)
class RegistrationTypeDefinition(Shape):
    """One registration type (``RegistrationTypeDefinition``)."""

    registration_type: str = member(REGISTRATION_TYPE)
    supported_associations: tuple[SupportedAssociation, ...] | None = member(
        SupportedAssociation, optional=True, many=(0, None)
    )
    display_hints: TypeDisplayHints = member(TypeDisplayHints)


@attrs.frozen(kw_only=True)
class SectionDisplayHints(Shape):
    """Help for a section (``RegistrationSectionDisplayHints``)."""

    title: str = member(_STRING)
    short_description: str = member(_STRING)
    long_description: str | None = member(_STRING, optional=True)
    documentation_title: str | None = member(_STRING, optional=True)
    documentation_link: str | None = member(_STRING, optional=True)


@attrs.frozen(kw_only=True)
class RegistrationSectionDefinition(Shape):
    """One section of a type's form (``RegistrationSectionDefinition``)."""

    section_path: str = member(_SECTION_PATH)
    display_hints: SectionDisplayHints = member(SectionDisplayHints)


@attrs.frozen(kw_only=True)
class TextValidation(Shape):
    """The rules of a TEXT value: its length and a pattern it matches whole."""

    min_length: int = member(_COUNT)
    max_length: int = member(_COUNT)
    pattern: str = member(_STRING)


@attrs.frozen(kw_only=True)
class SelectValidation(Shape):
    """The rules of a SELECT value: how many choices, each one of ``options``."""

    min_choices: int = member(_COUNT)
    max_choices: int = member(_COUNT)
    options: tuple[str, ...] = member(_STRING, many=(0, None))


@attrs.frozen(kw_only=True)
class SelectOptionDescription(Shape):
    """Help for one option of a SELECT field (``SelectOptionDescription``)."""

    option: str = member(_STRING)
    title: str | None = member(_STRING, optional=True)
    description: str | None = member(_STRING, optional=True)


@attrs.frozen(kw_only=True)
class FieldDisplayHints(SectionDisplayHints):
    """Help for a field (``RegistrationFieldDisplayHints``): a section's, and more."""

    select_option_descriptions: tuple[SelectOptionDescription, ...] | None = member(
        SelectOptionDescription, optional=True, many=(0, None)
    )
    text_validation_description: str | None = member(_STRING, optional=True)
    example_text_value: str | None = member(_STRING, optional=True)


@attrs.frozen(kw_only=True)
class FieldCondition(Shape):
    """A test of another field's value (``FieldCondition``).

    ``operator`` is one of EQUALS, NOT_EQUALS, IN, NOT_IN, HAS_VALUE, NO_VALUE; the
    model lets others through, and they evaluate to false.
    """

    depends_on_field_path: str = member(_FIELD_PATH)
    operator: str = member(_TOKEN)
    values: tuple[str, ...] | None = member(string(1, 256), optional=True, many=(0, 20))


@attrs.frozen(kw_only=True)
class ConditionalValidation(Shape):
    """Rules that replace the field's own while a rule matches (``ConditionalValidation``)."""

    min_length: int | None = member(_COUNT, optional=True)
    max_length: int | None = member(_COUNT, optional=True)
    pattern: str | None = member(string(1, 2048), optional=True)
    allowed_values: tuple[str, ...] | None = member(string(1, 256), optional=True, many=(0, 100))


@attrs.frozen(kw_only=True)
class ConditionalRule(Shape):
    """``rule_behavior`` applies when every condition holds (``ConditionalRule``)."""

    conditions: tuple[FieldCondition, ...] = member(FieldCondition, many=(1, 5))
    rule_behavior: str = member(one_of(BEHAVIORS))
    conditional_validation: ConditionalValidation | None = member(
        ConditionalValidation, optional=True
    )


@attrs.frozen(kw_only=True)
class ConditionalBehavior(Shape):
    """How a CONDITIONAL field resolves: the first matching rule, else the default."""

    rules: tuple[ConditionalRule, ...] = member(ConditionalRule, many=(1, 20))
    default_behavior: str = member(one_of(BEHAVIORS))


@attrs.frozen(kw_only=True)
class RegistrationFieldDefinition(Shape):
    """One field of a type's form (``RegistrationFieldDefinition``)."""

    section_path: str = member(_SECTION_PATH)
    field_path: str = member(_FIELD_PATH)
    field_type: str = member(one_of(FIELD_TYPES))
    field_requirement: str = member(one_of(FIELD_REQUIREMENTS))
    select_validation: SelectValidation | None = member(SelectValidation, optional=True)
    text_validation: TextValidation | None = member(TextValidation, optional=True)
    display_hints: FieldDisplayHints = member(FieldDisplayHints)
    conditional_behavior: ConditionalBehavior | None = member(ConditionalBehavior, optional=True)


@attrs.frozen(kw_only=True)
class TypeDefinitions(Shape):
    """What ``describe-registration-type-definitions`` prints (whole: no ``NextToken``)."""

    registration_type_definitions: tuple[RegistrationTypeDefinition, ...] = member(
        RegistrationTypeDefinition, many=(0, None)
    )


@attrs.frozen(kw_only=True)
class SectionDefinitions(Shape):
    """What ``describe-registration-section-definitions`` prints for one type."""

    registration_type: str = member(REGISTRATION_TYPE)
    registration_section_definitions: tuple[RegistrationSectionDefinition, ...] = member(
        RegistrationSectionDefinition, many=(0, None)
    )


@attrs.frozen(kw_only=True)
class FieldDefinitions(Shape):
    """What ``describe-registration-field-definitions`` prints for one type."""

    registration_type: str = member(REGISTRATION_TYPE)
    registration_field_definitions: tuple[RegistrationFieldDefinition, ...] = member(
        RegistrationFieldDefinition, many=(0, None)
    )


Document = TypeDefinitions | SectionDefinitions | FieldDefinitions
"""One saved answer of a describe-definitions call."""

DOCUMENTS: dict[str, type[Document]] = {
    "RegistrationTypeDefinitions": TypeDefinitions,
    "RegistrationSectionDefinitions": SectionDefinitions,
    "RegistrationFieldDefinitions": FieldDefinitions,
}
"""Each document kind by the key that tells it apart."""
