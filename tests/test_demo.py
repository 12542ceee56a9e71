"""The main job, ``lifecycle demo``, run as a user runs it."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle import demo
from lifecycle.cli import main


def test_demo_command_runs_and_prints_the_timeline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lifecycle", "demo", "--db", ":memory:"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    expected = [
        ("CreateRegistration", "CREATED", "1 DRAFT"),
        ("SubmitRegistrationVersion", "SUBMITTED", "1 SUBMITTED"),
        ("reviewer: begin_review", "REVIEWING", "1 REVIEWING"),
        ("reviewer: require_authentication", "REQUIRES_AUTHENTICATION",
         "1 REQUIRES_AUTHENTICATION"),
        ("reviewer: complete_authentication", "REVIEWING", "1 REVIEWING"),
        ("reviewer: deny", "REQUIRES_UPDATES", "1 DENIED"),
        ("CreateRegistrationVersion", "REQUIRES_UPDATES", "2 DRAFT"),
        ("SubmitRegistrationVersion", "SUBMITTED", "2 SUBMITTED"),
        ("reviewer: begin_review", "REVIEWING", "2 REVIEWING"),
        ("reviewer: approve", "PROVISIONING", "2 APPROVED"),
        ("reviewer: complete_provisioning", "COMPLETE", "2 APPROVED"),
        *[
            ("CreateRegistration", "CREATED", "1 DRAFT"),
            ("CreateRegistrationAssociation", "CREATED", "1 DRAFT"),
            ("SubmitRegistrationVersion", "SUBMITTED", "1 SUBMITTED"),
            ("reviewer: begin_review", "REVIEWING", "1 REVIEWING"),
            ("reviewer: approve", "PROVISIONING", "1 APPROVED"),
            ("reviewer: complete_provisioning", "COMPLETE", "1 APPROVED"),
        ] * 3,  # the vetting, the campaign, the toll-free registration
    ]  # fmt: skip
    rows = re.findall(r"^  (\S.*?)\s{2,}registration (\S+)\s+version (\d+ \S+)$", out, re.M)
    assert rows == expected
    numbers = re.findall(r"^  \s*(\S.*?)\s{2,}phone number \+1\d{10} (\S+) (\S+)$", out, re.M)
    assert numbers == [
        ("RequestPhoneNumber", "TEN_DLC", "ACTIVE"),  # requested for the COMPLETE campaign
        ("RequestPhoneNumber", "TOLL_FREE", "PENDING"),  # waits for its registration
        ("(its number)", "TOLL_FREE", "ACTIVE"),  # in the step that completes it
        ("ReleasePhoneNumber", "TOLL_FREE", "DELETED"),
    ]
    assert re.search(r"^    \(the last number released\)\s+registration CLOSED ", out, re.M)
    assert "ApprovedTimestamp" in out and "DeniedTimestamp" in out
    assert "RequiresAuthenticationTimestamp" in out
    # Filled in field by field; the denied field flagged on version 1, fixed in 2.
    puts = re.findall(r"^  PutRegistrationFieldValue\s+(\S+) = (.*)$", out, re.M)
    assert len(puts) == 14 + 1 + 17 + 17 and puts[14] == ("companyInfo.taxId", "98-7654321")
    assert "flagged on version 1: companyInfo.taxId = 12-3456789: The tax ID" in out
    upload = re.search(
        r"^  CreateRegistrationAttachment\s+(attachment-\w+) UPLOAD_COMPLETE", out, re.M
    )
    assert upload is not None
    assert ("campaignInfo.optInScreenshot", upload[1]) in puts


def test_demo_in_process_returns_the_service() -> None:
    buffer = io.StringIO()
    service = demo.run(buffer)
    statuses = [r["RegistrationStatus"] for r in service.describe_registrations()["Registrations"]]
    assert statuses == ["COMPLETE", "COMPLETE", "COMPLETE", "CLOSED"]
    assert main(["demo", "--db", ":memory:"]) == 0


def test_default_database_is_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["demo"]) == 0
    database = tmp_path / "lifecycle" / "lifecycle.db"
    assert database.is_file()
    out = capsys.readouterr().out
    rid = re.findall(r"registration-[0-9a-f]{32}", out)[0]
    assert main(["events", "--registration", rid]) == 0
    events = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in events] == [
        "create", *["put_field_value"] * 14, "submit", "begin_review", "require_authentication",
        "complete_authentication", "deny", "create_version", "put_field_value", "submit",
        "begin_review", "approve", "complete_provisioning",
    ]  # fmt: skip
    assert main(["verify"]) == 0
    # 26 events of the brand; 6 of the vetting; 23 of the campaign, 2 of its
    # screenshot's upload and 2 of its number's request; 31 of the toll-free path (its
    # number's request, association, activation and release, the close, an upload).
    assert "4 registrations, 90 events replayed: OK" in capsys.readouterr().out
    # A second run adds to the same file.
    assert main(["demo", "--db", str(database)]) == 0
    capsys.readouterr()
    assert main(["verify", "--db", str(database)]) == 0
    assert "8 registrations, 180 events replayed: OK" in capsys.readouterr().out


def test_cli_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--db", ":memory:", "--registration", "registration-x"]) == 1
    assert "registration-x not found" in capsys.readouterr().err
    assert main(["verify", "--db", str(tmp_path / "missing" / "x.db")]) == 1
    assert "does not exist" in capsys.readouterr().err
