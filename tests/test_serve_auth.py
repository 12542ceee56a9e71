"""Who may do what on ``lifecycle serve``: SigV4 checked as AWS checks it, one account
per access key and region, the reviewer's admin token, and the bind rule."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")
import botocore.auth
from botocore.exceptions import ClientError

from lifecycle.aws.access import AdminToken, is_loopback
from lifecycle.aws.credentials import Credentials
from lifecycle.aws.sigv4 import AuthFailure, Verifier
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.errors import CONTENT_TYPE, ValidationException
from tests.served import (
    ADMIN,
    ADMIN_TOKEN,
    BRAND,
    CREATE,
    ENV,
    TARGET,
    Server,
    api_headers,
    aws_error,
    fill,
    signed,
    wait_until,
)

ALICE = ("AKIDALICE0000001", "alice-secret")
BOB = ("AKIDBOB000000002", "bob-secret")
KEYS = {
    ALICE[0]: {"secret_access_key": ALICE[1], "account_id": "111111111111"},
    BOB[0]: {"secret_access_key": BOB[1], "account_id": "222222222222"},
}
WITHOUT_TOKEN = {k: v for k, v in os.environ.items() if k != "LIFECYCLE_ADMIN_TOKEN"}


def error_code(exc: ClientError) -> tuple[int, str]:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(KEYS))
    return path


@pytest.fixture
def shared(tmp_path: Path, keys_file: Path) -> Iterator[Server]:
    """A server of two accounts: Alice's key and Bob's."""
    running = Server(tmp_path, "--log-level", "warning", "--credentials", str(keys_file),
                     "--admin-token", ADMIN_TOKEN)  # fmt: skip
    yield running
    running.stop()


@pytest.fixture
def test_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test credential only."""
    running = Server(tmp_path, "--log-level", "warning", "--admin-token", ADMIN_TOKEN)
    yield running
    running.stop()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts servers (each in its own directory); stops those a failed test left."""
    started: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Server:
        directory = tmp_path / str(len(started))
        started.append(Server(directory, "--log-level", "warning", *args, env=env))
        return started[-1]

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.communicate()


def at(moment: datetime) -> Any:
    """botocore signs as if the time were ``moment``."""
    return mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment)


def raw_post(
    server: Server, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``/`` with ``headers`` (a name may come twice) and the Host and
    Content-Length headers, through http.client: the status, headers and body."""
    conn = server.connection(timeout=30)
    try:
        conn.putrequest("POST", "/", skip_accept_encoding=True)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# -- SigV4 ------------------------------------------------------------------------


def test_requests_without_a_valid_signature_change_nothing(test_server: Server) -> None:
    url = test_server.url + "/"
    target = api_headers("CreateRegistration")
    now = datetime.now(UTC).replace(tzinfo=None)
    with at(now - timedelta(minutes=20)):
        expired = signed(url, CREATE, target)
    with at(now + timedelta(minutes=20)):
        early = signed(url, CREATE, target)
    altered = signed(url, json.dumps({"RegistrationType": "US_TOLL_FREE_REGISTRATION"}).encode(),
                     target)  # fmt: skip
    cases = {
        "no Authorization": (target, 403, "MissingAuthenticationTokenException",
                             "Missing Authentication Token"),
        "Authorization: garbage": ({**target, "Authorization": "garbage"}, 400,
                                   "IncompleteSignatureException", "AWS4-HMAC-SHA256"),
        "unknown access key": (signed(url, CREATE, target, key="AKIDNOBODY"), 400,
                               "UnrecognizedClientException", "security token"),
        "wrong secret": (signed(url, CREATE, target, secret="guess"), 400,
                         "InvalidSignatureException", "does not match"),
        "altered body": (altered, 400, "InvalidSignatureException", "does not match"),
        "20 minutes old": (expired, 400, "InvalidSignatureException", "Signature expired"),
        "20 minutes ahead": (early, 400, "InvalidSignatureException", "not yet current"),
        "another service": (signed(url, CREATE, target, service="dynamodb"), 400,
                            "InvalidSignatureException", "'sms-voice'"),
        "a session token": ({**signed(url, CREATE, target), "X-Amz-Security-Token": "t"}, 400,
                            "UnrecognizedClientException", "security token"),
        "no such region": (signed(url, CREATE, target, region="nowhere"), 400,
                           "InvalidSignatureException", "valid region"),
    }  # fmt: skip
    for name, (headers, status, code, message) in cases.items():
        got, body = test_server.post("/", CREATE, headers)
        assert (got, body["__type"].rpartition("#")[2]) == (status, code), (name, body)
        assert message in body["Message"], (name, body)
    assert list(SqliteBackend(test_server.db).registrations()) == []
    assert test_server.call("CreateRegistration", CREATE)[0] == 200


def test_a_captured_signature_cannot_carry_another_operation(test_server: Server) -> None:
    # Signed by a client that signed `host` only: the operation, its date and its content
    # type are outside the signature, so whoever captured it could swap them.
    url = test_server.url + "/"
    describe = signed(url, CREATE, api_headers("DescribeRegistrations"),
                      unsigned=("content-type", "x-amz-date", "x-amz-target"))  # fmt: skip
    assert "SignedHeaders=host," in describe["Authorization"]
    create = {**describe, "X-Amz-Target": TARGET + "CreateRegistration"}
    answer = raw_post(test_server, list(create.items()), CREATE)
    assert (answer[0], aws_error(*answer)) == (400, "InvalidSignatureException")
    assert list(SqliteBackend(test_server.db).registrations()) == []


def test_a_second_authorization_header_is_refused(test_server: Server) -> None:
    # waitress joins a repeated header's values with ", ": the joined value must not
    # pass as the first one.
    headers = signed(test_server.url + "/", CREATE, api_headers("CreateRegistration"))
    authorization = headers.pop("Authorization")
    for extra in (authorization, "Foo=bar", "Bearer token"):
        for first, second in ((authorization, extra), (extra, authorization)):
            answer = raw_post(test_server, [*headers.items(), ("Authorization", first),
                                            ("Authorization", second)], CREATE)  # fmt: skip
            code = aws_error(*answer)
            assert (answer[0], code) == (400, "IncompleteSignatureException"), (first, second)
    assert list(SqliteBackend(test_server.db).registrations()) == []
    assert raw_post(test_server, [*headers.items(), ("Authorization", authorization)],
                    CREATE)[0] == 200  # fmt: skip


def test_boto3_signs_as_the_server_checks(test_server: Server) -> None:
    rid = test_server.client().create_registration(RegistrationType=BRAND)["RegistrationId"]
    for key, secret, expected in [
        ("AKIDNOBODY", "lifecycle", (400, "UnrecognizedClientException")),
        ("lifecycle", "guess", (400, "InvalidSignatureException")),
    ]:
        with pytest.raises(ClientError) as caught:
            test_server.client(key, secret).describe_registrations(RegistrationIds=[rid])
        assert error_code(caught.value) == expected


@pytest.mark.skipif(
    shutil.which("aws", path=os.path.dirname(sys.executable)) is None,
    reason="the AWS CLI (awscli, in the ci extra) is not installed",
)
def test_the_aws_cli_signs_as_the_server_checks(test_server: Server) -> None:
    aws = shutil.which("aws", path=os.path.dirname(sys.executable)) or "aws"

    def cli(secret: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [aws, "--endpoint-url", test_server.url, "--output", "json", "pinpoint-sms-voice-v2",
             "create-registration", "--registration-type", BRAND],
            capture_output=True, text=True, timeout=120,
            env={**ENV, "AWS_SECRET_ACCESS_KEY": secret, "AWS_MAX_ATTEMPTS": "1"},
        )  # fmt: skip

    good = cli("lifecycle")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["RegistrationArn"].split(":")[4] == "123456789012"
    bad = cli("guess")
    assert bad.returncode != 0 and "(InvalidSignatureException)" in bad.stderr
    assert len(list(SqliteBackend(test_server.db).registrations())) == 1


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(Credentials.test(), clock=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=UTC))


def environ(headers: dict[str, str], body: bytes = b"{}") -> dict[str, Any]:
    """The WSGI environ of a POST / with ``headers``."""
    env: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": ""}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return env


def signed_at_noon(
    body: bytes = b"{}", extra: dict[str, str] | None = None, **signing: Any
) -> dict[str, str]:
    """A request to ``http://h/`` with ``extra`` headers, signed at noon, 2024-05-01."""
    with at(datetime(2024, 5, 1, 12, 0)):
        headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": "T", "Host": "h", **(extra or {})}
        return signed("http://h/", body, headers, **signing)


def test_a_good_signature_names_the_caller(verifier: Verifier) -> None:
    caller = verifier.verify(environ(signed_at_noon(region="eu-west-1")), b"{}")
    assert (caller.access_key_id, caller.account_id, caller.region) == (
        "lifecycle", "123456789012", "eu-west-1"
    )  # fmt: skip


def _rewrite(headers: dict[str, str], old: str, new: str) -> dict[str, str]:
    return {**headers, "Authorization": headers["Authorization"].replace(old, new)}


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (lambda h: _rewrite(h, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
         "IncompleteSignatureException", "AWS4-HMAC-SHA256"),
        (lambda h: _rewrite(h, "SignedHeaders=", "Signed="),
         "IncompleteSignatureException", "'SignedHeaders'"),
        (lambda h: _rewrite(h, ", Signature=", ", Signature"),
         "IncompleteSignatureException", "key=value"),
        (lambda h: _rewrite(h, "/aws4_request", ""), "IncompleteSignatureException", "Credential"),
        (lambda h: _rewrite(h, ", Signature=", ", Foo=bar, Signature="),
         "IncompleteSignatureException", "Unknown parameters in Authorization header: 'Foo'"),
        (lambda h: _rewrite(h, ", Signature=", ", SignedHeaders=host, Signature="),
         "IncompleteSignatureException", "'SignedHeaders' twice"),
        (lambda h: _rewrite(h, "aws4_request", "aws5_request"),
         "InvalidSignatureException", "terminator"),
        (lambda h: _rewrite(h, "/20240501/", "/20240502/"),
         "InvalidSignatureException", "20240502"),
        (lambda h: _rewrite(h, "Signature=", "Signature=é"),
         "InvalidSignatureException", "does not match"),
        (lambda h: {**h, "X-Amz-Date": "2024-05-01T12:00:00Z"},
         "IncompleteSignatureException", "X-Amz-Date"),
        (lambda h: {k: v for k, v in h.items() if k != "X-Amz-Date"},
         "IncompleteSignatureException", "X-Amz-Date"),
        (lambda h: {k: v for k, v in h.items() if k != "X-Amz-Target"},
         "InvalidSignatureException", "x-amz-target"),
        (lambda h: _rewrite(h, "host;", "host;x_amz_target;"),
         "InvalidSignatureException", "x_amz_target"),
        (lambda h: _rewrite(h, "host;", "Host;"), "InvalidSignatureException", "lowercase"),
        (lambda h: _rewrite(h, "host;x-amz-date", "x-amz-date;host"),
         "InvalidSignatureException", "sorted"),
        (lambda h: _rewrite(h, "host;", "host;host;"), "InvalidSignatureException", "each once"),
    ],
)  # fmt: skip
def test_malformed_signatures_get_aws_codes(
    verifier: Verifier, change: Any, code: str, message: str
) -> None:
    with pytest.raises(AuthFailure) as caught:
        verifier.verify(environ(change(signed_at_noon())), b"{}")
    status, _, body = caught.value.answer()
    assert json.loads(body)["__type"].endswith(f"#{code}") and status == 400
    assert message in json.loads(body)["Message"]


@pytest.mark.parametrize(
    ("extra", "unsigned", "named"),
    [
        ({}, "host", "'Host' or ':authority'"),
        ({}, "x-amz-date", "'x-amz-date'"),
        ({}, "x-amz-target", "'x-amz-target'"),
        ({}, "content-type", "'content-type'"),
        ({"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()}, "x-amz-content-sha256",
         "'x-amz-content-sha256'"),
        ({"X-Amz-Meta-Note": "n"}, "x-amz-meta-note", "'x-amz-meta-note'"),
    ],
)  # fmt: skip
def test_the_headers_aws_requires_signed_must_be(
    verifier: Verifier, extra: dict[str, str], unsigned: str, named: str
) -> None:
    headers = signed_at_noon(extra=extra, unsigned=(unsigned,))
    assert unsigned not in headers["Authorization"]
    with pytest.raises(AuthFailure) as caught:
        verifier.verify(environ(headers), b"{}")
    status, _, body = caught.value.answer()
    assert json.loads(body)["__type"].endswith("#InvalidSignatureException") and status == 400
    assert f"{named} must be a 'SignedHeader'" in json.loads(body)["Message"]


def test_a_signed_payload_hash_must_be_the_bodys(verifier: Verifier) -> None:
    # botocore signs X-Amz-Content-SHA256 when the request carries one; the body must match it.
    with at(datetime(2024, 5, 1, 12, 0)):
        headers = signed("http://h/", b"{}", {"Content-Type": CONTENT_TYPE, "Host": "h",
                                              "X-Amz-Content-SHA256": "0" * 64})  # fmt: skip
    with pytest.raises(AuthFailure, match="X-Amz-Content-SHA256"):
        verifier.verify(environ(headers), b"{}")


# -- accounts and regions ----------------------------------------------------------


def test_each_access_key_is_its_own_account(shared: Server) -> None:
    alice, bob = shared.client(*ALICE), shared.client(*BOB)
    first = alice.create_registration(RegistrationType=BRAND, ClientToken="token-1")
    rid, arn = first["RegistrationId"], first["RegistrationArn"]
    assert arn.split(":")[3:5] == ["us-east-1", "111111111111"]
    alice.create_registration(RegistrationType=BRAND)
    page = alice.describe_registrations(MaxResults=1)

    assert bob.describe_registrations()["Registrations"] == []
    for call in (
        lambda: bob.describe_registrations(RegistrationIds=[rid]),
        lambda: bob.submit_registration_version(RegistrationId=rid),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught.value) == (400, "ResourceNotFoundException")
    with pytest.raises(ClientError) as caught:
        bob.submit_registration_version(RegistrationId=arn)
    assert error_code(caught.value) == (400, "AccessDeniedException")
    with pytest.raises(ClientError) as caught:
        bob.describe_registrations(MaxResults=1, NextToken=page["NextToken"])
    assert caught.value.response["Reason"] == "INVALID_NEXT_TOKEN"
    replayed = bob.create_registration(RegistrationType=BRAND, ClientToken="token-1")
    assert replayed["RegistrationId"] != rid
    assert replayed["RegistrationArn"].split(":")[4] == "222222222222"

    # The signing region is the region: Alice's key in eu-west-1 is another place.
    assert shared.client(*ALICE, region="eu-west-1").describe_registrations()[
        "Registrations"] == []  # fmt: skip
    with pytest.raises(ClientError) as caught:
        shared.client(*ALICE, region="eu-west-1").submit_registration_version(RegistrationId=arn)
    assert error_code(caught.value) == (400, "AccessDeniedException")
    assert alice.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"][0][
        "RegistrationVersionStatus"] == "DRAFT"  # fmt: skip


def test_the_access_log_names_each_callers_account(tmp_path: Path, keys_file: Path) -> None:
    served = Server(tmp_path, "--credentials", str(keys_file), "--admin-token", ADMIN_TOKEN)
    try:
        for key, secret in (ALICE, BOB):
            served.client(key, secret, region="eu-west-1").describe_registrations()
        assert served.request("POST", "/", b"{}", api_headers("DescribeRegistrations"),
                              sign=False)[0] == 403  # fmt: skip
        assert wait_until(lambda: len(served.access_lines()) >= 3, 5), served.log()
        assert [(x["account"], x["status"]) for x in served.access_lines()] == [
            ("111111111111", "200"), ("222222222222", "200"), ("-", "403")
        ]  # fmt: skip
    finally:
        served.stop()


# -- the reviewer's admin routes ---------------------------------------------------


def review_cli(
    server: Server, action: str, rid: str, *args: str, env: dict[str, str] = WITHOUT_TOKEN
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lifecycle", "review", action, rid, "--endpoint-url", server.url,
         *args],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_the_admin_routes_need_the_admin_token(shared: Server) -> None:
    alice, bob = shared.client(*ALICE), shared.client(*BOB)
    rid = alice.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill(alice, rid)
    alice.submit_registration_version(RegistrationId=rid)
    route = f"/_lifecycle/review/begin_review/{rid}"
    alice_signed = signed(shared.url + route, b"{}", {"Content-Type": CONTENT_TYPE},
                          key=ALICE[0], secret=ALICE[1])  # fmt: skip
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN},
                    alice_signed):  # fmt: skip
        status, body = shared.post(route, b"{}", headers)
        assert (status, body["__type"].rpartition("#")[2]) == (403, "AccessDeniedException")
        assert "admin token" in body["Message"]
    assert alice.describe_registrations()["Registrations"][0]["RegistrationStatus"] == "SUBMITTED"

    status, body = shared.post(route, b"{}", ADMIN)
    assert (status, body["RegistrationStatus"]) == (200, "REVIEWING")
    # The route finds a registration in whichever account holds it, by id or by ARN.
    other = bob.create_registration(RegistrationType=BRAND, ClientToken="t")
    fill(bob, other["RegistrationId"])
    bob.submit_registration_version(RegistrationId=other["RegistrationId"])
    status, body = shared.post(f"/_lifecycle/review/begin_review/{other['RegistrationArn']}",
                               b"{}", ADMIN)  # fmt: skip
    assert (status, body["RegistrationId"]) == (200, other["RegistrationId"])
    status, body = shared.post("/_lifecycle/review/approve/registration-nope", b"{}", ADMIN)
    assert (status, body["__type"].rpartition("#")[2]) == (400, "ResourceNotFoundException")

    refused = review_cli(shared, "approve", rid)
    assert refused.returncode == 1 and "AccessDeniedException" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = review_cli(shared, "approve", rid, "--admin-token", ADMIN_TOKEN)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["RegistrationStatus"] == "PROVISIONING"
    by_env = review_cli(shared, "complete_provisioning", other["RegistrationArn"],
                        env={**os.environ, "LIFECYCLE_ADMIN_TOKEN": ADMIN_TOKEN})  # fmt: skip
    assert by_env.returncode == 1 and "ConflictException" in by_env.stderr  # it got through
    with urllib.request.urlopen(shared.url + "/_lifecycle/health", timeout=10) as response:
        assert response.status == 200


def test_the_banner_prints_the_test_credential_and_a_generated_admin_token(
    start: Callable[..., Server],
) -> None:
    server = start("--account-id", "333333333333", env=WITHOUT_TOKEN)
    credential, token = server.banner
    assert "access key lifecycle, secret lifecycle" in credential and "333333333333" in credential
    generated = token.removeprefix("admin token: ").split()[0]
    assert len(generated) >= 32
    rid = server.client().create_registration(RegistrationType=BRAND)["RegistrationArn"]
    assert rid.split(":")[4] == "333333333333"
    status, body = server.post(f"/_lifecycle/review/close/{rid}", b"{}",
                               {"Authorization": f"Bearer {generated}"})  # fmt: skip
    assert (status, body["__type"].rpartition("#")[2]) == (400, "ConflictException")
    server.stop()
    given = start("--admin-token", ADMIN_TOKEN, env=WITHOUT_TOKEN)
    assert not any(ADMIN_TOKEN in line for line in [*given.banner, given.stop()])


# -- binding -------------------------------------------------------------------------


def test_binding_beyond_loopback_needs_credentials(
    tmp_path: Path, keys_file: Path, start: Callable[..., Server]
) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "lifecycle", "serve", "--host", "0.0.0.0", "--port", "0",
         "--db", str(tmp_path / "r.db")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "--credentials" in refused.stderr
    assert "Traceback" not in refused.stderr

    server = start("--host", "0.0.0.0", "--credentials", str(keys_file))
    assert server.url.startswith("http://0.0.0.0:")
    server.stop(signal.SIGINT)
    assert len([line for line in server.log().splitlines() if "reachable from the network" in line
                and "0.0.0.0" in line]) == 1  # fmt: skip


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.2.1", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("", False), ("::", False), ("10.0.0.1", False),
     ("example.com", False), ("128.0.0.1", False),
     # Only the canonical forms: any other may be refused, none wrongly allowed.
     ("0x7f000001", False), ("127.1", False), ("localhost.", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- the credentials file and the admin token ----------------------------------------


@pytest.mark.parametrize(
    ("content", "names"),
    [
        ("{not json", ["line 1"]),
        ("[]", ["JSON object"]),
        ("{}", ["at least one"]),
        ('{"K1": {"secret_access_key": "s", "account_id": "1"}}', ["K1.account_id", "12"]),
        ('{"K1": {"secret_access_key": "", "account_id": "111111111111"}}',
         ["K1.secret_access_key"]),
        ('{"K1": {"secret_access_key": "s"}}', ["K1.account_id", "required"]),
        ('{"K1": {"secret_access_key": "s", "account_id": "111111111111", "x": 1}}',
         ["K1.x"]),
        ('{"K1": "s"}', ["K1", "dictionary"]),
        ('{"a b": {"secret_access_key": "s", "account_id": "111111111111"}}', ["'a b'"]),
        ('{"K1": {"secret_access_key": "s", "account_id": "111111111111"}, '
         '"K1": {"secret_access_key": "t", "account_id": "222222222222"}}', ["K1", "twice"]),
    ],
)  # fmt: skip
def test_a_bad_credentials_file_is_named_with_the_key_and_the_rule(
    tmp_path: Path, content: str, names: list[str]
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(ValidationException) as caught:
        Credentials.load(path)
    for name in [str(path), *names]:
        assert name in caught.value.message


def test_serve_refuses_a_bad_credentials_file_or_admin_token_in_one_line(tmp_path: Path) -> None:
    for args, env, line in [
        (["--credentials", str(tmp_path / "missing.json")], WITHOUT_TOKEN,
         f"argument --credentials: {tmp_path / 'missing.json'}: cannot be read"),
        (["--account-id", "12345"], WITHOUT_TOKEN,
         "argument --account-id: must be 12 digits"),
        (["--admin-token", "short"], WITHOUT_TOKEN, "argument --admin-token: length must be"),
        ([], {**WITHOUT_TOKEN, "LIFECYCLE_ADMIN_TOKEN": "x" * 20 + " y"},
         "argument --admin-token: must match the pattern"),
    ]:  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "lifecycle", "serve", "--port", "0",
             "--db", str(tmp_path / "r.db"), *args],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == "", (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and line in lines[0], (args, lines)


def test_admin_token_rules() -> None:
    assert AdminToken("a" * 16).value == "a" * 16 and not AdminToken("a" * 16).generated
    assert AdminToken(None).generated and AdminToken(None).value != AdminToken(None).value
    token = AdminToken("t" * 20)
    assert token.refusal(f"Bearer {'t' * 20}") is None
    assert token.refusal(f"bearer {'t' * 20}") is None
    for bad in (None, "", "Bearer", f"Bearer {'t' * 19}", f"Basic {'t' * 20}", "Bearer \u00e9"):
        refused = token.refusal(bad)
        assert refused is not None and refused[0] == 403
    for bad_value in ("short", "x" * 20 + "\n", "x" * 300):
        with pytest.raises(ValidationException, match="admin"):
            AdminToken(bad_value)
