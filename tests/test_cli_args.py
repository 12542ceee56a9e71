"""The command line refuses bad arguments of every subcommand with one line and exit 2,
reports every runtime failure with one line and exit 1, and never shows a traceback."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle import demo
from lifecycle.aws import server
from lifecycle.backends import open_backend
from lifecycle.cli import main
from lifecycle.errors import InternalServerException, ValidationException
from tests.conftest import POSTGRES_DSN, POSTGRES_SKIP

ROOT = Path(__file__).resolve().parent.parent
REVIEW = ["review", "approve", "registration-x", "--endpoint-url"]
DENY = ["review", "deny", "registration-x", "--endpoint-url", "http://127.0.0.1:1"]
DENY_WITH_REASON = [*DENY, "--reason", "R", "--short-description", "S"]
REFUSED = "postgresql://postgres@127.0.0.1:1/x"  # nothing listens on port 1
needs_psycopg = pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is None, reason="needs the postgres extra"
)
needs_postgres = pytest.mark.skipif(POSTGRES_SKIP is not None, reason=str(POSTGRES_SKIP))


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding one file, ``file``; the default database lives there too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("LIFECYCLE_DEBUG", raising=False)
    (tmp_path / "file").write_text("not a directory, not a database")
    return tmp_path


def _one_line(err: str, prefix: str, *fragments: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(prefix), err
    for fragment in fragments:
        assert fragment in err, err


def _postgres_url(dbname: str) -> str:
    """A postgresql:// URL of LIFECYCLE_POSTGRES_DSN's server and user, naming ``dbname``."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    assert POSTGRES_DSN is not None
    params = conninfo_to_dict(POSTGRES_DSN)
    user = quote(str(params.get("user", "postgres")))
    password = f":{quote(str(params['password']))}" if "password" in params else ""
    host, port = params.get("host", "127.0.0.1"), params.get("port", 5432)
    return f"postgresql://{user}{password}@{host}:{port}/{dbname}"


# (arguments, the subcommand, what the one line must say)
USAGE_ERRORS = [
    ([], "", "the following arguments are required: COMMAND"),
    (["nope"], "", "argument COMMAND: invalid choice: 'nope'"),
    (["demo", "--db", ""], " demo", "argument --db: must not be empty"),
    (["demo", "--db", "mysql://x"], " demo",
     "argument --db: unsupported database URL mysql://; give a SQLite file path, ':memory:' "
     "or a postgresql:// URL"),
    (["verify", "--db", "sqlite:///x.db"], " verify", "unsupported database URL sqlite://"),
    (["verify", "--db", "."], " verify", "argument --db: . is a directory"),
    pytest.param(["verify", "--db", "postgresql://[::1"], " verify",
                 'argument --db: end of string reached when looking for matching "]" in IPv6 '
                 'host address in URI: "postgresql://[::1"', marks=needs_psycopg),
    pytest.param(["demo", "--db", "postgres://h/x?nope=1"], " demo",
                 'argument --db: invalid URI query parameter: "nope"', marks=needs_psycopg),
    pytest.param(["demo", "--db", "postgres://h/x?connect_timeout=soon"], " demo",
                 "argument --db: connect_timeout must be a whole number of seconds, got 'soon'",
                 marks=needs_psycopg),
    (["verify", "extra"], " verify", "unrecognized arguments: extra"),
    (["demo", "--bogus"], " demo", "unrecognized arguments: --bogus"),
    (["demo", "--db", ":memory:", "--bogus", "x"], " demo", "unrecognized arguments: --bogus x"),
    (["events", "--registration", "x", "--bogus"], " events", "unrecognized arguments: --bogus"),
    (["diagrams", "--bogus"], " diagrams", "unrecognized arguments: --bogus"),
    (["serve", "--bogus"], " serve", "unrecognized arguments: --bogus"),
    ([*REVIEW, "http://h", "--bogus"], " review", "unrecognized arguments: --bogus"),
    (["--bogus", "demo"], "", "unrecognized arguments: --bogus"),
    (["demo", "--db"], " demo", "argument --db: expected one argument"),
    (["events"], " events", "the following arguments are required: --registration"),
    (["events", "--registration", ""], " events",
     "argument --registration: length must be 1 to 256 characters, got 0"),
    (["events", "--registration", "a b"], " events",
     "argument --registration: must match the pattern"),
    (["events", "--registration", "x", "--db", ""], " events", "argument --db: must not be empty"),
    (["diagrams", "--out", "file"], " diagrams", "argument --out: file is not a directory"),
    (["diagrams", "--out", "file/sub"], " diagrams", "argument --out: file is not a directory"),
    (["diagrams", "--format", "jpeg"], " diagrams",
     "argument --format: unknown 'jpeg'; choose from mermaid, dot, svg, png"),
    (["diagrams", "--format", ""], " diagrams",
     "argument --format: must be a comma-separated list of mermaid, dot, svg, png, got ''"),
    (["diagrams", "--format", "svg,,png"], " diagrams",
     "argument --format: must be a comma-separated list"),
    (["diagrams", "--out", ""], " diagrams", "argument --out: must not be empty"),
    (["diagrams", "--registration", "a b"], " diagrams", "argument --registration: must match"),
    (["diagrams", "--db", "mysql://x", "--registration", "x"], " diagrams",
     "argument --db: unsupported database URL mysql://"),
    (["serve", "--port", "70000"], " serve", "argument --port: must be from 0 to 65535, got 70000"),
    (["serve", "--port", "-5"], " serve", "argument --port: must be from 0 to 65535, got -5"),
    (["serve", "--port", "http"], " serve",
     "argument --port: must be an integer from 0 to 65535, got 'http'"),
    (["serve", "--port", "80.5"], " serve", "argument --port: must be an integer"),
    (["serve", "--port"], " serve", "argument --port: expected one argument"),
    (["serve", "--port", " 80"], " serve",
     "argument --port: must be an integer from 0 to 65535, got ' 80'"),
    (["serve", "--port", "80\n"], " serve", "argument --port: must be an integer"),
    (["serve", "--port", "\u0668\u0660"], " serve", "argument --port: must be an integer"),
    (["serve", "--port", "\uff18\uff10"], " serve", "argument --port: must be an integer"),
    (["serve", "--port", "8_0"], " serve", "argument --port: must be an integer"),
    (["serve", "--port", "+80"], " serve", "argument --port: must be an integer"),
    (["serve", "--port", "9" * 5000], " serve", "argument --port: must be an integer"),
    (["serve", "--credentials", ""], " serve",
     "argument --credentials: must not be empty; give the path of a JSON credentials file"),
    (["serve", "--catalog", ""], " serve", "argument --catalog: must not be empty"),
    (["serve", "--catalog", "no-such-dir"], " serve",
     "argument --catalog: Invalid registration catalogue no-such-dir: cannot be read"),
    (["serve", "--host", "999.1.1.1"], " serve",
     "argument --host: 999.1.1.1 is not a valid IPv4 address"),
    # Numeric forms getaddrinfo reads as IPv4 addresses, which the bind rule would
    # classify as host names.
    (["serve", "--host", "0x7f000001"], " serve",
     "argument --host: 0x7f000001 is not a valid IPv4 address: write it as four decimal "
     "numbers, as 127.0.0.1"),
    (["serve", "--host", "0X7F.1"], " serve", "argument --host: 0X7F.1 is not a valid IPv4"),
    (["serve", "--host", "127.1"], " serve", "argument --host: 127.1 is not a valid IPv4"),
    (["serve", "--host", "2130706433"], " serve", "argument --host: 2130706433 is not a valid"),
    (["serve", "--host", "0177.0.0.1"], " serve", "argument --host: 0177.0.0.1 is not a valid"),
    (["serve", "--host", "127.0.0.01"], " serve", "argument --host: 127.0.0.01 is not a valid"),
    (["serve", "--host", "127.0.0.1."], " serve", "argument --host: 127.0.0.1. is not a valid"),
    (["serve", "--host", "10.0.0.0x1"], " serve", "argument --host: 10.0.0.0x1 is not a valid"),
    (["serve", "--host", ""], " serve", "argument --host: must be an IP address or a host name"),
    (["serve", "--host", "bad host!"], " serve", "argument --host: must be an IP address or a"),
    (["serve", "--host", "[::1]"], " serve", "argument --host: must be an IP address or a"),
    (["serve", "--db", ""], " serve", "argument --db: must not be empty"),
    ([*REVIEW, "not-a-url"], " review",
     "argument --endpoint-url: must be an http:// or https:// URL with a host, got 'not-a-url'"),
    ([*REVIEW, "localhost:8080"], " review", "argument --endpoint-url: must be an http://"),
    ([*REVIEW, "ftp://host"], " review", "argument --endpoint-url: must be an http://"),
    ([*REVIEW, "http://"], " review", "argument --endpoint-url: must be an http://"),
    ([*REVIEW, "http://[::1"], " review", "argument --endpoint-url: Invalid IPv6 URL"),
    ([*REVIEW, "http://host:99999"], " review", "argument --endpoint-url: Port out of range"),
    ([*REVIEW, "http://host:port"], " review", "argument --endpoint-url: Port could not be cast"),
    ([*REVIEW, "http://host:0"], " review", "argument --endpoint-url: must be an http://"),
    ([*REVIEW, "http://host/a b"], " review", "argument --endpoint-url: must be an http://"),
    ([*REVIEW, "http://user:secret@h"], " review",
     "argument --endpoint-url: must not carry a user name or password"),
    ([*REVIEW, "http://user@h"], " review", "argument --endpoint-url: must not carry a user"),
    ([*REVIEW, "http://@h:8080"], " review", "argument --endpoint-url: must not carry a user"),
    ([*REVIEW, "http://h/?a=1"], " review",
     "argument --endpoint-url: must not carry a query or fragment, got 'http://h/?a=1'"),
    ([*REVIEW, "http://h?"], " review", "argument --endpoint-url: must not carry a query"),
    ([*REVIEW, "https://h/#top"], " review", "argument --endpoint-url: must not carry a query"),
    ([*REVIEW, "http://h#"], " review", "argument --endpoint-url: must not carry a query"),
    ([*REVIEW, "file:///etc/passwd"], " review", "argument --endpoint-url: must be an http://"),
    (["review", "approve", "registration-x"], " review",
     "the following arguments are required: --endpoint-url"),
    (["review", "nope", "registration-x", "--endpoint-url", "http://h"], " review",
     "argument action: invalid choice: 'nope'"),
    (["review", "approve", "", "--endpoint-url", "http://h"], " review",
     "argument registration-id: length must be 1 to 256 characters"),
    (["review", "approve", "reg x/../y", "--endpoint-url", "http://h"], " review",
     "argument registration-id: must match the pattern [A-Za-z0-9_:/-]+"),
    (DENY, " review", "argument --reason: is required for deny"),
    ([*DENY, "--reason", "R"], " review", "argument --short-description: is required for deny"),
    ([*DENY, "--reason", "", "--short-description", "S"], " review",
     "argument --reason: length must be 1 to 2048 characters, got 0"),
    ([*DENY, "--reason", "R", "--short-description", "S" * 2049], " review",
     "argument --short-description: length must be 1 to 2048 characters, got 2049"),
    ([*REVIEW, "http://127.0.0.1:1", "--reason", "R"], " review",
     "argument --reason: is only for deny"),
    ([*REVIEW, "http://127.0.0.1:1", "--short-description", "S"], " review",
     "argument --short-description: is only for deny"),
    ([*REVIEW, "http://127.0.0.1:1", "--flag", "a.b", "R", "F"], " review",
     "argument --flag: is only for deny"),
    ([*DENY_WITH_REASON, "--flag", "a.b", "R"], " review",
     "argument --flag: expected 3 arguments"),
    ([*DENY_WITH_REASON, "--flag", "a b", "R", "F"], " review",
     "argument --flag: PATH must match the pattern [A-Za-z0-9_\\.]+"),
    ([*DENY_WITH_REASON, "--flag", "a.b", "", "F"], " review",
     "argument --flag: REASON length must be 1 to 2048 characters, got 0"),
    ([*DENY_WITH_REASON, "--flag", "a.b", "R", "F" * 10_001], " review",
     "argument --flag: FEEDBACK length must be 1 to 10000 characters, got 10001"),
    ([*DENY_WITH_REASON, "--flag", "a.b", "R", "F", "--flag", "a.b", "R2", "F2"], " review",
     "argument --flag: a.b is flagged twice"),
]  # fmt: skip


def _never_serve(*args: object, **kwargs: object) -> None:
    raise AssertionError("a refused command must not start serving")


@pytest.mark.parametrize(("argv", "command", "message"), USAGE_ERRORS)
def test_argument_mistakes_are_one_line_and_exit_2(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    command: str,
    message: str,
) -> None:
    monkeypatch.setattr(server, "serve", _never_serve)
    before = sorted(workdir.rglob("*"))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_line(err, f"lifecycle{command}: error: ", message)
    assert sorted(workdir.rglob("*")) == before  # nothing created, no database opened


def test_an_endpoint_urls_password_is_not_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("http://user:secret@h", "http://u:secret@h:port", "ftp://u:secret@[::1"):
        assert main([*REVIEW, url]) == 2
        assert "secret" not in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0x7f000001", "0x0a000001", "0xa.1"])
def test_a_numeric_host_is_refused_even_with_credentials(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """getaddrinfo binds these to an IPv4 address, which the bind rule cannot see in them."""
    monkeypatch.setattr(server, "serve", _never_serve)
    keys = workdir / "keys.json"
    keys.write_text('{"AKIDEXAMPLE": {"secret_access_key": "s", "account_id": "111122223333"}}')
    assert main(["serve", "--host", host, "--credentials", str(keys)]) == 2
    _one_line(capsys.readouterr().err, f"lifecycle serve: error: argument --host: {host} is not")


def test_help_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    assert "--port" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["demo", "events", "diagrams", "serve", "review", "verify"])
def test_each_subcommand_names_itself_in_its_usage_and_errors(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: lifecycle {command} [-h]")
    assert main([command, "--bogus"]) == 2
    assert capsys.readouterr().err.startswith(f"lifecycle {command}: error: ")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--db", ":memory:", "--port", str(busy_port)]) == 1
    out, err = capsys.readouterr()
    _one_line(err, "lifecycle: ", f"cannot listen on 127.0.0.1:{busy_port}: ", "in use")
    assert "listening" not in out


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["verify", "--db", "missing/x.db"], ["directory missing does not exist"]),
        (["demo", "--db", "file"], ["file is not a database"]),
        (["events", "--db", ":memory:", "--registration", "registration-x"],
         ["ResourceNotFoundException: Registration registration-x not found"]),
    ],
)  # fmt: skip
def test_runtime_failures_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]
) -> None:
    assert main(argv) == 1
    _one_line(capsys.readouterr().err, "lifecycle: ", *fragments)


def test_a_multi_line_error_message_is_printed_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise InternalServerException("the server closed the connection\n\tIs it running?")

    monkeypatch.setattr(demo, "run", fail)
    assert main(["demo", "--db", ":memory:"]) == 1
    _one_line(
        capsys.readouterr().err,
        "lifecycle: InternalServerException: the server closed the connection; Is it running?",
    )


def test_an_unexpected_failure_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(demo, "run", fail)
    assert main(["demo", "--db", ":memory:"]) == 1
    _one_line(
        capsys.readouterr().err,
        "lifecycle: internal error: RuntimeError: boom (set LIFECYCLE_DEBUG=1 for the traceback)",
    )
    monkeypatch.setenv("LIFECYCLE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["demo", "--db", ":memory:"])


def test_an_interrupt_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "run", interrupt)
    try:
        code = main(["demo", "--db", ":memory:"])
    except KeyboardInterrupt:  # would stop the test session
        pytest.fail("the interrupt escaped main() as a traceback")
    assert code == 130
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("db", "rule"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("mysql://x", "unsupported database URL mysql://"),
        ("x\0y", "must not contain a NUL character"),
        (".", ". is a directory"),
        (b"x.db", "must be a string"),
    ],
)
def test_open_backend_refuses_what_it_cannot_open(db: object, rule: str) -> None:
    with pytest.raises(ValidationException, match="Invalid parameter db: ") as info:
        open_backend(db)  # type: ignore[arg-type]
    assert rule in info.value.message
    assert info.value.fields == ({"Name": "db", "Message": info.value.fields[0]["Message"]},)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param(REFUSED, "Connection refused; Is the server running", marks=needs_psycopg),
        pytest.param("no such database", 'database "lifecycle_no_such_database" does not exist',
                     marks=needs_postgres),
    ],
)  # fmt: skip
def test_an_unreachable_postgres_is_one_line_within_the_timeout(
    capsys: pytest.CaptureFixture[str], url: str, reason: str
) -> None:
    if url == "no such database":
        url = _postgres_url("lifecycle_no_such_database")
    started = time.monotonic()
    assert main(["verify", "--db", url]) == 1
    assert time.monotonic() - started < 3  # refused at once, not retried until the timeout
    _one_line(capsys.readouterr().err, "lifecycle: InternalServerException: PostgreSQL at ", reason)


@needs_psycopg
def test_a_silent_postgres_fails_within_the_connect_timeout(busy_port: int) -> None:
    from lifecycle.backends.postgres import PostgresBackend

    started = time.monotonic()
    with pytest.raises(InternalServerException) as info:  # busy_port never answers
        PostgresBackend(f"postgresql://u@127.0.0.1:{busy_port}/x", connect_timeout=2)
    assert time.monotonic() - started < 3.5
    assert info.value.message == (
        f"PostgreSQL at postgresql://u@127.0.0.1:{busy_port}/x: connection timeout expired"
    )


@needs_psycopg
def test_a_malformed_postgres_urls_password_is_not_echoed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--db", "postgresql://u:secret@[::1/x"]) == 2
    _one_line(capsys.readouterr().err, "lifecycle verify: error: argument --db: ", "u:***@")


@needs_psycopg
def test_a_postgres_urls_own_connect_timeout_is_honoured(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()  # busy_port never answers; our default would wait 5 s
    assert (
        main(["verify", "--db", f"postgresql://u@127.0.0.1:{busy_port}/x?connect_timeout=2"]) == 1
    )
    assert time.monotonic() - started < 3.5
    _one_line(capsys.readouterr().err, "lifecycle: ", "connection timeout expired")


@needs_psycopg
@pytest.mark.parametrize(
    ("dsn", "environment", "given", "waited"),
    [
        ("postgresql://u@h/x", None, None, "5"),
        ("postgresql://u@h/x?connect_timeout=2", None, None, "2"),
        ("postgresql://u@h/x?connect_timeout=30", "7", None, "30"),
        ("host=h connect_timeout=30", None, None, "30"),
        ("postgresql://u@h/x", "7", None, "7"),
        ("postgresql://u@h/x?connect_timeout=1", None, None, "2"),  # libpq's least
        ("postgresql://u@h/x?connect_timeout=30", None, 3, "3"),
    ],
)  # fmt: skip
def test_the_connect_timeout_is_the_users_else_5_seconds(
    monkeypatch: pytest.MonkeyPatch, dsn: str, environment: str | None, given: float | None,
    waited: str,
) -> None:  # fmt: skip
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    if environment is None:
        monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("PGCONNECT_TIMEOUT", environment)
    seen = []

    def connect(dsn: str, **kwargs: object) -> None:
        # psycopg's keyword arguments override the DSN, which overrides the environment.
        own = conninfo_to_dict(dsn).get("connect_timeout", environment)
        seen.append(str(kwargs.get("connect_timeout", own)))
        raise psycopg.OperationalError("stop here")

    monkeypatch.setattr(psycopg, "connect", connect)
    from lifecycle.backends.postgres import PostgresBackend

    with pytest.raises(InternalServerException, match="stop here"):
        PostgresBackend(dsn, connect_timeout=given)
    assert seen == [waited]


@needs_psycopg
def test_a_malformed_postgres_url_is_a_validation_error() -> None:
    from lifecycle.backends.postgres import PostgresBackend

    with pytest.raises(ValidationException, match=r"Invalid parameter dsn: .*IPv6") as info:
        PostgresBackend("postgresql://u:secret@[::1/x")
    assert "secret" not in info.value.message
    with pytest.raises(ValidationException, match="Invalid parameter connect_timeout: "):
        PostgresBackend(REFUSED, connect_timeout=0)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": os.getcwd()}
    env.pop("LIFECYCLE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "lifecycle", *argv],
        capture_output=True, text=True, timeout=15, cwd=os.getcwd(), env=env,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["serve", "--port", "70000"], 2, "argument --port: must be from 0 to 65535, got 70000"),
        (["serve", "--port", "-5"], 2, "argument --port: must be from 0 to 65535, got -5"),
        (["serve", "--host", "999.1.1.1"], 2, "argument --host: 999.1.1.1 is not a valid IPv4"),
        (["diagrams", "--out", "file"], 2, "argument --out: file is not a directory"),
        ([*REVIEW, "not-a-url"], 2, "argument --endpoint-url: must be an http:// or https://"),
        (["verify", "--db", ""], 2, "argument --db: must not be empty"),
        (["demo", "--db", "mysql://x"], 2, "argument --db: unsupported database URL mysql://"),
        (DENY, 2, "argument --reason: is required for deny"),
        pytest.param(["verify", "--db", REFUSED], 1,
                     f"InternalServerException: PostgreSQL at {REFUSED}: ", marks=needs_psycopg),
    ],
)  # fmt: skip
def test_the_real_command_shows_no_traceback(argv: list[str], code: int, message: str) -> None:
    result = _run(*argv)
    assert (result.returncode, result.stdout) == (code, "")
    _one_line(result.stderr, "lifecycle", message)


def test_the_real_serve_on_a_port_in_use_shows_no_traceback(busy_port: int) -> None:
    result = _run("serve", "--db", ":memory:", "--port", str(busy_port))
    assert result.returncode == 1
    _one_line(result.stderr, f"lifecycle: cannot listen on 127.0.0.1:{busy_port}: ")
