"""Worker processes for the durability tests: ``python -m tests.workers COMMAND ...``.

A store is named by a spec: ``sqlite:PATH`` or ``postgres:SCHEMA`` (the DSN comes
from ``LIFECYCLE_POSTGRES_DSN``).

- ``steps SPEC RID OP@ISO...``: operations at fixed times (RID ``-``: create one
  first, with the first OP being ``create``); prints the registration id.
- ``hammer SPEC SECONDS SEED OUT``: random legal and illegal operations on every
  registration of the store for SECONDS; writes what it saw to the JSON file OUT.
- ``churn SPEC SEED``: like hammer, forever (until killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import time
from datetime import datetime
from typing import Any

from lifecycle import (
    ConflictException,
    LifecycleError,
    RegistrationService,
    ResourceNotFoundException,
    TransitionEvent,
)
from lifecycle.clock import ManualClock
from lifecycle.ports import Backend
from lifecycle.testing.forms import fill_form

USER_OPS = ["submit", "submit_aws", "discard", "create_version", "delete"]
REVIEWER_OPS = ["begin_review", "require_authentication", "complete_authentication",
                "require_offline_review", "approve", "deny", "revoke",
                "complete_provisioning", "close"]  # fmt: skip
DENIAL = [{"Reason": "R", "ShortDescription": "denied"}]


def open_spec(spec: str) -> Backend:
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        from lifecycle.backends.sqlite import SqliteBackend

        return SqliteBackend(where, timeout=30)
    from lifecycle.backends.postgres import PostgresBackend

    return PostgresBackend(
        os.environ["LIFECYCLE_POSTGRES_DSN"],
        schema=where,
        pool_size=2,
        application_name=worker_name(os.getpid()),
    )


def worker_name(pid: int) -> str:
    """How worker ``pid``'s PostgreSQL connections appear in ``pg_stat_activity``."""
    return f"lifecycle-worker-{pid}"


def event_key(e: TransitionEvent) -> list[Any]:
    """What identifies one committed transition, comparable across processes."""
    return [e.registration_id, e.event, e.version_number, e.version_to, e.registration_to,
            e.timestamp.isoformat()]  # fmt: skip


def operate(service: RegistrationService, op: str, rid: str) -> Any:
    """Perform ``op`` (a user operation or a reviewer event) on ``rid``."""
    if op == "submit":
        return service.submit_registration_version(RegistrationId=rid)
    if op == "submit_aws":
        return service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    if op == "discard":
        return service.discard_registration_version(RegistrationId=rid)
    if op == "create_version":
        return service.create_registration_version(RegistrationId=rid)
    if op == "delete":
        return service.delete_registration(RegistrationId=rid)
    if op == "deny":
        return service.reviewer.deny(rid, DENIAL)
    return getattr(service.reviewer, op)(rid)


def _random_ops(service: RegistrationService, rng: random.Random, ids: list[str]) -> Any:
    rid = rng.choice(ids)
    op = rng.choice(USER_OPS + REVIEWER_OPS)
    return op, rid, operate(service, op, rid)


def hammer(spec: str, seconds: float, seed: int, out: str) -> int:
    backend = open_spec(spec)
    service = RegistrationService(backend)
    committed: list[TransitionEvent] = []
    service.subscribe(committed.append)
    ids = [r.registration_id for r in backend.registrations()]
    rng = random.Random(seed)
    counts = {"ok": 0, "conflict": 0, "not_found": 0}
    unexpected: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _random_ops(service, rng, ids)
            counts["ok"] += 1
        except ConflictException:
            counts["conflict"] += 1
        except ResourceNotFoundException:
            counts["not_found"] += 1
        except LifecycleError as exc:
            unexpected.append(repr(exc))
    with open(out, "w") as f:
        json.dump(
            {"counts": counts, "unexpected": unexpected,
             "events": [event_key(e) for e in committed]}, f,
        )  # fmt: skip
    return 0 if not unexpected else 1


def churn(spec: str, seed: int) -> int:
    backend = open_spec(spec)
    service = RegistrationService(backend)
    ids = [r.registration_id for r in backend.registrations()]
    rng = random.Random(seed)
    print("ready", flush=True)
    while True:
        with contextlib.suppress(ConflictException, ResourceNotFoundException):
            _random_ops(service, rng, ids)


def steps(spec: str, rid: str, timed_ops: list[str]) -> int:
    clock = ManualClock()
    service = RegistrationService(open_spec(spec), clock=clock)
    for timed in timed_ops:
        op, _, when = timed.partition("@")
        clock.set(datetime.fromisoformat(when))
        if op == "create":
            created = service.create_registration(RegistrationType="US_TEN_DLC_BRAND_REGISTRATION")
            rid = created["RegistrationId"]
            fill_form(service, rid)
        else:
            operate(service, op, rid)
    print(rid)
    return 0


def main(argv: list[str]) -> int:
    command, spec, *rest = argv
    if command == "hammer":
        return hammer(spec, float(rest[0]), int(rest[1]), rest[2])
    if command == "churn":
        return churn(spec, int(rest[0]))
    if command == "steps":
        return steps(spec, rest[0], rest[1:])
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
