"""``lifecycle serve``: any SDK, the AWS CLI and the reviewer over HTTP."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the aws extra is not installed")
pytest.importorskip("waitress", reason="the server extra is not installed")
from botocore.exceptions import ClientError

from lifecycle import RegistrationService
from lifecycle.audit import verify
from lifecycle.aws.waitress_edge import SHUTDOWN_GRACE
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.errors import CONTENT_TYPE
from lifecycle.testing import invariants
from tests.served import (
    ADMIN,
    ADMIN_TOKEN,
    BRAND,
    CREATE,
    DENY_BODY,
    ENV,
    Server,
    api_headers,
    fill,
    signed,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path, "--log-level", "warning", "--admin-token", ADMIN_TOKEN)
    yield running
    if running.proc.poll() is None:
        assert "stopped" in running.stop()


def review(
    server: Server, action: str, rid: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """``lifecycle review ACTION RID --endpoint-url URL OPTIONS...``, with a reason for
    deny."""
    command = [sys.executable, "-m", "lifecycle", "review", action, rid]
    command += ["--endpoint-url", server.url, "--admin-token", ADMIN_TOKEN]
    reason = ["--reason", "REVIEW_DENIED", "--short-description", "no"] if action == "deny" else []
    return subprocess.run(
        [*command, *reason, *options],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_any_sdk_and_the_reviewer_cli(server: Server) -> None:
    client = server.client()
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    fill(client, rid)
    client.submit_registration_version(RegistrationId=rid)
    for action in ("begin_review", "deny"):
        done = review(server, action, rid)
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["RegistrationStatus"] == "REQUIRES_UPDATES"
    versions = client.describe_registration_versions(RegistrationId=rid)["RegistrationVersions"]
    assert versions[0]["DeniedReasons"][0]["Reason"] == "REVIEW_DENIED"
    refused = review(server, "approve", rid)
    assert refused.returncode == 1 and "ConflictException" in refused.stderr


def test_the_reviewer_flags_fields_through_the_route_and_the_cli(server: Server) -> None:
    client = server.client()
    rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
    name, tax_id = "companyInfo.companyName", "companyInfo.taxId"
    fill(client, rid)
    for path, text in ((name, "Acme"), (tax_id, "12")):
        client.put_registration_field_value(RegistrationId=rid, FieldPath=path, TextValue=text)
    client.submit_registration_version(RegistrationId=rid)
    assert review(server, "begin_review", rid).returncode == 0
    half = {"reasons": [{"Reason": "R", "ShortDescription": "s"}],
            "fields": {tax_id: {"DeniedReason": "Not the EIN"}}}  # fmt: skip
    status, body = server.post(f"/_lifecycle/review/deny/{rid}", json.dumps(half).encode(), ADMIN)
    assert status == 400 and body["Fields"][0]["Name"] == f'fields["{tax_id}"].Feedback'
    done = review(server, "deny", rid, "--flag", tax_id, "Not the EIN", "Enter the EIN.")
    assert done.returncode == 0, done.stderr
    values = client.describe_registration_field_values(RegistrationId=rid, VersionNumber=1)
    by_path = {value["FieldPath"]: value for value in values["RegistrationFieldValues"]}
    assert by_path.pop(name) == {"FieldPath": name, "TextValue": "Acme"}
    flag = {"DeniedReason": "Not the EIN", "Feedback": "Enter the EIN."}
    assert by_path.pop(tax_id) == {"FieldPath": tax_id, "TextValue": "12", **flag}
    assert not any("DeniedReason" in value for value in by_path.values())  # only the one
    refused = review(server, "deny", rid, "--flag", "companyInfo.nope", "R", "F")
    assert refused.returncode == 1 and refused.stderr == (
        'lifecycle: ValidationException: Invalid parameter fields["companyInfo.nope"]: '
        "'companyInfo.nope' is not a FieldPath of US_TEN_DLC_BRAND_REGISTRATION\n"
    )


AWS_CLI = shutil.which("aws", path=os.path.dirname(sys.executable))
needs_the_aws_cli = pytest.mark.skipif(
    AWS_CLI is None, reason="the AWS CLI (awscli, in the ci extra) is not installed"
)


def aws_cli(server: Server, *args: str) -> Any:
    """``aws pinpoint-sms-voice-v2 ARGS...`` against ``server``: its JSON output, if any."""
    done = subprocess.run(
        [AWS_CLI or "aws", "--endpoint-url", server.url, "--output", "json",
         "pinpoint-sms-voice-v2", *args],
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@needs_the_aws_cli
def test_the_aws_cli(server: Server) -> None:
    def cli(*args: str) -> Any:
        return aws_cli(server, *args)

    ids = [cli("create-registration", "--registration-type", BRAND)["RegistrationId"]
           for _ in range(5)]  # fmt: skip
    fill(server.client(), ids[0])
    submitted = cli("submit-registration-version", "--registration-id", ids[0])
    assert submitted["RegistrationVersionStatus"] == "SUBMITTED"
    first = cli("describe-registrations", "--max-items", "2")
    assert [r["RegistrationId"] for r in first["Registrations"]] == ids[:2]
    rest = cli("describe-registrations", "--max-items", "10", "--starting-token",
               first["NextToken"])  # fmt: skip
    assert [r["RegistrationId"] for r in rest["Registrations"]] == ids[2:]
    assert rest["Registrations"][0]["RegistrationStatus"] == "CREATED"


@needs_the_aws_cli
def test_tags_through_the_aws_cli(server: Server) -> None:
    arn = aws_cli(server, "create-registration", "--registration-type", BRAND,
                  "--tags", "Key=Name,Value=Brand")["RegistrationArn"]  # fmt: skip
    assert aws_cli(server, "tag-resource", "--resource-arn", arn, "--tags",
                   "Key=team,Value=a", "Key=Name,Value=Acme brand") is None  # fmt: skip
    assert aws_cli(server, "untag-resource", "--resource-arn", arn, "--tag-keys", "team") is None
    assert aws_cli(server, "list-tags-for-resource", "--resource-arn", arn) == {
        "ResourceArn": arn, "Tags": [{"Key": "Name", "Value": "Acme brand"}]
    }  # fmt: skip
    done = subprocess.run(
        [AWS_CLI or "aws", "--endpoint-url", server.url, "pinpoint-sms-voice-v2",
         "tag-resource", "--resource-arn", arn.replace("registration/", "bogus/"),
         "--tags", "Key=k,Value=v"],
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "(ValidationException)" in done.stderr
    assert "Invalid parameter ResourceArn" in done.stderr
    server.stop()
    events = [e.event for e in SqliteBackend(server.db).read_log()]
    assert [(e.event, e.detail) for e in events] == [
        ("create", {"Tags": [{"Key": "Name", "Value": "Brand"}]}),
        ("tag_resource", {"Tags": [{"Key": "team", "Value": "a"},
                                   {"Key": "Name", "Value": "Acme brand"}]}),
        ("untag_resource", {"TagKeys": ["team"]}),
    ]  # fmt: skip
    assert verify(SqliteBackend(server.db))[2] == []


def test_protocol_errors(server: Server) -> None:
    target = {"X-Amz-Target": "PinpointSMSVoiceV2.CreateRegistration"}
    status, _, body = server.call("CreateRegistration", b"{not json")
    assert status == 400 and body["__type"].endswith("#SerializationException")
    status, _, body = server.call("SendTextMessage", b"{}")
    assert status == 400 and "SendTextMessage is not provided" in body["Message"]
    nope = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": "Nope"}
    status, body = server.post("/", b"{}", signed(server.url + "/", b"{}", nope))
    assert status == 400 and body["__type"].endswith("#UnknownOperationException")
    status, body = server.post("/", b"x" * (2 * 1024 * 1024), target)
    assert status == 413 and "exceeds the limit" in body["Message"]
    status, _, body = server.call("CreateRegistration", b'{"RegistrationType": 5}')
    assert status == 400 and body["Fields"][0]["Name"] == "RegistrationType"
    status, body = server.post("/_lifecycle/review/deny/x", b"[1]", ADMIN)
    assert status == 400 and body["__type"].endswith("#SerializationException")
    status, body = server.post("/_lifecycle/review/deny/x", b"{}", ADMIN)
    assert status == 400 and body["Fields"][0]["Name"] == "reasons"
    status, body = server.post("/_lifecycle/review/promote/x", b"{}", ADMIN)
    assert status == 404 and "unknown reviewer action" in body["Message"]
    with urllib.request.urlopen(server.url + "/_lifecycle/health", timeout=10) as response:
        assert json.loads(response.read()) == {"status": "ok"}


def test_eight_client_threads(server: Server) -> None:
    setup = server.client()
    shared = [setup.create_registration(RegistrationType=BRAND)["RegistrationId"]
              for _ in range(4)]  # fmt: skip
    for rid in shared:
        fill(setup, rid)
    failures: list[str] = []
    server_errors: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        client = server.client()
        own = [client.create_registration(RegistrationType=BRAND)["RegistrationId"]
               for _ in range(2)]  # fmt: skip
        for rid in own:
            fill(client, rid)
        user_ops = ["submit_registration_version", "discard_registration_version",
                    "create_registration_version", "describe_registration_versions"]  # fmt: skip
        reviewer = ["begin_review", "approve", "deny", "complete_provisioning"]
        for _ in range(60):
            rid = rng.choice(own + shared)
            try:
                if rng.random() < 0.6:
                    getattr(client, rng.choice(user_ops))(RegistrationId=rid)
                else:
                    status, body = server.post(
                        f"/_lifecycle/review/{rng.choice(reviewer)}/{rid}", DENY_BODY, ADMIN
                    )
                    if status >= 500:
                        server_errors.append(str(body))
            except ClientError as exc:
                code = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                if code >= 500:
                    server_errors.append(str(exc))
            except Exception as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and server_errors == []
    backend = SqliteBackend(server.db)
    service = RegistrationService(backend)
    assert verify(backend)[2] == []
    for registration in backend.registrations():
        invariants.check(service, registration.registration_id)
    assert len(list(backend.registrations())) == 4 + 16


def test_stops_cleanly_on_sigint(server: Server) -> None:
    client = server.client()  # kept: its connection stays open (keep-alive)
    client.create_registration(RegistrationType=BRAND)
    started = time.monotonic()
    assert "stopped" in server.stop(signal.SIGINT)
    assert time.monotonic() - started < 5  # not after the open connection idles out
    assert len(list(SqliteBackend(server.db).registrations())) == 1


# A host name that resolves to both loopback addresses, as ``localhost`` does where
# /etc/hosts lists ::1 for it too.
DUAL_STACK_SERVE = """
import socket, sys
from lifecycle.cli import main
resolve = socket.getaddrinfo
def both(host, *args, **kwargs):
    if host == "localhost":
        return resolve("::1", *args, **kwargs) + resolve("127.0.0.1", *args, **kwargs)
    return resolve(host, *args, **kwargs)
socket.getaddrinfo = both
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_every_address_it_listens_on_is_a_url(tmp_path: Path, host: str) -> None:
    """A host that resolves to two addresses is served on both, and each listening
    line is a URL a client can use (IPv6 in brackets)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", DUAL_STACK_SERVE, "serve", "--host", host, "--port", "0",
         "--db", str(tmp_path / "d.db"), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    urls = []
    for line in proc.stdout:
        if line.startswith("listening on "):
            urls.append(line.split()[2])
        if line.startswith("listening on ") and len(urls) == (2 if host == "localhost" else 1):
            break
    try:
        expected = ["127.0.0.1", "[::1]"] if host == "localhost" else ["[::1]"]
        assert sorted(url.removeprefix("http://").rpartition(":")[0] for url in urls) == expected
        for url in urls:
            with urllib.request.urlopen(url + "/_lifecycle/health", timeout=10) as answer:
                assert json.loads(answer.read()) == {"status": "ok"}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err, err


def _raw_request(url: str, operation: str, body: bytes) -> bytes:
    """A signed API request as bytes on the wire (HTTP/1.1, keep-alive)."""
    headers = signed(url + "/", body, api_headers(operation))
    host = url.removeprefix("http://")
    lines = ["POST / HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_a_stop_answers_the_requests_in_flight(server: Server) -> None:
    """SIGTERM does not cut off a request that is arriving or running: both are
    answered (and their writes kept), then the server stops."""
    arriving = socket.create_connection((server.host, server.port), timeout=30)
    request = _raw_request(server.url, "CreateRegistration", CREATE)
    arriving.sendall(request[:-5])
    lock = sqlite3.connect(server.db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the next write waits for this lock
    answers: list[Any] = []
    running = threading.Thread(
        target=lambda: answers.append(server.client().create_registration(RegistrationType=BRAND))
    )
    running.start()
    time.sleep(0.5)  # the call is inside the server, waiting for the lock
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    arriving.sendall(request[-5:])
    lock.execute("ROLLBACK")
    running.join(30)
    answer = arriving.makefile("rb").readline()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert answers and answers[0]["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "stopped" in server.proc.communicate(timeout=30)[0]
    assert len(list(SqliteBackend(server.db).registrations())) == 2


def test_a_stop_waits_for_a_stalled_client_only_so_long(server: Server) -> None:
    """A request that never finishes arriving holds the stop at most SHUTDOWN_GRACE
    seconds (this test takes that long)."""
    stalled = socket.create_connection((server.host, server.port), timeout=30)
    stalled.sendall(_raw_request(server.url, "DescribeRegistrations", b"{}")[:-1])
    time.sleep(0.2)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert "stopped" in server.proc.communicate(timeout=30)[0]
    assert SHUTDOWN_GRACE <= time.monotonic() - started < SHUTDOWN_GRACE + 3
    stalled.close()
