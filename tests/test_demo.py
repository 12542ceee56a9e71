"""The main job, ``lifecycle demo``, run as a user runs it."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from lifecycle import demo
from lifecycle.cli import main


def test_demo_command_runs_and_prints_the_timeline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lifecycle", "demo"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    expected_first = [
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
        ("CreateRegistration", "CREATED", "1 DRAFT"),
        ("SubmitRegistrationVersion", "SUBMITTED", "1 SUBMITTED"),
        ("DiscardRegistrationVersion", "CREATED", "1 DISCARDED"),
        ("DeleteRegistration", "DELETED", "1 DISCARDED"),
    ]  # fmt: skip
    rows = re.findall(r"^  (\S.*?)\s{2,}registration (\S+)\s+version (\d+ \S+)$", out, re.M)
    assert rows == expected_first
    assert "ApprovedTimestamp" in out and "DeniedTimestamp" in out
    assert "RequiresAuthenticationTimestamp" in out and "DiscardedTimestamp" in out


def test_demo_in_process_returns_the_service() -> None:
    buffer = io.StringIO()
    service = demo.run(buffer)
    statuses = [r["RegistrationStatus"] for r in service.describe_registrations()["Registrations"]]
    assert statuses == ["COMPLETE", "DELETED"]
    assert main(["demo"]) == 0
