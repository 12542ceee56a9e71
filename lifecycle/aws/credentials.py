"""The access keys ``lifecycle serve`` accepts, and the account each one signs for.

A credentials file is a JSON object mapping each access key id to its secret and
account::

    {"AKIDEXAMPLE": {"secret_access_key": "...", "account_id": "123456789012"}}

Without a file, the server accepts one test credential: access key ``lifecycle``, secret
``lifecycle`` (what :func:`lifecycle.aws.client` signs with), for one account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from lifecycle.errors import ValidationException
from lifecycle.validation import string, structure

TEST_ACCESS_KEY = "lifecycle"
"""The access key id, and the secret, of the test credential."""

DEFAULT_ACCOUNT = "123456789012"
"""The account of the test credential unless told otherwise."""

_ACCESS_KEY_ID = string(1, 128, r"[A-Za-z0-9_.-]+")


def _account_id(field: str, value: object) -> str:
    if type(value) is not str or not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise ValidationException.for_field(field, f"must be 12 digits, got {value!r}")
    return value


_ENTRY = structure(
    {"secret_access_key": (string(1, 128, r"[!-~]+"), True), "account_id": (_account_id, True)}
)


@attrs.frozen
class AccessKey:
    """One access key: its id, its secret and the account it signs for."""

    access_key_id: str
    secret_access_key: str = attrs.field(repr=False)
    account_id: str


@attrs.frozen
class Credentials:
    """The access keys a server accepts, by id.

    ``path`` is the credentials file they were read from, or ``None`` for the test
    credential.
    """

    keys: Mapping[str, AccessKey]
    path: Path | None = None

    @classmethod
    def test(cls, account_id: str = DEFAULT_ACCOUNT) -> Credentials:
        """Only the test credential (``lifecycle``/``lifecycle``), for ``account_id``.

        Raises:
            ValidationException: ``account_id`` is not 12 digits.
        """
        key = AccessKey(TEST_ACCESS_KEY, TEST_ACCESS_KEY, _account_id("account_id", account_id))
        return cls({TEST_ACCESS_KEY: key})

    @classmethod
    def load(cls, path: str | Path) -> Credentials:
        """The access keys of the credentials file at ``path``.

        Raises:
            ValidationException: the file cannot be read, is not a JSON object, names
                no key, or an entry breaks a rule; the message names the file, the
                access key and the rule.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise _invalid(path, f"cannot be read: {reason}") from None
        try:
            document = json.loads(text, object_pairs_hook=_refuse_duplicates)
        except ValueError as exc:  # JSONDecodeError, or a key given twice
            raise _invalid(path, f"is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise _invalid(path, "must be a JSON object mapping access key ids to "
                                 '{"secret_access_key": ..., "account_id": ...}')  # fmt: skip
        if not document:
            raise _invalid(path, "must name at least one access key")
        keys = {}
        for key_id, value in document.items():
            try:
                _ACCESS_KEY_ID(f"access key id {key_id!r}", key_id)
                entry = _ENTRY(key_id, value)
            except ValidationException as exc:
                raise _invalid(path, exc.message) from None
            keys[key_id] = AccessKey(key_id, entry["secret_access_key"], entry["account_id"])
        return cls(keys, path)

    @property
    def is_test(self) -> bool:
        """Whether these are the test credential's, not a credentials file's."""
        return self.path is None

    def get(self, access_key_id: str) -> AccessKey | None:
        """The key ``access_key_id``, or ``None`` if it is not one of these."""
        return self.keys.get(access_key_id)

    def __iter__(self) -> Iterator[AccessKey]:
        return iter(self.keys.values())

    def __len__(self) -> int:
        return len(self.keys)


def _invalid(path: Path, problem: str) -> ValidationException:
    return ValidationException(
        f"credentials file {path}: {problem}",
        reason="FIELD_VALIDATION_FAILED",
        fields=[{"Name": "credentials", "Message": f"{path}: {problem}"}],
    )


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"{key!r} is given twice")
        seen[key] = value
    return seen
