"""``lifecycle review`` against endpoints that are not a working ``lifecycle serve``:
one line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from lifecycle.cli import main


class _NotLifecycle(BaseHTTPRequestHandler):
    """Answers every POST with ``self.server.answer`` (status, body); records its path."""

    def do_POST(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.server.authorizations.append(self.headers["Authorization"])  # type: ignore[attr-defined]
        status, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        if self.server.location:  # type: ignore[attr-defined]
            self.send_header("Location", self.server.location)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # where urllib would follow a 301, 302 or 303

    def log_message(self, *args: object) -> None:
        pass


def _serving() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _NotLifecycle)
    server.paths = []  # type: ignore[attr-defined]
    server.authorizations = []  # type: ignore[attr-defined]
    server.location = None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


other_server = pytest.fixture(_serving)
second_server = pytest.fixture(_serving)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((200, b"<html>hello</html>"), "answered no JSON object: is it lifecycle serve?"),
        ((200, b"[1, 2]"), "answered no JSON object: is it lifecycle serve?"),
        ((404, b"<html>no</html>"), "404: Not Found"),
        ((400, b'{"__type": "x#ConflictException", "Message": "refused"}'),
         "ConflictException: refused"),
    ],
)  # fmt: skip
def test_answers_that_are_not_lifecycles(
    other_server: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    answer: tuple[int, bytes],
    message: str,
) -> None:
    other_server.answer = answer  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{other_server.server_port}"
    assert main(["review", "approve", "registration-x", "--endpoint-url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lifecycle: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:1", "cannot reach http://127.0.0.1:1: "),
    ],
)
def test_unreachable_or_malformed_endpoints(
    capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    assert main(["review", "approve", "registration-x", "--endpoint-url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"lifecycle: {message}") and err.count("\n") == 1


def test_the_registration_id_is_quoted_into_the_path(
    other_server: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other_server.answer = (200, b'{"RegistrationId": "x"}')  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{other_server.server_port}"
    assert main(["review", "approve", "reg/x:y", "--endpoint-url", url]) == 0
    assert other_server.paths == ["/_lifecycle/review/approve/reg%2Fx%3Ay"]  # type: ignore[attr-defined]
    assert '"RegistrationId": "x"' in capsys.readouterr().out


def test_the_admin_token_is_sent_as_a_bearer_header(
    other_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_server.answer = (200, b'{"RegistrationId": "x"}')  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{other_server.server_port}"
    monkeypatch.delenv("LIFECYCLE_ADMIN_TOKEN", raising=False)
    assert main(["review", "approve", "x", "--endpoint-url", url]) == 0
    monkeypatch.setenv("LIFECYCLE_ADMIN_TOKEN", "from-the-environment")
    assert main(["review", "approve", "x", "--endpoint-url", url]) == 0
    assert main(["review", "approve", "x", "--endpoint-url", url,
                 "--admin-token", "from-the-command-line"]) == 0  # fmt: skip
    assert other_server.authorizations == [  # type: ignore[attr-defined]
        None, "Bearer from-the-environment", "Bearer from-the-command-line"
    ]  # fmt: skip


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_refused_and_the_token_goes_nowhere_else(
    other_server: HTTPServer,
    second_server: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    status: int,
) -> None:
    """The admin token goes to --endpoint-url only: following a redirect would hand it to
    whatever the Location names."""
    elsewhere = f"http://127.0.0.1:{second_server.server_port}/steal"
    other_server.answer = (status, b"")  # type: ignore[attr-defined]
    other_server.location = elsewhere  # type: ignore[attr-defined]
    second_server.answer = (200, b'{"RegistrationId": "x"}')  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{other_server.server_port}"
    argv = ["review", "approve", "x", "--endpoint-url", url, "--admin-token", "t" * 16]
    code = main(argv)
    assert second_server.authorizations == []  # type: ignore[attr-defined]
    assert code == 1
    assert other_server.authorizations == [f"Bearer {'t' * 16}"]  # type: ignore[attr-defined]
    err = capsys.readouterr().err
    assert err.startswith(f"lifecycle: {url} answered {status} ") and err.count("\n") == 1, err
    assert f"redirecting to {elsewhere}; not followed" in err, err


def test_a_servers_message_is_printed_on_one_line(
    other_server: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other_server.answer = (  # type: ignore[attr-defined]
        400, b'{"__type": "ConflictException", "Message": "first\\nsecond"}'
    )  # fmt: skip
    url = f"http://127.0.0.1:{other_server.server_port}"
    assert main(["review", "approve", "x", "--endpoint-url", url]) == 1
    assert capsys.readouterr().err == "lifecycle: ConflictException: first; second\n"
