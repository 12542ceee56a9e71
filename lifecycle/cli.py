"""The ``lifecycle`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lifecycle import demo
from lifecycle.errors import LifecycleError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifecycle",
        description="The AWS End User Messaging SMS registration lifecycle as state machines.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="drive two registrations through their lifecycle and print the timeline",
        description="Drive two registrations through their lifecycle and print the timeline.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            demo.run(sys.stdout)
    except LifecycleError as exc:
        print(f"lifecycle: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`lifecycle demo | head`)
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
