"""Review policies: what the scripted reviewer (:mod:`lifecycle.scripted`) does to each
registration, and when. Data, as a Python object or an equivalent JSON or TOML file::

    {"rules": [
      {"registration_type": "US_TEN_DLC_BRAND_REGISTRATION",
       "submissions": [[{"event": "begin_review", "after": "1h"},
                        {"event": "approve", "after": "2d"},
                        {"event": "complete_provisioning", "after": "1h"}]]},
      {"tag": {"Key": "review", "Value": "deny-once"},
       "submissions": [[{"event": "begin_review"},
                        {"event": "deny", "reasons": [{"Reason": "R", "ShortDescription": "S"}],
                         "fields": {"campaignInfo.campaignName": {"DeniedReason": "D",
                                                                  "Feedback": "F"}}}],
                       [{"event": "begin_review", "after_describes": 2},
                        {"event": "approve"}]]}]}

A registration follows the first rule that matches it (by ``registration_type``, a
``tag``, a ``registration_id``, or any without one). Its n-th submission runs the
rule's n-th script (the last one again after that): moves in order, each once its
``after`` (a duration on the service's clock since the previous move or the submit:
``30m``, ``12h``, ``2d``) has passed and ``after_describes`` DescribeRegistrations or
DescribeRegistrationVersions calls naming it were made; without either it happens in
the step that submits.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from lifecycle.errors import ValidationException
from lifecycle.machines import ALSO_BY_REVIEWER, EVENTS
from lifecycle.stale import duration
from lifecycle.statuses import Actor

REVIEWER_MOVES: tuple[str, ...] = (
    *(name for name, spec in EVENTS.items() if spec.actor is Actor.REVIEWER),
    *ALSO_BY_REVIEWER,
)
"""The events a policy may script: the reviewer's, read from the machines."""


@attrs.frozen
class Move:
    """One reviewer event of a script, with what it records and when it happens."""

    event: str
    after: timedelta = timedelta(0)
    after_describes: int = 0
    reasons: tuple[Mapping[str, str], ...] = ()
    """A deny's DeniedReasons."""
    fields: Mapping[str, Mapping[str, str]] | None = None
    """A deny's flags on field values."""
    feedback: str | None = None


@attrs.frozen
class Rule:
    """Which registrations follow ``submissions`` (one script per submission)."""

    submissions: tuple[tuple[Move, ...], ...]
    registration_type: str | None = None
    tag: tuple[str, str] | None = None
    registration_id: str | None = None

    def matches(self, registration_id: str, registration_type: str,
                tags: Mapping[str, str]) -> bool:  # fmt: skip
        """Whether a registration with these id, type and tags follows this rule."""
        return (
            (self.registration_type is None or self.registration_type == registration_type)
            and (self.registration_id is None or self.registration_id == registration_id)
            and (self.tag is None or tags.get(self.tag[0]) == self.tag[1])
        )

    def script(self, submission: int) -> tuple[Move, ...]:
        """The moves of the ``submission``-th submission (1 for the first)."""
        return self.submissions[min(submission, len(self.submissions)) - 1]


UPLOAD_MOVES: tuple[str, ...] = ("complete_upload", "fail_upload")
"""What a policy's ``uploads`` does to an attachment created from a URL."""


@attrs.frozen
class Policy:
    """The rules of a scripted reviewer, the first matching one applying; ``uploads``:
    what happens to each attachment created from a URL (``{"event": "complete_upload"
    | "fail_upload", "after": ..., "after_describes": ...}``), if anything."""

    rules: tuple[Rule, ...]
    uploads: Move | None = None

    def rule_for(
        self, registration_id: str, registration_type: str, tags: Mapping[str, str]
    ) -> tuple[int, Rule] | None:
        """The first rule a registration follows, and its index; ``None`` if none."""
        for index, candidate in enumerate(self.rules):
            if candidate.matches(registration_id, registration_type, tags):
                return index, candidate
        return None

    @classmethod
    def default(cls) -> Policy:
        """:data:`DEFAULT_POLICY`: every built-in type approved on the published
        timeline."""
        return cls.from_dict(DEFAULT_POLICY)

    @classmethod
    def from_dict(cls, data: object) -> Policy:
        """The policy ``data`` describes (see the module docstring).

        Raises:
            ValidationException: naming the first malformed member by its path
                (``rules[1].submissions[0][2].event``) and the rule it breaks.
        """
        document = _mapping(data, "policy", {"rules", "uploads"})
        rules = _sequence(document.get("rules"), "rules")
        uploads = None
        if "uploads" in document:
            uploads = _move(document["uploads"], "uploads", UPLOAD_MOVES)
        return cls(tuple(_rule(rule, f"rules[{i}]") for i, rule in enumerate(rules)), uploads)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Policy:
        """The policy of a ``.json`` or ``.toml`` file.

        Raises:
            ValidationException: the file cannot be read or parsed, or its policy is
                malformed (naming the file and the member).
        """
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
            data = tomllib.loads(text) if source.suffix == ".toml" else json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValidationException.for_field(
                "review_policy", f"{source} cannot be read as JSON or TOML: {exc}"
            ) from None
        try:
            return cls.from_dict(data)
        except ValidationException as exc:
            field = exc.fields[0]
            raise ValidationException.for_field(
                "review_policy", f"{source}: {field['Name']}: {field['Message']}"
            ) from None


def _rule(data: object, where: str) -> Rule:
    rule = _mapping(data, where, {"registration_type", "tag", "registration_id", "submissions"})
    submissions = _sequence(rule.get("submissions"), f"{where}.submissions")
    if not submissions:
        raise ValidationException.for_field(f"{where}.submissions", "must hold a script")
    tag = None
    if "tag" in rule:
        found = _mapping(rule["tag"], f"{where}.tag", {"Key", "Value"})
        tag = (_text(found.get("Key"), f"{where}.tag.Key"),
               _text(found.get("Value"), f"{where}.tag.Value"))  # fmt: skip
    scripts = tuple(
        tuple(
            _move(move, f"{where}.submissions[{i}][{j}]")
            for j, move in enumerate(_sequence(script, f"{where}.submissions[{i}]"))
        )
        for i, script in enumerate(submissions)
    )
    return Rule(
        scripts,
        registration_type=_optional_text(rule, "registration_type", where),
        tag=tag,
        registration_id=_optional_text(rule, "registration_id", where),
    )


def _move(data: object, where: str, events: tuple[str, ...] = REVIEWER_MOVES) -> Move:
    move = _mapping(data, where, {"event", "after", "after_describes", "reasons", "fields",
                                  "feedback"})  # fmt: skip
    event = move.get("event")
    if event not in events:
        raise ValidationException.for_field(
            f"{where}.event", f"must be one of {', '.join(events)}, got {event!r}"
        )
    after = timedelta(0)
    if "after" in move:
        try:
            after = duration(move["after"])
        except ValidationException as exc:
            raise ValidationException.for_field(
                f"{where}.after", exc.fields[0]["Message"]
            ) from None
    describes = move.get("after_describes", 0)
    if type(describes) is not int or describes < 0:
        raise ValidationException.for_field(
            f"{where}.after_describes", f"must be a whole number of at least 0, got {describes!r}"
        )
    reasons = tuple(
        _mapping(reason, f"{where}.reasons[{i}]", None)
        for i, reason in enumerate(_sequence(move.get("reasons", []), f"{where}.reasons"))
    )
    if (event == "deny") != bool(reasons):
        raise ValidationException.for_field(
            f"{where}.reasons", "a deny needs at least one reason, and only a deny takes them"
        )
    fields = move.get("fields")
    if fields is not None and (event != "deny" or not isinstance(fields, Mapping)):
        raise ValidationException.for_field(
            f"{where}.fields", "only a deny flags fields: a mapping of field paths"
        )
    feedback = move.get("feedback")
    if feedback is not None:
        feedback = _text(feedback, f"{where}.feedback")
    return Move(event, after, describes, reasons, fields, feedback)


def _mapping(data: object, where: str, keys: set[str] | None) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationException.for_field(where, f"must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - keys) if keys is not None else []
    if unknown:
        raise ValidationException.for_field(
            f"{where}.{unknown[0]}", f"is not a member; one of {', '.join(sorted(keys or ()))}"
        )
    return data


def _sequence(data: object, where: str) -> Sequence[Any]:
    if not isinstance(data, list | tuple):
        raise ValidationException.for_field(where, f"must be a list, got {type(data).__name__}")
    return data


def _text(data: object, where: str) -> str:
    if not isinstance(data, str) or not data:
        raise ValidationException.for_field(where, "must be a non-empty string")
    return data


def _optional_text(rule: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if key not in rule else _text(rule[key], f"{where}.{key}")


def _approved(review: str, approval: str, provisioning: str) -> list[list[dict[str, str]]]:
    return [[{"event": "begin_review", "after": review},
             {"event": "approve", "after": approval},
             {"event": "complete_provisioning", "after": provisioning}]]  # fmt: skip


DEFAULT_POLICY: dict[str, Any] = {
    "rules": [
        {"registration_type": "US_TEN_DLC_BRAND_REGISTRATION",
         "submissions": _approved("1h", "1d", "1h")},
        {"registration_type": "US_TEN_DLC_BRAND_VETTING",
         "submissions": _approved("1h", "1d", "1h")},
        {"registration_type": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
         "submissions": _approved("1d", "14d", "1d")},
        {"registration_type": "US_TOLL_FREE_REGISTRATION",
         "submissions": _approved("1d", "14d", "1d")},
        {"submissions": _approved("1d", "7d", "1d")},
    ]
}  # fmt: skip
"""Every registration approved, on the published timeline (**choice** of the exact
durations): a brand in about a day, a campaign in about two weeks (its review may take
up to four), a toll-free registration in about two weeks, any other in a week; the
numbers of each activate as it completes.
:meth:`Policy.default`."""
