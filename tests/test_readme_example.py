"""The README's harness example runs, as a user would run it, with the pytest plugin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle.testing.forms import fill_form

ROOT = Path(__file__).resolve().parent.parent


def test_readme_harness_example_passes(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- harness example[^>]*-->\n```python\n(.*?)```", readme, re.S)
    assert match, "README.md lost its harness example"
    code = match.group(1)
    assert len(code.strip().splitlines()) < 33  # short enough to read at a glance
    test = tmp_path / "test_brand_workflow.py"
    test.write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "transitions exercised" in done.stdout


def test_readme_boto3_example_runs() -> None:
    pytest.importorskip("boto3", reason="the aws extra is not installed")
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- boto3 example[^>]*-->\n```python\n(.*?)```", readme, re.S)
    assert match, "README.md lost its boto3 example"
    exec(compile(match.group(1), "README.md", "exec"), {})


def test_plugin_fixtures(lifecycle_service, lifecycle_clock) -> None:  # type: ignore[no-untyped-def]
    rid = lifecycle_service.create_registration(RegistrationType="US_TEN_DLC_BRAND_REGISTRATION")[
        "RegistrationId"
    ]
    created = lifecycle_clock.now()
    fill_form(lifecycle_service, rid)
    lifecycle_clock.advance(days=2)
    submitted = lifecycle_service.submit_registration_version(RegistrationId=rid)
    history = submitted["RegistrationVersionStatusHistory"]
    assert (
        history["SubmittedTimestamp"] - history["DraftTimestamp"] == lifecycle_clock.now() - created
    )


def test_without_the_test_extra() -> None:
    """lifecycle.testing names the extra it needs; the plugin loads anyway."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import lifecycle.pytest_plugin\n"
        "try:\n"
        "    import lifecycle.testing\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install 'lifecycle[test]'" in done.stdout
