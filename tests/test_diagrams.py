"""Diagrams: drawn from the machines, current in the repository, readable without Graphviz."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from transitions.extensions import GraphMachine

from lifecycle import RegistrationService, diagrams
from lifecycle.backends.sqlite import SqliteBackend
from lifecycle.cli import main
from lifecycle.machines import NEW, REGISTRATION, VERSION, CompiledMachine
from tests.conftest import new_id

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "run: lifecycle diagrams --format mermaid,dot,svg,png"


def _transitions_mermaid_edges(machine: CompiledMachine) -> set[tuple[str, str, str]]:
    """(source, dest, event) of every edge ``transitions``' own Mermaid engine draws."""
    graph = GraphMachine(
        states=list(machine.states),
        initial=NEW,
        auto_transitions=False,
        graph_engine="mermaid",
        transitions=[
            {
                "trigger": s.event,
                "source": s.source,
                "dest": None if s.dest is None else str(s.dest),
                "conditions": list(s.conditions),
                "unless": list(s.unless),
            }
            for s in machine.transitions
        ],
    )
    edges = set()
    for line in graph.get_graph().source.splitlines():
        match = re.fullmatch(r"\s*(\S+) --> (\S+): (.*)", line)
        if match and match.group(1) != "[*]":
            for label in match.group(3).split(" | "):
                edges.add((match.group(1), match.group(2), label.split(" ")[0]))
    return edges


@pytest.mark.parametrize("machine", [VERSION, REGISTRATION], ids=lambda m: m.name)
def test_edges_are_those_of_the_transitions_engine(machine: CompiledMachine) -> None:
    ours = {(e.source, e.dest, e.event) for e in diagrams.machine_edges(machine)}
    assert ours == _transitions_mermaid_edges(machine)
    assert len(ours) > 10


def test_committed_text_diagrams_are_current() -> None:
    for name, (mermaid, dot) in diagrams.machine_sources().items():
        for suffix, text in (("mmd", mermaid), ("dot", dot)):
            path = ROOT / "diagrams" / f"{name}.{suffix}"
            assert path.is_file(), f"{path} is missing; {REGENERATE}"
            assert path.read_text() == text, f"{path} is stale; {REGENERATE}"


@pytest.mark.skipif(not diagrams.graphviz_available(), reason="Graphviz's dot is not installed")
def test_committed_svg_and_png_are_current() -> None:
    for name, (_, dot) in diagrams.machine_sources().items():
        for fmt in ("svg", "png"):
            path = ROOT / "diagrams" / f"{name}.{fmt}"
            assert path.is_file(), f"{path} is missing; {REGENERATE}"
            assert path.read_bytes() == diagrams.render_svg(dot, fmt), (
                f"{path} is stale; {REGENERATE}"
            )


def test_readme_embeds_the_current_machine_diagrams() -> None:
    readme = (ROOT / "README.md").read_text()
    for text in (diagrams.version_mermaid(), diagrams.registration_mermaid()):
        assert f"```mermaid\n{text}```" in readme, (
            "README.md embeds a stale diagram: copy diagrams/version.mmd and "
            "diagrams/registration.mmd into its mermaid blocks"
        )
    assert "diagrams/overview.png" in readme


def test_labels_styles_and_marks() -> None:
    dot = diagrams.version_dot()
    mermaid = diagrams.version_mermaid()
    # user edges carry the API operation, reviewer edges the event; styled by actor
    assert re.search(r'v_DRAFT -> v_SUBMITTED \[label="SubmitRegistrationVersion \[otherwise\]", '
                     r'color="#1f6feb".*style=solid', dot)  # fmt: skip
    assert re.search(r'v_REVIEWING -> v_APPROVED \[label="approve", color="#cf222e".*style=dashed',
                     dot)  # fmt: skip
    assert re.search(r'v_APPROVED -> v_ARCHIVED \[label="archive \(with approve\)".*style=dotted',
                     dot)  # fmt: skip
    # initial, terminal and extension states
    assert 'v_new [label="", shape=circle' in dot
    for terminal in ("DISCARDED", "DENIED", "REVOKED", "ARCHIVED"):
        assert re.search(rf"v_{terminal} \[[^]]*peripheries=2", dot)
        assert f"class v_{terminal} terminal" in mermaid
    assert re.search(r'v_AWS_REVIEWING \[label="AWS_REVIEWING \*".*dashed', dot)
    assert "v_REQUIRES_OFFLINE_REVIEW([REQUIRES_OFFLINE_REVIEW *])" in mermaid
    assert "legend" in dot and "subgraph legend[legend]" in mermaid
    # the overview labels registration moves with the version moves they carry
    overview = diagrams.overview_dot()
    assert 'r_SUBMITTED -> r_REVIEWING [label="begin_review\\nversion: SUBMITTED → REVIEWING"' in (
        overview
    )
    assert "version: REQUIRES_OFFLINE_REVIEW */REVIEWING → APPROVED" in overview


def test_coupling_is_what_the_library_enforces() -> None:
    moves = diagrams.coupling()
    assert sorted(moves[("REVIEWING", "PROVISIONING", "approve")]) == [
        ("REQUIRES_OFFLINE_REVIEW", "APPROVED"), ("REVIEWING", "APPROVED")
    ]  # fmt: skip
    assert moves[("SUBMITTED", "CREATED", "discard")] == [("SUBMITTED", "DISCARDED")]
    assert moves[("COMPLETE", "CLOSED", "close")] == []
    assert ("REVIEWING", "REQUIRES_UPDATES", "deny") in moves
    assert not any(event.endswith("_field_value") for _, _, event in moves)  # version only


def test_registration_view_from_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    service = RegistrationService(SqliteBackend(db))
    rid = new_id(service)
    service.submit_registration_version(RegistrationId=rid)
    service.reviewer.begin_review(rid)
    out = tmp_path / "out"
    assert main(["diagrams", "--db", str(db), "--registration", rid, "--out", str(out),
                 "--format", "mermaid,dot"]) == 0  # fmt: skip
    dot = (out / f"{rid}.dot").read_text()
    mermaid = (out / f"{rid}.mmd").read_text()
    assert rid in dot and "REVIEWING, version 1 REVIEWING" in dot
    assert re.search(r'r_REVIEWING \[label="REVIEWING", fillcolor="#1a7f37"', dot)
    assert re.search(r'v_REVIEWING \[label="REVIEWING", fillcolor="#1a7f37"', dot)
    assert re.search(r'r_SUBMITTED -> r_REVIEWING \[label="begin_review\\n\(3\) \d{4}-', dot)
    assert "class r_REVIEWING current" in mermaid
    assert main(["diagrams", "--db", str(db), "--registration", "registration-nope",
                 "--out", str(out)]) == 1  # fmt: skip
    assert "no registration" in capsys.readouterr().err


def test_without_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not diagrams.graphviz_available()
    assert main(["diagrams", "--out", str(tmp_path / "a")]) == 0
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert written == sorted(f"{n}.{s}" for n in diagrams.NAMES for s in ("mmd", "dot"))
    err = capsys.readouterr().err
    assert "skipped svg" in err and "apt-get install graphviz" in err
    assert main(["diagrams", "--out", str(tmp_path / "b"), "--format", "dot,svg"]) == 1
    assert "skipped svg" in capsys.readouterr().err
    assert (tmp_path / "b" / "version.dot").is_file()


def test_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagrams", "--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown 'pdf'" in capsys.readouterr().err
