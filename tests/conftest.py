from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from lifecycle import InMemoryBackend, RegistrationService
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.catalogue import Catalogue
from lifecycle.clock import ManualClock
from lifecycle.ports import Backend
from lifecycle.testing.forms import example_values, fill_form

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
FILLED = len(example_values(Catalogue(), BRAND, required_only=True))
"""How many values a filled-in brand form holds: the ``put_field_value`` events
:func:`new_id` logs after ``create``."""
VETTING = "US_TEN_DLC_BRAND_VETTING"


def _field(path: str, kind: str, requirement: str, example: str = "", **more: Any) -> Any:
    hints = {"Title": path, "ShortDescription": path}
    if example:
        hints["ExampleTextValue"] = example
    return {"SectionPath": "s", "FieldPath": f"s.{path}", "FieldType": kind,
            "FieldRequirement": requirement, "DisplayHints": hints, **more}  # fmt: skip


def _rules(default: str, *rules: tuple[Any, ...]) -> Any:
    """A ConditionalBehavior; each rule is (behavior, [(path, operator, values)]), and
    its ConditionalValidation third if it has one."""
    return {"DefaultBehavior": default, "Rules": [
        {"RuleBehavior": behavior, "Conditions": [
            {"DependsOnFieldPath": f"s.{path}", "Operator": operator,
             **({"Values": values} if values else {})}
            for path, operator, values in conditions],
         **({"ConditionalValidation": limits[0]} if limits else {})}
        for behavior, conditions, *limits in rules]}  # fmt: skip


def _text(low: int, high: int, pattern: str = "") -> Any:
    return {"TextValidation": {"MinLength": low, "MaxLength": high, "Pattern": pattern}}


OWN_FORMS = Catalogue(sources=[
    {"RegistrationType": VETTING, "RegistrationSectionDefinitions": [
        {"SectionPath": "s", "DisplayHints": {"Title": "S", "ShortDescription": "s"}}]},
    {"RegistrationType": VETTING, "RegistrationFieldDefinitions": [
        _field("kind", "SELECT", "REQUIRED",
               SelectValidation={"MinChoices": 1, "MaxChoices": 2, "Options": ["A", "B", "C"]}),
        _field("name", "TEXT", "OPTIONAL", "acme", **_text(1, 20)),
        _field("code", "TEXT", "CONDITIONAL", "AB123", **_text(1, 10, "[A-Z0-9]+"),
               ConditionalBehavior=_rules("OPTIONAL", ("REQUIRED", [("kind", "EQUALS", ["A"])],
                                                      {"MinLength": 5}))),
        _field("note", "TEXT", "CONDITIONAL", "n", **_text(1, 20),
               ConditionalBehavior=_rules("REQUIRED",
                                          ("DISALLOWED", [("kind", "IN", ["B", "C"])]))),
        _field("proof", "ATTACHMENT", "CONDITIONAL",
               ConditionalBehavior=_rules("DISALLOWED",
                                          ("REQUIRED", [("note", "HAS_VALUE", [])]),
                                          ("OPTIONAL", [("kind", "NOT_IN", ["A"])]))),
        _field("other", "TEXT", "CONDITIONAL", "o", **_text(1, 20),
               ConditionalBehavior=_rules("OPTIONAL",
                                          ("DISALLOWED", [("name", "NO_VALUE", [])]),
                                          ("OPTIONAL", [("kind", "MATCHES", ["A"])]),
                                          ("REQUIRED", [("kind", "NOT_EQUALS", ["C"]),
                                                        ("name", "HAS_VALUE", [])]))),
        _field("legacy", "TEXT", "CONDITIONAL", "l", **_text(1, 20)),
    ]},
])  # fmt: skip
"""The built-in catalogue, but the vetting type has a form of a user's: every condition
operator (and one the model does not know), DISALLOWED rules, a rule with limits of
its own (``s.code``: at least 5 characters while ``s.kind`` is A), and a CONDITIONAL
field without a ConditionalBehavior."""
BACKENDS = ["memory", "sqlite", "postgres"]
POSTGRES_DSN = os.environ.get("LIFECYCLE_POSTGRES_DSN")

BackendFactory = Callable[[], Backend]
"""Opens the test's store: a new object on the same data each call (memory: the same)."""


def _postgres_unavailable() -> str | None:
    if not POSTGRES_DSN:
        return "PostgreSQL tests need LIFECYCLE_POSTGRES_DSN (see README: Testing)"
    try:
        import psycopg
    except ImportError:
        return "PostgreSQL tests need the postgres extra: pip install -e '.[test,postgres]'"
    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at LIFECYCLE_POSTGRES_DSN is unreachable: {exc}"
    return None


POSTGRES_SKIP = _postgres_unavailable()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without PostgreSQL, skip (with the reason) each test that asks for
    ``postgres_schemas`` itself: its body may import the postgres extra before it gets
    to :func:`postgres_factory`, which skips the tests that open a backend."""
    if POSTGRES_SKIP is None:
        return
    for item in items:
        if isinstance(item, pytest.Function) and "postgres_schemas" in (
            inspect.signature(item.function).parameters
        ):
            item.add_marker(pytest.mark.skip(reason=POSTGRES_SKIP))


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[list[str]]:
    """Schemas the tests created; dropped when the session ends."""
    created: list[str] = []
    yield created
    if created and POSTGRES_SKIP is None:
        import psycopg

        with psycopg.connect(POSTGRES_DSN or "", autocommit=True) as conn:
            for schema in created:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_factory(schemas: list[str], **options: Any) -> BackendFactory:
    """A factory of PostgresBackends on a fresh schema, opened with ``options`` (skips
    the test without a server)."""
    if POSTGRES_SKIP is not None:
        pytest.skip(POSTGRES_SKIP)
    from lifecycle.backends.postgres import PostgresBackend

    schema = f"lifecycle_test_{uuid.uuid4().hex[:12]}"
    schemas.append(schema)
    return lambda: PostgresBackend(POSTGRES_DSN or "", schema=schema, **options)


def back_to_schema_6(conn: Any) -> None:
    """Undo schema version 7 on ``conn`` (sqlite3 or psycopg), leaving the database as
    the library before it made it: no associations."""
    conn.execute("DROP INDEX phone_numbers_by_registration")
    conn.execute("ALTER TABLE phone_numbers DROP COLUMN registration_id")
    conn.execute("ALTER TABLE registrations DROP COLUMN identities")
    conn.execute("ALTER TABLE registrations DROP COLUMN associated_registration_id")
    conn.execute("ALTER TABLE registrations DROP COLUMN sender_id")
    conn.execute("DELETE FROM schema_version WHERE version > 6")


def back_to_schema_5(conn: Any) -> None:
    """Undo schema versions 7 and 6 on ``conn`` (sqlite3 or psycopg), leaving the
    database as the library before it made them: no phone numbers."""
    back_to_schema_6(conn)
    conn.execute("DROP TABLE phone_numbers")  # its indexes go with it
    conn.execute("DELETE FROM schema_version WHERE version > 5")


def back_to_schema_4(conn: Any) -> None:
    """Undo schema versions 7 to 5 on ``conn`` (sqlite3 or psycopg), leaving the
    database as the library before it made them: no phone numbers, no attachments, no
    resource type in the log, no flags on the field values."""
    back_to_schema_5(conn)
    conn.execute("DROP TABLE attachments")
    conn.execute("DROP INDEX field_values_by_attachment")
    conn.execute("ALTER TABLE field_values DROP COLUMN attachment_id")
    conn.execute("ALTER TABLE events DROP COLUMN resource_type")
    conn.execute("ALTER TABLE field_values DROP COLUMN denied_reason")
    conn.execute("ALTER TABLE field_values DROP COLUMN feedback")
    conn.execute("DELETE FROM schema_version WHERE version > 4")


def formless() -> Catalogue:
    """The brand type without a form, as the library before schema 4 knew it: a
    service with it submits a brand registration without field values, as the
    registrations of a schema-3 store were."""
    return Catalogue([BRAND], builtins=False)


def back_to_schema_3(conn: Any) -> None:
    """Undo schema versions 7 to 4 on ``conn`` (sqlite3 or psycopg), leaving the
    database as the library before it made them: no field values, no event details."""
    back_to_schema_4(conn)
    conn.execute("DROP TABLE field_values")
    conn.execute("ALTER TABLE events DROP COLUMN detail")
    conn.execute("DELETE FROM schema_version WHERE version > 3")


@pytest.fixture(params=BACKENDS)
def make_backend(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_schemas: list[str]
) -> Iterator[BackendFactory]:
    """Opens the test's store, for each kind of backend."""
    opened: list[Backend] = []
    if request.param == "memory":
        memory = InMemoryBackend()
        make: BackendFactory = lambda: memory  # noqa: E731
    elif request.param == "sqlite":
        path = tmp_path / "lifecycle.db"
        make = lambda: SqliteBackend(path)  # noqa: E731
    else:
        make = postgres_factory(postgres_schemas)

    def tracked() -> Backend:
        backend = make()
        opened.append(backend)
        return backend

    yield tracked
    for backend in opened:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


@pytest.fixture
def backend(make_backend: BackendFactory) -> Backend:
    return make_backend()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def service(backend: Backend, clock: ManualClock) -> RegistrationService:
    return RegistrationService(backend, clock=clock)


def new_id(service: RegistrationService, *, filled: bool = True, **kwargs: object) -> str:
    """Create a brand registration with its form filled in
    (:func:`~lifecycle.testing.forms.fill_form`) and return its id; not ``filled``, it
    cannot be submitted."""
    rid = str(service.create_registration(RegistrationType=BRAND, **kwargs)["RegistrationId"])
    if filled:
        fill_form(service, rid)
    return rid


def reviewing(service: RegistrationService) -> str:
    """A new brand registration whose version 1 the reviewer is reviewing; its id."""
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    return rid


def snapshot(service: RegistrationService) -> list[object]:
    """Everything the service shows: every registration with all its versions and its
    tags."""
    regs = service.get_paginator("describe_registrations").paginate().build_full_result()
    out: list[object] = []
    for reg in regs["Registrations"]:
        versions = service.get_paginator("describe_registration_versions").paginate(
            RegistrationId=reg["RegistrationId"]
        )
        tags = service.list_tags_for_resource(ResourceArn=reg["RegistrationArn"])["Tags"]
        out.append((reg, versions.build_full_result(), tags))
    return out


def body(response: Mapping[str, Any]) -> dict[str, Any]:
    """A service answer without its ``ResponseMetadata`` (a request id differs per call)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """A ``lifecycle serve`` in a child process (:class:`tests.served.Server`, with the
    tests' admin token), stopped after the test."""
    from tests.served import ADMIN_TOKEN, Server  # needs the aws and server extras

    running = Server(tmp_path / "serve", "--log-level", "warning", "--admin-token", ADMIN_TOKEN)
    yield running
    if running.proc.poll() is None:
        running.stop()
