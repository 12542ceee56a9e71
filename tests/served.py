"""What the tests of ``lifecycle serve`` share: a server in a child process, requests
signed as an SDK signs them, the constants of those tests, and the parsing of the
server's answers and access log.

:func:`signed` signs with botocore's signer, by default with the test credential (access
key ``lifecycle``, secret ``lifecycle``, region ``us-east-1``, service ``sms-voice``),
which serve accepts when it is started without ``--credentials``. It adds the SigV4
headers and nothing else: a request carries the protocol's Content-Type only when its
headers have it, as :func:`api_headers` gives them by default.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from lifecycle.catalogue import Catalogue
from lifecycle.errors import CONTENT_TYPE
from lifecycle.testing.forms import example_values

TARGET = "PinpointSMSVoiceV2."
TEST_KEY = "lifecycle"
"""The test credential (access key and secret) serve accepts without --credentials."""
ADMIN_TOKEN = "admin-token-of-the-tests"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": TEST_KEY, "AWS_SECRET_ACCESS_KEY": TEST_KEY,
       "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
"""The environment of an AWS CLI that calls serve with the test credential."""
BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
CREATE = json.dumps({"RegistrationType": BRAND}).encode()
"""The body of a valid CreateRegistration."""
BRAND_VALUES = example_values(Catalogue(), BRAND, required_only=True)
"""The values a brand form requires, as PutRegistrationFieldValue parameters."""
DENY_BODY = json.dumps({"reasons": [{"Reason": "R", "ShortDescription": "s"}]}).encode()
"""The body of a valid reviewer's deny."""
AWS_ERRORS = ("SerializationException", "ValidationException", "UnknownOperationException")
"""The error codes of a client's mistake at the HTTP edge."""
ACCESS_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) INFO lifecycle\.access "
    r"(?P<request_id>\S+) (?P<account>\S+) (?P<operation>\S+) (?P<status>\d{3}) "
    r"(?P<duration>\d+\.\d)ms$"
)
"""A line of serve's access log (at ``--log-level info``, the default)."""


def signed(
    url: str,
    body: bytes,
    headers: dict[str, str],
    method: str = "POST",
    *,
    key: str = TEST_KEY,
    secret: str = TEST_KEY,
    region: str = "us-east-1",
    service: str = "sms-voice",
    unsigned: tuple[str, ...] = (),
) -> dict[str, str]:
    """``headers`` plus the SigV4 headers (``X-Amz-Date``, ``Authorization``) of a
    ``method`` request with ``body`` to ``url``, as botocore signs it with the credential
    ``key``/``secret`` for ``service`` in ``region``. No other header is added (not the
    Content-Type either); the signature leaves out the headers ``unsigned`` (lowercase)."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SignerLeavingOut(Credentials(key, secret), service, region, unsigned).add_auth(request)
    return dict(request.headers.items())


class SignerLeavingOut(SigV4Auth):  # type: ignore[misc]
    """botocore's signer, but the signature leaves out the headers ``unsigned``: what a
    careless SDK signs, or a captured request an attacker then changes."""

    def __init__(self, credentials: Credentials, service: str, region: str,
                 unsigned: tuple[str, ...]) -> None:  # fmt: skip
        super().__init__(credentials, service, region)
        self.unsigned = unsigned

    def headers_to_sign(self, request: AWSRequest) -> Any:
        names = super().headers_to_sign(request)
        for name in self.unsigned:
            del names[name]
        return names


def fill(client: Any, registration_id: str) -> None:
    """Fill in the form of the brand registration ``registration_id`` through ``client``
    (:data:`BRAND_VALUES`, as :func:`~lifecycle.testing.forms.fill_form` does), so that
    it can be submitted."""
    for value in BRAND_VALUES:
        client.put_registration_field_value(RegistrationId=registration_id, **value)


def api_headers(operation: str, content_type: str | None = CONTENT_TYPE) -> dict[str, str]:
    """The headers of an SDK's call of ``operation`` (unsigned): ``X-Amz-Target`` and,
    unless ``content_type`` is None, ``Content-Type``."""
    headers = {"X-Amz-Target": TARGET + operation}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


class Server:
    """``lifecycle serve --port 0 --db DIRECTORY/served.db ARGS...`` in a child process.

    ``directory`` (made if missing) is the server's own: its database, its stderr (the
    logs, in ``serve.log``) and its temporary files (``TMPDIR`` is ``spool`` there, made
    anew: one server a directory). ``env`` is the child's environment (by default this
    process's), with ``TMPDIR`` set."""

    def __init__(self, directory: Path, *args: str, env: dict[str, str] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db = directory / "served.db"
        self.log_path = directory / "serve.log"
        self.spool = directory / "spool"
        self.spool.mkdir()
        self.output: str | None = None
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lifecycle", "serve", "--port", "0", "--db", str(self.db),
                 *args],
                stdout=subprocess.PIPE, stderr=log, text=True,
                env={**(os.environ if env is None else env), "TMPDIR": str(self.spool)},
            )  # fmt: skip
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        """What serve printed before ``listening on``."""
        while not (line := self.proc.stdout.readline()).startswith("listening on http://"):
            assert line, "\n".join(self.banner) + "\n" + self.log()
            self.banner.append(line.strip())
        self.url = line.strip().removeprefix("listening on ")
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        self.host, self.port = host, int(port)

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def access_lines(self) -> list[dict[str, str]]:
        """The access-log lines the server wrote so far, parsed by :data:`ACCESS_LINE`."""
        return [m.groupdict() for line in self.log().splitlines() if (m := ACCESS_LINE.match(line))]

    def client(self, key: str = TEST_KEY, secret: str = TEST_KEY, region: str = "us-east-1") -> Any:
        """A boto3 client of the server, signing with ``key``/``secret`` in ``region``."""
        # No retries: botocore would otherwise retry a 5xx and hide it from the tests.
        return boto3.client("pinpoint-sms-voice-v2", endpoint_url=self.url,
                            region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret,
                            config=Config(retries={"total_max_attempts": 1}))  # fmt: skip

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        sign: bool = True,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with ``headers`` on a new connection, signed with the test
        credential unless ``sign`` is false: ``(status, headers, body)``."""
        headers = dict(headers or {})
        if sign:
            headers = signed(self.url + path, body, headers, method)
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            conn.close()

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST ``body`` with the protocol's Content-Type and ``headers`` (which may
        replace it), unsigned: the status and the parsed JSON answer."""
        status, _, raw = self.request("POST", path, body,
                                      {"Content-Type": CONTENT_TYPE, **(headers or {})},
                                      sign=False, timeout=30)  # fmt: skip
        return status, json.loads(raw)

    def call(
        self, operation: str, body: bytes, content_type: str | None = CONTENT_TYPE
    ) -> tuple[int, dict[str, str], Any]:
        """A signed call of ``operation`` with ``body`` and ``content_type`` (none if
        None): status, headers and parsed JSON."""
        status, headers, raw = self.request("POST", "/", body, api_headers(operation, content_type))
        return status, headers, json.loads(raw)

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop the server with ``sig`` (unless it exited already), wait for it at most
        30 s and assert that it exited with 0; returns what it printed to stdout after
        the ``listening on`` line read at the start. Called again, it returns the same."""
        if self.output is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.output = self.proc.communicate(timeout=30)[0]
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                self.proc.kill()
                self.proc.communicate()
                raise AssertionError(f"serve did not stop within 30 s:\n{self.log()}") from None
        assert self.proc.returncode == 0, self.log()
        return self.output


def aws_error(status: int, headers: dict[str, str], body: bytes) -> str:
    """The AWS error code of a 4xx answer in AWS JSON 1.0's error shape; fails otherwise."""
    assert 400 <= status < 500, (status, body[:300])
    assert headers.get("content-type") == CONTENT_TYPE, (headers, body[:300])
    parsed = json.loads(body)
    code = str(parsed["__type"]).rpartition("#")[2]
    assert headers.get("x-amzn-errortype") == code and parsed["Message"], (headers, parsed)
    assert headers.get("x-amzn-requestid"), headers
    return code


def wait_until(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def review(server: Server, action: str, rid: str, *options: str) -> None:
    """``lifecycle review ACTION RID OPTIONS`` against ``server``, with the tests' admin
    token; it must succeed."""
    command = [sys.executable, "-m", "lifecycle", "review", action, rid, "--endpoint-url",
               server.url, "--admin-token", ADMIN_TOKEN, *options]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
