"""A transactional subscriber that calls a service or its backend: an immediate
ReentrantCallError; one that waits on another thread's call: an error after the lock
timeout.

The subscriber runs inside the commit of the call that fired it. A call back into the
service or the backend from there used to deadlock the in-memory backend, leave
PostgreSQL idle in transaction forever, and close SQLite's connection under the outer
commit. Now the inner call raises at once, the outer call fails with nothing written,
and the backend serves the next call. A call made for the subscriber by another thread
cannot be told from any other caller's: it waits for the commit's lock, and every
backend bounds that wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lifecycle import (
    InMemoryBackend,
    InternalServerException,
    LifecycleError,
    RegistrationService,
    TransitionEvent,
    ValidationException,
)
from lifecycle.audit import verify
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.errors import ReentrantCallError
from lifecycle.outbox import Outbox
from lifecycle.ports import Backend
from tests.conftest import BACKENDS, BRAND, new_id, postgres_factory, snapshot
from tests.load import within

LIMIT = 10.0  # seconds: far beyond an immediate error, far below a hang's test timeout

# The nested call, by the name the error gives it.
NESTED: dict[str, Callable[[RegistrationService, str], Any]] = {
    "DescribeRegistrations": lambda s, rid: s.describe_registrations(RegistrationIds=[rid]),
    "DescribeRegistrationVersions": lambda s, rid: list(
        s.get_paginator("describe_registration_versions").paginate(RegistrationId=rid)
    ),
    "CreateRegistration": lambda s, rid: s.create_registration(RegistrationType=BRAND),
    "DiscardRegistrationVersion": lambda s, rid: s.discard_registration_version(RegistrationId=rid),
    "reviewer.begin_review": lambda s, rid: s.reviewer.begin_review(rid),
}


@pytest.mark.parametrize("call", NESTED)
def test_a_nested_call_fails_at_once_and_writes_nothing(
    service: RegistrationService, call: str
) -> None:
    rid = new_id(service)
    before = snapshot(service)
    log = service.backend.read_log()
    nested = NESTED[call]
    seen: list[BaseException] = []

    def calls_back(event: TransitionEvent) -> None:
        try:
            nested(service, rid)
        except BaseException as exc:
            seen.append(exc)
            raise

    unsubscribe = service.subscribe(calls_back, transactional=True)
    with pytest.raises(ReentrantCallError) as info:
        within(LIMIT, lambda: service.submit_registration_version(RegistrationId=rid))
    assert seen == [info.value]
    assert isinstance(info.value, LifecycleError)
    assert info.value.code == "ReentrantCallError"
    assert call in info.value.message and "transactional subscriber" in info.value.message
    # Nothing was written, and the backend serves the next calls.
    assert within(LIMIT, lambda: snapshot(service)) == before
    assert service.backend.read_log() == log
    unsubscribe()
    within(LIMIT, lambda: service.submit_registration_version(RegistrationId=rid))
    assert [e.event.event for e in service.backend.read_log()] == [
        *(e.event.event for e in log),
        "submit",
    ]


def test_a_call_to_another_service_is_refused_too(service: RegistrationService) -> None:
    """Another service (on another backend) is not part of the commit either: its
    write would stay when this commit is rolled back."""
    other = RegistrationService(InMemoryBackend())

    def mirrors(event: TransitionEvent) -> None:
        other.create_registration(RegistrationType=BRAND)

    service.subscribe(mirrors, transactional=True)
    with pytest.raises(ReentrantCallError):
        within(LIMIT, lambda: new_id(service, filled=False))
    assert list(service.backend.registrations()) == []
    assert list(other.backend.registrations()) == []


def test_a_plain_subscriber_may_call_the_service(service: RegistrationService) -> None:
    """After the commit nothing is held: a plain subscriber's call is an ordinary call."""
    rid = new_id(service)
    statuses: list[str] = []
    service.subscribe(
        lambda e: statuses.append(
            service.describe_registrations(RegistrationIds=[rid])["Registrations"][0][
                "RegistrationStatus"
            ]
        )
    )
    within(LIMIT, lambda: service.submit_registration_version(RegistrationId=rid))
    assert statuses == ["SUBMITTED"]


# The backend called directly, by what the subscriber does.
BACKEND_CALLS: dict[str, Callable[[Backend], Any]] = {
    "Outbox.drain": lambda b: Outbox(b, "mailer").drain(lambda event: None),
    "verify": verify,
    "claim_cursor": lambda b: b.claim_cursor("mailer", "me", 30.0),
    "read_log": lambda b: b.read_log(),
    "get_cursor": lambda b: b.get_cursor("mailer"),
    "registrations": lambda b: list(b.registrations()),
}


@pytest.mark.parametrize("call", BACKEND_CALLS)
def test_a_call_to_the_backend_fails_at_once_and_writes_nothing(
    service: RegistrationService, call: str
) -> None:
    """The backend refuses too: in memory it would wait for its own lock, and SQLite
    would close the connection the outer commit runs on."""
    rid = new_id(service)
    before = snapshot(service)
    log = service.backend.read_log()
    seen: list[BaseException] = []

    def calls_the_backend(event: TransitionEvent) -> None:
        try:
            BACKEND_CALLS[call](service.backend)
        except BaseException as exc:
            seen.append(exc)
            raise

    unsubscribe = service.subscribe(calls_the_backend, transactional=True)
    with pytest.raises(ReentrantCallError) as info:
        within(LIMIT, lambda: service.submit_registration_version(RegistrationId=rid))
    assert seen == [info.value]
    assert type(service.backend).__name__ in info.value.message
    assert within(LIMIT, lambda: snapshot(service)) == before
    assert service.backend.read_log() == log
    unsubscribe()
    within(LIMIT, lambda: service.submit_registration_version(RegistrationId=rid))
    assert [e.event.event for e in service.backend.read_log()] == [
        *(e.event.event for e in log),
        "submit",
    ]


WAIT = 0.5  # seconds: the lock timeout of the impatient stores


@pytest.fixture(params=BACKENDS)
def impatient(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_schemas: list[str]
) -> Iterator[Backend]:
    """A store of each kind that waits at most ``WAIT`` seconds for a lock."""
    backend: Backend
    if request.param == "memory":
        backend = InMemoryBackend(timeout=WAIT)
    elif request.param == "sqlite":
        backend = SqliteBackend(tmp_path / "lifecycle.db", timeout=WAIT)
    else:
        backend = postgres_factory(postgres_schemas, lock_timeout=WAIT)()
    yield backend
    close = getattr(backend, "close", None)
    if close is not None:
        close()


def in_a_thread(call: Callable[[], object]) -> None:
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if outcome:
        raise outcome[0]


def in_an_executor(call: Callable[[], object]) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(call).result()


# How the subscriber hands its call to another thread and waits for it.
WAITERS: dict[str, Callable[[Callable[[], object]], None]] = {
    "Thread.join": in_a_thread,
    "ThreadPoolExecutor": in_an_executor,
}


@pytest.mark.parametrize("waiter", WAITERS)
def test_a_subscriber_waiting_on_another_threads_call_fails_after_the_lock_timeout(
    impatient: Backend, waiter: str
) -> None:
    """The other thread's create waits for the outer commit (its lock, or on
    PostgreSQL the account's quota row it updates) until the lock timeout, then fails
    naming the likely cause; the subscriber lets it propagate, and nothing is written."""
    service = RegistrationService(impatient)
    new_id(service)
    before = snapshot(service)
    log = impatient.read_log()

    def waits_on_another_thread(event: TransitionEvent) -> None:
        WAITERS[waiter](lambda: service.create_registration(RegistrationType=BRAND))

    unsubscribe = service.subscribe(waits_on_another_thread, transactional=True)
    with pytest.raises(InternalServerException) as info:
        within(LIMIT, lambda: new_id(service, filled=False))
    assert "a transactional subscriber waiting on another call?" in info.value.message
    assert snapshot(service) == before
    assert impatient.read_log() == log
    unsubscribe()
    within(LIMIT, lambda: new_id(service, filled=False))
    assert len(snapshot(service)) == 2


def test_the_in_memory_lock_timeout_is_validated() -> None:
    for timeout in (0, -1.0, float("nan"), float("inf"), "10", True):
        with pytest.raises(ValidationException) as info:
            InMemoryBackend(timeout=timeout)  # type: ignore[arg-type]
        assert info.value.fields[0]["Name"] == "timeout"


def test_the_postgres_lock_timeout_is_validated() -> None:
    pytest.importorskip("psycopg")
    from lifecycle.backends.postgres import PostgresBackend

    for timeout in (0, -1.0, float("nan"), float("inf"), "10", True):
        with pytest.raises(ValidationException) as info:
            PostgresBackend("host=127.0.0.1", lock_timeout=timeout)  # type: ignore[arg-type]
        assert info.value.fields[0]["Name"] == "lock_timeout"


def test_a_reentrant_call_is_a_client_error_botocore_does_not_retry() -> None:
    """A caller's programming error: HTTP 400, so a boto3 client raises it at once
    instead of calling the service again and again."""
    pytest.importorskip("boto3")
    from botocore.exceptions import ClientError

    import lifecycle.aws

    service = RegistrationService(InMemoryBackend())
    client = lifecycle.aws.client(service)
    calls: list[TransitionEvent] = []

    def calls_back(event: TransitionEvent) -> None:
        calls.append(event)
        service.describe_registrations()

    service.subscribe(calls_back, transactional=True)
    with pytest.raises(ClientError) as info:
        within(LIMIT, lambda: client.create_registration(RegistrationType=BRAND))
    response = info.value.response
    assert response["Error"]["Code"] == "ReentrantCallError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert len(calls) == 1
    assert ReentrantCallError.http_status == 400
