"""A ``lifecycle serve`` process for the HTTP edge tests, and requests signed as an SDK
signs them.

Every request to ``/`` is signed with botocore's ``SigV4Auth`` and the test credential
(access key ``lifecycle``, secret ``lifecycle``, region ``us-east-1``, service
``sms-voice``), through :func:`signed`, so the requests stay valid for a server that
verifies signatures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lifecycle.errors import CONTENT_TYPE

TARGET = "PinpointSMSVoiceV2."
CREDENTIALS = Credentials("lifecycle", "lifecycle")
AWS_ERRORS = ("SerializationException", "ValidationException", "UnknownOperationException")
"""The error codes of a client's mistake at the HTTP edge."""


def signed(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> dict[str, str]:
    """``headers`` plus the SigV4 headers (``X-Amz-Date``, ``Authorization``) of a
    request with ``body`` to ``url``, as an SDK with the test credential sends them."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(CREDENTIALS, "sms-voice", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def api_headers(operation: str, content_type: str | None = CONTENT_TYPE) -> dict[str, str]:
    """The headers of an SDK's call of ``operation`` (unsigned)."""
    headers = {"X-Amz-Target": TARGET + operation}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


class Served:
    """``lifecycle serve --port 0`` in a child process; stderr (the logs) goes to a file,
    and its temporary files to the directory ``spool``."""

    def __init__(self, tmp: Path, *args: str, db: str | None = None) -> None:
        self.db = db if db is not None else str(tmp / "served.db")
        self.log_path = tmp / "serve.log"
        self.spool = tmp / "spool"
        self.spool.mkdir()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lifecycle", "serve", "--port", "0", "--db", self.db,
                 *args],
                stdout=subprocess.PIPE, stderr=log, text=True,
                env={**os.environ, "TMPDIR": str(self.spool)},
            )  # fmt: skip
        assert self.proc.stdout is not None
        for _ in range(50):  # a banner may come first
            line = self.proc.stdout.readline()
            if not line or line.startswith("listening on http://"):
                break
        assert line.startswith("listening on http://"), self.log()
        self.url = line.strip().removeprefix("listening on ")
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        self.host, self.port = host, int(port)

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

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
        """One request on a new connection: ``(status, headers, body)``."""
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

    def call(
        self, operation: str, body: bytes, content_type: str | None = CONTENT_TYPE
    ) -> tuple[int, dict[str, str], Any]:
        """A signed call of ``operation`` with ``body``: status, headers and parsed JSON."""
        status, headers, raw = self.request("POST", "/", body, api_headers(operation, content_type))
        return status, headers, json.loads(raw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                self.proc.kill()
                self.proc.communicate()


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
