"""Phone numbers: an aggregate of their own, moved by the phone number machine.

:class:`PhoneNumber` is the record; :func:`request` and :func:`step` apply the events
of :data:`~lifecycle.machines.PHONE_NUMBER_MACHINE` and return the next record with
its events, or raise ConflictException naming the status. Pure domain logic, like
:mod:`lifecycle.attachments`: the service commits what they return.

The numbers are made up, from ranges reserved for fiction (:data:`FICTIONAL_RANGES`):
no number this library hands out can reach a real person.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import attrs

from lifecycle.errors import ConflictException, ResourceNotFoundException, ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.machines import NEW, PHONE_NUMBER, PHONE_NUMBER_EVENTS, TransitionSpec
from lifecycle.models import Tag, resource_arn
from lifecycle.statuses import PhoneNumberStatus
from lifecycle.tags import TagChange

RESOURCE_TYPE = "phone-number"
"""The model's ``ResourceType`` of a phone number (its ARN's resource part)."""

TOKEN_PREFIX = "RequestPhoneNumber:"
"""Prefix of a number's ClientToken in the idempotency records, so that it never meets
another operation's token."""

OPT_OUT_LIST = "Default"
"""``OptOutListName`` of every number: the account's default list (a choice: opt-out
lists are not modelled)."""


class FictionalRange(NamedTuple):
    """Numbers reserved for fiction in one country: ``prefix`` followed by each of
    ``first``..``last``, written with ``digits`` digits."""

    prefix: str
    first: int
    last: int
    digits: int

    def number(self, index: int) -> str:
        """The ``index``-th number of the range, in E.164."""
        return f"{self.prefix}{self.first + index:0{self.digits}d}"

    @property
    def size(self) -> int:
        """How many numbers the range holds."""
        return self.last - self.first + 1


def _nanp(*area_codes: int) -> tuple[FictionalRange, ...]:
    # 555-0100 to 555-0199 of every area code are set aside for fiction (NANPA).
    return tuple(FictionalRange(f"+1{code}5550", 100, 199, 3) for code in area_codes)


FICTIONAL_RANGES: Mapping[tuple[str, str], tuple[FictionalRange, ...]] = {
    ("US", "LONG_CODE"): _nanp(201, 212, 312, 415, 617, 702, 808, 907),
    ("US", "TEN_DLC"): _nanp(206, 303, 404, 512, 602, 713, 720, 801),
    ("US", "SIMULATOR"): _nanp(999),
    # Toll-free codes share one pool in the US and Canada: each country gets its own.
    ("US", "TOLL_FREE"): _nanp(833, 844, 855, 866, 877),
    ("CA", "LONG_CODE"): _nanp(416, 514, 604, 613, 780, 902),
    ("CA", "TOLL_FREE"): _nanp(888),
    # Ofcom's drama range for mobiles: 07700 900000-900999.
    ("GB", "LONG_CODE"): (FictionalRange("+447700", 900000, 900999, 6),),
    # ACMA's mobile numbers for fiction: 0491 570 110 and 0491 570 156-159.
    ("AU", "LONG_CODE"): (
        FictionalRange("+61491570", 110, 110, 3),
        FictionalRange("+61491570", 156, 159, 3),
    ),
}
"""Where numbers come from, by ISO country and ``NumberType`` (a choice: the
countries and types a registration workflow uses; any other pair is refused). No two
entries share a number. NANPA reserves 555-0100 to 555-0199 for fiction in every
area code; that the block is unassigned in the toll-free codes too (whose numbers
Somos administers) is this library's assumption."""

MONTHLY_LEASING_PRICES: Mapping[str, str] = {
    "LONG_CODE": "1.00",
    "TEN_DLC": "2.00",
    "TOLL_FREE": "2.00",
    "SIMULATOR": "0.00",
}
"""``MonthlyLeasingPrice`` by ``NumberType``, in USD (illustrative, a choice)."""

AWAITS_REGISTRATION: frozenset[str] = frozenset({"TOLL_FREE"})
"""Number types that carry no message until a registration is COMPLETE: they are
PENDING when requested."""


@attrs.frozen(slots=True, kw_only=True)
class PhoneNumber:
    """An origination phone number of the account. ``revision`` counts committed
    changes (optimistic concurrency)."""

    phone_number_id: str
    account_id: str
    region: str
    phone_number: str
    """The number in E.164 (``+12015550142``)."""
    status: PhoneNumberStatus
    iso_country_code: str
    message_type: str
    number_capabilities: tuple[str, ...]
    number_type: str
    international_sending_enabled: bool = False
    deletion_protection_enabled: bool = False
    created_timestamp: datetime
    tags: tuple[Tag, ...] = ()
    revision: int = 1
    registration_id: str | None = None
    """The registration the number is associated with, if any."""

    @property
    def arn(self) -> str:
        """The number's ARN."""
        return resource_arn(self.region, self.account_id, RESOURCE_TYPE, self.phone_number_id)

    @property
    def monthly_leasing_price(self) -> str:
        """``MonthlyLeasingPrice`` (see :data:`MONTHLY_LEASING_PRICES`)."""
        return MONTHLY_LEASING_PRICES[self.number_type]

    def to_dict(self) -> dict[str, Any]:
        """The boto3 ``PhoneNumberInformation`` dictionary."""
        out: dict[str, Any] = {
            "PhoneNumberArn": self.arn,
            "PhoneNumberId": self.phone_number_id,
            "PhoneNumber": self.phone_number,
            "Status": self.status.value,
            "IsoCountryCode": self.iso_country_code,
            "MessageType": self.message_type,
            "NumberCapabilities": list(self.number_capabilities),
            "NumberType": self.number_type,
            "MonthlyLeasingPrice": self.monthly_leasing_price,
            "TwoWayEnabled": False,
            "SelfManagedOptOutsEnabled": False,
            "OptOutListName": OPT_OUT_LIST,
            "InternationalSendingEnabled": self.international_sending_enabled,
            "DeletionProtectionEnabled": self.deletion_protection_enabled,
        }
        if self.registration_id is not None:
            out["RegistrationId"] = self.registration_id
        out["CreatedTimestamp"] = self.created_timestamp
        return out

    def to_request_dict(self) -> dict[str, Any]:
        """The boto3 ``request_phone_number`` response dictionary."""
        out = self.to_dict()
        if self.tags:
            out["Tags"] = [t.to_dict() for t in self.tags]
        out["CreatedTimestamp"] = out.pop("CreatedTimestamp")  # last, as the model lists it
        return out

    def to_release_dict(self) -> dict[str, Any]:
        """The boto3 ``release_phone_number`` response dictionary."""
        out = self.to_dict()
        del out["InternationalSendingEnabled"], out["DeletionProtectionEnabled"]
        return out


class PhoneNumberStep(NamedTuple):
    """The outcome of one step of a phone number."""

    phone_number: PhoneNumber
    """The number after the step (revision advanced by one)."""
    events: tuple[TransitionEvent, ...]


class Conditions:
    """What the phone number machine's conditions read of a number of ``number_type``
    whose deletion protection is ``protected`` (the service's steps and the replay of
    ``lifecycle verify`` both ask the machine with it)."""

    __slots__ = ("awaits_registration", "deletion_protection_enabled", "registration_complete")

    def __init__(
        self, number_type: str, protected: bool, registration_complete: bool = False
    ) -> None:
        self.awaits_registration = number_type in AWAITS_REGISTRATION
        self.deletion_protection_enabled = protected
        self.registration_complete = registration_complete
        """The registration the number is being associated with is COMPLETE."""

    def completed(self) -> Conditions:
        """These conditions, with the registration COMPLETE."""
        twin = Conditions.__new__(Conditions)
        twin.awaits_registration = self.awaits_registration
        twin.deletion_protection_enabled = self.deletion_protection_enabled
        twin.registration_complete = True
        return twin

    @classmethod
    def of(cls, number: PhoneNumber, registration_complete: bool = False) -> Conditions:
        """The conditions of ``number`` (being associated with a registration that is
        ``registration_complete``)."""
        return cls(number.number_type, number.deletion_protection_enabled, registration_complete)


def ranges(iso_country_code: str, number_type: str) -> tuple[FictionalRange, ...]:
    """The fictional ranges numbers of ``number_type`` in ``iso_country_code`` come from.

    Raises:
        ValidationException: no range in that country (``IsoCountryCode``, Reason
            ``COUNTRY_NOT_ENABLED``) or none of that type there (``NumberType``).
    """
    found = FICTIONAL_RANGES.get((iso_country_code, number_type))
    if found is None:
        countries = sorted({country for country, _ in FICTIONAL_RANGES})
        if iso_country_code not in countries:
            raise ValidationException.for_field(
                "IsoCountryCode",
                f"this library has no fictional numbers in {iso_country_code}; it hands "
                f"out numbers in {', '.join(countries)}",
                reason="COUNTRY_NOT_ENABLED",
            )
        types = [kind for country, kind in FICTIONAL_RANGES if country == iso_country_code]
        raise ValidationException.for_field(
            "NumberType",
            f"this library has no fictional {number_type} numbers in {iso_country_code}; "
            f"there it hands out {', '.join(types)}",
        )
    return found


def free_numbers(
    iso_country_code: str,
    number_type: str,
    preference: tuple[str, tuple[str, ...]] | None,
    held: Collection[str],
) -> list[str]:
    """The numbers of the fictional ranges of ``iso_country_code`` and ``number_type``
    (see :func:`ranges`) that meet ``preference``, if given, and are not ``held``: a
    ``PreferenceType`` and its ``Filter`` values (a number must meet one of them; a
    value with ``+`` is compared with the E.164 number, one without with its digits).

    Raises:
        ValidationException: as :func:`ranges`; or no number of the ranges meets
            ``preference`` (naming ``NumberPreference``).
    """
    meeting = [
        number
        for fictional in ranges(iso_country_code, number_type)
        for number in map(fictional.number, range(fictional.size))
        if preference is None or any(_meets(number, preference[0], v) for v in preference[1])
    ]
    if not meeting:
        assert preference is not None  # every range holds numbers
        raise ValidationException.for_field(
            "NumberPreference",
            f"no fictional {number_type} number in {iso_country_code} meets "
            f"{preference[0]} {', '.join(preference[1])}",
        )
    return [number for number in meeting if number not in held]


def _meets(number: str, kind: str, value: str) -> bool:
    text = number if value.startswith("+") else number[1:]
    if kind == "StartsWith":
        return text.startswith(value)
    if kind == "EndsWith":
        return text.endswith(value)
    if kind == "Contains":
        return value in text
    return text == value  # ExactMatch


def new_id() -> str:
    """A new ``PhoneNumberId``: ``phone-`` and 32 hexadecimal digits, as AWS's."""
    return "phone-" + secrets.token_hex(16)


def request(
    *,
    phone_number_id: str,
    account_id: str,
    region: str,
    phone_number: str,
    iso_country_code: str,
    message_type: str,
    number_capabilities: tuple[str, ...],
    number_type: str,
    international_sending_enabled: bool,
    deletion_protection_enabled: bool,
    tags: tuple[Tag, ...],
    now: datetime,
    registration_id: str | None = None,
    registration_complete: bool = False,
) -> PhoneNumberStep:
    """A new number (the ``request_phone_number`` event): PENDING for a type in
    :data:`AWAITS_REGISTRATION`, ACTIVE otherwise or if requested for a
    ``registration_id`` that is ``registration_complete``. The event's ``detail``
    records the number, its registration and its ``tags``, if any."""
    number = PhoneNumber(
        phone_number_id=phone_number_id,
        account_id=account_id,
        region=region,
        phone_number=phone_number,
        status=PhoneNumberStatus.PENDING,  # replaced below by the machine's answer
        iso_country_code=iso_country_code,
        message_type=message_type,
        number_capabilities=number_capabilities,
        number_type=number_type,
        international_sending_enabled=international_sending_enabled,
        deletion_protection_enabled=deletion_protection_enabled,
        created_timestamp=now,
        tags=tags,
        registration_id=registration_id,
    )
    conditions = Conditions.of(number, registration_complete)
    spec = PHONE_NUMBER.resolve(NEW, "request_phone_number", conditions)
    if spec is None:  # pragma: no cover - the machine definition guarantees it
        raise RuntimeError("the phone number machine refused request_phone_number")
    number = attrs.evolve(number, status=PhoneNumberStatus(spec.dest))
    detail: dict[str, Any] = {
        "PhoneNumber": phone_number,
        "IsoCountryCode": iso_country_code,
        "MessageType": message_type,
        "NumberCapabilities": list(number_capabilities),
        "NumberType": number_type,
        "InternationalSendingEnabled": international_sending_enabled,
        "DeletionProtectionEnabled": deletion_protection_enabled,
    }
    if registration_id is not None:
        detail["RegistrationId"] = registration_id
    if tags:
        detail.update(TagChange(put=tags).detail())
    return PhoneNumberStep(number, (_event(number, spec, None, now, detail),))


def step(
    number: PhoneNumber,
    event: str,
    now: datetime,
    *,
    tags: TagChange | None = None,
    registration_id: str | None = None,
    registration_complete: bool = False,
) -> PhoneNumberStep:
    """Apply ``event`` to ``number``; ``tag_resource`` and ``untag_resource`` bring
    their ``tags`` change, ``associate_phone_number`` the ``registration_id`` it
    associates the number with, and whether that registration is
    ``registration_complete`` (each recorded as the event's detail). The number
    leaves its registration when released or disassociated.

    Raises:
        ConflictException: the machine refuses ``event`` from the number's status
            (Reason ``DELETION_PROTECTION_ENABLED`` for the release of a protected
            number).
    """
    conditions = Conditions.of(number, registration_complete)
    spec = PHONE_NUMBER.resolve(number.status, event, conditions)
    if spec is None:
        raise _refusal(number, event, conditions)
    registration = REGISTRATION_AFTER.get(event, number.registration_id)
    if registration is ASSOCIATED:
        if registration_id is None:
            raise ValidationException.for_field("registration_id", f"{event} needs it")
        registration = registration_id
    after = attrs.evolve(
        number,
        status=number.status if spec.dest is None else PhoneNumberStatus(spec.dest),
        tags=number.tags if tags is None else tags.applied_to(number.tags),
        revision=number.revision + 1,
        registration_id=registration,
    )
    detail: dict[str, Any] | None = None if tags is None else tags.detail()
    if registration != number.registration_id:
        detail = {"RegistrationId": registration or number.registration_id}
    return PhoneNumberStep(after, (_event(after, spec, number.status, now, detail),))


ASSOCIATED = "associated"
"""In :data:`REGISTRATION_AFTER`: the registration the event associates the number with."""
REGISTRATION_AFTER: Mapping[str, str | None] = {
    "associate_phone_number": ASSOCIATED,
    "disassociate_phone_number": None,
    "release_phone_number": None,
}
"""The registration a number is associated with after each event that changes it
(:data:`ASSOCIATED`: the one the event names, as its detail's ``RegistrationId``)."""

_FILTERED: Mapping[str, str] = {
    "status": "Status",
    "iso-country-code": "IsoCountryCode",
    "message-type": "MessageType",
    "number-type": "NumberType",
    "opt-out-list-name": "OptOutListName",
    "two-way-enabled": "TwoWayEnabled",
    "self-managed-opt-outs-enabled": "SelfManagedOptOutsEnabled",
    "deletion-protection-enabled": "DeletionProtectionEnabled",
    "two-way-channel-arn": "TwoWayChannelArn",
}
"""The member of ``PhoneNumberInformation`` each single-valued filter reads."""


def matches(number: PhoneNumber, filters: Iterable[tuple[str, frozenset[str]]]) -> bool:
    """Whether ``number`` passes every filter (a name of the model's
    ``PhoneNumberFilterName`` and its values, one of which must match; booleans are the
    strings ``true`` and ``false``, and a number has no two-way channel, so
    ``two-way-channel-arn`` matches none)."""
    answer = None
    for name, values in filters:
        if name == "number-capability":
            if values.isdisjoint(number.number_capabilities):
                return False
            continue
        answer = number.to_dict() if answer is None else answer
        value = answer.get(_FILTERED[name])
        if (str(value).lower() if isinstance(value, bool) else value) not in values:
            return False
    return True


def not_found(value: str) -> ResourceNotFoundException:
    """The error for a phone number this account and region does not have."""
    return ResourceNotFoundException(
        f"Phone number {value} not found.", resource_type=RESOURCE_TYPE, resource_id=value
    )


def _refusal(number: PhoneNumber, event: str, conditions: Conditions) -> ConflictException:
    legal = [
        spec.fired_by
        for name, spec in PHONE_NUMBER_EVENTS.items()
        if PHONE_NUMBER.resolve(number.status, name, conditions) is not None
    ]
    protected = conditions.deletion_protection_enabled and any(
        "deletion_protection_enabled" in spec.unless
        for spec in PHONE_NUMBER.candidates(number.status, event)
    )
    why = (
        "its deletion protection is enabled"
        if protected
        else f"its status is {number.status.value}"
    )
    return ConflictException(
        f"{PHONE_NUMBER_EVENTS[event].fired_by} is not allowed for phone number "
        f"{number.phone_number_id}: {why}. Allowed from here: {', '.join(legal) or 'nothing'}.",
        reason="DELETION_PROTECTION_ENABLED" if protected else "RESOURCE_NOT_ACTIVE",
        resource_type=RESOURCE_TYPE,
        resource_id=number.phone_number_id,
    )


def _event(
    number: PhoneNumber,
    spec: TransitionSpec,
    before: PhoneNumberStatus | None,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> TransitionEvent:
    return TransitionEvent(
        number.account_id, number.region, number.phone_number_id, spec.event, spec.actor,
        None, None, None, before, number.status, now, detail, RESOURCE_TYPE,
    )  # fmt: skip
