"""The stale view: registrations that have sat in a status longer than a threshold,
dated by their history timestamps, in Python and as ``lifecycle stale``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lifecycle import RegistrationService, ValidationException
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.cli import main
from lifecycle.clock import ManualClock
from lifecycle.stale import duration, stale
from lifecycle.statuses import RegistrationStatus
from lifecycle.testing.forms import fill_form

BRAND = "US_TEN_DLC_BRAND_REGISTRATION"
DAY = timedelta(days=1)


def _brands(service: RegistrationService, clock: ManualClock) -> dict[str, str]:
    """Brands left in several statuses at several ages: each one's id by what it is."""
    made = {}
    for name in ("authenticating", "denied", "complete", "fresh"):
        rid = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
        fill_form(service, rid)
        made[name] = rid
    for name in ("authenticating", "denied", "complete"):
        service.submit_registration_version(RegistrationId=made[name])
        service.reviewer.begin_review(made[name])
    clock.advance(timedelta(hours=1))
    service.reviewer.deny(made["denied"], [{"Reason": "R", "ShortDescription": "no"}])
    service.create_registration_version(RegistrationId=made["denied"])  # still REQUIRES_UPDATES
    service.reviewer.approve(made["complete"])
    service.reviewer.complete_provisioning(made["complete"])
    clock.advance(29 * DAY)
    service.reviewer.require_authentication(made["authenticating"])
    clock.advance(31 * DAY)
    made["new"] = str(service.create_registration(RegistrationType=BRAND)["RegistrationId"])
    return made


def test_the_registrations_waiting_too_long() -> None:
    clock = ManualClock()
    service = RegistrationService(clock=clock)
    start = clock.now()
    made = _brands(service, clock)
    now = clock.now()
    with service.backend.snapshot() as snapshot:
        month = stale(snapshot, 30 * DAY, now)
        two_months = stale(snapshot, 59 * DAY, now)
        complete = stale(snapshot, 30 * DAY, now, {RegistrationStatus.COMPLETE})
    # the longest waiting first; dated by the status's own timestamp
    assert [(s.registration_id, s.status.value) for s in month] == [
        (made["fresh"], "CREATED"), (made["denied"], "REQUIRES_UPDATES"),
        (made["authenticating"], "REQUIRES_AUTHENTICATION"),
    ]  # fmt: skip
    assert month[0].since == start and month[0].age == 60 * DAY + timedelta(hours=1)
    assert month[1].since == start + timedelta(hours=1)
    assert month[2].since == start + timedelta(hours=1) + 29 * DAY and month[2].age == 31 * DAY
    assert [s.registration_id for s in two_months] == [made["fresh"], made["denied"]]
    assert [s.registration_id for s in complete] == [made["complete"]]


def test_lifecycle_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    clock = ManualClock(datetime.now(UTC) - 60 * DAY - timedelta(hours=2))
    made = _brands(RegistrationService(SqliteBackend(db), clock=clock), clock)
    assert main(["stale", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:-1]] == [
        made["fresh"], made["denied"], made["authenticating"]
    ]  # fmt: skip
    assert out[-1].startswith("3 registration(s) in ")
    assert main(["stale", "--db", str(db), "--status", "REQUIRES_AUTHENTICATION",
                 "--older-than", "45d"]) == 0  # fmt: skip
    assert capsys.readouterr().out.startswith("0 registration(s) in REQUIRES_AUTHENTICATION")
    assert main(["stale", "--db", str(db), "--older-than", "a month"]) == 2
    assert "--older-than: must be a number of days" in capsys.readouterr().err
    assert main(["stale", "--db", str(db), "--status", "DONE"]) == 2


def test_durations() -> None:
    assert (duration("30d"), duration("12h"), duration(" 90m ")) == (
        30 * DAY, timedelta(hours=12), timedelta(minutes=90)
    )  # fmt: skip
    for bad in ("30", "-1d", "1.5d", "d", "9999999d"):
        with pytest.raises(ValidationException, match="older_than"):
            duration(bad)


def test_bad_arguments_name_the_field() -> None:
    service = RegistrationService()
    with service.backend.snapshot() as snapshot:
        with pytest.raises(ValidationException, match="older_than"):
            stale(snapshot, "30d", datetime.now(UTC))  # type: ignore[arg-type]
        with pytest.raises(ValidationException, match="now"):
            stale(snapshot, 30 * DAY, datetime(2026, 1, 1))
