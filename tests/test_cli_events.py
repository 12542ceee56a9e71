"""``lifecycle events`` and ``diagrams --registration``: ids, ARNs, unknown registrations;
and the demo's hint, which must run as printed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from lifecycle import RegistrationService
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.cli import main
from tests.conftest import FILLED, new_id


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str, str]:
    """(database, id, ARN) of a submitted registration in a SQLite file."""
    db = tmp_path / "store.db"
    service = RegistrationService(SqliteBackend(db))
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    arn = service.describe_registrations(RegistrationIds=[rid])["Registrations"][0]
    return db, rid, arn["RegistrationArn"]


def test_events_by_id_or_arn(
    stored: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, rid, arn = stored
    assert main(["events", "--db", str(db), "--registration", rid]) == 0
    by_id = capsys.readouterr().out
    assert [line.split()[2] for line in by_id.splitlines()] == [
        "create", *["put_field_value"] * FILLED, "submit"
    ]  # fmt: skip
    assert main(["events", "--db", str(db), "--registration", arn]) == 0
    assert capsys.readouterr().out == by_id


@pytest.mark.parametrize(
    "value",
    [
        "registration-" + "0" * 32,  # no such id
        "arn:aws:sms-voice:us-east-1:999999999999:registration/{rid}",  # another account's
        "arn:aws:sms-voice:eu-west-1:123456789012:registration/{rid}",  # another region's
        "arn:aws:sms-voice:us-east-1:123456789012:pool/{rid}",  # not a registration
    ],
)
def test_unknown_registrations_are_not_found(
    stored: tuple[Path, str, str], capsys: pytest.CaptureFixture[str], value: str
) -> None:
    db, rid, _ = stored
    value = value.format(rid=rid)
    for command in (["events"], ["diagrams", "--out", str(db.parent / "out")]):
        assert main([*command, "--db", str(db), "--registration", value]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (
            f"lifecycle: ResourceNotFoundException: Registration {value} not found: "
            "the database holds no registration by that id or ARN.\n"
        )
    assert not (db.parent / "out").exists()


def test_diagrams_of_a_registration_named_by_arn(stored: tuple[Path, str, str]) -> None:
    db, rid, arn = stored
    out = db.parent / "out"
    assert main(["diagrams", "--db", str(db), "--registration", arn, "--out", str(out),
                 "--format", "mermaid"]) == 0  # fmt: skip
    assert [p.name for p in out.iterdir()] == [f"{rid}.mmd"]


def _hints(out: str) -> list[list[str]]:
    """The commands the demo's hints print, as argument lists."""
    return [shlex.split(h) for h in re.findall(r"^  \((lifecycle events .*) prints its log\)$",
                                               out, re.M)]  # fmt: skip


def test_the_demo_hint_repeats_its_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "a dir" / "demo.db"
    db.parent.mkdir()
    assert main(["demo", "--db", str(db)]) == 0
    hints = _hints(capsys.readouterr().out)
    assert len(hints) == 4  # the brand, the vetting, the campaign, the toll-free one
    for hint in hints:
        assert hint[:4] == ["lifecycle", "events", "--db", str(db)]
        assert main(hint[1:]) == 0  # runs as printed, on the demo's database
        assert capsys.readouterr().out.splitlines()[0].split()[2] == "create"


def test_the_demo_hint_without_db_uses_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["demo"]) == 0
    hint = _hints(capsys.readouterr().out)[0]
    assert hint[:3] == ["lifecycle", "events", "--registration"]
    assert main(hint[1:]) == 0


def test_an_in_memory_demo_prints_no_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--db", ":memory:"]) == 0
    out = capsys.readouterr().out
    assert "Registration registration-" in out and "lifecycle events" not in out
