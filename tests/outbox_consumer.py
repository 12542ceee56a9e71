"""An Outbox consumer process for the tests: ``python -m tests.outbox_consumer ...``.

``SPEC NAME OUT SECONDS [--lease L] [--hang-at N]``: reads the log of the store
``SPEC`` (as in ``tests.workers``) as Outbox ``NAME`` for SECONDS, appending one JSON
line per delivered event to OUT: ``{"t": monotonic nanoseconds, "event": ...}``. With
``--hang-at N`` it prints ``hung`` after recording its Nth delivery and never returns
from that handler (the test kills it there).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from lifecycle.events import TransitionEvent
from lifecycle.outbox import Outbox
from tests.workers import open_spec


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("name")
    parser.add_argument("out")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--lease", type=float)
    parser.add_argument("--hang-at", type=int)
    args = parser.parse_args(argv)
    options: dict[str, Any] = {"batch": 5}
    if args.lease is not None:
        options["lease"] = args.lease
    outbox = Outbox(open_spec(args.spec), args.name, **options)
    delivered = 0
    with open(args.out, "a", buffering=1) as out:

        def handle(event: TransitionEvent) -> None:
            nonlocal delivered
            out.write(json.dumps({"t": time.monotonic_ns(), "event": event.to_dict()}) + "\n")
            delivered += 1
            if delivered == args.hang_at:
                print("hung", flush=True)
                threading.Event().wait()

        print("ready", flush=True)
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            if outbox.process(handle) == 0:
                time.sleep(0.005)
    outbox.release()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
