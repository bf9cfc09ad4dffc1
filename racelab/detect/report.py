"""Text renderings of race and lock-order reports, in the style of ThreadSanitizer and Go."""

from __future__ import annotations

from racelab._core.control import _relpath as display_path
from racelab.detect.records import Access, LockCycle, LockEdge, Race

RULE = "=================="


def _side(label: str, access: Access) -> list[str]:
    lines = [f"  {label} by thread {access.thread!r} at {display_path(access.file)}:{access.line}"]
    if access.source:
        lines.append(f"      {access.source}")
    return lines


def render_race(race: Race) -> str:
    second = str(race.second.op).capitalize()
    lines = [f"WARNING: DATA RACE ({race.kind}) on {race.location}"]
    lines += _side(second, race.second)
    lines += _side(f"Previous {race.first.op}", race.first)
    if race.schedule is not None:
        lines.append(f"  Seen in schedule {race.schedule}")
    return "\n".join(lines)


def _edge_lines(edge: LockEdge) -> list[str]:
    held = f"{display_path(edge.held_file)}:{edge.held_line}"
    lines = [
        f"  Lock {edge.to} acquired by thread {edge.thread!r} at {display_path(edge.file)}:{edge.line}"
        f" while holding lock {edge.from_} (taken at {held})"
    ]
    if edge.source:
        lines.append(f"      {edge.source}")
    return lines


def render_cycle(cycle: LockCycle) -> str:
    chain = " => ".join([*cycle.cycle, cycle.cycle[0]])
    lines = [f"WARNING: LOCK-ORDER INVERSION (potential deadlock) among {len(cycle.cycle)} locks", f"  Cycle: {chain}"]
    for edge in cycle.edges:
        lines += _edge_lines(edge)
    return "\n".join(lines)


def render_all(races: list[Race], cycles: list[LockCycle]) -> str:
    """The whole report, one block per finding between rules, and a summary line."""
    blocks = [render_race(race) for race in races] + [render_cycle(cycle) for cycle in cycles]
    summary = f"racelab: {len(races)} data race(s), {len(cycles)} lock-order inversion(s)"
    if not blocks:
        return summary
    return "\n".join(f"{RULE}\n{block}" for block in blocks) + f"\n{RULE}\n{summary}"
