"""Diagrams of the lifecycle, drawn from the machines' own transition tables.

Every function reads :data:`lifecycle.machines.VERSION` and
:data:`~lifecycle.machines.REGISTRATION`, which are read from the ``transitions``
machines, so a diagram cannot show a move the library does not enforce (and
``tests/test_diagrams.py`` checks every edge against ``transitions``' own Mermaid
engine). What that engine lacks, this module adds: edges labelled with the API
operation or reviewer event and styled by actor, a legend, marked initial, terminal
and extension states, the coupling of the two machines, and a registration's
actual path with its timestamps.

Text comes in two formats: Mermaid (``flowchart``, which GitHub renders and which,
unlike ``stateDiagram``, can style edges) and Graphviz DOT. :func:`render_svg` turns
DOT into SVG or PNG with Graphviz's ``dot`` program.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import attrs

from lifecycle import aggregate
from lifecycle.errors import ConflictException, ValidationException
from lifecycle.events import TransitionEvent
from lifecycle.machines import (
    ATTACHMENT,
    CLOSING_EVENT,
    INTERNAL_EVENTS,
    NEW,
    NUMBER_FOLLOW_UPS,
    PHONE_NUMBER,
    REGISTRATION,
    VERSION,
    CompiledMachine,
    TransitionSpec,
)
from lifecycle.models import Registration
from lifecycle.statuses import EXTENSION_STATUSES, Actor

ACTOR_COLORS = {Actor.USER: "#1f6feb", Actor.REVIEWER: "#cf222e", Actor.SYSTEM: "#6e7781"}
ACTOR_DOT_STYLES = {Actor.USER: "solid", Actor.REVIEWER: "dashed", Actor.SYSTEM: "dotted"}
ACTOR_MERMAID_DASH = {Actor.USER: "", Actor.REVIEWER: ",stroke-dasharray:6 4",
                      Actor.SYSTEM: ",stroke-dasharray:2 3"}  # fmt: skip
PATH_COLOR = "#1a7f37"
_DOT_STROKES = {Actor.USER: "───▶", Actor.REVIEWER: "─ ─▶", Actor.SYSTEM: "···▶"}

CONDITION_TEXT = {
    "aws_review": "AwsReview",
    "has_approved_version": "a version APPROVED",
    "has_denied_or_revoked_version": "a version DENIED or REVOKED",
    "no_open_version": "no open version",
    "awaits_registration": "a type that awaits a registration (TOLL_FREE)",
    "deletion_protection_enabled": "deletion protection enabled",
    "has_identities": "numbers associated",
    "identities_block_delete": "numbers to release first",
    "associates_after_complete": "ASSOCIATE_AFTER_COMPLETE",
    "registration_complete": "its registration COMPLETE",
}
"""How each machine condition reads on an edge."""

NAMES = ("version", "registration", "overview", "attachment", "phone_number")
"""The diagrams :func:`write` produces."""
FORMATS = ("mermaid", "dot", "svg", "png")
"""The formats :func:`write` knows; SVG and PNG need Graphviz's ``dot``."""
SUFFIX = {"mermaid": "mmd", "dot": "dot", "svg": "svg", "png": "png"}


@attrs.frozen
class Edge:
    """One drawn edge: a transition, or a step a registration took."""

    machine: CompiledMachine
    event: str
    source: str
    dest: str
    label: str
    actor: Actor
    highlight: bool = False


def _condition_label(spec: TransitionSpec, siblings: Sequence[TransitionSpec]) -> str:
    parts = [CONDITION_TEXT.get(c, c) for c in spec.conditions]
    parts += [f"not {CONDITION_TEXT.get(u, u)}" for u in spec.unless]
    if not parts and len(siblings) > 1:
        parts = ["otherwise"]
    return f" [{', '.join(parts)}]" if parts else ""


def edge_label(spec: TransitionSpec, machine: CompiledMachine) -> str:
    """What fires ``spec``: its API operation or reviewer/system event, its conditions,
    and ``(unchanged)`` for an internal transition."""
    what = spec.operations[0] if spec.operations else spec.event
    siblings = machine.candidates(spec.source, spec.event)
    label = what + _condition_label(spec, siblings)
    if spec.event == "archive":
        label += " (with approve)"
    return label + (" (unchanged)" if spec.dest is None else "")


def machine_edges(machine: CompiledMachine) -> list[Edge]:
    """Every transition of ``machine`` as an edge (internal ones as loops)."""
    return [
        Edge(machine, spec.event, spec.source,
             spec.source if spec.dest is None else str(spec.dest), edge_label(spec, machine),
             spec.actor)
        for spec in machine.transitions
    ]  # fmt: skip


def _merged(edges: Sequence[Edge]) -> list[Edge]:
    """One drawn edge per source, destination, actor and highlight, labels stacked:
    parallel edges and loops would otherwise print their labels over each other."""
    groups: dict[tuple[str, str, str, Actor, bool], Edge] = {}
    for edge in edges:
        key = (edge.machine.name, edge.source, edge.dest, edge.actor, edge.highlight)
        known = groups.get(key)
        groups[key] = (
            edge if known is None else attrs.evolve(known, label=f"{known.label}\n{edge.label}")
        )
    return list(groups.values())


def _node_id(machine: CompiledMachine, state: str) -> str:
    return f"{machine.name[0]}_{state}"


def _state_label(state: str) -> str:
    return "new" if state == NEW else state + (" *" if state in EXTENSION_STATUSES else "")


def coupling() -> dict[tuple[str, str, str], list[tuple[str, str]]]:
    """For each registration move ``(from, to, event)``: the version moves that happen
    in the same step, as ``(from, to)`` of the version the event moves.

    Found by exploring every reachable combination of registration status, current
    version status and approved/denied history from a new registration, with the
    library's own step function: the coupling as enforced, not as drawn by hand.
    """
    start = aggregate.create(
        registration_id="registration-0", account_id="000000000000", region="us-east-1",
        registration_type="T", tags=(), now=_EPOCH,
    ).registration  # fmt: skip
    moves: dict[tuple[str, str, str], list[tuple[str, str]]] = {
        (NEW, "CREATED", "create"): [(NEW, "DRAFT")]
    }
    seen = {_abstract(start)}
    todo = [start]
    while todo:
        registration = todo.pop()
        # The system's close too: the release of a registration's last identity fires it.
        for event in (*aggregate.legal_events(registration), CLOSING_EVENT):
            if event in INTERNAL_EVENTS:
                continue  # an edit (of the form or the tags) moves no status
            for aws_review in (False, True) if event == "submit" else (False,):
                try:
                    step = aggregate.step(registration, event, _EPOCH, aws_review=aws_review)
                except (ValidationException, ConflictException):  # close, where refused
                    continue
                first = step.events[0]
                key = (registration.status.value, step.registration.status.value, event)
                if first.version_to is not None:
                    pair = (str(first.version_from or NEW), str(first.version_to))
                    moves.setdefault(key, [])
                    if pair not in moves[key]:
                        moves[key].append(pair)
                else:
                    moves.setdefault(key, [])
                if _abstract(step.registration) not in seen:
                    seen.add(_abstract(step.registration))
                    todo.append(step.registration)
    return moves


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _abstract(registration: Registration) -> tuple[object, ...]:
    conditions = aggregate.Conditions.of(registration)
    return (
        registration.status,
        registration.current_version.status,
        conditions.has_approved_version,
        conditions.has_denied_or_revoked_version,
        registration.approved_version_number == registration.current_version_number,
    )


def coupled_edges() -> list[Edge]:
    """The registration machine's edges, each labelled with its version moves, and with
    what it does to the registration's phone numbers (:data:`NUMBER_FOLLOW_UPS`; the
    release of the last one fires ``close``)."""
    moves = coupling()
    edges = []
    for edge in machine_edges(REGISTRATION):
        pairs = sorted(moves.get((edge.source, edge.dest, edge.event), []))
        label = edge.label
        if pairs:
            by_dest: dict[str, list[str]] = {}
            for v_from, v_to in pairs:
                by_dest.setdefault(v_to, []).append(_state_label(v_from))
            version = "; ".join(f"{'/'.join(src)} → {dst}" for dst, src in by_dest.items())
            label += f"\nversion: {version}"
        follow_up = NUMBER_FOLLOW_UPS.get(edge.dest) if edge.source != edge.dest else None
        if follow_up is not None:
            label += f"\nnumbers: {follow_up} ({_number_moves(follow_up)})"
        if edge.event == CLOSING_EVENT:
            label += "\nby ReleasePhoneNumber of the last number"
        edges.append(attrs.evolve(edge, label=label) if label != edge.label else edge)
    return edges


def _number_moves(event: str) -> str:
    """The moves a phone number makes on ``event``: ``PENDING → ACTIVE``, ``stays``."""
    moves = [f"{spec.source} → {spec.dest}" for spec in PHONE_NUMBER.transitions
             if spec.event == event and spec.dest is not None]  # fmt: skip
    return ", ".join(moves) or "status stays"


# -- Mermaid -----------------------------------------------------------------------


def _mermaid(
    title: str,
    machines: Sequence[CompiledMachine],
    edges: Sequence[Edge],
    current: Iterable[str] = (),
) -> str:
    lines = ["---", f"title: {_mermaid_text(title)}", "---", "flowchart LR"]
    lines += [
        "  classDef initial fill:#24292f,stroke:#24292f,color:#ffffff",
        "  classDef terminal stroke-width:4px",
        "  classDef extension stroke-dasharray:5 3",
        f"  classDef current fill:{PATH_COLOR},color:#ffffff,stroke:{PATH_COLOR}",
    ]
    current = set(current)
    for machine in machines:
        if len(machines) > 1:
            lines.append(f"  subgraph {machine.name}[{machine.name} status]")
        finals = machine.final_states()
        for state in machine.states:
            node = _node_id(machine, state)
            shape = f"(({_state_label(state)}))" if state == NEW else f"([{_state_label(state)}])"
            classes = [c for c, on in (
                ("initial", state == NEW), ("terminal", state in finals),
                ("extension", state in EXTENSION_STATUSES), ("current", node in current),
            ) if on]  # fmt: skip
            lines.append(f"    {node}{shape}")
            if classes:
                lines.append(f"    class {node} {','.join(classes)}")
        if len(machines) > 1:
            lines.append("  end")
    styles = []
    edges = _merged(edges)
    for n, edge in enumerate(edges):
        source, dest = _node_id(edge.machine, edge.source), _node_id(edge.machine, edge.dest)
        lines.append(f"  {source} -->|{_mermaid_text(edge.label)}| {dest}")
        color = PATH_COLOR if edge.highlight else ACTOR_COLORS[edge.actor]
        width = "4px" if edge.highlight else "1.5px"
        styles.append(
            f"  linkStyle {n} stroke:{color},stroke-width:{width}{ACTOR_MERMAID_DASH[edge.actor]}"
        )
    n = len(edges)
    lines += ["  subgraph legend[legend]", "    direction LR"]
    for actor in Actor:
        lines.append(
            f'    legend_{actor.value}_a[" "] -->|{actor.value}| legend_{actor.value}_b[" "]'
        )
        styles.append(
            f"  linkStyle {n} stroke:{ACTOR_COLORS[actor]},stroke-width:1.5px"
            f"{ACTOR_MERMAID_DASH[actor]}"
        )
        n += 1
    lines += [
        "    legend_initial((new)):::initial",
        "    legend_terminal([terminal]):::terminal",
        "    legend_extension([extension *]):::extension",
        "    legend_current([current]):::current",
        "  end",
    ]
    return "\n".join(lines + styles) + "\n"


def _mermaid_text(text: str) -> str:
    """``text`` as a quoted Mermaid string: line breaks as ``<br/>``, quotes escaped."""
    return '"' + text.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def version_mermaid() -> str:
    """The version machine as a Mermaid flowchart."""
    return _mermaid("Registration version status", [VERSION], machine_edges(VERSION))


def registration_mermaid() -> str:
    """The registration machine as a Mermaid flowchart."""
    return _mermaid("Registration status", [REGISTRATION], machine_edges(REGISTRATION))


def attachment_mermaid() -> str:
    """The attachment machine as a Mermaid flowchart."""
    return _mermaid("Registration attachment status", [ATTACHMENT], machine_edges(ATTACHMENT))


_OVERVIEW = "Registration lifecycle: each registration move with the version move it carries"


def phone_number_mermaid() -> str:
    """The phone number machine as a Mermaid flowchart."""
    return _mermaid("Phone number status", [PHONE_NUMBER], machine_edges(PHONE_NUMBER))


def overview_mermaid() -> str:
    """Both machines; each registration edge names the version moves of the same step."""
    return _mermaid(_OVERVIEW, [REGISTRATION, VERSION],
                    coupled_edges() + machine_edges(VERSION))  # fmt: skip


# -- DOT ---------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot(
    title: str,
    machines: Sequence[CompiledMachine],
    edges: Sequence[Edge],
    current: Iterable[str] = (),
) -> str:
    current = set(current)
    lines = [
        "digraph lifecycle {",
        f"  label={_dot_quote(title)}; labelloc=t; fontsize=20; fontname=Helvetica;",
        "  rankdir=LR; nodesep=0.5; ranksep=0.9; newrank=true;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f6f8fa", color="#57606a",'
        " fontname=Helvetica, fontsize=12];",
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    for machine in machines:
        indent = "  "
        if len(machines) > 1:
            lines.append(f"  subgraph cluster_{machine.name} {{")
            lines.append(f'    label={_dot_quote(machine.name + " status")}; color="#d0d7de";')
            indent = "    "
        finals = machine.final_states()
        for state in machine.states:
            node = _node_id(machine, state)
            attrs_ = [f"label={_dot_quote(_state_label(state))}"]
            if state == NEW:
                attrs_ = ['label=""', "shape=circle", "width=0.25", 'fillcolor="#24292f"']
            if state in finals:
                attrs_.append("peripheries=2")
            if state in EXTENSION_STATUSES:
                attrs_.append('style="rounded,filled,dashed"')
            if node in current:
                attrs_ += [f'fillcolor="{PATH_COLOR}"', 'fontcolor="#ffffff"', "penwidth=2"]
            lines.append(f"{indent}{node} [{', '.join(attrs_)}];")
        if len(machines) > 1:
            lines.append("  }")
    for edge in _merged(edges):
        color = PATH_COLOR if edge.highlight else ACTOR_COLORS[edge.actor]
        lines.append(
            f"  {_node_id(edge.machine, edge.source)} -> {_node_id(edge.machine, edge.dest)} "
            f'[label={_dot_quote(edge.label)}, color="{color}", fontcolor="{color}", '
            f"style={ACTOR_DOT_STYLES[edge.actor]}, penwidth={3 if edge.highlight else 1.2}];"
        )
    rows = "".join(
        f'<tr><td><font color="{ACTOR_COLORS[a]}">{_DOT_STROKES[a]}</font></td>'
        f"<td>{a.value}</td></tr>"
        for a in Actor
    )
    lines += [
        "  legend [shape=plain, fontsize=10, label=<"
        '<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
        '<tr><td colspan="2"><b>legend</b></td></tr>'
        f"{rows}"
        "<tr><td>●</td><td>initial (new)</td></tr>"
        "<tr><td>double border</td><td>terminal</td></tr>"
        "<tr><td>dashed border, *</td><td>extension status</td></tr>"
        f'<tr><td><font color="{PATH_COLOR}">━━▶</font></td><td>path taken</td></tr>'
        "</table>>];",
        "}",
    ]
    return "\n".join(lines) + "\n"


def version_dot() -> str:
    """The version machine as Graphviz DOT."""
    return _dot("Registration version status", [VERSION], machine_edges(VERSION))


def registration_dot() -> str:
    """The registration machine as Graphviz DOT."""
    return _dot("Registration status", [REGISTRATION], machine_edges(REGISTRATION))


def attachment_dot() -> str:
    """The attachment machine as Graphviz DOT."""
    return _dot("Registration attachment status", [ATTACHMENT], machine_edges(ATTACHMENT))


def phone_number_dot() -> str:
    """The phone number machine as Graphviz DOT."""
    return _dot("Phone number status", [PHONE_NUMBER], machine_edges(PHONE_NUMBER))


def overview_dot() -> str:
    """The overview of :func:`overview_mermaid` as Graphviz DOT."""
    return _dot(_OVERVIEW, [REGISTRATION, VERSION], coupled_edges() + machine_edges(VERSION))


# -- one registration --------------------------------------------------------------


def _path(
    registration: Registration, events: Sequence[TransitionEvent]
) -> tuple[list[Edge], set[str], str]:
    """Both machines' edges with the taken ones highlighted and annotated (steps
    numbered by status move: form edits and tag changes move none and are left out);
    the current nodes; a title."""
    taken: dict[tuple[str, str, str, str], list[str]] = {}
    moves = [event for event in events if event.event not in INTERNAL_EVENTS]
    for step, event in enumerate(moves, start=1):
        when = _short(event.timestamp)
        if event.version_to is not None:
            key = (VERSION.name, event.event, event.version_from or NEW, str(event.version_to))
            taken.setdefault(key, []).append(f"({step}) v{event.version_number} {when}")
        if event.registration_to is not None:
            r_from = event.registration_from or NEW
            key = (REGISTRATION.name, event.event, r_from, str(event.registration_to))
            taken.setdefault(key, []).append(f"({step}) {when}")
    edges = []
    for edge in machine_edges(VERSION) + machine_edges(REGISTRATION):
        key = (edge.machine.name, edge.event, edge.source, edge.dest)
        if key in taken:
            # Conditional twins share source, event and destination: mark the first.
            label = edge.label + "\n" + "\n".join(taken.pop(key))
            edge = attrs.evolve(edge, label=label, highlight=True)
        edges.append(edge)
    current = {
        _node_id(REGISTRATION, registration.status.value),
        _node_id(VERSION, registration.current_version.status.value),
    }
    title = (
        f"{registration.registration_id} ({registration.registration_type}): "
        f"{registration.status.value}, version {registration.current_version_number} "
        f"{registration.current_version.status.value}"
    )
    return edges, current, title


def _short(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def registration_view_mermaid(registration: Registration, events: Sequence[TransitionEvent]) -> str:
    """One registration: its current states filled, the path it took highlighted, each
    step numbered and timed (Mermaid)."""
    edges, current, title = _path(registration, events)
    return _mermaid(title, [VERSION, REGISTRATION], edges, current)


def registration_view_dot(registration: Registration, events: Sequence[TransitionEvent]) -> str:
    """The same view as :func:`registration_view_mermaid`, as Graphviz DOT."""
    edges, current, title = _path(registration, events)
    return _dot(title, [VERSION, REGISTRATION], edges, current)


# -- files -------------------------------------------------------------------------


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is on the PATH (needed for SVG and PNG)."""
    return shutil.which("dot") is not None


def render_svg(dot_source: str, fmt: str = "svg") -> bytes:
    """``dot_source`` rendered by Graphviz (``fmt``: ``svg`` or ``png``).

    Raises:
        ValidationException: ``dot`` is not installed (named, with how to install it),
            or it rejected the source.
    """
    if fmt not in ("svg", "png"):
        raise ValidationException.for_field("fmt", "must be svg or png")
    if not graphviz_available():
        raise ValidationException.for_field(
            "format", "needs Graphviz's dot program: apt-get install graphviz"
        )
    done = subprocess.run(["dot", f"-T{fmt}"], input=dot_source.encode(), capture_output=True)
    if done.returncode != 0:
        raise ValidationException.for_field("dot", done.stderr.decode(errors="replace").strip())
    return done.stdout


def machine_sources() -> dict[str, tuple[str, str]]:
    """Mermaid and DOT text of each diagram of :data:`NAMES`."""
    return {
        "version": (version_mermaid(), version_dot()),
        "registration": (registration_mermaid(), registration_dot()),
        "overview": (overview_mermaid(), overview_dot()),
        "attachment": (attachment_mermaid(), attachment_dot()),
        "phone_number": (phone_number_mermaid(), phone_number_dot()),
    }


def write(
    out: Path,
    formats: Sequence[str] = FORMATS[:3],
    sources: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[Path], list[str]]:
    """Write each diagram in each of ``formats`` into ``out``.

    SVG and PNG are skipped, not failed, when Graphviz is missing.

    Returns:
        (files written, formats skipped).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValidationException.for_field(
            "format", f"unknown {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    out.mkdir(parents=True, exist_ok=True)
    sources = machine_sources() if sources is None else sources
    skipped = [f for f in formats if f in ("svg", "png") and not graphviz_available()]
    written = []
    for name, (mermaid, dot) in sources.items():
        for fmt in formats:
            if fmt in skipped:
                continue
            path = out / f"{name}.{SUFFIX[fmt]}"
            if fmt == "mermaid":
                path.write_text(mermaid)
            elif fmt == "dot":
                path.write_text(dot)
            else:
                path.write_bytes(render_svg(dot, fmt))
            written.append(path)
    return written, skipped
