"""Registration status changes in the shape AWS sends them to Amazon EventBridge, and
where to deliver them.

:func:`render` turns a committed :class:`~lifecycle.events.TransitionEvent` into the
"Registration Status Change" event AWS sends (source ``aws.sms-voice``), or ``None``
for a transition AWS sends no event for. :class:`Delivery` is an
:class:`~lifecycle.outbox.Outbox` handler (or a subscriber) that renders each event
and hands the ones AWS sends to a target: a callable of yours, :func:`put_events` (a
boto3 ``events`` client's bus, so under moto they reach its rules), :func:`post` (an
HTTP endpoint) or :func:`json_lines` (a file). Delivered from an Outbox, none is lost
by a crash; one may come twice, with the same ``id``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifecycle.errors import ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.models import Registration, registration_arn
from lifecycle.outbox import Outbox
from lifecycle.ports import Backend

log = logging.getLogger(__name__)

SOURCE = "aws.sms-voice"
DETAIL_TYPE = "Registration Status Change"
STATUSES: frozenset[str] = frozenset({
    "CREATED", "SUBMITTED", "REVIEWING", "COMPLETE", "REQUIRES_UPDATES",
    "REQUIRES_AUTHENTICATION", "PROVISIONING", "CLOSED", "DELETED",
})  # fmt: skip
"""The registration statuses AWS documents an event for (not AWS_REVIEWING)."""

_IDS = uuid.UUID("6f0e8a4c-6a1b-4f55-9a57-3c2f5d7b9e10")
"""The namespace of the events' ids (derived from the event: a redelivery keeps it)."""

Target = Callable[[dict[str, Any]], None]
"""Receives one rendered event; raises if it was not delivered (the Outbox retries)."""


def render(
    event: TransitionEvent, registration: Registration | None = None
) -> dict[str, Any] | None:
    """The "Registration Status Change" event AWS sends for ``event``, or ``None`` when
    AWS sends none: a phone number's or an attachment's event, an event that moves no
    registration status, or one into a status AWS documents no event for.

    ``registration`` (the registration, as read after the event) gives
    ``registrationType``, and the version number of an event that moves no version
    (``close``, ``delete``); without it they are left out.
    """
    to, before = event.registration_to, event.registration_from
    if event.resource_type != "registration" or to is None or to == before:
        return None
    status = str(to)
    if status not in STATUSES:
        return None
    arn = registration_arn(event.region, event.account_id, event.registration_id)
    version = event.version_number
    if version is None and registration is not None:
        version = registration.current_version_number
    details: dict[str, Any] = {"registrationId": event.registration_id}
    if version is not None:
        details["registrationVersionNumber"] = version
    if registration is not None:
        details["registrationType"] = registration.registration_type
    details["registrationStatusChangeTimestamp"] = int(event.timestamp.timestamp() * 1000)
    details["currentStatus"] = status
    # The event's own fields only: rendered again, with or without its registration,
    # it keeps its id.
    key = (f"{arn}|{event.event}|{event.timestamp.isoformat()}|{event.version_number}|"
           f"{before}|{status}")  # fmt: skip
    return {
        "version": "0",
        "id": str(uuid.uuid5(_IDS, key)),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": event.account_id,
        "time": event.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": event.region,
        "resources": [arn],
        "detail": {"registrationDetails": details, "registrationArn": arn},
    }


class Delivery:
    """An Outbox handler (or a subscriber after the commit) that renders each event,
    reading its registration from ``backend``, and hands it to ``target`` when AWS
    would send it: ``Outbox(backend, "eventbridge").drain(Delivery(backend, target))``."""

    def __init__(self, backend: Backend, target: Target) -> None:
        if not callable(target):
            raise ValidationException.for_field("target", "must be callable with an event")
        self.backend = backend
        self.target = target

    def __call__(self, event: TransitionEvent) -> None:
        if event.resource_type != "registration":
            return
        registration = self.backend.get(event.account_id, event.region, event.registration_id)
        rendered = render(event, registration)
        if rendered is not None:
            self.target(rendered)


def put_events(client: Any, event_bus_name: str = "default") -> Target:
    """A target that puts each event on the bus ``event_bus_name`` through ``client``, a
    boto3 ``events`` client (moto's too).

    Raises (from the target): RuntimeError when EventBridge refuses the entry."""

    def put(event: dict[str, Any]) -> None:
        answer = client.put_events(Entries=[{
            "Source": event["source"], "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]), "Resources": event["resources"],
            "EventBusName": event_bus_name,
        }])  # fmt: skip
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused the event: {answer['Entries']}")

    return put


def post(url: str, timeout: float = 10.0) -> Target:
    """A target that POSTs each event as JSON to ``url``; an answer that is not 2xx
    raises (urllib's HTTPError), so the Outbox delivers it again."""

    def send(event: dict[str, Any]) -> None:
        request = urllib.request.Request(
            url, data=json.dumps(event).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()

    return send


def json_lines(path: str | os.PathLike[str]) -> Target:
    """A target that appends each event to the file ``path``, one JSON object a line,
    flushed to disk before it returns."""
    target = Path(path)

    def append(event: dict[str, Any]) -> None:
        with target.open("a", encoding="utf-8") as out:
            out.write(json.dumps(event, sort_keys=True) + "\n")
            out.flush()
            os.fsync(out.fileno())

    return append


def http_url(value: str) -> str:
    """``value`` if it is an ``http://`` or ``https://`` URL with a host.

    Raises:
        ValidationException: anything else (naming ``eventbridge_url``).
    """
    parsed = urllib.parse.urlsplit(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationException.for_field(
            "eventbridge_url", f"must be an http:// or https:// URL, got {value!r}"
        )
    return value


class Forwarder:
    """Delivers the status changes of ``backend``'s log to ``target`` from a background
    thread: an Outbox named ``name`` drained every ``interval`` seconds (a failed
    delivery is logged and tried again on the next round; none is lost).
    ``lifecycle serve --eventbridge-url`` runs one."""

    def __init__(
        self, backend: Backend, target: Target, name: str = "eventbridge", interval: float = 0.5
    ) -> None:
        self._outbox = Outbox(backend, name)
        self._deliver = Delivery(backend, target)
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lifecycle-{name}", daemon=True)

    def start(self) -> Forwarder:
        """Start delivering; returns itself."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Deliver what is pending, then stop."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._drain()
        self._drain()  # what is pending at the stop

    def _drain(self) -> None:
        try:
            self._outbox.drain(self._deliver)
        except Exception:
            log.exception("EventBridge delivery failed; it is tried again")
