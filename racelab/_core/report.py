"""Rendering results for people (text) and programs (JSON)."""

from __future__ import annotations

import json
import os
import shlex
from typing import Any, Iterable, TextIO

from racelab._core.control import TraceStep, _relpath
from racelab._core.explorer import ScenarioResult

MAX_TRACE = 80


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def replay_command(result: ScenarioResult, token: str, extra: Iterable[str] = ()) -> str:
    parts = ["racelab", "replay", result.id, token, *extra]
    return " ".join(shlex.quote(p) for p in parts)


def render_trace(trace: Iterable[TraceStep], indent: str = "    ") -> list[str]:
    steps = list(trace)
    if not steps:
        return []
    shown: list[TraceStep | None] = list(steps)
    if len(steps) > MAX_TRACE:
        shown = steps[:10] + [None] + steps[-(MAX_TRACE - 10):]
    tw = max(len(s.thread) for s in steps)
    where = [f"{os.path.basename(s.file)}:{s.line}" if s.line else "" for s in steps]
    ww = max(len(w) for w in where)
    by_step = {s.step: w for s, w in zip(steps, where)}
    sw = max(min(len(s.source), 40) for s in steps)
    lines = [f"{indent}{'step':>4}  {'thread':<{tw}}  {'where':<{ww}}  {'source':<{sw}}  operation"]
    previous = None
    for s in shown:
        if s is None:
            lines.append(f"{indent}{'...':>4}  ({len(steps) - MAX_TRACE} steps not shown)")
            continue
        source = s.source if len(s.source) <= 40 else s.source[:37] + "..."
        mark = "*" if previous is not None and previous != s.thread else " "
        lines.append(f"{indent}{s.step:>4} {mark}{s.thread:<{tw}}  {by_step[s.step]:<{ww}}  {source:<{sw}}  {s.op}")
        previous = s.thread
    lines.append(f"{indent}(* marks a switch to another thread)")
    return lines


def render_result(result: ScenarioResult, out: TextIO, *, extra_replay_args: Iterable[str] = (),
                  show_passing_races: bool = True) -> None:
    f = result.failure
    stopped = ", interrupted" if result.interrupted else ""
    if f is None and result.verdict == "inconclusive":
        out.write(f"INCONCLUSIVE  {result.id}  (no failure in {_plural(result.schedules, 'schedule')}, "
                  f"{result.elapsed_s:.2f} s{stopped}; no certificate: racelab did not see everything the scenario did)\n")
        for line in result.unseen:
            out.write(f"    not seen: {line}\n")
    elif f is None:
        certificate = ", exhausted" if result.exhausted else stopped
        if result.exhausted and result.preemption_bound is not None:
            certificate += f": no schedule with at most {_plural(result.preemption_bound, 'preemption')} fails"
        out.write(f"PASS  {result.id}  ({_plural(result.schedules, 'schedule')}{certificate}, "
                  f"{result.elapsed_s:.2f} s)\n")
    else:
        out.write(f"FAIL  {result.id}  ({f.kind})\n")
        out.write(f"    {f.message}\n")
        out.write(f"    in thread {f.thread}; found after {_plural(f.found_after, 'schedule')} "
                  f"({result.elapsed_s:.2f} s); the schedule below has "
                  f"{_plural(f.preemptions, 'preemption')}\n")
        for line in f.details:
            out.write(f"      {line}\n")
        if f.traceback and f.kind in ("assertion", "exception"):
            out.write("    Traceback (racelab frames hidden):\n")
            for line in f.traceback.rstrip().splitlines():
                out.write(f"      {line}\n")
        if f.output:
            lines = f.output.rstrip().splitlines()
            out.write("    Output of this schedule:\n")
            for line in lines[:40]:
                out.write(f"      | {line}\n")
            if len(lines) > 40:
                out.write(f"      | ... ({len(lines) - 40} more lines)\n")
        out.write("\n    Interleaving:\n")
        for line in render_trace(f.trace):
            out.write(line + "\n")
        out.write(f"\n    Replay: {replay_command(result, f.schedule, extra_replay_args)}\n")
    if result.outcomes and (len(result.outcomes) > 1 or result.grades):
        parts = []
        for outcome, count in sorted(result.outcomes.items(), key=lambda kv: -kv[1]):
            grade = result.grades.get(outcome)
            parts.append(f"{outcome} x{count}" + (f" ({grade})" if grade else ""))
        out.write(f"    outcomes: {', '.join(parts)}\n")
    if (result.races and show_passing_races) or result.lock_order:
        from racelab.detect.report import render_all

        for line in render_all(result.races if show_passing_races else [], result.lock_order).rstrip().splitlines():
            out.write(f"    {line}\n")
    out.write("\n")


def render_summary(results: list[ScenarioResult], out: TextIO, *, interrupted: bool = False) -> None:
    failed = sum(1 for r in results if r.verdict == "fail")
    inconclusive = sum(1 for r in results if r.verdict == "inconclusive")
    schedules = sum(r.schedules for r in results)
    races = sum(len(r.races) for r in results)
    text = f"{_plural(len(results), 'scenario')}: {failed} failed, {len(results) - failed - inconclusive} passed"
    if inconclusive:
        text += f", {inconclusive} inconclusive"
    text += f" ({_plural(schedules, 'schedule')} explored"
    if races:
        text += f", {_plural(races, 'data race')} reported"
    text += ")"
    if interrupted:
        text += "; interrupted: these are the results so far"
    out.write(text + "\n")


def to_json(results: list[ScenarioResult], version: str, *, interrupted: bool = False) -> str:
    payload: dict[str, Any] = {"racelab": version, "interrupted": interrupted,
                               "scenarios": [r.to_json() for r in results]}
    return json.dumps(payload, indent=2, default=str)


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    return _relpath(os.path.abspath(path))
