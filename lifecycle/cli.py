"""The ``lifecycle`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lifecycle import demo
from lifecycle.audit import timeline, verify
from lifecycle.backends import default_database_path, open_backend
from lifecycle.errors import LifecycleError
from lifecycle.ports import Backend


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifecycle",
        description="The AWS End User Messaging SMS registration lifecycle as state machines.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite file, ':memory:', or a postgresql:// URL "
        f"(default: {default_database_path()})",
    )
    commands.add_parser(
        "demo",
        parents=[db],
        help="drive two registrations through their lifecycle and print the timeline",
        description="Drive two registrations through their lifecycle and print the timeline.",
    )
    events = commands.add_parser(
        "events",
        parents=[db],
        help="print a registration's transitions in order",
        description="Print a registration's committed transitions in log order.",
    )
    events.add_argument("--registration", required=True, metavar="ID")
    commands.add_parser(
        "verify",
        parents=[db],
        help="replay the event log through the machines and compare it with the store",
        description="Replay the whole event log through the machines and report every "
        "registration whose stored state differs from the replay (exit code 1).",
    )
    return parser


def _events(backend: Backend, registration_id: str) -> int:
    logged, after = [], None
    while page := backend.read_log(after=after, registration_id=registration_id):
        logged += [entry.event for entry in page]
        after = page[-1].position
    if not logged:
        print(f"lifecycle: no events for registration {registration_id}", file=sys.stderr)
        return 1
    print("\n".join(timeline(logged)))
    return 0


def _verify(backend: Backend) -> int:
    checked, replayed, problems = verify(backend)
    for problem in problems:
        print(f"MISMATCH {problem.registration_id}: {problem.problem}")
    verdict = "OK" if not problems else f"{len(problems)} registration(s) differ from the log"
    print(f"{checked} registrations, {replayed} events replayed: {verdict}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        backend = open_backend(args.db)
        if args.command == "demo":
            demo.run(sys.stdout, backend)
            return 0
        if args.command == "events":
            return _events(backend, args.registration)
        return _verify(backend)
    except LifecycleError as exc:
        print(f"lifecycle: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`lifecycle demo | head`)
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
