"""Durable backends, measured side by side in one run; prints JSON.

    python bench/durable.py [--seconds S] [--workers 1,2,4,8] [--big 1000000]

(a) committed transitions per second on SQLite and on PostgreSQL (when
    LIFECYCLE_POSTGRES_DSN is set) with 1, 2, 4 and 8 worker processes, all started
    together. Each worker takes 20 registrations of its own into review, then moves
    them back and forth between REVIEWING and REQUIRES_AUTHENTICATION: every call is
    one committed transition (both machines, a history stamp and an event) on an
    aggregate that does not grow.
(b) one describe page of 100 with a status filter on a SQLite store of 10,000 and of
    1,000,000 registrations: the first page and a page deep in the keyset.
(c) one committed transition on SQLite on registrations with 1 version against one
    with 1,000 (``history_cost`` of ``bench/run.py``).

Each backend first gets one unmeasured warm-up run (a new schema is cold).
Targets: SQLite at least 3,000 transitions/s with one worker; PostgreSQL with 4
workers at least 1.8x one worker; the page on 1,000,000 at most 3x its cost on 10,000;
a transition at version 1,000 at most 1.5x its cost at version 1.
Exits 1 when a target is missed. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import filled, history_cost  # bench/run.py, beside this script

from lifecycle import RegistrationService
from lifecycle.backends.sql import to_micros
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.ports import Backend

TYPE = "US_TOLL_FREE_REGISTRATION"
CYCLE = ("require_authentication", "complete_authentication")
DSN = os.environ.get("LIFECYCLE_POSTGRES_DSN")


def _open(spec: str) -> Backend:
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        return SqliteBackend(where, timeout=60)
    from lifecycle.backends.postgres import PostgresBackend

    return PostgresBackend(DSN or "", schema=where, pool_size=1)


def _worker(spec: str, seconds: float, start: Any, results: Any) -> None:
    service = RegistrationService(_open(spec), account_id=f"{secrets.randbelow(10**12):012d}")
    ids = [filled(service, TYPE) for _ in range(20)]
    for rid in ids:
        service.submit_registration_version(RegistrationId=rid)
        service.reviewer.begin_review(rid)
    moves = [getattr(service.reviewer, name) for name in CYCLE]
    start.wait()
    done, i = 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        moves[(i // len(ids)) % 2](ids[i % len(ids)])
        done += 1
        i += 1
    results.put(done)


def throughput(spec: str, workers: int, seconds: float) -> float:
    """Committed transitions per second of ``workers`` processes together."""
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(spec, seconds, start, results))
             for _ in range(workers)]  # fmt: skip
    for p in procs:
        p.start()
    start.wait()
    total = sum(results.get(timeout=seconds + 120) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def _populate(path: Path, n: int) -> SqliteBackend:
    """A SQLite store of n registrations (one version each) in 10 statuses, bulk-loaded."""
    backend = SqliteBackend(path)
    conn = backend._connection()  # bulk load straight into the schema: the API would take minutes
    statuses = ["CREATED", "SUBMITTED", "REVIEWING", "REQUIRES_AUTHENTICATION", "PROVISIONING",
                "COMPLETE", "REQUIRES_UPDATES", "CLOSED", "DELETED", "AWS_REVIEWING"]  # fmt: skip
    now = to_micros(datetime.now(UTC))
    conn.execute("BEGIN")
    batch = 50_000
    for base in range(0, n, batch):
        rows = [(f"registration-{uuid.uuid4().hex}", "123456789012", "us-east-1", TYPE,
                 statuses[i % len(statuses)], 1, None, 1, None, None, now)
                for i in range(base, min(n, base + batch))]  # fmt: skip
        conn.executemany(
            "INSERT INTO registrations (registration_id, account_id, region, registration_type, "
            "status, revision, tags, current_version, approved_version, latest_denied_version, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute(
        "INSERT INTO versions (registration_seq, version_number, status, draft_at) "
        "SELECT seq, 1, 'DRAFT', created_at FROM registrations"
    )
    conn.execute("COMMIT")
    return backend


def describe_cost(backend: SqliteBackend, repeat: int = 30) -> dict[str, float]:
    """Median seconds of a first and of a deep describe page with a status filter."""
    service = RegistrationService(backend)
    flt = [{"Name": "registration-status", "Values": ["COMPLETE"]}]
    first: list[float] = []
    deep: list[float] = []
    pages = service.get_paginator("describe_registrations").paginate(
        Filters=flt, PaginationConfig={"PageSize": 100, "MaxItems": 500}
    )
    list(pages)  # walk a few pages in, to time a page deep in the keyset
    token = json.loads(base64.b64decode(pages.resume_token or ""))["NextToken"]
    for _ in range(repeat):
        t = time.perf_counter()
        page = service.describe_registrations(Filters=flt, MaxResults=100)
        first.append(time.perf_counter() - t)
        assert len(page["Registrations"]) == 100
        t = time.perf_counter()
        service.describe_registrations(Filters=flt, MaxResults=100, NextToken=token)
        deep.append(time.perf_counter() - t)
    return {"first_page_ms": statistics.median(first) * 1e3,
            "deep_page_ms": statistics.median(deep) * 1e3}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    report: dict[str, Any] = {"cpus": os.cpu_count(), "seconds_per_run": args.seconds}
    met: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_rates = {}
        warm = Path(tmp) / "warm-up.db"
        SqliteBackend(warm)
        throughput(f"sqlite:{warm}", 1, 1.0)  # a first, unmeasured run warms caches
        for n in counts:
            print(f"(a) SQLite, {n} worker(s)...", file=sys.stderr)
            path = Path(tmp) / f"throughput-{n}.db"
            SqliteBackend(path)
            sqlite_rates[n] = round(throughput(f"sqlite:{path}", n, args.seconds))
        report["sqlite_transitions_per_s"] = sqlite_rates
        met["sqlite_one_worker_at_least_3000"] = sqlite_rates.get(1, 0) >= 3000
        if DSN:
            from lifecycle.backends.postgres import PostgresBackend

            schema = f"lifecycle_bench_{uuid.uuid4().hex[:8]}"
            admin = PostgresBackend(DSN, schema=schema)
            try:
                pg_rates = {}
                throughput(f"postgres:{schema}", 1, 1.0)  # unmeasured: a new schema is cold
                for n in counts:
                    print(f"(a) PostgreSQL, {n} worker(s)...", file=sys.stderr)
                    pg_rates[n] = round(throughput(f"postgres:{schema}", n, args.seconds))
            finally:
                with admin._pool.connection() as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                    conn.commit()
                admin.close()
            report["postgres_transitions_per_s"] = pg_rates
            if 1 in pg_rates and 4 in pg_rates:
                report["postgres_4_vs_1"] = round(pg_rates[4] / pg_rates[1], 2)
                met["postgres_4_workers_at_least_1.8x"] = report["postgres_4_vs_1"] >= 1.8
        else:
            report["postgres_transitions_per_s"] = "skipped: LIFECYCLE_POSTGRES_DSN is not set"
        pages = {}
        for n in (args.small, args.big):
            print(f"(b) loading {n:,} registrations into SQLite...", file=sys.stderr)
            backend = _populate(Path(tmp) / f"describe-{n}.db", n)
            pages[n] = describe_cost(backend)
            backend.close()
        report["describe_page_of_100_ms"] = {
            str(n): {k: round(v, 3) for k, v in cost.items()} for n, cost in pages.items()
        }
        small, big = pages[args.small], pages[args.big]
        ratio = max(big[k] / small[k] for k in small)
        report["describe_big_vs_small"] = round(ratio, 2)
        met["describe_at_most_3x"] = ratio <= 3
        print("(c) SQLite, a transition at version 1 vs version 1,000...", file=sys.stderr)
        history = SqliteBackend(Path(tmp) / "history.db")
        report["sqlite_version_1_vs_1000"] = history_cost(
            RegistrationService(history), rounds=9, batch=50
        )
        history.close()
        met["sqlite_version_1000_at_most_1.5x"] = report["sqlite_version_1_vs_1000"]["ratio"] <= 1.5
    report["targets_met"] = met
    print(json.dumps(report, indent=2))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
