"""The rules of a registration form's values: one value, conditions, completeness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import Catalogue, ValidationException
from lifecycle.catalogue.definitions import FieldCondition, RegistrationFieldDefinition
from lifecycle.form import FieldValue, check_complete, holds, resolve, validate_value

BRAND, CAMPAIGN = "US_TEN_DLC_BRAND_REGISTRATION", "US_TEN_DLC_CAMPAIGN_REGISTRATION"
TOLL_FREE = "US_TOLL_FREE_REGISTRATION"
CATALOGUE = Catalogue()
PUBLIC_ONLY = ("companyInfo.stockSymbol", "companyInfo.stockExchange",
               "companyInfo.businessContactEmail")  # fmt: skip


def _field(name: str, path: str) -> RegistrationFieldDefinition:
    return CATALOGUE.field(name, path)


def _valid(field: RegistrationFieldDefinition) -> dict[str, Any]:
    """A valid value of ``field``: its example text, its first options, an attachment."""
    if field.select_validation is not None:
        rules = field.select_validation
        return {"SelectChoices": list(rules.options[: max(rules.min_choices, 1)])}
    if field.text_validation is not None:
        hints, rules = field.display_hints, field.text_validation
        return {"TextValue": hints.example_text_value or "x" * max(rules.min_length, 1)}
    return {"RegistrationAttachmentId": "attachment-1"}


def _form(name: str, **choices: str) -> dict[str, FieldValue]:
    """Every field of ``name`` with a valid value; ``choices`` sets SELECT fields by name."""
    values = {}
    for field in CATALOGUE.fields(name):
        params = _valid(field)
        short = field.field_path.split(".")[-1]
        if short in choices:
            params = {"SelectChoices": [choices[short]]}
        values[field.field_path] = validate_value(field, params)
    return values


# -- one value -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [BRAND, CAMPAIGN, TOLL_FREE])
def test_every_builtin_field_takes_its_example_value(name: str) -> None:
    check_complete(CATALOGUE.fields(name), _form(name))


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "MISSING_PARAMETER"),
        ({"TextValue": "Acme", "SelectChoices": ["X"]}, "PARAMETERS_CANNOT_BE_USED_TOGETHER"),
        ({"SelectChoices": ["Acme"]}, "INVALID_PARAMETER"),
        ({"RegistrationAttachmentId": "a-1"}, "INVALID_PARAMETER"),
        ({"TextValue": "x" * 101}, "FIELD_VALIDATION_FAILED"),
        ({"TextValue": "   "}, "FIELD_VALIDATION_FAILED"),
    ],
)
def test_a_text_value_has_one_kind_and_its_limits(params: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationException) as info:
        validate_value(_field(BRAND, "companyInfo.companyName"), params)
    assert info.value.reason == reason
    assert info.value.fields[0]["Name"] == "companyInfo.companyName"


@given(st.text(st.characters(codec="utf-8", categories=["L", "N"]), max_size=4200))
def test_text_length_limits(text: str) -> None:
    field = _field(CAMPAIGN, "campaignInfo.campaignName")  # 40-4096
    if 40 <= len(text) <= 4096:
        assert validate_value(field, {"TextValue": text}) == FieldValue(text=text)
    else:
        with pytest.raises(ValidationException, match="characters"):
            validate_value(field, {"TextValue": text})


@pytest.mark.parametrize(
    ("path", "good", "bad"),
    [
        ("contactInfo.supportPhoneNumber", "+12065550100", "206-555-0100"),
        ("companyInfo.taxIdIssuingCountry", "US", "us"),
        ("companyInfo.isoCountryCode", "CA", "C1"),
    ],
)
def test_text_patterns(path: str, good: str, bad: str) -> None:
    field = _field(BRAND, path)
    assert validate_value(field, {"TextValue": good}).text == good
    with pytest.raises(ValidationException, match="pattern") as info:
        validate_value(field, {"TextValue": bad})
    assert info.value.reason == "FIELD_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([], "1 to 5 choices"),
        (["MARKETING"] * 2, "repeat"),
        (["MARKETING", "CHARITY"], "'CHARITY' is not one of the options"),
        (["A", "B", "C", "D", "E", "F"], "1 to 5 choices"),
    ],
)
def test_select_limits(choices: list[str], message: str) -> None:
    field = _field(CAMPAIGN, "campaignUseCase.subUseCases")
    with pytest.raises(ValidationException, match=message) as info:
        validate_value(field, {"SelectChoices": choices})
    assert info.value.reason == "FIELD_VALIDATION_FAILED"
    assert info.value.fields[0]["Name"] == "campaignUseCase.subUseCases"
    value = validate_value(field, {"SelectChoices": ["MARKETING", "FRAUD_ALERT"]})
    assert value.choices == ("MARKETING", "FRAUD_ALERT")


def test_an_attachment_field_takes_an_attachment_id() -> None:
    field = _field(TOLL_FREE, "messagingUseCase.optInImage")
    assert validate_value(field, {"RegistrationAttachmentId": "a-1"}).attachment_id == "a-1"
    with pytest.raises(ValidationException) as info:
        validate_value(field, {"TextValue": "a-1"})
    assert info.value.reason == "INVALID_PARAMETER"


def test_a_matching_rule_replaces_the_fields_limits() -> None:
    field = RegistrationFieldDefinition.from_dict({
        "SectionPath": "s", "FieldPath": "s.code", "FieldType": "TEXT",
        "FieldRequirement": "CONDITIONAL",
        "TextValidation": {"MinLength": 1, "MaxLength": 10, "Pattern": "[A-Z]+"},
        "DisplayHints": {"Title": "t", "ShortDescription": "d"},
        "ConditionalBehavior": {"DefaultBehavior": "OPTIONAL", "Rules": [{
            "Conditions": [{"DependsOnFieldPath": "s.kind", "Operator": "EQUALS",
                            "Values": ["LONG"]}],
            "RuleBehavior": "REQUIRED",
            "ConditionalValidation": {"MinLength": 5, "Pattern": "[A-Z0-9]+"}}]},
    })  # fmt: skip
    long = {"s.kind": FieldValue(choices=("LONG",))}
    assert validate_value(field, {"TextValue": "AB"}).text == "AB"
    with pytest.raises(ValidationException, match="at least 5"):
        validate_value(field, {"TextValue": "AB"}, long)
    assert validate_value(field, {"TextValue": "AB123"}, long).text == "AB123"
    with pytest.raises(ValidationException, match="pattern"):
        validate_value(field, {"TextValue": "AB123"})


def test_a_field_value_holds_exactly_one_member() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FieldValue()
    with pytest.raises(ValueError, match="exactly one"):
        FieldValue(text="a", attachment_id="b")


# -- conditions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("EQUALS", ["A"], FieldValue(text="A"), True),
        ("EQUALS", ["A"], FieldValue(text="B"), False),
        ("EQUALS", ["A"], None, False),
        ("IN", ["A", "B"], FieldValue(choices=("C", "B")), True),
        ("IN", ["A", "B"], FieldValue(choices=()), False),
        ("NOT_EQUALS", ["A"], FieldValue(text="B"), True),
        ("NOT_EQUALS", ["A"], None, True),
        ("NOT_IN", ["A", "B"], FieldValue(choices=("A",)), False),
        ("HAS_VALUE", None, FieldValue(attachment_id="x"), True),
        ("HAS_VALUE", None, None, False),
        ("NO_VALUE", None, None, True),
        ("NO_VALUE", None, FieldValue(text="x"), False),
        ("MATCHES", ["A"], FieldValue(text="A"), False),  # unknown operators are false
    ],
)
def test_conditions(operator: str, values: list[str] | None, value: FieldValue | None,
                    expected: bool) -> None:  # fmt: skip
    condition = FieldCondition(depends_on_field_path="s.f", operator=operator,
                               values=None if values is None else tuple(values))  # fmt: skip
    assert holds(condition, {} if value is None else {"s.f": value}) is expected


@pytest.mark.parametrize("legal_type", ["PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT"])
def test_a_public_company_needs_its_stock_listing(legal_type: str) -> None:
    values = {"companyInfo.legalType": FieldValue(choices=(legal_type,))}
    for path in PUBLIC_ONLY:
        expected = "REQUIRED" if legal_type == "PUBLIC_PROFIT" else "OPTIONAL"
        assert resolve(_field(BRAND, path), values)[0] == expected


# -- completeness --------------------------------------------------------------------


def _offending(name: str, values: dict[str, FieldValue]) -> list[str]:
    try:
        check_complete(CATALOGUE.fields(name), values)
    except ValidationException as exc:
        assert exc.reason == "FIELD_VALIDATION_FAILED"
        assert all(path in exc.message for path in (f["Name"] for f in exc.fields))
        return [f["Name"] for f in exc.fields]
    return []


def test_an_empty_form_lists_every_required_field() -> None:
    required = [f.field_path for f in CATALOGUE.fields(CAMPAIGN)
                if f.field_requirement == "REQUIRED"]  # fmt: skip
    assert _offending(CAMPAIGN, {}) == required
    assert _offending("US_TEN_DLC_BRAND_VETTING", {}) == []


def test_public_profit_needs_stock_symbol_exchange_and_contact_email() -> None:
    public = _form(BRAND, legalType="PUBLIC_PROFIT")
    assert _offending(BRAND, public) == []
    without = {p: v for p, v in public.items() if p not in PUBLIC_ONLY}
    assert _offending(BRAND, without) == list(PUBLIC_ONLY)
    private = {**without, "companyInfo.legalType": FieldValue(choices=("PRIVATE_PROFIT",))}
    assert _offending(BRAND, private) == []


@pytest.mark.parametrize(("use_case", "needs"), [("MIXED", True), ("LOW_VOLUME", True),
                                                 ("MARKETING", False)])  # fmt: skip
def test_mixed_and_low_volume_need_sub_use_cases(use_case: str, needs: bool) -> None:
    form = _form(CAMPAIGN, useCase=use_case)
    del form["campaignUseCase.subUseCases"]
    assert _offending(CAMPAIGN, form) == (["campaignUseCase.subUseCases"] if needs else [])


@pytest.mark.parametrize(("link", "needs"), [("Yes", True), ("No", False)])
def test_an_embedded_link_needs_its_sample(link: str, needs: bool) -> None:
    form = _form(CAMPAIGN, embeddedLink=link)
    del form["campaignUseCase.embeddedLinkSample"]
    assert _offending(CAMPAIGN, form) == (["campaignUseCase.embeddedLinkSample"] if needs else [])


def test_a_disallowed_value_is_refused() -> None:
    catalogue = Catalogue(sources=[{"RegistrationTypeDefinitions": [
        {"RegistrationType": "T", "DisplayHints": {"Title": "T"}}]}, {
        "RegistrationType": "T", "RegistrationSectionDefinitions": [
            {"SectionPath": "s", "DisplayHints": {"Title": "S", "ShortDescription": "s"}}]}, {
        "RegistrationType": "T", "RegistrationFieldDefinitions": [
            {"SectionPath": "s", "FieldPath": "s.a", "FieldType": "ATTACHMENT",
             "FieldRequirement": "OPTIONAL",
             "DisplayHints": {"Title": "A", "ShortDescription": "a"}},
            {"SectionPath": "s", "FieldPath": "s.b", "FieldType": "ATTACHMENT",
             "FieldRequirement": "CONDITIONAL",
             "DisplayHints": {"Title": "B", "ShortDescription": "b"},
             "ConditionalBehavior": {"DefaultBehavior": "OPTIONAL", "Rules": [
                 {"Conditions": [{"DependsOnFieldPath": "s.a", "Operator": "HAS_VALUE"}],
                  "RuleBehavior": "DISALLOWED"}]}}]}])  # fmt: skip
    fields, both = catalogue.fields("T"), {"s.a": FieldValue(attachment_id="1"),
                                           "s.b": FieldValue(attachment_id="2")}  # fmt: skip
    with pytest.raises(ValidationException) as info:
        check_complete(fields, both)
    assert info.value.fields == ({"Name": "s.b", "Message": "is disallowed by its "
                                  "ConditionalBehavior"},)  # fmt: skip
    check_complete(fields, {"s.b": FieldValue(attachment_id="2")})


@given(st.data())
def test_the_offending_paths_are_the_missing_required_ones(data: st.DataObject) -> None:
    legal_type = data.draw(st.sampled_from(["PRIVATE_PROFIT", "PUBLIC_PROFIT", "GOVERNMENT"]))
    form = _form(BRAND, legalType=legal_type)
    removed = data.draw(st.sets(st.sampled_from(sorted(form))))
    required = {f.field_path for f in CATALOGUE.fields(BRAND) if f.field_requirement == "REQUIRED"}
    if legal_type == "PUBLIC_PROFIT" and "companyInfo.legalType" not in removed:
        required |= set(PUBLIC_ONLY)
    kept = {p: v for p, v in form.items() if p not in removed}
    assert set(_offending(BRAND, kept)) == removed & required
