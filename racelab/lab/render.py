"""Plain-text tables for ``racelab compare`` and ``racelab list``."""

from __future__ import annotations

from racelab.lab.catalogue import Entry
from racelab.lab.compare import Comparison, Row

HEADERS = (
    "variant",
    "remedy",
    "expected",
    "verdict",
    "first failure",
    "exhausted",
    "outcomes",
    "races",
    "lock cycles",
    "cost/run",
    "vs broken",
    "",
)
OUTCOMES_WIDTH = 28


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_outcomes(outcomes: dict[str, int], failed: int = 0) -> str:
    """Most frequent first; schedules that failed before returning count as ``failed``."""
    parts = [f"{k}: {v}" for k, v in sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))]
    if failed:
        parts.append(f"failed: {failed}")
    if not parts:
        return "-"
    text = ", ".join(parts)
    return text if len(text) <= OUTCOMES_WIDTH else text[: OUTCOMES_WIDTH - 3] + "..."


def _first_failure(row: Row) -> str:
    if row.failure_kind is None:
        return "-"
    return f"{row.failure_kind} @ {row.found_after}"


def _cost(row: Row) -> tuple[str, str]:
    if row.cost is None:
        return "-", "-"
    text = format_seconds(row.cost.median_s)
    if row.cost.hung:
        text = f"{text} (hung)" if row.cost.runs else "hung"
    relative = "-" if row.relative_cost is None else f"{row.relative_cost:.2f}x"
    return text, relative


def _cells(row: Row) -> tuple[str, ...]:
    cost, relative = _cost(row)
    return (
        row.label,
        row.variant.remedy,
        str(row.variant.expected),
        row.verdict.upper() if row.verdict == "fail" else row.verdict,
        _first_failure(row),
        "yes" if row.exhausted else f"no ({row.schedules})",
        format_outcomes(row.outcomes, row.schedules - sum(row.outcomes.values())),
        str(row.races),
        str(row.lock_cycles),
        cost,
        relative,
        "" if row.as_expected else "UNEXPECTED",
    )


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths).rstrip())
    return "\n".join(lines)


def render_comparison(comparison: Comparison) -> str:
    title = f"{comparison.scenario_id}: {comparison.summary}" if comparison.summary else comparison.scenario_id
    body = table([_cells(r) for r in comparison.rows], HEADERS)
    replays = [
        f"  replay {r.label}: racelab replay {r.variant.path}::{r.function} {r.replay}"
        for r in comparison.rows
        if r.replay
    ]
    live = [
        f"  {r.label} failed {r.cost.failures} of {r.cost.runs} uncontrolled runs"
        for r in comparison.rows
        if r.cost is not None and r.cost.failures
    ]
    stopped = ["  interrupted: the variants explored so far"] if comparison.interrupted else []
    return "\n".join([title, body, *replays, *live, *stopped])


def render_catalogue(entries: list[Entry]) -> str:
    width = max((len(e.id) for e in entries), default=0)
    return "\n".join(f"{e.id.ljust(width)}  {e.summary}" for e in entries)
