"""``lifecycle serve`` at its HTTP edge: hostile bodies and headers, oversized and slow
requests, waitress's own error answers, health, the access log and a locked SQLite file.

Everything runs on loopback against a real ``lifecycle serve`` process, bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")
import botocore.session

from lifecycle.aws import protocol
from lifecycle.errors import CONTENT_TYPE
from lifecycle.validation import OPERATIONS as VALIDATED
from tests.served import (
    ACCESS_LINE,
    AWS_ERRORS,
    CREATE,
    Server,
    api_headers,
    aws_error,
    signed,
    wait_until,
)

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("edge"))
    yield running
    running.stop()


def test_the_operations_members_are_botocores() -> None:
    """The members the protocol accepts (validation's table) are the model's input members."""
    model = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
    for operation in protocol.OPERATIONS:
        members = model.operation_model(operation).input_shape.members
        assert set(VALIDATED[operation]) == set(members)


# -- bodies and headers a client gets wrong ----------------------------------------------

DEEP = 100_000
BAD_BODIES = {
    "nested arrays": b"[" * DEEP + b"]" * DEEP,
    "nested objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "nested in a member": b'{"Tags":' + b"[" * DEEP + b"]" * DEEP + b"}",
    "self": b'{"self": 1}',
    "self beside a valid member": CREATE[:-1] + b', "self": 1}',
    "cls": b'{"cls": 1}',
    "keyword class": b'{"class": 1}',
    "keyword lambda": b'{"lambda": 1}',
    "dunder": b'{"__class__": 1, "__init__": 2}',
    "kwargs": b'{"kwargs": {"RegistrationType": "x"}}',
    "UTF-16": CREATE.decode().encode("utf-16"),
    "UTF-16 without BOM": CREATE.decode().encode("utf-16-le"),
    "UTF-32": CREATE.decode().encode("utf-32"),
    "Latin-1": '{"RegistrationType": "Ü"}'.encode("latin-1"),
    "array": b"[]",
    "number": b"1",
    "string": b'"x"',
    "null": b"null",
    "NaN": b'{"MaxResults": NaN}',
    "Infinity": b"Infinity",
    "truncated": CREATE[:-3],
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_bad_body_is_a_4xx_in_aws_json(served: Server, body: bytes) -> None:
    status, headers, raw = served.request("POST", "/", body, api_headers("CreateRegistration"))
    assert aws_error(status, headers, raw) in AWS_ERRORS
    assert served.call("DescribeRegistrations", b"{}")[0] == 200


def test_bad_bodies_change_nothing(served: Server) -> None:
    before = served.call("DescribeRegistrations", b"{}")[2]["Registrations"]
    for body in BAD_BODIES.values():
        served.request("POST", "/", body, api_headers("CreateRegistration"))
    assert served.call("DescribeRegistrations", b"{}")[2]["Registrations"] == before


BAD_CONTENT_TYPES = [None, "text/plain", "application/x-www-form-urlencoded", "application/xml",
                     "application/x-amz-json-1.1", "application/x-amz-json-1.0x", "",
                     "application/x-amz-json-1.0; charset=utf-16"]  # fmt: skip


@pytest.mark.parametrize("content_type", BAD_CONTENT_TYPES)
def test_a_wrong_content_type_is_refused(served: Server, content_type: str | None) -> None:
    status, headers, body = served.call("CreateRegistration", CREATE, content_type)
    assert aws_error(status, headers, json.dumps(body).encode()) == "SerializationException"
    assert "Content-Type" in body["Message"]


@pytest.mark.parametrize(
    "content_type",
    [CONTENT_TYPE, "application/x-amz-json-1.0; charset=utf-8", "Application/X-Amz-Json-1.0"],
)
def test_the_protocols_content_type_is_accepted(served: Server, content_type: str) -> None:
    assert served.call("CreateRegistration", CREATE, content_type)[0] == 200


def raw_exchange(
    served: Server, data: bytes, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is on a new connection; the first answer, parsed."""
    with socket.create_connection((served.host, served.port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from ``sock`` (with a Content-Length): status, headers, body."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {buffer!r}"
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection within the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


MALFORMED = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "header without a colon": b"POST / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
    "header name with a space": b"POST / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n",
    "bad Content-Length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "two Content-Lengths": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
    b"Content-Length: 2\r\n\r\nab",
    "bad chunk size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "huge chunk size": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"f" * 5000 + b"\r\n",
    "bare LF line endings": b"GET /_lifecycle/health HTTP/1.1\nHost: x\n\n",
    "unsupported Transfer-Encoding": b"POST / HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: gzip\r\n\r\n",
    "headers over the limit": b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (300 * 1024)
    + b"\r\n\r\n",
    "Content-Length over the limit": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
    + str(64 * MiB).encode() + b"\r\n\r\n",
}  # fmt: skip


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_waitress_answers_malformed_requests_in_aws_json(served: Server, data: bytes) -> None:
    started = time.monotonic()
    assert aws_error(*raw_exchange(served, data)) in AWS_ERRORS
    assert time.monotonic() - started < 5  # answered, not left to the request deadline
    assert served.request("GET", "/_lifecycle/health", sign=False)[0] == 200  # still up


def test_a_client_resetting_a_refused_connection_does_not_stop_the_server(
    served: Server,
) -> None:
    """The client reads part of a refusal and closes, which resets the connection while
    the server lingers on it; the server goes on serving (it used to crash)."""
    for data in MALFORMED.values():
        with socket.create_connection(address(served), timeout=10) as sock:
            sock.sendall(data)
            assert sock.recv(10).startswith(b"HTTP/1.")
        # Closed with the rest of the answer unread: the kernel sends a reset.
    time.sleep(0.5)
    assert served.request("GET", "/_lifecycle/health", sign=False)[0] == 200


def test_a_chunked_body_far_over_the_limit_is_refused_before_it_is_spooled(
    served: Server,
) -> None:
    """64 MiB streamed in chunks: the server answers 413 after about 1 MiB, while the
    client is still sending, and never opens a temporary file to spool the body into
    (its open files are watched all along)."""
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    total = 64 * MiB
    answer: list[tuple[int, dict[str, str], bytes]] = []
    sent = 0
    started = time.monotonic()
    with spool_watch(served) as spooled, socket.create_connection(address(served)) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: %s\r\nX-Amz-Target: PinpointSMSVoiceV2.CreateRegistration\r\n\r\n"
            % (served.host.encode(), CONTENT_TYPE.encode())
        )
        reader = threading.Thread(target=lambda: answer.append(read_response(sock)))
        reader.start()
        sock.settimeout(2)
        with contextlib.suppress(OSError):  # the server closed the connection
            while sent < total and not answer:
                sock.sendall(chunk)
                sent += 64 * 1024
        reader.join(10)
    assert spooled == []
    assert sent < 16 * MiB, f"the answer came only after {sent} bytes"
    assert answer, "no answer"
    status, headers, body = answer[0]
    assert status == 413 and aws_error(status, headers, body) == "ValidationException"
    assert "1048576" in json.loads(body)["Message"]
    assert time.monotonic() - started < 10
    assert served.call("DescribeRegistrations", b"{}")[0] == 200


def test_a_client_that_sends_its_whole_oversized_body_reads_the_answer(served: Server) -> None:
    """A client that sends all of an 8 MiB body before it reads gets the 413, not a
    reset: the server goes on reading (and dropping) the body after answering."""
    body = b"x" * (8 * MiB)
    with socket.create_connection(address(served), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        status, headers, answer = read_response(sock)
    assert status == 413 and aws_error(status, headers, answer) == "ValidationException"


def address(served: Server) -> tuple[str, int]:
    return served.host, served.port


@contextlib.contextmanager
def spool_watch(served: Server) -> Iterator[list[str]]:
    """The temporary files the server opens while the block runs (read from its
    ``/proc/PID/fd`` every few milliseconds)."""
    fd_dir = Path(f"/proc/{served.proc.pid}/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc to watch the server's open files")
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.002):
            seen.extend(f for f in open_files(fd_dir) if f.startswith(str(served.spool)))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield seen
        time.sleep(0.05)  # the server drops the request just after answering
    finally:
        done.set()
        watcher.join()


def open_files(fd_dir: Path) -> list[str]:
    """The files a process has open, by the links in its ``/proc/PID/fd``."""
    links = []
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # closed meanwhile
            links.append(os.readlink(fd_dir / fd))
    return links


def test_a_body_of_exactly_the_limit_is_read(served: Server) -> None:
    """1 MiB of JSON (padding inside a member) is accepted and read whole."""
    body = b'{"RegistrationType": "' + b"A" * (MiB - 24) + b'"}'
    assert len(body) == MiB
    status, headers, raw = served.request("POST", "/", body, api_headers("CreateRegistration"))
    assert aws_error(status, headers, raw) == "ValidationException"
    assert json.loads(raw)["Fields"][0]["Name"] == "RegistrationType"
    over = body[:-2] + b'A"}'
    status, headers, raw = served.request("POST", "/", over, api_headers("CreateRegistration"))
    assert status == 413 and aws_error(status, headers, raw) == "ValidationException"


@pytest.mark.parametrize("chunk_size", [100, 64 * 1024])
def test_a_chunked_body_of_exactly_the_limit_is_read(served: Server, chunk_size: int) -> None:
    """The limit counts a chunked body's data, not its chunk framing: 1 MiB in chunks
    is read whole, one byte more is refused."""
    body = b'{"RegistrationType": "' + b"A" * (MiB - 24) + b'"}'
    for data, expected in ((body, 400), (body[:-2] + b'A"}', 413)):
        headers = signed(served.url + "/", data, api_headers("CreateRegistration"))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(data[i : i + chunk_size]), data[i : i + chunk_size])
            for i in range(0, len(data), chunk_size)
        )
        request = b"POST / HTTP/1.1\r\nHost: %s:%d\r\nTransfer-Encoding: chunked\r\n%s\r\n" % (
            served.host.encode(), served.port, head.encode())  # fmt: skip
        status, answer_headers, raw = raw_exchange(served, request + chunks + b"0\r\n\r\n")
        assert (
            status == expected and aws_error(status, answer_headers, raw) == "ValidationException"
        )
        if expected == 400:  # read whole: the member's length is what is refused
            assert json.loads(raw)["Fields"][0]["Name"] == "RegistrationType"


# -- slow clients, health, and a locked database -------------------------------------


def test_200_slow_connections_do_not_stop_a_normal_client(served: Server) -> None:
    """200 connections sending one header byte a second; a normal client is still served
    within 2 s, again and again, while they trickle."""
    request = b"POST / HTTP/1.1\r\nHost: slow\r\nX-Padding: " + b"a" * 100
    slow = [socket.create_connection((served.host, served.port), timeout=5) for _ in range(200)]
    stop = threading.Event()

    def trickle() -> None:
        for i in range(len(request)):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(request[i : i + 1])
            if stop.wait(1):
                return

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        for _ in range(3):
            started = time.monotonic()
            assert served.request("GET", "/_lifecycle/health", timeout=2)[0] == 200
            assert served.call("DescribeRegistrations", b"{}")[0] == 200
            assert time.monotonic() - started < 2
            time.sleep(0.5)
    finally:
        stop.set()
        trickler.join(5)
        for sock in slow:
            sock.close()


def test_health_answers_head_and_get(served: Server) -> None:
    conn = served.connection()
    try:
        conn.request("HEAD", "/_lifecycle/health")
        head = conn.getresponse()
        assert head.status == 200 and head.read() == b""
        conn.request("GET", "/_lifecycle/health")  # the same connection: HEAD sent no body
        get = conn.getresponse()
        assert get.status == 200 and json.loads(get.read()) == {"status": "ok"}
        conn.request("HEAD", "/nowhere")
        missing = conn.getresponse()
        assert missing.status == 405 and missing.read() == b""
        conn.request("GET", "/_lifecycle/health")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_a_locked_sqlite_file_does_not_stall_health_and_reads(tmp_path: Path) -> None:
    """Another connection holds the write lock while 24 clients write, more than the
    server has threads: health checks and reads still answer within a second; every
    write ends with success or a retryable ThrottlingException, never a 5xx."""
    served = Server(tmp_path)
    try:
        assert served.call("CreateRegistration", CREATE)[0] == 200
        lock = sqlite3.connect(served.db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        pool = ThreadPoolExecutor(24)
        try:
            writes = [pool.submit(served.call, "CreateRegistration", CREATE) for _ in range(24)]
            time.sleep(0.3)  # the writes reach the server and wait on the lock
            probes = []
            for _ in range(5):
                started = time.monotonic()
                assert served.request("GET", "/_lifecycle/health", timeout=3)[0] == 200
                status, _, body = served.call("DescribeRegistrations", b"{}")
                assert status == 200 and len(body["Registrations"]) >= 1
                probes.append(time.monotonic() - started)
                time.sleep(0.3)
            waited = not any(w.done() and w.result()[0] == 200 for w in writes)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
            pool.shutdown()
        assert max(probes) < 1, probes
        assert waited, "a write went through while the lock was held"
        codes = [200 if status == 200 else body["__type"].rpartition("#")[2]
                 for status, _, body in (w.result() for w in writes)]  # fmt: skip
        assert set(codes) <= {200, "ThrottlingException"}, codes
        assert 200 in codes and "ThrottlingException" in codes
    finally:
        served.stop()


# -- the access log -------------------------------------------------------------------


def served_lines(served: Server) -> list[str]:
    """What the server logged from its first request on (a start-up banner aside)."""
    lines = served.log().splitlines()
    first = next((i for i, line in enumerate(lines) if ACCESS_LINE.match(line)), len(lines))
    return lines[first:]


def test_one_access_log_line_per_request(tmp_path: Path) -> None:
    served = Server(tmp_path)
    try:
        status, headers, _ = served.call("CreateRegistration", CREATE)
        assert status == 200
        failed = served.call("CreateRegistration", b"{}")
        assert served.request("GET", "/_lifecycle/health")[0] == 200
        assert aws_error(*raw_exchange(served, b"GARBAGE\r\n\r\n")) == "SerializationException"
        assert wait_until(lambda: len(served.access_lines()) >= 4, 5), served.log()
        lines = served.access_lines()
        assert [(x["operation"], x["status"]) for x in lines] == [
            ("CreateRegistration", "200"),
            ("CreateRegistration", "400"),
            ("health", "200"),
            ("-", "400"),
        ]
        assert lines[0]["request_id"] == headers["x-amzn-requestid"]
        assert lines[1]["request_id"] == failed[1]["x-amzn-requestid"]
        assert all(x["account"] in ("-", "123456789012") for x in lines)
        assert [line for line in served_lines(served) if not ACCESS_LINE.match(line)] == []
    finally:
        served.stop()


def test_no_queue_noise_under_a_burst(tmp_path: Path) -> None:
    """A burst deeper than the thread pool leaves only access-log lines on stderr: no
    "Task queue depth" warnings."""
    served = Server(tmp_path)
    try:

        def burst(i: int) -> int:
            if i % 2:
                return served.call("DescribeRegistrations", b'{"MaxResults": 100}')[0]
            status, _, body = served.call("CreateRegistration", CREATE)
            return 200 if body.get("__type", "").endswith("#ThrottlingException") else status

        with ThreadPoolExecutor(48) as pool:
            assert set(pool.map(burst, range(240))) == {200}
    finally:
        served.stop()
    lines = served_lines(served)
    assert "Task queue depth" not in served.log()
    assert len(lines) == 240 and all(ACCESS_LINE.match(line) for line in lines)


def test_log_level_warning_silences_the_access_log(tmp_path: Path) -> None:
    served = Server(tmp_path, "--log-level", "warning")
    started = served.log()
    try:
        assert served.call("CreateRegistration", CREATE)[0] == 200
        assert served.request("GET", "/_lifecycle/health")[0] == 200
        assert aws_error(*raw_exchange(served, b"GARBAGE\r\n\r\n")) == "SerializationException"
    finally:
        served.stop()
    assert served.log() == started


def test_log_level_is_validated() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lifecycle", "serve", "--log-level", "loud"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--log-level" in done.stderr
    assert "Traceback" not in done.stderr


def test_signed_requests_pass_through(served: Server) -> None:
    """The signing helper builds what botocore sends; the server answers it."""
    headers = signed(served.url + "/", CREATE, api_headers("CreateRegistration"))
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=lifecycle/")
    status, _, body = served.call("CreateRegistration", CREATE)
    assert status == 200 and body["RegistrationStatus"] == "CREATED"


@pytest.fixture
def quick_deadline() -> Iterator[tuple[str, int]]:
    """An in-process server whose requests must arrive within 0.5 s: its address."""
    from lifecycle import InMemoryBackend
    from lifecycle.aws.access import AdminToken
    from lifecycle.aws.accounts import Accounts
    from lifecycle.aws.credentials import Credentials
    from lifecycle.aws.server import App
    from lifecycle.aws.sigv4 import Verifier
    from lifecycle.aws.waitress_edge import create_server, run

    app = App(Accounts(InMemoryBackend()), Verifier(Credentials.test()), AdminToken())
    sockets: dict[int, Any] = {}
    server = create_server(app, "127.0.0.1", 0, threads=2, max_body=MiB, request_deadline=0.5,
                           map=sockets)  # fmt: skip
    stop = threading.Event()
    loop = threading.Thread(target=run, args=(server, sockets, stop, 1.0))
    loop.start()
    try:
        yield server.effective_host, server.effective_port
    finally:
        stop.set()
        loop.join(10)


def test_a_request_trickling_past_the_deadline_is_cut(quick_deadline: tuple[str, int]) -> None:
    """A request that has not arrived whole within the deadline loses its connection;
    a prompt one on the same server is answered."""
    with socket.create_connection(quick_deadline, timeout=5) as slow:
        started = time.monotonic()
        with contextlib.suppress(OSError):  # reset: the server closed it
            for byte in b"GET /_lifecycle/health HTTP/1.1\r\nHost: x\r\n":
                slow.send(bytes([byte]))
                if select.select([slow], [], [], 0.1)[0]:  # the server closed it
                    break
        slow.settimeout(1)
        assert closed_by_peer(slow) and 0.5 <= time.monotonic() - started < 3
    with socket.create_connection(quick_deadline, timeout=5) as prompt:
        prompt.sendall(b"GET /_lifecycle/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(prompt)[0] == 200


def test_a_silent_connection_is_closed_at_the_deadline(quick_deadline: tuple[str, int]) -> None:
    """A connection that never sends a byte holds its slot no longer than one that
    trickles (before, it stayed until the 30 s idle timeout)."""
    with socket.create_connection(quick_deadline, timeout=5) as silent:
        started = time.monotonic()
        assert closed_by_peer(silent) and 0.5 <= time.monotonic() - started < 3


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
