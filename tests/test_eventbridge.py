"""Status changes in AWS's EventBridge shape, and their delivery from an Outbox."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lifecycle import RegistrationService
from lifecycle.eventbridge import (
    DETAIL_TYPE,
    SOURCE,
    STATUSES,
    Delivery,
    json_lines,
    post,
    put_events,
    render,
)
from lifecycle.outbox import Outbox
from lifecycle.testing.forms import fill_form

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"


def _brand_through_review(service: RegistrationService) -> str:
    rid = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
    fill_form(service, rid)
    service.submit_registration_version(RegistrationId=rid, AwsReview=True)
    for event in ("begin_review", "approve", "complete_provisioning"):
        getattr(service.reviewer, event)(rid)
    service.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                 NumberCapabilities=["SMS"], NumberType="LONG_CODE")  # fmt: skip
    service.delete_registration(RegistrationId=rid)
    return rid


def test_the_events_aws_sends_in_its_shape() -> None:
    service = RegistrationService()
    rid = _brand_through_review(service)
    sent: list[dict[str, Any]] = []
    Outbox(service.backend, "eventbridge").drain(Delivery(service.backend, sent.append))
    # AWS_REVIEWING has no event; form edits, phone numbers and archives none either
    assert [e["detail"]["registrationDetails"]["currentStatus"] for e in sent] == [
        "CREATED", "REVIEWING", "PROVISIONING", "COMPLETE", "DELETED"
    ]  # fmt: skip
    arn = f"arn:aws:sms-voice:us-east-1:123456789012:registration/{rid}"
    first = sent[0]
    assert set(first) == {"version", "id", "detail-type", "source", "account", "time",
                          "region", "resources", "detail"}  # fmt: skip
    assert (first["detail-type"], first["source"], first["account"], first["region"]) == (
        DETAIL_TYPE, SOURCE, "123456789012", "us-east-1"
    )  # fmt: skip
    assert first["resources"] == [arn] and first["detail"]["registrationArn"] == arn
    details = sent[-1]["detail"]["registrationDetails"]
    assert details["registrationId"] == rid and details["registrationType"] == BRAND
    assert details["registrationVersionNumber"] == 1  # delete moves no version: the current
    created = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    stamp = sent[0]["detail"]["registrationDetails"]["registrationStatusChangeTimestamp"]
    assert stamp == int(created["CreatedTimestamp"].timestamp() * 1000)
    assert len({e["id"] for e in sent}) == len(sent)
    # rendered again (a redelivery): the same id
    again = [render(logged.event) for logged in service.backend.read_log()]
    assert [e["id"] for e in again if e is not None] == [e["id"] for e in sent]
    assert set(STATUSES) == {
        "CREATED",
        "SUBMITTED",
        "REVIEWING",
        "COMPLETE",
        "REQUIRES_UPDATES",
        "REQUIRES_AUTHENTICATION",
        "PROVISIONING",
        "CLOSED",
        "DELETED",
    }


def test_json_lines_and_post(tmp_path: Path) -> None:
    service = RegistrationService()
    _brand_through_review(service)
    path = tmp_path / "events.jsonl"
    Outbox(service.backend, "file").drain(Delivery(service.backend, json_lines(path)))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 5 and lines[0]["detail-type"] == DETAIL_TYPE

    received: ClassVar[list[dict[str, Any]]] = []
    failing = [True]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if failing[0]:  # the first delivery fails: it comes again
                failing[0] = False
                self.send_response(503)
            else:
                received.append(body)
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outbox = Outbox(service.backend, "http")
        deliver = Delivery(service.backend, post(f"http://127.0.0.1:{server.server_port}/"))
        with pytest.raises(OSError):  # HTTPError 503: the cursor stays
            outbox.drain(deliver)
        outbox.drain(deliver)
    finally:
        server.shutdown()
    assert [e["id"] for e in received] == [e["id"] for e in lines]


def test_put_events_on_a_bus() -> None:
    boto3 = pytest.importorskip("boto3", reason="the aws extra is not installed")
    from botocore.stub import ANY, Stubber

    client = boto3.client("events", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    service = RegistrationService()
    rid = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
    with Stubber(client) as stub:
        stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]},
                          {"Entries": [{"Source": SOURCE, "DetailType": DETAIL_TYPE,
                                        "Detail": ANY, "Resources": ANY,
                                        "EventBusName": "registrations"}]})  # fmt: skip
        stub.add_response(
            "put_events", {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
        )
        target = put_events(client, "registrations")
        Outbox(service.backend, "bus").drain(Delivery(service.backend, target))
        service.delete_registration(RegistrationId=rid)
        with pytest.raises(RuntimeError, match="refused"):
            Outbox(service.backend, "bus").drain(Delivery(service.backend, target))
        stub.assert_no_pending_responses()


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Collects the POSTed events in ``received``."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_serve_posts_each_status_change(tmp_path: Path) -> None:
    pytest.importorskip("waitress", reason="the server extra is not installed")
    from tests.served import ADMIN_TOKEN, Server

    receiver = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_port}/events"
    server = Server(tmp_path / "serve", "--log-level", "warning", "--admin-token", ADMIN_TOKEN,
                    "--eventbridge-url", url)  # fmt: skip
    try:
        client = server.client()
        rid = client.create_registration(RegistrationType=BRAND)["RegistrationId"]
        client.delete_registration(RegistrationId=rid)
        deadline = time.monotonic() + 20
        while len(_Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
        receiver.shutdown()
    assert [e["detail"]["registrationDetails"]["currentStatus"] for e in _Receiver.received] == [
        "CREATED", "DELETED"
    ]  # fmt: skip
    assert _Receiver.received[0]["resources"][0].endswith(rid)


def test_a_bad_eventbridge_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from lifecycle.cli import main

    assert main(["serve", "--eventbridge-url", "ftp://x"]) == 2
    assert "--eventbridge-url: must be an http:// or https:// URL" in capsys.readouterr().err


def test_a_delivery_needs_a_callable_target() -> None:
    from lifecycle import ValidationException

    with pytest.raises(ValidationException, match="target"):
        Delivery(RegistrationService().backend, "http://example.com")  # type: ignore[arg-type]
