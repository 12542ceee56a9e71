"""Fuzzing ``lifecycle serve``: 10,000 random and mutated requests, none answered 5xx.

Each case starts from a valid request of one of the routes (the seven operations, a
reviewer action, health) and mutates its body (truncations, byte flips, insertions,
type swaps, huge numbers, odd unicode, deep nesting, other encodings) and its headers
(content type, target, method, path, signature headers). Bodies are signed after
mutation, as an SDK signs what it sends. Most cases go through the WSGI application
directly; a share goes over real HTTP to a ``lifecycle serve`` process, as raw bytes,
so that malformed request lines and headers reach waitress. Afterwards both still
answer, and the served database replays cleanly. Seeds are fixed: a failure
reproduces.
"""

from __future__ import annotations

import io
import json
import random
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")

from lifecycle import InMemoryBackend, RegistrationService
from lifecycle.audit import verify
from lifecycle.aws.access import AdminToken
from lifecycle.aws.accounts import Accounts
from lifecycle.aws.credentials import Credentials
from lifecycle.aws.server import REVIEW_ACTIONS, App
from lifecycle.aws.sigv4 import Verifier
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.errors import CONTENT_TYPE
from tests.conftest import new_id
from tests.served import ADMIN_TOKEN, BRAND, TARGET, Server, api_headers, fill, signed

APP_CASES = 8_000
HTTP_CASES = 2_000

Request = tuple[str, str, dict[str, str], bytes]
"""method, path, headers, body."""

ODD_TEXT = ["\ud800", "\udfff", "\x00", "\u202e", "\ufeff", "\u200b", "e\u0301", "😀",
            "Ω" * 300, "\U0010ffff", "\\", '"', "A" * 70_000, "", " ", "\r\n", "%00", "../..",
            "registration-" + "f" * 32,
            "arn:aws:sms-voice:us-east-1:123456789012:registration/x"]  # fmt: skip
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 10**30, -(10**30), 1e308, -0.0, 2**63, 0.5,
                         [], {}, [[[]]], {"a": {"b": {}}}, *ODD_TEXT]  # fmt: skip
CONTENT_TYPES = [
    CONTENT_TYPE,
    CONTENT_TYPE.upper(),
    f"{CONTENT_TYPE}; charset=utf-8",
    f"{CONTENT_TYPE}; charset=latin-1",
    f"{CONTENT_TYPE};;;",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "\x7f",
    "a" * 5000,
]
OPERATIONS = ["CreateRegistration", "CreateRegistrationVersion", "SubmitRegistrationVersion",
              "DiscardRegistrationVersion", "DeleteRegistration", "DescribeRegistrations",
              "DescribeRegistrationVersions"]  # fmt: skip


def valid_request(rng: random.Random, rid: str) -> Request:
    """A valid request of a random route, for registration ``rid``."""
    kind = rng.random()
    if kind < 0.08:
        return "GET", "/_lifecycle/health", {}, b""
    if kind < 0.2:
        action = rng.choice(REVIEW_ACTIONS)
        body = {"reasons": [{"Reason": "R", "ShortDescription": "s"}]} if action == "deny" else {}
        path = f"/_lifecycle/review/{action}/{rid}"
        return "POST", path, {"Content-Type": "application/json"}, json.dumps(body).encode()
    operation = rng.choice(OPERATIONS)
    params: dict[str, Any] = {
        "CreateRegistration": {"RegistrationType": BRAND, "Tags": [{"Key": "k", "Value": "v"}],
                               "ClientToken": f"token-{rng.randrange(50)}"},
        "SubmitRegistrationVersion": {"RegistrationId": rid, "AwsReview": rng.random() < 0.5},
        "DescribeRegistrations": {"RegistrationIds": [rid], "MaxResults": 5, "Filters": [
            {"Name": "registration-status", "Values": ["CREATED"]}]},
        "DescribeRegistrationVersions": {"RegistrationId": rid, "VersionNumbers": [1],
                                         "MaxResults": 5},
    }.get(operation, {"RegistrationId": rid})  # fmt: skip
    return "POST", "/", api_headers(operation), json.dumps(params).encode()


def odd_utf8(rng: random.Random) -> bytes:
    """Odd text as bytes: lone surrogates encoded anyway, NUL, direction marks, ..."""
    return rng.choice(ODD_TEXT[:12]).encode("utf-8", "surrogatepass")


def _swap_type(rng: random.Random, body: bytes) -> bytes:
    """One value somewhere in ``body`` replaced by a value of another kind."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if not isinstance(document, dict) or not document:
        return json.dumps(rng.choice(ODD_VALUES)).encode()
    node: Any = document
    key: Any = rng.choice(list(document))
    while isinstance(node[key], dict | list) and node[key] and rng.random() < 0.6:
        node = node[key]
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
    node[key] = rng.choice(ODD_VALUES)
    if rng.random() < 0.2:
        document[rng.choice(["self", "cls", "class", "lambda", "__init__", "kwargs", "Tags "])] = 1
    return json.dumps(document, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


BODY_MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    lambda rng, b: b[: rng.randrange(len(b) + 1)],  # truncation
    lambda rng, b: bytes(c ^ (1 << rng.randrange(8)) if rng.random() < 0.05 else c for c in b),
    lambda rng, b: b[: (i := rng.randrange(len(b) + 1))] + rng.randbytes(rng.randrange(1, 9))
    + b[i:],  # insertion
    lambda rng, b: b[: (i := rng.randrange(len(b) + 1))] + b[i + rng.randrange(1, 9) :],
    _swap_type,
    _swap_type,
    lambda rng, b: b.replace(b"5", b"1" + b"0" * rng.choice([20, 400, 4400]), 1),  # huge numbers
    lambda rng, b: b.replace(b"5", rng.choice([b"1e999", b"-1e999", b"NaN", b"Infinity"]), 1),
    lambda rng, b: b.replace(b'"', b'"' + odd_utf8(rng), 1),
    lambda rng, b: b.replace(b'"', b'"\\u' + f"{rng.randrange(0xD800, 0xE000):04x}".encode(), 1),
    lambda rng, b: rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80"]) + b,
    lambda rng, b: b.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-32"])),
    lambda rng, b: b"[" * (d := rng.choice([10, 900, 990, 2000, 100_000])) + b"]" * d,
    lambda rng, b: b'{"Tags":' + b"[" * (d := rng.randrange(1, 1200)) + b"]" * d + b"}",
    lambda rng, b: rng.randbytes(rng.randrange(0, 64)),
    lambda rng, b: rng.choice([b"", b"null", b"[]", b"1", b'"x"', b"true", b"{}", b"{" * 3]),
    lambda rng, b: b + b" " * rng.randrange(1, 3) + rng.choice([b"{}", b"x", b"\x00"]),
    lambda rng, b: b[:-1] + b"," + b[1:-1] + b"}" if len(b) > 2 else b,  # repeated keys
]  # fmt: skip


def _target(rng: random.Random, headers: dict[str, str]) -> None:
    operation = rng.choice(OPERATIONS)
    headers["X-Amz-Target"] = rng.choice([
        TARGET + operation.lower(), TARGET, "PinpointSMSVoiceV2", TARGET + "SendTextMessage",
        TARGET + "__class__", TARGET + "describe_registrations", "Other." + operation,
        TARGET + operation + " ", TARGET + "\xe9\xff", TARGET + "A" * 3000,
    ])  # fmt: skip


HEADER_MUTATIONS: list[Callable[[random.Random, dict[str, str]], Any]] = [
    lambda rng, h: h.update({"Content-Type": rng.choice(CONTENT_TYPES)}),
    lambda rng, h: h.pop("Content-Type", None),
    _target,
    lambda rng, h: h.pop("X-Amz-Target", None),
    lambda rng, h: h.update({"Authorization": rng.choice(
        ["garbage", "", "AWS4-HMAC-SHA256", "Bearer x", "AWS4-HMAC-SHA256 " + "a" * 4000])}),
    lambda rng, h: h.update({"X-Amz-Date": rng.choice(["", "yesterday", "19700101T000000Z"])}),
    lambda rng, h: h.update({rng.choice(["X-Odd", "Expect", "Transfer-Encoding"]): rng.choice(
        ["100-continue", "\xff\xfe", "gzip", "chunked", "a" * 8000])}),
]  # fmt: skip

METHODS = ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "post"]
PATHS = [
    "/x",
    "//",
    "/_lifecycle/health/",
    "/_lifecycle/review/",
    "/_lifecycle/review/approve/",
    "/_lifecycle/review/deny/%2e%2e%2f",
    "/_lifecycle/review/nope/x",
    "/%00",
    "/?a=b",
]


def case(rng: random.Random, rid: str) -> Request:
    """A valid request with zero to three mutations of its body, headers, method or path."""
    method, path, headers, body = valid_request(rng, rid)
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        kind = rng.random()
        if kind < 0.6:
            body = rng.choice(BODY_MUTATIONS)(rng, body)
        elif kind < 0.9:
            rng.choice(HEADER_MUTATIONS)(rng, headers)
        elif kind < 0.95:
            method = rng.choice(METHODS)
        else:
            path = rng.choice(PATHS)
    return method, path, headers, body


def sign(url: str, request: Request) -> dict[str, str]:
    """The headers of ``request`` signed as an SDK signs them (those the signer cannot
    take stay unsigned; the server then refuses them however it does); a reviewer's
    request carries the admin token, unless a mutation gave it another Authorization."""
    method, path, headers, body = request
    if path.startswith("/_lifecycle/review/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}", **headers}
    try:
        return signed(url + urllib.parse.quote(path, safe="/%?="), body, headers, method.upper())
    except (UnicodeError, ValueError):
        return headers


def environ(request: Request, headers: dict[str, str]) -> dict[str, Any]:
    """The WSGI environ of ``request`` as waitress builds it."""
    method, path, _, body = request
    path, _, query = urllib.parse.unquote(path, "latin-1").partition("?")
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": "127.0.0.1:8080",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
    }  # fmt: skip
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            env[key] = value
        else:
            env[f"HTTP_{key}"] = value
    return env


def seeded(served: RegistrationService) -> str:
    """A registration to aim the requests at, its form filled in (it can be submitted)."""
    return new_id(served)


def test_fuzzed_requests_through_the_application() -> None:
    accounts = Accounts(InMemoryBackend())
    app = App(accounts, Verifier(Credentials.test()), AdminToken(ADMIN_TOKEN), write_limit=6)
    service = accounts.service("123456789012", "us-east-1")  # the test credential's
    rids = [seeded(service) for _ in range(3)]
    rng = random.Random(11)
    statuses: dict[int, int] = {}
    for i in range(APP_CASES):
        if i % 500 == 0:  # fresh targets: the cases delete some
            rids = [*rids[-3:], seeded(service)]
        request = case(rng, rng.choice(rids))
        status = app.respond(environ(request, sign("http://127.0.0.1:8080", request)))[0]
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (status, request)
    assert statuses.get(200, 0) > APP_CASES // 20 and len(statuses) > 3, statuses
    assert app.respond(environ(valid_request(random.Random(0), rids[0]), {}))[0] < 500
    health = ("GET", "/_lifecycle/health", {}, b"")
    assert app.respond(environ(health, {}))[0] == 200


def http_bytes(request: Request, headers: dict[str, str], host: str) -> bytes:
    """``request`` as raw HTTP/1.1, on a connection the server closes after answering.

    Without Transfer-Encoding: a chunked body that never ends would only wait for the
    request deadline (test_serve_edge covers chunking)."""
    method, path, _, body = request
    lines = [f"{method} {urllib.parse.quote(path, safe='/%?=')} HTTP/1.1", f"Host: {host}",
             f"Content-Length: {len(body)}", "Connection: close"]  # fmt: skip
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "transfer-encoding"]
    return "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body


def exchange(address: tuple[str, int], data: bytes) -> int:
    """Send ``data`` on a new connection; the status of the final answer (after any
    ``100 Continue``)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            answer += chunk
    assert answer, f"closed without an answer to {data[:200]!r}"
    if answer.startswith(b"HTTP/1.1 100 "):
        answer = answer.partition(b"\r\n\r\n")[2]
    return int(answer.split(b" ", 2)[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path, "--log-level", "warning", "--admin-token", ADMIN_TOKEN)
    yield running
    running.stop()


def test_fuzzed_requests_over_http(served: Server) -> None:
    address = (served.host, served.port)
    create = ("POST", "/", api_headers("CreateRegistration"),
              json.dumps({"RegistrationType": BRAND}).encode())  # fmt: skip

    def call(request: Request) -> tuple[int, bytes]:
        data = http_bytes(request, sign(served.url, request), f"{served.host}:{served.port}")
        return exchange(address, data), data

    for _ in range(3):
        assert call(create)[0] == 200
    described = served.call("DescribeRegistrations", b"{}")[2]["Registrations"]
    rids = [registration["RegistrationId"] for registration in described]
    client = served.client()
    for rid in rids:
        fill(client, rid)
    rng = random.Random(29)
    for _ in range(HTTP_CASES):
        status, data = call(case(rng, rng.choice(rids)))
        assert status < 500, (status, data[:300])
    assert served.request("GET", "/_lifecycle/health")[0] == 200
    assert call(create)[0] == 200
    served.stop()
    assert verify(SqliteBackend(served.db))[2] == []
