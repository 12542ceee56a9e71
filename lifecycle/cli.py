"""The ``lifecycle`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecycle import demo, diagrams
from lifecycle.audit import timeline, verify
from lifecycle.aws.server import REVIEW_ACTIONS
from lifecycle.backends import default_database_path, open_backend
from lifecycle.errors import LifecycleError, ResourceNotFoundException
from lifecycle.events import TransitionEvent
from lifecycle.models import Registration
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
    events.add_argument(
        "--registration", required=True, metavar="ID", help="the registration's id or ARN"
    )
    diagrams = commands.add_parser(
        "diagrams",
        parents=[db],
        help="write the lifecycle diagrams (Mermaid, DOT, SVG), or one registration's path",
        description="Write diagrams of the version machine, the registration machine and "
        "an overview of both, drawn from the machines the library enforces. With "
        "--registration, draw that registration's path through both machines instead "
        "(read from --db).",
    )
    diagrams.add_argument("--out", default="diagrams", metavar="DIR", help="default: diagrams")
    diagrams.add_argument(
        "--format",
        metavar="LIST",
        help="comma-separated: mermaid, dot, svg, png (default: mermaid,dot,svg)",
    )
    diagrams.add_argument("--registration", metavar="ID", help="the registration's id or ARN")
    serve = commands.add_parser(
        "serve",
        parents=[db],
        help="serve the AWS JSON API over HTTP, for any SDK or the AWS CLI",
        description="Serve pinpoint-sms-voice-v2's registration operations over HTTP "
        "(AWS JSON 1.0), plus reviewer actions under /_lifecycle/review/. Stops cleanly "
        "on SIGTERM or SIGINT.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--account-id", default="123456789012")
    serve.add_argument("--region", default="us-east-1")
    review = commands.add_parser(
        "review",
        help="act as the reviewer on a registration served by lifecycle serve",
        description="Play the reviewer against a running lifecycle serve.",
    )
    review.add_argument("action", choices=REVIEW_ACTIONS)
    review.add_argument("registration_id", metavar="registration-id")
    review.add_argument("--endpoint-url", required=True, metavar="URL")
    review.add_argument("--reason", default="REVIEW_DENIED", help="for deny")
    review.add_argument("--short-description", default="Denied by the reviewer", help="for deny")
    commands.add_parser(
        "verify",
        parents=[db],
        help="replay the event log through the machines and compare it with the store",
        description="Replay the whole event log through the machines and report every "
        "registration whose stored state differs from the replay (exit code 1).",
    )
    return parser


def _registration(backend: Backend, value: str) -> tuple[Registration, list[TransitionEvent]]:
    """The registration ``value`` names (its id or its ARN), and its events in log order.

    Raises:
        ResourceNotFoundException: ``backend`` holds no such registration.
    """
    registration_id = value.rpartition(":registration/")[2] if value.startswith("arn:") else value
    events: list[TransitionEvent] = []
    after = None
    while page := backend.read_log(after=after, registration_id=registration_id):
        events += [entry.event for entry in page]
        after = page[-1].position
    registration = None
    if events:  # the log knows the account and region the registration is stored under
        registration = backend.get(events[0].account_id, events[0].region, registration_id)
    if registration is None or value not in (registration_id, registration.arn):
        raise ResourceNotFoundException(
            f"Registration {value} not found: the database holds no registration by that "
            "id or ARN.",
            resource_type="registration",
            resource_id=value,
        )
    return registration, events


def _events(backend: Backend, value: str) -> int:
    print("\n".join(timeline(_registration(backend, value)[1])))
    return 0


def _verify(backend: Backend) -> int:
    checked, replayed, problems = verify(backend)
    for problem in problems:
        print(f"MISMATCH {problem.registration_id}: {problem.problem}")
    verdict = "OK" if not problems else f"{len(problems)} registration(s) differ from the log"
    print(f"{checked} registrations, {replayed} events replayed: {verdict}")
    return 1 if problems else 0


def _diagrams(args: argparse.Namespace) -> int:
    asked = args.format is not None
    formats = [f.strip() for f in args.format.split(",")] if asked else ["mermaid", "dot", "svg"]
    sources = None
    if args.registration is not None:
        registration, events = _registration(open_backend(args.db), args.registration)
        sources = {
            registration.registration_id: (
                diagrams.registration_view_mermaid(registration, events),
                diagrams.registration_view_dot(registration, events),
            )
        }
    written, skipped = diagrams.write(Path(args.out), formats, sources)
    for path in written:
        print(f"wrote {path}")
    if skipped:
        print(
            f"lifecycle: skipped {', '.join(skipped)}: Graphviz's dot program is not "
            "installed (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)",
            file=sys.stderr,
        )
        return 1 if asked else 0
    return 0


def _serve(args: argparse.Namespace) -> int:
    from lifecycle.aws.server import serve
    from lifecycle.service import RegistrationService

    service = RegistrationService(
        open_backend(args.db), account_id=args.account_id, region=args.region
    )
    serve(service, args.host, args.port)
    return 0


def _review(args: argparse.Namespace) -> int:
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    def parsed(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            return None

    body = {}
    if args.action == "deny":
        body = {"reasons": [{"Reason": args.reason, "ShortDescription": args.short_description}]}
    rid = urllib.parse.quote(args.registration_id, safe="")
    url = f"{args.endpoint_url.rstrip('/')}/_lifecycle/review/{args.action}/{rid}"
    try:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = parsed(response.read())
        if isinstance(answer, dict):
            print(json.dumps(answer, indent=2))
            return 0
        print(f"lifecycle: {args.endpoint_url} answered no JSON object: is it lifecycle serve?",
              file=sys.stderr)  # fmt: skip
    except urllib.error.HTTPError as exc:
        error = parsed(exc.read())
        error = error if isinstance(error, dict) else {}
        code = str(error.get("__type", exc.code)).rsplit("#", 1)[-1]
        print(f"lifecycle: {code}: {error.get('Message', exc.reason)}", file=sys.stderr)
    except (OSError, ValueError) as exc:  # unreachable, timed out, or not a URL
        reason = getattr(exc, "reason", exc)
        print(f"lifecycle: cannot reach {args.endpoint_url}: {reason}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "diagrams":
            return _diagrams(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "review":
            return _review(args)
        backend = open_backend(args.db)
        if args.command == "demo":
            demo.run(sys.stdout, backend, db=args.db)
            return 0
        if args.command == "events":
            return _events(backend, args.registration)
        return _verify(backend)
    except LifecycleError as exc:
        print(f"lifecycle: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except ImportError as exc:  # an optional extra is missing; the message names it
        print(f"lifecycle: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`lifecycle demo | head`)
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
