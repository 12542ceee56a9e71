"""The ``lifecycle`` command.

Exit codes: 0 done; 1 a runtime failure (or ``verify``'s mismatch); 2 a usage error.
Either failure is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import base64
import functools
import ipaddress
import os
import re
import socket
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from lifecycle import demo, diagrams, media
from lifecycle import stale as stale_view
from lifecycle.audit import timeline, verify
from lifecycle.aws.access import ADMIN_TOKEN_ENV, AdminToken, bind_warning
from lifecycle.aws.access_log import LEVELS
from lifecycle.aws.credentials import DEFAULT_ACCOUNT, Credentials
from lifecycle.aws.server import REVIEW_ACTIONS, UPLOAD_ACTIONS
from lifecycle.backends import check_database, default_database_path, open_backend
from lifecycle.catalogue import Catalogue
from lifecycle.errors import (
    LifecycleError,
    ResourceNotFoundException,
    ValidationException,
    one_line,
)
from lifecycle.eventbridge import Forwarder, http_url, post
from lifecycle.events import TransitionEvent
from lifecycle.models import Registration
from lifecycle.policy import Policy
from lifecycle.ports import Backend
from lifecycle.scripted import attach
from lifecycle.statuses import RegistrationStatus
from lifecycle.validation import FIELD_PATH, REGISTRATION_ID, integer, string

T = TypeVar("T")

_PORT = integer(0, 65535)
_DENIAL_TEXT = string(1, 2048)  # the service's rule for a denied reason's texts
_FLAG_PARTS = (("PATH", FIELD_PATH), ("REASON", _DENIAL_TEXT), ("FEEDBACK", string(1, 10_000)))
"""``--flag``'s three values and the service's rule of each."""
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?"
)
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*", re.IGNORECASE)  # a part of an inet_aton address
_DEBUG = "LIFECYCLE_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with usage errors on one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Command(_Parser):
    """A subcommand's parser. It refuses the arguments it does not know itself, so that
    the error names ``lifecycle demo``: argparse leaves them to the top-level parser."""

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown


class _Failure(Exception):
    """A runtime failure of a command; its message is the line to print."""


def _argument(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse ``type``: ``check``, whose ValidationException becomes a usage error
    that names the argument (argparse adds its name) and the rule."""

    @functools.wraps(check)
    def convert(value: str) -> T:
        try:
            return check(value)
        except ValidationException as exc:
            raise argparse.ArgumentTypeError(exc.fields[0]["Message"]) from None

    return convert


def _rule(field: str, rule: Callable[[str, object], T]) -> Callable[[str], T]:
    """The argparse ``type`` of a :mod:`lifecycle.validation` rule."""
    return _argument(functools.partial(rule, field))


def _port(value: str) -> int:
    # ASCII digits only: int() also takes spaces, "+", "_" and other scripts' digits (and
    # fails beyond 4,300 digits).
    if not re.fullmatch(r"-?[0-9]{1,5}", value):
        raise ValidationException.for_field(
            "port", f"must be an integer from 0 to 65535, got {value!r}"
        )
    port = int(value)
    _PORT("port", port)
    return port


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    # getaddrinfo reads these as IPv4 (inet_aton: hex, octal, fewer than four parts), but
    # the bind rule would take them for host names: only the dotted quad is accepted.
    if all(_NUMBER.fullmatch(part) for part in value.removesuffix(".").split(".")):
        raise ValidationException.for_field(
            "host",
            f"{value} is not a valid IPv4 address: write it as four decimal numbers, as 127.0.0.1",
        )
    if not _HOST_NAME.fullmatch(value):
        raise ValidationException.for_field(
            "host", f"must be an IP address or a host name, got {value!r}"
        )
    return value


def _endpoint_url(value: str) -> str:
    if re.match(r"[^:/?#]*://[^/?#]*@", value):  # userinfo; checked first, never echoed
        raise ValidationException.for_field(
            "endpoint-url",
            "must not carry a user name or password (the admin token is --admin-token)",
        )
    try:
        url = urllib.parse.urlsplit(value)
        unusable = (
            url.scheme not in ("http", "https")
            or not url.hostname
            or url.port == 0
            or re.search(r"[\x00-\x20\x7f]", value) is not None  # http.client refuses these
        )
    except ValueError as exc:  # a malformed host or port
        raise ValidationException.for_field("endpoint-url", f"{exc}, got {value!r}") from None
    if unusable:
        raise ValidationException.for_field(
            "endpoint-url", f"must be an http:// or https:// URL with a host, got {value!r}"
        )
    if "?" in value or "#" in value:  # the action's path is appended to the URL
        raise ValidationException.for_field(
            "endpoint-url", f"must not carry a query or fragment, got {value!r}"
        )
    return value


def _formats(value: str) -> list[str]:
    formats = [f.strip() for f in value.split(",")]
    if not all(formats):
        raise ValidationException.for_field(
            "format",
            f"must be a comma-separated list of {', '.join(diagrams.FORMATS)}, got {value!r}",
        )
    unknown = [f for f in formats if f not in diagrams.FORMATS]
    if unknown:
        raise ValidationException.for_field(
            "format", f"unknown {unknown[0]!r}; choose from {', '.join(diagrams.FORMATS)}"
        )
    return formats


def _directory(value: str) -> Path:
    """A directory that exists or can be created: no file on its path."""
    if not value:
        raise ValidationException.for_field("out", "must not be empty")
    path = Path(value)
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                raise ValidationException.for_field("out", f"{existing} is not a directory")
            break
    return path


def _credentials_file(value: str) -> Credentials:
    if not value:  # Path("") is ".", which would be reported as a directory
        raise ValidationException.for_field(
            "credentials", "must not be empty; give the path of a JSON credentials file"
        )
    return Credentials.load(value)


def _catalogue_dir(value: str) -> Catalogue:
    if not value:
        raise ValidationException.for_field(
            "catalog", "must not be empty; give a directory of saved describe-definitions answers"
        )
    try:
        return Catalogue(sources=[Path(value)])
    except ValidationException as exc:  # its message names the file and the key
        raise ValidationException.for_field("catalog", str(exc)) from None


def _check_serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The test credential, which anyone knows, is refused beyond loopback."""
    try:
        bind_warning(args.host, _credentials(args))
    except ValidationException as exc:
        parser.error(f"argument --host: {exc.fields[0]['Message']}")


def _credentials(args: argparse.Namespace) -> Credentials:
    """The access keys serve accepts: the --credentials file's, or the test credential."""
    credentials: Credentials = args.credentials or args.test_credential
    return credentials


def _body_file(value: str) -> bytes:
    """The bytes of the file at ``value``."""
    try:
        with open(value, "rb") as file:
            return file.read(media.MAX_BODY + 1)
    except OSError as exc:
        raise ValidationException.for_field(
            "body-file", f"cannot read {value}: {exc.strerror or exc}"
        ) from None


def _check_review(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The reason's texts are required for deny, and refused for any other action, as
    ``--flag`` is; its values become deny's ``fields`` (``args.fields``)."""
    for option, value in (
        ("--reason", args.reason),
        ("--short-description", args.short_description),
    ):
        if args.action == "deny" and value is None:
            parser.error(f"argument {option}: is required for deny")
        if args.action != "deny" and value is not None:
            parser.error(f"argument {option}: is only for deny")
    if args.body_file is not None and args.action != "complete_upload":
        parser.error("argument --body-file: is only for complete_upload")
    if args.action != "deny" and args.flag is not None:
        parser.error("argument --flag: is only for deny")
    args.fields = {}
    for values in args.flag or ():
        for (part, rule), value in zip(_FLAG_PARTS, values, strict=True):
            try:
                rule(part, value)
            except ValidationException as exc:
                parser.error(f"argument --flag: {part} {exc.fields[0]['Message']}")
        path, reason, feedback = values
        if path in args.fields:
            parser.error(f"argument --flag: {path} is flagged twice")
        args.fields[path] = {"DeniedReason": reason, "Feedback": feedback}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lifecycle",
        description="The AWS End User Messaging SMS registration lifecycle as state machines.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Command
    )
    db = _Command(add_help=False)
    db.add_argument(
        "--db",
        type=_argument(check_database),
        metavar="PATH",
        help="SQLite file, ':memory:', or a postgresql:// URL "
        f"(default: {default_database_path()})",
    )
    commands.add_parser(
        "demo",
        parents=[db],
        help="drive the 10DLC chain and a toll-free registration, and print the timeline",
        description="Drive the 10DLC chain (brand, vetting, campaign, number) and a "
        "toll-free registration through their lifecycle and print the timeline.",
    )
    events = commands.add_parser(
        "events",
        parents=[db],
        help="print a registration's transitions in order",
        description="Print a registration's committed transitions in log order.",
    )
    registration = _rule("registration", REGISTRATION_ID)
    events.add_argument(
        "--registration",
        required=True,
        type=registration,
        metavar="ID",
        help="the registration's id or ARN",
    )
    diagrams = commands.add_parser(
        "diagrams",
        parents=[db],
        help="write the lifecycle diagrams (Mermaid, DOT, SVG), or one registration's path",
        description="Write diagrams of the version machine, the registration machine, "
        "an overview of both and the attachment machine, drawn from the machines the "
        "library enforces. With --registration, draw that registration's path through "
        "both machines instead (read from --db).",
    )
    diagrams.add_argument(
        "--out",
        default="diagrams",
        type=_argument(_directory),
        metavar="DIR",
        help="default: diagrams",
    )
    diagrams.add_argument(
        "--format",
        type=_argument(_formats),
        metavar="LIST",
        help="comma-separated: mermaid, dot, svg, png (default: mermaid,dot,svg)",
    )
    diagrams.add_argument(
        "--registration", type=registration, metavar="ID", help="the registration's id or ARN"
    )
    serve = commands.add_parser(
        "serve",
        parents=[db],
        help="serve the AWS JSON API over HTTP, for any SDK or the AWS CLI",
        description="Serve pinpoint-sms-voice-v2's registration operations over HTTP "
        "(AWS JSON 1.0), plus reviewer actions under /_lifecycle/review/. Stops cleanly "
        "on SIGTERM or SIGINT.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        type=_argument(_host),
        help="an IP address or host name; beyond loopback only with --credentials",
    )
    serve.add_argument(
        "--port", type=_argument(_port), default=8080, help="0 to 65535; 0 picks a free port"
    )
    keys = serve.add_mutually_exclusive_group()
    keys.add_argument(
        "--credentials",
        type=_argument(_credentials_file),
        metavar="FILE",
        help='JSON: {"ACCESS_KEY_ID": {"secret_access_key": ..., "account_id": ...}, ...} '
        "(default: the test credential, access key lifecycle, secret lifecycle)",
    )
    keys.add_argument(
        "--account-id",
        dest="test_credential",
        type=_argument(Credentials.test),
        default=DEFAULT_ACCOUNT,
        metavar="ACCOUNT_ID",
        help=f"the test credential's account (default: {DEFAULT_ACCOUNT})",
    )
    _add_admin_token(
        serve,
        f"the reviewer routes' secret (default: ${ADMIN_TOKEN_ENV}, else one is generated "
        "and printed)",
    )
    serve.add_argument(
        "--catalog",
        type=_argument(_catalogue_dir),
        metavar="DIR",
        help="registration types and forms: the built-ins, then the saved AWS "
        "describe-definitions answers (*.json) in DIR",
    )
    serve.set_defaults(check=functools.partial(_check_serve, serve))
    serve.add_argument(
        "--log-level",
        default="info",
        type=str.lower,
        choices=LEVELS,
        metavar="LEVEL",
        help=f"log to stderr from this level on: {', '.join(LEVELS)} (default: info, which "
        "includes the access log: one line per request)",
    )
    serve.add_argument(
        "--review-policy",
        type=_argument(Policy.load),
        metavar="FILE",
        help="a scripted reviewer's policy (JSON or TOML): it reviews every account's "
        "registrations, on wall-clock time",
    )
    serve.add_argument(
        "--eventbridge-url",
        type=_argument(http_url),
        metavar="URL",
        help="POST each registration status change, in AWS's EventBridge shape, to URL "
        "(from the log: none is lost, one may come twice)",
    )
    review = commands.add_parser(
        "review",
        help="act as the reviewer on a registration served by lifecycle serve",
        description="Play the reviewer against a running lifecycle serve (the upload "
        f"actions, {' and '.join(UPLOAD_ACTIONS)}, take an attachment id instead).",
    )
    review.add_argument("action", choices=REVIEW_ACTIONS)
    review.add_argument(
        "registration_id", type=_rule("registration-id", REGISTRATION_ID), metavar="registration-id"
    )
    review.add_argument(
        "--body-file",
        type=_argument(_body_file),
        metavar="PATH",
        help="for complete_upload: the file the system fetched from the attachment's URL",
    )
    review.add_argument(
        "--endpoint-url", required=True, type=_argument(_endpoint_url), metavar="URL"
    )
    _add_admin_token(
        review, f"the admin token serve was given or printed (default: ${ADMIN_TOKEN_ENV})"
    )
    review.add_argument(
        "--reason",
        type=_rule("reason", _DENIAL_TEXT),
        help="required for deny, e.g. REVIEW_DENIED",
    )
    review.add_argument(
        "--short-description",
        type=_rule("short-description", _DENIAL_TEXT),
        help="required for deny",
    )
    review.add_argument(
        "--flag",
        nargs=3,
        action="append",
        metavar=("PATH", "REASON", "FEEDBACK"),
        help="deny only, repeatable: flag the field PATH of the denied version with its "
        "DeniedReason and Feedback",
    )
    review.set_defaults(check=functools.partial(_check_review, review))
    stale = commands.add_parser(
        "stale",
        parents=[db],
        help="list the registrations that have sat in a status longer than a threshold",
        description="List the registrations of the store (every account and region) that "
        "entered their status, by their status-history timestamps, longer ago than "
        "--older-than: the longest waiting first.",
    )
    stale.add_argument(
        "--status",
        action="append",
        choices=[s.value for s in RegistrationStatus if s.value not in ("CLOSED", "DELETED")],
        metavar="STATUS",
        help="repeatable: only registrations in this status (default: every status in "
        "which a registration waits: CREATED, the review statuses, PROVISIONING, "
        "REQUIRES_UPDATES)",
    )
    stale.add_argument(
        "--older-than",
        type=_argument(stale_view.duration),
        default=stale_view.duration("30d"),
        metavar="AGE",
        help="days, hours or minutes, as 30d, 12h or 90m (default: 30d)",
    )
    commands.add_parser(
        "verify",
        parents=[db],
        help="replay the event log through the machines and compare it with the store",
        description="Replay the whole event log through the machines and report every "
        "registration whose stored state differs from the replay (exit code 1).",
    )
    return parser


def _add_admin_token(parser: argparse.ArgumentParser, description: str) -> None:
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        type=_argument(_admin_token),
        default=os.environ.get(ADMIN_TOKEN_ENV),
        help=description,
    )


def _admin_token(value: str) -> str:
    try:
        return AdminToken(value).value
    except ValidationException as exc:  # the value may come from the environment
        raise ValidationException.for_field(
            "admin-token", f"{exc.fields[0]['Message']} (from --admin-token or {ADMIN_TOKEN_ENV})"
        ) from None


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


def _stale(backend: Backend, older_than: timedelta, statuses: list[str] | None) -> int:
    wanted = (
        stale_view.WAITING if statuses is None else frozenset(map(RegistrationStatus, statuses))
    )
    with backend.snapshot() as snapshot:
        found = stale_view.stale(snapshot, older_than, datetime.now(UTC), wanted)
    for row in found:
        print(f"{row.registration_id}  {row.status.value:<24} since {row.since.isoformat()}  "
              f"{row.age.days} days  {row.registration_type}")  # fmt: skip
    print(f"{len(found)} registration(s) in {', '.join(sorted(wanted))} for longer than "
          f"{older_than}")  # fmt: skip
    return 0


def _verify(backend: Backend) -> int:
    checked, replayed, problems = verify(backend)
    for problem in problems:
        print(f"MISMATCH {problem.registration_id}: {problem.problem}")
    verdict = (
        "OK"
        if not problems
        else (
            f"{len(problems)} registration(s), attachment(s) or phone number(s) differ from the log"
        )
    )
    print(f"{checked} registrations, {replayed} events replayed: {verdict}")
    return 1 if problems else 0


def _diagrams(args: argparse.Namespace) -> int:
    asked = args.format is not None
    formats = args.format if asked else ["mermaid", "dot", "svg"]
    sources = None
    if args.registration is not None:
        registration, events = _registration(open_backend(args.db), args.registration)
        sources = {
            registration.registration_id: (
                diagrams.registration_view_mermaid(registration, events),
                diagrams.registration_view_dot(registration, events),
            )
        }
    written, skipped = diagrams.write(args.out, formats, sources)
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
    from lifecycle.aws.accounts import Accounts
    from lifecycle.aws.server import serve

    backend = open_backend(args.db)
    setup = None if args.review_policy is None else attach(args.review_policy)
    accounts = Accounts(backend, registration_types=args.catalog, setup=setup)
    forwarder = None
    if args.eventbridge_url is not None:
        forwarder = Forwarder(backend, post(args.eventbridge_url)).start()
    try:
        with _listening(args.host, args.port):
            serve(accounts, args.host, args.port, credentials=_credentials(args),
                  admin_token=args.admin_token, log_level=args.log_level)  # fmt: skip
    finally:
        if forwarder is not None:
            forwarder.stop()
    return 0


@contextmanager
def _listening(host: str, port: int) -> Iterator[None]:
    """Report a host that does not resolve, or an address that cannot be bound (in use,
    not local, privileged), as one line."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        yield
    except OSError as exc:
        raise _Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _review(args: argparse.Namespace) -> int:
    import json
    import urllib.error
    import urllib.request  # here: it would slow every other command's start

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        """Follow no redirect: urllib would resend the admin token to whatever the
        Location names. The 3xx then surfaces as an HTTPError."""

        def redirect_request(self, *args: Any) -> None:
            return None

    def parsed(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            return None

    body: dict[str, Any] = {}
    if args.body_file is not None:
        body = {"body": base64.b64encode(args.body_file).decode()}
    if args.action == "deny":
        body = {
            "reasons": [{"Reason": args.reason, "ShortDescription": args.short_description}],
            "fields": args.fields,
        }
    rid = urllib.parse.quote(args.registration_id, safe="")
    url = f"{args.endpoint_url.rstrip('/')}/_lifecycle/review/{args.action}/{rid}"
    headers = {} if args.admin_token is None else {"Authorization": f"Bearer {args.admin_token}"}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=30) as response:
            answer = parsed(response.read())
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise _Failure(
                f"{args.endpoint_url} answered {exc.code} {exc.reason}, redirecting to "
                f"{exc.headers.get('Location', '(nowhere)')}; not followed, so that the admin "
                "token goes only to --endpoint-url: give the URL lifecycle serve listens on"
            ) from exc
        error = parsed(exc.read())
        error = error if isinstance(error, dict) else {}
        code = str(error.get("__type", exc.code)).rsplit("#", 1)[-1]
        raise _Failure(f"{code}: {error.get('Message', exc.reason)}") from exc
    except (OSError, ValueError) as exc:  # unreachable, timed out, or not a URL
        reason = getattr(exc, "reason", exc)
        raise _Failure(f"cannot reach {args.endpoint_url}: {reason}") from exc
    if not isinstance(answer, dict):
        raise _Failure(f"{args.endpoint_url} answered no JSON object: is it lifecycle serve?")
    print(json.dumps(answer, indent=2))
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "diagrams":
        return _diagrams(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "review":
        return _review(args)
    # The audits only read: they open the store read-only, which also works on a copy.
    backend = open_backend(args.db, read_only=args.command in ("verify", "events", "stale"))
    if args.command == "demo":
        demo.run(sys.stdout, backend, db=args.db)
        return 0
    if args.command == "events":
        return _events(backend, args.registration)
    if args.command == "stale":
        return _stale(backend, args.older_than, args.status)
    return _verify(backend)


def _os_error(exc: OSError) -> str:
    if exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return exc.strerror or str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code: 0 done, 1 a runtime failure (or
    ``verify``'s mismatch), 2 a usage error. A failure prints one line on stderr; an
    unexpected one, its traceback too when the environment sets ``LIFECYCLE_DEBUG=1``.
    """
    try:
        args = _parser().parse_args(argv)
        if "check" in args:
            args.check(args)
    except SystemExit as exc:  # after --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _run(args)
    except LifecycleError as exc:
        problem = f"{exc.code}: {exc.message}"
    except _Failure as exc:
        problem = str(exc)
    except ImportError as exc:  # an optional extra is missing; the message names it
        problem = str(exc)
    except BrokenPipeError:  # the reader went away (`lifecycle demo | head`)
        sys.stderr.close()
        return 0
    except OSError as exc:
        problem = _os_error(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get(_DEBUG, "") not in ("", "0"):
            raise
        problem = f"internal error: {type(exc).__name__}: {exc} (set {_DEBUG}=1 for the traceback)"
    print(f"lifecycle: {one_line(problem)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
