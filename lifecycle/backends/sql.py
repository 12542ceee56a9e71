"""What the SQL backends share: rows to records, records to rows, and the queries.

:class:`SqlBackend` implements the whole port on a DB-API connection. A subclass brings
the connection (:meth:`SqlBackend._transaction`), its migrations and the few statements
whose dialects differ. SQL here is written with ``?`` placeholders; a dialect that uses
``%s`` sets :attr:`SqlBackend.paramstyle`.

Schema (version 7), in both dialects:

- ``registrations``: one row per registration; ``seq`` is the keyset position, and
  ``revision`` is what optimistic concurrency compares. The derived numbers are kept
  as columns (version 2 adds ``latest_revoked_version``), so reading a registration
  joins exactly two version rows: the current and the approved one. Version 7 adds
  ``identities`` (how many origination identities are associated),
  ``associated_registration_id`` (a campaign's brand, NULL for none) and ``sender_id``
  (the sender ID its approval provisioned, NULL for none).
- ``versions``: one row per version, with one column per status-history timestamp
  (integer microseconds since the epoch, UTC).
- ``events``: the transition log, in commit order; ``detail`` (version 4) is the
  event's JSON detail.
- ``field_values``: each version's field values (version 4), one row per field path,
  the value as the JSON of ``FieldValue.to_dict()``; ``ordinal`` keeps the order the
  paths were first set in; ``denied_reason`` and ``feedback`` (version 5) are the
  reviewer's flag, NULL when unflagged. Version 5 also adds ``attachment_id``: the
  attachment a value names, indexed, so that deleting an attachment finds the values
  that still name it.
- ``attachments`` (version 5): one row per registration attachment, ``seq`` its keyset
  position, ``revision`` what optimistic concurrency compares; ``body`` holds its bytes
  (at most :data:`lifecycle.media.MAX_BODY`), read only by ``attachment_body``. The
  events' ``resource_type`` (version 5) tells an attachment's events from a
  registration's.
- ``phone_numbers`` (version 6): one row per phone number, ``seq`` its keyset position,
  ``revision`` what optimistic concurrency compares; ``number_capabilities`` and
  ``tags`` are JSON. A partial unique index (``phone_numbers_held``) lets one number
  that is not DELETED hold each E.164 number of an account and region. Version 7 adds
  ``registration_id``: the registration the number is associated with (NULL for
  none), indexed per account and region for the numbers of one registration.
- ``quota_usage``: each account's usage of each quota (per day for daily ones);
- ``idempotency``: ``ClientToken`` records; ``meta``: the pagination key;
  ``schema_version``: the applied migrations.
- ``cursors``: each outbox reader's position (``(-1, -1)`` before its first event) and
  its lease: the consumer holding it and until when, in seconds on the database's
  clock (version 3 adds both).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from lifecycle import attachments, phone_numbers
from lifecycle.attachments import RegistrationAttachment
from lifecycle.errors import ConflictException, ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.form import FieldValue
from lifecycle.models import (
    HISTORY_KEYS,
    DeniedReason,
    Registration,
    RegistrationVersion,
    Tag,
    VersionStatusHistory,
)
from lifecycle.phone_numbers import PhoneNumber
from lifecycle.ports import (
    AttachmentQuery,
    BeforeCommit,
    CursorLease,
    FormChange,
    IdempotencyRecord,
    LoggedEvent,
    LogPosition,
    NumberWrite,
    Page,
    PhoneNumberQuery,
    QuotaCharge,
    RegistrationQuery,
    Snapshot,
    VersionQuery,
    cursor_lost,
)
from lifecycle.statuses import (
    Actor,
    AttachmentStatus,
    PhoneNumberStatus,
    RegistrationStatus,
    VersionStatus,
)

T = TypeVar("T")

Cursor = Any
"""A DB-API cursor (``sqlite3.Cursor`` or ``psycopg.Cursor``)."""

Reads = Callable[[], AbstractContextManager[Cursor]]
"""Opens the cursor a read runs on: one statement's, or a snapshot's."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

HISTORY_COLUMNS = tuple(f"{name}_at" for name in HISTORY_KEYS)
VERSION_COLUMNS = ("version_number", "status", *HISTORY_COLUMNS, "denied_reasons", "feedback")
REGISTRATION_COLUMNS = (
    "seq", "registration_id", "account_id", "region", "registration_type", "status",
    "revision", "tags", "identities", "associated_registration_id", "sender_id",
)  # fmt: skip
EVENT_COLUMNS = (
    "account_id", "region", "registration_id", "event", "actor", "version_number",
    "version_from", "version_to", "registration_from", "registration_to", "at", "detail",
    "resource_type",
)  # fmt: skip
ATTACHMENT_COLUMNS = (
    "seq", "attachment_id", "account_id", "region", "status", "revision", "tags", "url",
    "media_type", "size", "upload_error_reason", "created_at",
)  # fmt: skip
PHONE_NUMBER_COLUMNS = (
    "seq", "phone_number_id", "account_id", "region", "phone_number", "status", "revision",
    "iso_country_code", "message_type", "number_capabilities", "number_type",
    "international_sending_enabled", "deletion_protection_enabled", "tags", "created_at",
    "registration_id",
)  # fmt: skip

DERIVED_COLUMNS = ("latest_denied_version", "latest_revoked_version", "created_at")
# A registration as a step needs it, in one statement: its row, its current version
# and its approved version (absent: NULLs).
_READ = (
    f"SELECT {', '.join(f'r.{c}' for c in (*REGISTRATION_COLUMNS, *DERIVED_COLUMNS))}, "
    f"{', '.join(f'c.{c}' for c in VERSION_COLUMNS)}, "
    f"{', '.join(f'a.{c}' for c in VERSION_COLUMNS)} FROM registrations r "
    "JOIN versions c ON c.registration_seq = r.seq AND c.version_number = r.current_version "
    "LEFT JOIN versions a ON a.registration_seq = r.seq AND a.version_number = r.approved_version"
)
_INSERT_REGISTRATION = (
    "INSERT INTO registrations (registration_id, account_id, region, registration_type, "
    "status, revision, tags, identities, associated_registration_id, sender_id, "
    "current_version, approved_version, latest_denied_version, latest_revoked_version, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq"
)
_UPDATE_REGISTRATION = (
    "UPDATE registrations SET status = ?, revision = ?, tags = ?, identities = ?, "
    "associated_registration_id = ?, sender_id = ?, current_version = ?, approved_version = ?, "
    "latest_denied_version = ?, latest_revoked_version = ? "
    "WHERE registration_id = ? AND account_id = ? AND region = ? AND revision = ? RETURNING seq"
)
# The version rows find their registration by id, so no earlier result is needed.
_UPSERT_VERSION = (
    f"INSERT INTO versions (registration_seq, {', '.join(VERSION_COLUMNS)}) "
    "VALUES ((SELECT seq FROM registrations WHERE registration_id = ?), "
    f"{', '.join('?' * len(VERSION_COLUMNS))}) "
    "ON CONFLICT (registration_seq, version_number) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in VERSION_COLUMNS[1:])
)
_CHARGE = (
    "INSERT INTO quota_usage (account_id, region, quota, period, used) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (account_id, region, quota, period) "
    "DO UPDATE SET used = quota_usage.used + excluded.used RETURNING used"
)
_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
_CLAIM = (
    "INSERT INTO idempotency (account_id, region, token, fingerprint, registration_id) "
    "VALUES (?, ?, ?, ?, ?)"
)
# The cursor statements, with the dialect's clock (seconds) for {now}. A lease is taken
# when it is free, already this holder's, or expired; a move needs the lease and goes
# forward only.
_CLAIM_CURSOR = (
    "INSERT INTO cursors (name, log_group, log_id, holder, lease_until) "
    "VALUES (?, -1, -1, ?, {now} + ?) ON CONFLICT (name) DO UPDATE "
    "SET holder = excluded.holder, lease_until = excluded.lease_until "
    "WHERE cursors.holder IS NULL OR cursors.holder = excluded.holder "
    "OR cursors.lease_until < {now} RETURNING log_group, log_id"
)
_ADVANCE_CURSOR = (
    "UPDATE cursors SET log_group = ?, log_id = ?, lease_until = {now} + ? "
    "WHERE name = ? AND holder = ? AND (log_group, log_id) < (?, ?) RETURNING log_id"
)
_RELEASE_CURSOR = (
    "UPDATE cursors SET holder = NULL, lease_until = NULL WHERE name = ? AND holder = ?"
)
# The field value statements, on one version of a registration found by its id (as the
# version rows are). A path first set takes the next ordinal of its version; a replaced
# one keeps its own, and a copy keeps its source's: that is the order values read in.
# A copy leaves the reviewer's flags behind, and a put replaces the value's flag too.
_SEQ = "(SELECT seq FROM registrations WHERE registration_id = ?)"
_CLEAR_VALUES = f"DELETE FROM field_values WHERE registration_seq = {_SEQ} AND version_number = ?"
_COPY_VALUES = (
    "INSERT INTO field_values (registration_seq, version_number, path, ordinal, value, "
    "attachment_id) SELECT registration_seq, ?, path, ordinal, value, attachment_id "
    f"FROM field_values WHERE registration_seq = {_SEQ} AND version_number = ?"
)
_DELETE_VALUE = f"{_CLEAR_VALUES} AND path = ?"
_PUT_VALUE = (
    "INSERT INTO field_values (registration_seq, version_number, path, ordinal, value, "
    f"attachment_id) VALUES ({_SEQ}, ?, ?, (SELECT COALESCE(MAX(f.ordinal), 0) + 1 "
    f"FROM field_values f WHERE f.registration_seq = {_SEQ} AND f.version_number = ?), ?, ?) "
    "ON CONFLICT (registration_seq, version_number, path) "
    "DO UPDATE SET value = excluded.value, attachment_id = excluded.attachment_id, "
    "denied_reason = NULL, feedback = NULL"
)
_FLAG_VALUE = (
    "UPDATE field_values SET denied_reason = ?, feedback = ? "
    f"WHERE registration_seq = {_SEQ} AND version_number = ? AND path = ?"
)
# The attachment statements. An attachment's row is its lock: a put that names it
# reads it (FOR SHARE where the dialect has row locks) and a delete updates it, so
# the two are serialised and the delete's search for values naming it sees the put.
_SELECT_ATTACHMENT = f"SELECT {', '.join(ATTACHMENT_COLUMNS)} FROM attachments"
_INSERT_ATTACHMENT = (
    f"INSERT INTO attachments ({', '.join(ATTACHMENT_COLUMNS[1:])}, body) "
    f"VALUES ({', '.join('?' * len(ATTACHMENT_COLUMNS))}) RETURNING seq"
)
_UPDATE_ATTACHMENT = (
    "UPDATE attachments SET status = ?, revision = ?, tags = ?, media_type = ?, size = ?, "
    "upload_error_reason = ?, body = COALESCE(?, body) "
    "WHERE attachment_id = ? AND account_id = ? AND region = ? AND revision = ? RETURNING seq"
)
_NAMING = (
    "SELECT r.registration_id FROM field_values f JOIN registrations r "
    "ON r.seq = f.registration_seq AND f.version_number = r.current_version "
    "WHERE f.attachment_id = ? AND r.account_id = ? AND r.region = ? AND r.status <> 'DELETED'"
)
_READ_VALUES = (
    "SELECT f.path, f.value, f.denied_reason, f.feedback FROM field_values f "
    "JOIN registrations r ON r.seq = f.registration_seq WHERE r.registration_id = ? "
    "AND r.account_id = ? AND r.region = ? AND f.version_number = ?"
)


# The phone number statements. The partial unique index phone_numbers_held is the last
# word on who holds an E.164 number; the commit reads the holder first, to name it.
_SELECT_PHONE_NUMBER = f"SELECT {', '.join(PHONE_NUMBER_COLUMNS)} FROM phone_numbers"
_INSERT_PHONE_NUMBER = (
    f"INSERT INTO phone_numbers ({', '.join(PHONE_NUMBER_COLUMNS[1:])}) "
    f"VALUES ({', '.join('?' * (len(PHONE_NUMBER_COLUMNS) - 1))}) RETURNING seq"
)
_UPDATE_PHONE_NUMBER = (
    "UPDATE phone_numbers SET "
    + ", ".join(f"{c} = ?" for c in PHONE_NUMBER_COLUMNS[4:])
    + " WHERE phone_number_id = ? AND account_id = ? AND region = ? AND revision = ? "
    "RETURNING seq"
)
_HOLDER = (
    "SELECT phone_number_id FROM phone_numbers WHERE account_id = ? AND region = ? "
    "AND phone_number = ? AND status <> 'DELETED' AND phone_number_id <> ?"
)


def schema_v1(
    *, serial: str, blob: str, without_rowid: str = "", event_columns: str = ""
) -> tuple[str, ...]:
    """The statements of schema version 1 in a dialect: ``serial`` is an
    auto-numbered primary key, ``blob`` a byte string, ``without_rowid`` a table
    suffix, ``event_columns`` extra leading columns of the event log."""
    history = ", ".join(f"{c} BIGINT" for c in HISTORY_COLUMNS[1:])
    return (
        f"CREATE TABLE meta (key TEXT PRIMARY KEY, value {blob} NOT NULL)",
        f"""CREATE TABLE registrations (
            seq {serial},
            registration_id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            registration_type TEXT NOT NULL,
            status TEXT NOT NULL,
            revision INTEGER NOT NULL,
            tags TEXT,
            current_version INTEGER NOT NULL,
            approved_version INTEGER,
            latest_denied_version INTEGER,
            created_at BIGINT NOT NULL)""",
        "CREATE INDEX registrations_by_account ON registrations (account_id, region, seq)",
        "CREATE INDEX registrations_by_status ON registrations (account_id, region, status, seq)",
        "CREATE INDEX registrations_by_type "
        "ON registrations (account_id, region, registration_type, seq)",
        f"""CREATE TABLE versions (
            registration_seq BIGINT NOT NULL REFERENCES registrations (seq),
            version_number INTEGER NOT NULL,
            status TEXT NOT NULL,
            draft_at BIGINT NOT NULL, {history},
            denied_reasons TEXT,
            feedback TEXT,
            PRIMARY KEY (registration_seq, version_number)){without_rowid}""",
        f"""CREATE TABLE events (
            id {serial},{event_columns}
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            registration_id TEXT NOT NULL,
            event TEXT NOT NULL,
            actor TEXT NOT NULL,
            version_number INTEGER,
            version_from TEXT, version_to TEXT,
            registration_from TEXT, registration_to TEXT,
            at BIGINT NOT NULL)""",
        f"""CREATE TABLE idempotency (
            account_id TEXT NOT NULL, region TEXT NOT NULL, token TEXT NOT NULL,
            fingerprint TEXT NOT NULL, registration_id TEXT NOT NULL,
            PRIMARY KEY (account_id, region, token)){without_rowid}""",
        """CREATE TABLE cursors (
            name TEXT PRIMARY KEY, log_group BIGINT NOT NULL, log_id BIGINT NOT NULL)""",
    )


SCHEMA_V2: tuple[str, ...] = (
    "ALTER TABLE registrations ADD COLUMN latest_revoked_version INTEGER",
    "UPDATE registrations SET latest_revoked_version = (SELECT MAX(v.version_number) "
    "FROM versions v WHERE v.registration_seq = registrations.seq AND v.status = 'REVOKED')",
    """CREATE TABLE quota_usage (
        account_id TEXT NOT NULL, region TEXT NOT NULL, quota TEXT NOT NULL,
        period TEXT NOT NULL, used BIGINT NOT NULL,
        PRIMARY KEY (account_id, region, quota, period))""",
    "INSERT INTO quota_usage (account_id, region, quota, period, used) "
    "SELECT account_id, region, 'REGISTRATIONS_PER_ACCOUNT', '', COUNT(*) FROM registrations "
    "WHERE status <> 'DELETED' GROUP BY account_id, region",
)
"""Schema version 2 in both dialects: the derived number a step's conditions need
instead of a scan of the versions, and the quota usage (the registrations there are
counted; daily usage starts at the upgrade)."""

SCHEMA_V3: tuple[str, ...] = (
    "ALTER TABLE cursors ADD COLUMN holder TEXT",
    "ALTER TABLE cursors ADD COLUMN lease_until DOUBLE PRECISION",
)
"""Schema version 3 in both dialects: the lease of each outbox cursor."""


def schema_v4(*, without_rowid: str = "") -> tuple[str, ...]:
    """Schema version 4 in a dialect (``without_rowid`` as for :func:`schema_v1`): the
    events' detail and the versions' field values. The primary key is also the
    lookup of one version's values, so a read touches only the rows it returns."""
    return (
        "ALTER TABLE events ADD COLUMN detail TEXT",
        f"""CREATE TABLE field_values (
            registration_seq BIGINT NOT NULL REFERENCES registrations (seq),
            version_number INTEGER NOT NULL,
            path TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (registration_seq, version_number, path)){without_rowid}""",
    )


def schema_v5(*, serial: str, blob: str) -> tuple[str, ...]:
    """Schema version 5 in a dialect (``serial`` and ``blob`` as for :func:`schema_v1`):
    the reviewer's flag of a field value (both columns NULL on the values stored before
    it), attachments, the attachment each field value names, and the events' resource
    type."""
    return (
        "ALTER TABLE field_values ADD COLUMN denied_reason TEXT",
        "ALTER TABLE field_values ADD COLUMN feedback TEXT",
        f"""CREATE TABLE attachments (
            seq {serial},
            attachment_id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            status TEXT NOT NULL,
            revision INTEGER NOT NULL,
            tags TEXT,
            url TEXT,
            media_type TEXT,
            size BIGINT,
            upload_error_reason TEXT,
            created_at BIGINT NOT NULL,
            body {blob})""",
        "CREATE INDEX attachments_by_account ON attachments (account_id, region, seq)",
        "ALTER TABLE field_values ADD COLUMN attachment_id TEXT",
        "CREATE INDEX field_values_by_attachment ON field_values (attachment_id) "
        "WHERE attachment_id IS NOT NULL",
        "ALTER TABLE events ADD COLUMN resource_type TEXT NOT NULL DEFAULT 'registration'",
    )


def schema_v6(*, serial: str) -> tuple[str, ...]:
    """Schema version 6 in a dialect (``serial`` as for :func:`schema_v1`): phone
    numbers, and the rule that one number not DELETED holds each E.164 number of an
    account and region."""
    return (
        f"""CREATE TABLE phone_numbers (
            seq {serial},
            phone_number_id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            status TEXT NOT NULL,
            revision INTEGER NOT NULL,
            iso_country_code TEXT NOT NULL,
            message_type TEXT NOT NULL,
            number_capabilities TEXT NOT NULL,
            number_type TEXT NOT NULL,
            international_sending_enabled BOOLEAN NOT NULL,
            deletion_protection_enabled BOOLEAN NOT NULL,
            tags TEXT,
            created_at BIGINT NOT NULL)""",
        "CREATE INDEX phone_numbers_by_account ON phone_numbers (account_id, region, seq)",
        "CREATE UNIQUE INDEX phone_numbers_held ON phone_numbers (account_id, region, "
        "phone_number) WHERE status <> 'DELETED'",
    )


SCHEMA_V7: tuple[str, ...] = (
    "ALTER TABLE registrations ADD COLUMN identities INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE registrations ADD COLUMN associated_registration_id TEXT",
    "ALTER TABLE registrations ADD COLUMN sender_id TEXT",
    "ALTER TABLE phone_numbers ADD COLUMN registration_id TEXT",
    "CREATE INDEX phone_numbers_by_registration "
    "ON phone_numbers (account_id, region, registration_id, seq)",
)
"""Schema version 7 in both dialects: associations. A registration counts its
identities and names the registration it is associated with and its sender ID; a
phone number names its registration. What was stored before has none (0, NULL)."""


def check_schema_version(
    current: int, known: int, field: str, where: str, *, read_only: bool
) -> None:
    """Refuse a database of schema version ``current`` that this library, which knows
    up to ``known``, cannot use: a newer one, or an older one opened read-only (it
    cannot be migrated)."""
    if current > known:
        raise ValidationException.for_field(
            field,
            f"{where} has schema version {current}; this library knows up to {known}: "
            "upgrade lifecycle",
        )
    if read_only and current < known:
        raise ValidationException.for_field(
            field,
            f"{where} has schema version {current}, older than this library's {known}, "
            "and is opened read-only, so it cannot be migrated: open it writable once "
            "(any other lifecycle command does), or read it with the lifecycle version "
            "that wrote it",
        )


def to_micros(when: datetime | None) -> int | None:
    """``when`` as integer microseconds since the epoch."""
    return None if when is None else (when - _EPOCH) // _MICRO


def from_micros(value: int | None) -> datetime | None:
    """The UTC datetime of ``value`` microseconds since the epoch."""
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def _tags_column(tags: Sequence[Tag]) -> str | None:
    """The ``tags`` column: the tags' JSON, NULL for none."""
    return json.dumps([t.to_dict() for t in tags]) if tags else None


def _claim_row(record: IdempotencyRecord) -> tuple[str, ...]:
    return (record.account_id, record.region, record.token, record.fingerprint,
            record.registration_id)  # fmt: skip


def _version_row(registration_id: str, v: RegistrationVersion) -> tuple[Any, ...]:
    h = v.history
    return (
        registration_id,
        v.version_number,
        v.status.value,
        *(to_micros(getattr(h, name)) for name in HISTORY_KEYS),
        json.dumps([r.to_dict() for r in v.denied_reasons]) if v.denied_reasons else None,
        v.feedback,
    )


def _version(row: Sequence[Any]) -> RegistrationVersion:
    """A version from a row of ``VERSION_COLUMNS``."""
    number, status, draft, *rest = row
    later = rest[: len(HISTORY_COLUMNS) - 1]
    reasons, feedback = rest[len(HISTORY_COLUMNS) - 1 :]
    return RegistrationVersion(
        number,
        VersionStatus(status),
        VersionStatusHistory(_EPOCH + draft * _MICRO, *(from_micros(t) for t in later)),
        tuple(DeniedReason.from_dict(r) for r in json.loads(reasons)) if reasons else (),
        feedback,
    )


def _event_row(e: TransitionEvent) -> tuple[Any, ...]:
    return (
        e.account_id, e.region, e.registration_id, e.event, e.actor.value, e.version_number,
        e.version_from, e.version_to, e.registration_from, e.registration_to,
        to_micros(e.timestamp), None if e.detail is None else json.dumps(dict(e.detail)),
        e.resource_type,
    )  # fmt: skip


_STATUSES: dict[str, type[RegistrationStatus | AttachmentStatus | PhoneNumberStatus]] = {
    "registration": RegistrationStatus,
    attachments.RESOURCE_TYPE: AttachmentStatus,
    phone_numbers.RESOURCE_TYPE: PhoneNumberStatus,
}
"""The status enum of each resource type's events."""


def _event(row: Sequence[Any]) -> TransitionEvent:
    (account, region, rid, name, actor, number, v_from, v_to, r_from, r_to, at, detail,
     resource_type) = row  # fmt: skip
    statuses = _STATUSES[resource_type]
    return TransitionEvent(
        account, region, rid, name, Actor(actor), number,
        None if v_from is None else VersionStatus(v_from),
        None if v_to is None else VersionStatus(v_to),
        None if r_from is None else statuses(r_from),
        None if r_to is None else statuses(r_to),
        from_micros(at),  # type: ignore[arg-type]
        None if detail is None else json.loads(detail),
        resource_type,
    )  # fmt: skip


def _attachment(row: Sequence[Any]) -> RegistrationAttachment:
    """An attachment from a row of ``ATTACHMENT_COLUMNS``."""
    _, aid, account, region, status, revision, tags, url, media_type, size, error, at = row
    return RegistrationAttachment(
        attachment_id=aid,
        account_id=account,
        region=region,
        status=AttachmentStatus(status),
        created_timestamp=_EPOCH + at * _MICRO,
        tags=_tags(tags),
        url=url,
        media_type=media_type,
        size=size,
        upload_error_reason=error,
        revision=revision,
    )


def _phone_number_row(n: PhoneNumber) -> tuple[Any, ...]:
    """``PHONE_NUMBER_COLUMNS`` but ``seq`` of ``n``."""
    return (
        n.phone_number_id, n.account_id, n.region, n.phone_number, n.status.value, n.revision,
        n.iso_country_code, n.message_type, json.dumps(list(n.number_capabilities)),
        n.number_type, n.international_sending_enabled, n.deletion_protection_enabled,
        _tags_json(n.tags), to_micros(n.created_timestamp), n.registration_id,
    )  # fmt: skip


def _phone_number(row: Sequence[Any]) -> PhoneNumber:
    """A phone number from a row of ``PHONE_NUMBER_COLUMNS``."""
    (_, pid, account, region, e164, status, revision, country, message_type, capabilities,
     number_type, international, protected, tags, at, registration) = row  # fmt: skip
    return PhoneNumber(
        phone_number_id=pid,
        account_id=account,
        region=region,
        phone_number=e164,
        status=PhoneNumberStatus(status),
        iso_country_code=country,
        message_type=message_type,
        number_capabilities=tuple(json.loads(capabilities)),
        number_type=number_type,
        international_sending_enabled=bool(international),
        deletion_protection_enabled=bool(protected),
        created_timestamp=_EPOCH + at * _MICRO,
        tags=_tags(tags),
        revision=revision,
        registration_id=registration,
    )


def _tags_json(tags: tuple[Tag, ...]) -> str | None:
    return json.dumps([t.to_dict() for t in tags]) if tags else None


def _tags(column: str | None) -> tuple[Tag, ...]:
    return tuple(Tag.from_dict(t) for t in json.loads(column)) if column else ()


def _filter_in(
    where: list[str], params: list[Any], filters: list[tuple[str, frozenset[Any] | None]]
) -> bool:
    """Add ``column IN (...)`` for each given filter; False if one can match nothing."""
    for column, values in filters:
        if values is None:
            continue
        if not values:
            return False
        where.append(f"{column} IN ({', '.join('?' * len(values))})")
        params.extend(sorted(values))
    return True


def _registration(row: Sequence[Any]) -> Registration:
    """A registration from a ``_READ`` row."""
    width = len(REGISTRATION_COLUMNS) + len(DERIVED_COLUMNS)
    (_, rid, account, region, rtype, status, revision, tags, identities, associated, sender,
     denied, revoked, created) = row[:width]  # fmt: skip
    current = row[width : width + len(VERSION_COLUMNS)]
    approved = row[width + len(VERSION_COLUMNS) :]
    return Registration(
        registration_id=rid,
        account_id=account,
        region=region,
        registration_type=rtype,
        status=RegistrationStatus(status),
        current_version=_version(current),
        approved_version=None if approved[0] is None else _version(approved),
        latest_denied_version_number=denied,
        latest_revoked_version_number=revoked,
        created_timestamp=_EPOCH + created * _MICRO,
        tags=_tags(tags),
        revision=revision,
        identities=identities,
        associated_registration_id=associated,
        sender_id=sender,
    )


class SqlBackend(ABC):
    """The backend port on a SQL database (see the module docstring for the schema)."""

    paramstyle = "?"
    _share_lock = ""
    """What a SELECT appends to lock the rows it reads against writers until the
    commit (``" FOR SHARE"``), where the dialect needs it."""
    clock: str
    """SQL expression of the database's clock in seconds: what leases are timed by."""
    _pagination_key: bytes

    # -- what a dialect provides ------------------------------------------------------

    @abstractmethod
    def _transaction(self, write: bool) -> AbstractContextManager[Cursor]:
        """A cursor inside a transaction: committed when the block ends, rolled back if
        it raises. Driver errors come out as InternalServerException naming the cause
        (ConflictException for a serialisation failure). ``write`` says the block will
        write, so a dialect can take its write lock up front."""

    @abstractmethod
    def _statement(self) -> AbstractContextManager[Cursor]:
        """A cursor for one read statement, outside any explicit transaction (one
        statement sees one snapshot); errors translated as for :meth:`_transaction`."""

    @abstractmethod
    def _snapshot(self) -> AbstractContextManager[Cursor]:
        """A cursor in a read-only transaction that sees the whole database as of one
        moment; errors translated as for :meth:`_transaction`."""

    @abstractmethod
    def _is_unique_violation(self, error: BaseException) -> bool:
        """Whether ``error`` is the driver's unique-constraint violation."""

    @abstractmethod
    def _log_statement(self, registration_id: str | None, *, settled: bool) -> str:
        """SELECT of ``(group, id, *EVENT_COLUMNS)`` after position ``(?, ?)`` [of one
        registration], in log order, with a ``LIMIT ?``. ``settled``: only events no
        later commit can precede (what a cursor may pass); else every event the
        transaction sees (a snapshot)."""

    def _sql(self, statement: str) -> str:
        return statement if self.paramstyle == "?" else statement.replace("?", "%s")

    # -- the port ---------------------------------------------------------------------

    @property
    def pagination_key(self) -> bytes:
        """The key stored with the data at its creation."""
        return self._pagination_key

    def get(self, account_id: str, region: str, registration_id: str) -> Registration | None:
        """The registration, or ``None`` (one statement: one consistent snapshot)."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    f"{_READ} WHERE r.registration_id = ? AND r.account_id = ? AND r.region = ?"
                ),
                (registration_id, account_id, region),
            ).fetchone()
        return None if row is None else _registration(row)

    def commit(
        self,
        registration: Registration,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        versions: Sequence[RegistrationVersion],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
        form: FormChange | None = None,
        numbers: Sequence[NumberWrite] = (),
    ) -> Registration:
        """Store ``registration`` with its versions, events, quota usage, field values
        and phone numbers in one transaction; see :meth:`lifecycle.ports.Backend.commit`.

        The ``numbers`` are written (each by :meth:`_write_number`) after the
        registration's checks and before the quotas are charged, as
        :meth:`commit_phone_number` writes its number: every commit locks number rows
        before quota rows, so two cannot deadlock on them (PostgreSQL). The in-memory
        backend charges first: where both refuse, it names the quota.
        """
        r = registration
        derived = (r.current_version_number, r.approved_version_number,
                   r.latest_denied_version_number, r.latest_revoked_version_number)  # fmt: skip
        with self._transaction(write=True) as cur:
            # The registration statement's RETURNING row is read last: it is the
            # compare-and-set verdict, and the other rows need nothing from it.
            written = cur.connection.cursor()
            try:
                if expected_revision is None:
                    if idempotency is not None:
                        cur.execute(self._sql(_CLAIM), _claim_row(idempotency))
                    written.execute(
                        self._sql(_INSERT_REGISTRATION),
                        (r.registration_id, r.account_id, r.region, r.registration_type,
                         r.status.value, r.revision, _tags_column(r.tags), r.identities,
                         r.associated_registration_id, r.sender_id, *derived,
                         to_micros(r.created_timestamp)),
                    )  # fmt: skip
                else:
                    written.execute(
                        self._sql(_UPDATE_REGISTRATION),
                        (r.status.value, r.revision, _tags_column(r.tags), r.identities,
                         r.associated_registration_id, r.sender_id, *derived,
                         r.registration_id, r.account_id, r.region, expected_revision),
                    )  # fmt: skip
                if versions:
                    cur.executemany(
                        self._sql(_UPSERT_VERSION),
                        [_version_row(r.registration_id, v) for v in versions],
                    )
                if events:
                    cur.executemany(self._sql(_INSERT_EVENT), [_event_row(e) for e in events])
                if form is not None:
                    self._check_named(cur, r.account_id, r.region, form)
                    self._write_form(cur, r.registration_id, form)
                if written.fetchone() is None:  # the stored revision was not the expected one
                    raise ConflictException(
                        f"Registration {r.registration_id} was changed by another call since "
                        "it was read; read it again and retry.",
                        reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
                        resource_type="registration",
                        resource_id=r.registration_id,
                    )
            except Exception as exc:
                if not self._is_unique_violation(exc):
                    raise
                raise ConflictException(
                    "ClientToken already used.",
                    reason="RESOURCE_ALREADY_EXISTS",
                    resource_type="registration",
                    resource_id=r.registration_id,
                ) from None
            for write in numbers:
                self._write_number(cur, write)
            self._charge(cur, r.account_id, r.region, quotas)
            if before_commit is not None:
                before_commit(events)
        return registration

    def _charge(
        self, cur: Cursor, account_id: str, region: str, quotas: Sequence[QuotaCharge]
    ) -> None:
        """Record ``quotas`` in the commit's transaction; raise if one goes over its limit."""
        for charge in quotas:
            used = cur.execute(
                self._sql(_CHARGE),
                (account_id, region, charge.quota, charge.period, charge.amount),
            ).fetchone()[0]
            charge.check(account_id, region, used - charge.amount)

    def _check_named(self, cur: Cursor, account_id: str, region: str, form: FormChange) -> None:
        """Refuse ``form`` if an attachment it puts is not UPLOAD_COMPLETE here; the
        row stays locked against a delete until the commit."""
        for path, value in form.put.items():
            named = value.attachment_id
            if named is None:
                continue
            row = cur.execute(
                self._sql(
                    f"{_SELECT_ATTACHMENT} WHERE attachment_id = ? AND account_id = ? "
                    f"AND region = ?{self._share_lock}"
                ),
                (named, account_id, region),
            ).fetchone()
            attachment = None if row is None else _attachment(row)
            if attachment is None or attachment.status is not AttachmentStatus.UPLOAD_COMPLETE:
                raise attachments.not_usable(attachment, named, path)

    def _write_form(self, cur: Cursor, registration_id: str, form: FormChange) -> None:
        """Apply ``form`` to its version's values, as ``memory._apply`` does."""
        rid, number = registration_id, form.version_number
        if form.copy_from is not None and form.copy_from != number:
            cur.execute(self._sql(_CLEAR_VALUES), (rid, number))
            cur.execute(self._sql(_COPY_VALUES), (number, rid, form.copy_from))
        if form.delete:
            cur.executemany(
                self._sql(_DELETE_VALUE), [(rid, number, path) for path in sorted(form.delete)]
            )
        if form.put:
            cur.executemany(
                self._sql(_PUT_VALUE),
                [(rid, number, path, rid, number, json.dumps(value.to_dict()),
                  value.attachment_id) for path, value in form.put.items()],
            )  # fmt: skip
        if form.flags:
            cur.executemany(
                self._sql(_FLAG_VALUE),
                [(reason, feedback, rid, number, path)
                 for path, (reason, feedback) in form.flags.items()],
            )  # fmt: skip

    def get_attachment(
        self, account_id: str, region: str, attachment_id: str
    ) -> RegistrationAttachment | None:
        """The attachment, or ``None``."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    f"{_SELECT_ATTACHMENT} WHERE attachment_id = ? AND account_id = ? "
                    "AND region = ?"
                ),
                (attachment_id, account_id, region),
            ).fetchone()
        return None if row is None else _attachment(row)

    def commit_attachment(
        self,
        attachment: RegistrationAttachment,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        body: bytes | None = None,
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> RegistrationAttachment:
        """Store ``attachment`` with its body, events and quota usage in one
        transaction; see :meth:`lifecycle.ports.Backend.commit_attachment`."""
        a = attachment
        with self._transaction(write=True) as cur:
            try:
                if expected_revision is None:
                    if idempotency is not None:
                        cur.execute(self._sql(_CLAIM), _claim_row(idempotency))
                    written = cur.execute(
                        self._sql(_INSERT_ATTACHMENT),
                        (a.attachment_id, a.account_id, a.region, a.status.value, a.revision,
                         _tags_json(a.tags), a.url, a.media_type, a.size,
                         a.upload_error_reason, to_micros(a.created_timestamp), body),
                    ).fetchone()  # fmt: skip
                else:
                    written = cur.execute(
                        self._sql(_UPDATE_ATTACHMENT),
                        (a.status.value, a.revision, _tags_json(a.tags), a.media_type, a.size,
                         a.upload_error_reason, body, a.attachment_id, a.account_id, a.region,
                         expected_revision),
                    ).fetchone()  # fmt: skip
            except Exception as exc:
                if not self._is_unique_violation(exc):
                    raise
                raise ConflictException(
                    "ClientToken already used.",
                    reason="RESOURCE_ALREADY_EXISTS",
                    resource_type=attachments.RESOURCE_TYPE,
                    resource_id=a.attachment_id,
                ) from None
            if written is None:
                raise ConflictException(
                    f"Registration attachment {a.attachment_id} was changed by another call "
                    "since it was read; read it again and retry.",
                    reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
                    resource_type=attachments.RESOURCE_TYPE,
                    resource_id=a.attachment_id,
                )
            if a.status is AttachmentStatus.DELETED:
                naming = cur.execute(
                    self._sql(_NAMING), (a.attachment_id, a.account_id, a.region)
                ).fetchall()
                if naming:
                    raise attachments.still_named(a, [row[0] for row in naming])
            if events:
                cur.executemany(self._sql(_INSERT_EVENT), [_event_row(e) for e in events])
            self._charge(cur, a.account_id, a.region, quotas)
            if before_commit is not None:
                before_commit(events)
        return attachment

    def query_attachments(self, query: AttachmentQuery) -> Page[RegistrationAttachment]:
        """One page of matching attachments, in creation order, through the index."""
        return self._keyset_page(
            _SELECT_ATTACHMENT, "", query.account_id, query.region, query.after,
            [("attachment_id", query.attachment_ids), ("status", query.statuses)],
            query.limit, _attachment,
        )  # fmt: skip

    def attachment_body(self, account_id: str, region: str, attachment_id: str) -> bytes | None:
        """The attachment's bytes, if its upload completed."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    "SELECT body FROM attachments WHERE attachment_id = ? AND account_id = ? "
                    "AND region = ?"
                ),
                (attachment_id, account_id, region),
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every attachment, in creation order, read in batches."""
        return self._attachments(self._statement)

    def _attachments(self, reads: Reads) -> Iterator[RegistrationAttachment]:
        return self._every(reads, _SELECT_ATTACHMENT, "", _attachment)

    def get_phone_number(
        self, account_id: str, region: str, phone_number_id: str
    ) -> PhoneNumber | None:
        """The phone number (DELETED ones included), or ``None``."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    f"{_SELECT_PHONE_NUMBER} WHERE phone_number_id = ? AND account_id = ? "
                    "AND region = ?"
                ),
                (phone_number_id, account_id, region),
            ).fetchone()
        return None if row is None else _phone_number(row)

    def commit_phone_number(
        self,
        number: PhoneNumber,
        *,
        expected_revision: int | None,
        events: Sequence[TransitionEvent],
        idempotency: IdempotencyRecord | None = None,
        quotas: Sequence[QuotaCharge] = (),
        before_commit: BeforeCommit | None = None,
    ) -> PhoneNumber:
        """Store ``number`` with its events and quota usage in one transaction; see
        :meth:`lifecycle.ports.Backend.commit_phone_number`.

        The checks come in the in-memory backend's order: the number's own (see
        :meth:`_write_number`), then the quotas.
        """
        with self._transaction(write=True) as cur:
            self._write_number(cur, NumberWrite(number, expected_revision, idempotency))
            self._charge(cur, number.account_id, number.region, quotas)
            if before_commit is not None:
                before_commit(events)
            if events:
                cur.executemany(self._sql(_INSERT_EVENT), [_event_row(e) for e in events])
        return number

    def _write_number(self, cur: Cursor, write: NumberWrite) -> None:
        """Write one phone number in the transaction of ``cur``, after its checks: the
        token (a new number) or the revision (a change), then the holder of its E.164
        number. Raises ConflictException as :meth:`commit_phone_number` documents."""
        n, expected_revision, idempotency = write
        what = f"Phone number {n.phone_number_id}"
        row = _phone_number_row(n)
        try:
            if expected_revision is None:
                if idempotency is not None:
                    cur.execute(self._sql(_CLAIM), _claim_row(idempotency))
                self._check_holder(cur, n, what)
                written = cur.execute(self._sql(_INSERT_PHONE_NUMBER), row).fetchone()
            else:
                written = cur.execute(
                    self._sql(_UPDATE_PHONE_NUMBER), (*row[3:], *row[:3], expected_revision)
                ).fetchone()
                if written is not None:
                    self._check_holder(cur, n, what)
        except Exception as exc:
            if not self._is_unique_violation(exc):
                raise
            # A race the holder's read did not see (PostgreSQL): the index decides.
            held = "phone_numbers_held" in str(exc) or str(exc).rstrip().endswith(
                "phone_numbers.phone_number"
            )
            raise ConflictException(
                f"{what}: {n.phone_number} is held by another phone number."
                if held
                else f"{what} ClientToken already used.",
                reason="RESOURCE_ALREADY_EXISTS",
                resource_type=phone_numbers.RESOURCE_TYPE,
                resource_id=n.phone_number_id,
            ) from None
        if written is None:
            raise ConflictException(
                f"{what} was changed by another call since it was read; read it again and retry.",
                reason="RESOURCE_MODIFICATION_NOT_ALLOWED",
                resource_type=phone_numbers.RESOURCE_TYPE,
                resource_id=n.phone_number_id,
            )

    def _check_holder(self, cur: Cursor, number: PhoneNumber, what: str) -> None:
        """Refuse ``number`` if another number of its account and region that is not
        DELETED holds its E.164 number."""
        holder = cur.execute(
            self._sql(_HOLDER),
            (number.account_id, number.region, number.phone_number, number.phone_number_id),
        ).fetchone()
        if holder is not None:
            raise ConflictException(
                f"{what}: {number.phone_number} is held by phone number {holder[0]}.",
                reason="RESOURCE_ALREADY_EXISTS",
                resource_type=phone_numbers.RESOURCE_TYPE,
                resource_id=number.phone_number_id,
            )

    def query_phone_numbers(self, query: PhoneNumberQuery) -> Page[PhoneNumber]:
        """One page of matching phone numbers, in creation order: ids, statuses and the
        registration are filtered in SQL, the other filters by
        :func:`lifecycle.phone_numbers.matches`, reading on in batches until the page
        is full and one more match is seen (so a next position means more follow)."""
        where = ["account_id = ?", "region = ?"]
        params: list[Any] = [query.account_id, query.region]
        if query.registration_id is not None:
            where.append("registration_id = ?")
            params.append(query.registration_id)
        if not _filter_in(where, params, [
            ("phone_number_id", query.phone_number_ids),
            ("status", query.statuses()),
        ]):  # fmt: skip
            return Page((), None)
        statement = self._sql(
            f"{_SELECT_PHONE_NUMBER} WHERE {' AND '.join(where)} AND seq > ? ORDER BY seq LIMIT ?"
        )
        batch = query.limit + 1
        after = -1 if query.after is None else query.after
        found: list[PhoneNumber] = []
        last = after
        while True:
            with self._statement() as cur:
                rows = cur.execute(statement, (*params, after, batch)).fetchall()
            for row in rows:
                number = _phone_number(row)
                if not phone_numbers.matches(number, query.filters):
                    continue
                if len(found) == query.limit:
                    return Page(tuple(found), last)
                found.append(number)
                last = row[0]
            if len(rows) < batch:
                return Page(tuple(found), None)
            after = rows[-1][0]

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every phone number, in creation order, read in batches."""
        return self._phone_numbers(self._statement)

    def _phone_numbers(self, reads: Reads) -> Iterator[PhoneNumber]:
        return self._every(reads, _SELECT_PHONE_NUMBER, "", _phone_number)

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> dict[str, FieldValue]:
        """One version's field values in the order first set, through the primary key;
        see :meth:`lifecycle.ports.Backend.field_values`."""
        return self._field_values(
            self._statement, account_id, region, registration_id, version_number, paths
        )

    def _field_values(
        self,
        reads: Reads,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None,
    ) -> dict[str, FieldValue]:
        where = [_READ_VALUES]
        params: list[Any] = [registration_id, account_id, region, version_number]
        if not _filter_in(where, params, [("f.path", None if paths is None else frozenset(paths))]):
            return {}
        with reads() as cur:
            rows = cur.execute(
                self._sql(f"{' AND '.join(where)} ORDER BY f.ordinal"), params
            ).fetchall()
        return {
            path: FieldValue.from_dict(
                {**json.loads(value), "DeniedReason": reason, "Feedback": feedback}
            )
            for path, value, reason, feedback in rows
        }

    def query_registrations(self, query: RegistrationQuery) -> Page[Registration]:
        """One page of matching registrations, in creation order, through the indexes."""
        return self._keyset_page(
            _READ, "r.", query.account_id, query.region, query.after,
            [("r.registration_id", query.registration_ids),
             ("r.registration_type", query.registration_types), ("r.status", query.statuses)],
            query.limit, _registration,
        )  # fmt: skip

    def _keyset_page(
        self,
        select: str,
        alias: str,
        account_id: str,
        region: str,
        after: int | None,
        filters: list[tuple[str, frozenset[Any] | None]],
        limit: int,
        parse: Callable[[Sequence[Any]], T],
    ) -> Page[T]:
        """One page of ``select``'s rows (whose first column is ``{alias}seq``, the keyset
        position) of one account and region, after ``after``, matching ``filters``."""
        where = [f"{alias}account_id = ?", f"{alias}region = ?"]
        params: list[Any] = [account_id, region]
        if after is not None:
            where.append(f"{alias}seq > ?")
            params.append(after)
        if not _filter_in(where, params, filters):
            return Page((), None)
        params.append(limit + 1)
        with self._statement() as cur:
            rows = cur.execute(
                self._sql(f"{select} WHERE {' AND '.join(where)} ORDER BY {alias}seq LIMIT ?"),
                params,
            ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(tuple(map(parse, rows)), rows[-1][0] if more else None)

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """One page of one registration's matching versions, by version number."""
        return self._query_versions(self._statement, query)

    def _query_versions(self, reads: Reads, query: VersionQuery) -> Page[RegistrationVersion]:
        where = ["r.registration_id = ?", "r.account_id = ?", "r.region = ?"]
        params: list[Any] = [query.registration_id, query.account_id, query.region]
        if query.after is not None:
            where.append("v.version_number > ?")
            params.append(query.after)
        if not _filter_in(where, params, [
            ("v.version_number", query.version_numbers),
            ("v.status", query.statuses),
        ]):  # fmt: skip
            return Page((), None)
        params.append(query.limit + 1)
        columns = ", ".join(f"v.{c}" for c in VERSION_COLUMNS)
        with reads() as cur:
            rows = cur.execute(
                self._sql(
                    f"SELECT {columns} FROM versions v JOIN registrations r "
                    f"ON r.seq = v.registration_seq WHERE {' AND '.join(where)} "
                    "ORDER BY v.version_number LIMIT ?"
                ),
                params,
            ).fetchall()
        versions = [_version(row) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(tuple(versions), versions[-1].version_number if more else None)

    def find_idempotency(
        self, account_id: str, region: str, token: str
    ) -> IdempotencyRecord | None:
        """The record of ``token``, if claimed."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    "SELECT fingerprint, registration_id FROM idempotency "
                    "WHERE account_id = ? AND region = ? AND token = ?"
                ),
                (account_id, region, token),
            ).fetchone()
        return None if row is None else IdempotencyRecord(account_id, region, token, *row)

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """Committed events after ``after``, in log order."""
        return self._read_log(self._statement, after, limit, registration_id, settled=True)

    def _read_log(
        self,
        reads: Reads,
        after: LogPosition | None,
        limit: int,
        registration_id: str | None,
        *,
        settled: bool,
    ) -> list[LoggedEvent]:
        group, last = after if after is not None else (-1, -1)
        params: list[Any] = [group, last]
        if registration_id is not None:
            params.append(registration_id)
        params.append(limit)
        statement = self._sql(self._log_statement(registration_id, settled=settled))
        with reads() as cur:
            rows = cur.execute(statement, params).fetchall()
        return [LoggedEvent((row[0], row[1]), _event(row[2:])) for row in rows]

    def registrations(self, batch: int = 500) -> Iterator[Registration]:
        """Every registration, in creation order, read in batches."""
        return self._registrations(self._statement, batch)

    def _registrations(self, reads: Reads, batch: int = 500) -> Iterator[Registration]:
        return self._every(reads, _READ, "r.", _registration, batch)

    def _every(
        self,
        reads: Reads,
        select: str,
        alias: str,
        parse: Callable[[Sequence[Any]], T],
        batch: int = 500,
    ) -> Iterator[T]:
        """Every row of ``select`` (first column ``{alias}seq``) in keyset order, read in
        batches of ``batch``."""
        after = -1
        while True:
            with reads() as cur:
                rows = cur.execute(
                    self._sql(f"{select} WHERE {alias}seq > ? ORDER BY {alias}seq LIMIT ?"),
                    (after, batch),
                ).fetchall()
            yield from map(parse, rows)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def quota_usage(self, account_id: str, region: str, quota: str, period: str) -> int:
        """How much of ``quota`` this account and region uses in ``period``."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql(
                    "SELECT used FROM quota_usage "
                    "WHERE account_id = ? AND region = ? AND quota = ? AND period = ?"
                ),
                (account_id, region, quota, period),
            ).fetchone()
        return 0 if row is None else int(row[0])

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The database as of one moment, in a read-only transaction that lasts for the
        block; writers go on meanwhile."""
        with self._snapshot() as cur:
            yield _SqlSnapshot(self, cur)

    def get_cursor(self, name: str) -> LogPosition | None:
        """The position reader ``name`` has processed up to."""
        with self._statement() as cur:
            row = cur.execute(
                self._sql("SELECT log_group, log_id FROM cursors WHERE name = ?"), (name,)
            ).fetchone()
        return None if row is None else _position(row)

    def claim_cursor(self, name: str, holder: str, lease: float) -> CursorLease | None:
        """Take or renew ``holder``'s lease of reader ``name``'s cursor; ``None`` while
        another holder's runs."""
        with self._transaction(write=True) as cur:
            row = cur.execute(
                self._sql(_CLAIM_CURSOR.format(now=self.clock)), (name, holder, lease)
            ).fetchone()
        return None if row is None else CursorLease(name, holder, _position(row))

    def advance_cursor(self, name: str, holder: str, position: LogPosition, lease: float) -> None:
        """Move reader ``name``'s cursor forward, if ``holder`` holds its lease."""
        with self._transaction(write=True) as cur:
            moved = cur.execute(
                self._sql(_ADVANCE_CURSOR.format(now=self.clock)),
                (*position, lease, name, holder, *position),
            ).fetchone()
        if moved is None:
            raise cursor_lost(name, holder)

    def release_cursor(self, name: str, holder: str) -> None:
        """End ``holder``'s lease of reader ``name``'s cursor, if it holds it."""
        with self._transaction(write=True) as cur:
            cur.execute(self._sql(_RELEASE_CURSOR), (name, holder))


def _position(row: Sequence[Any]) -> LogPosition | None:
    """A cursor's position from its row; ``None`` before the reader's first event."""
    return None if row[1] < 0 else (row[0], row[1])


class _SqlSnapshot:
    """The reads of :class:`~lifecycle.ports.Snapshot` on one transaction's cursor."""

    def __init__(self, backend: SqlBackend, cur: Cursor) -> None:
        self._backend = backend
        self._reads: Reads = lambda: nullcontext(cur)

    def read_log(
        self,
        *,
        after: LogPosition | None = None,
        limit: int = 1000,
        registration_id: str | None = None,
    ) -> list[LoggedEvent]:
        """Every event of the snapshot after ``after``, in log order."""
        return self._backend._read_log(self._reads, after, limit, registration_id, settled=False)

    def registrations(self) -> Iterator[Registration]:
        """Every registration of the snapshot."""
        return self._backend._registrations(self._reads)

    def attachments(self) -> Iterator[RegistrationAttachment]:
        """Every attachment of the snapshot."""
        return self._backend._attachments(self._reads)

    def phone_numbers(self) -> Iterator[PhoneNumber]:
        """Every phone number of the snapshot."""
        return self._backend._phone_numbers(self._reads)

    def query_versions(self, query: VersionQuery) -> Page[RegistrationVersion]:
        """One page of versions of the snapshot."""
        return self._backend._query_versions(self._reads, query)

    def field_values(
        self,
        account_id: str,
        region: str,
        registration_id: str,
        version_number: int,
        paths: Collection[str] | None = None,
    ) -> dict[str, FieldValue]:
        """One version's field values in the snapshot."""
        return self._backend._field_values(
            self._reads, account_id, region, registration_id, version_number, paths
        )
