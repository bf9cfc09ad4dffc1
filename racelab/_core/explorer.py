"""The search: load scenarios, run executions under a strategy, shrink, report.

The explorer is the only caller of a scenario function (through ``Execution.run``): it
counts executions, keeps the outcome histogram, feeds detectors, stops at the first
failure, and then

1. shrinks the failing schedule to the fewest preemptions that still fail the same way
   (bounded DFS with bound 0, 1, ... below the failing schedule's count, within a small
   budget), and
2. replays that schedule once more in verbose mode to produce the trace people read.

An execution can also be *cut* (``Execution.cut``): Ctrl-C, the time limit running out in
the middle of it, or a thread stuck where racelab cannot see (the watchdog of
``racelab._core.control``). A cut execution that did not finish its scenario is not graded
and ends the search: after Ctrl-C the result so far is returned with ``interrupted`` set; a
stuck thread is recorded once among what racelab did not see, so the verdict is
``inconclusive``.
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import inspect
import os
import threading
import time
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from racelab._core import control, schedule
from racelab._core.control import Cut, Execution, FailureKind, RawFailure, TraceStep
from racelab._core.patching import Patcher
from racelab.errors import RacelabError, ScenarioError, UsageError
from racelab.instrument import hook
from racelab.strategies import DFSStrategy, DPORStrategy, PCTStrategy, PortfolioStrategy, RandomStrategy, ReplayStrategy
from racelab.strategies.dpor import BoundedDPORStrategy
from racelab.strategies.base import Strategy

_real_monotonic = time.monotonic
_MAIN_THREAD = threading.main_thread()
GRADES = ("acceptable", "interesting", "forbidden")


@dataclass(frozen=True)
class Settings:
    """How to explore. ``None`` fields take their defaults (see ``DEFAULTS``)."""

    strategy: str | None = None
    seed: int | None = None
    max_schedules: int | None = None
    time_limit: float | None = None
    preemption_bound: int | None = None
    depth: int | None = None
    max_steps: int | None = None
    max_threads: int | None = None
    fail_on_race: bool | None = None
    detect: bool | None = None
    shrink: bool | None = None
    #: Real seconds a thread may run without reaching a scheduling point before it counts as stuck.
    stall_timeout: float | None = None
    instrument: tuple[str, ...] = ()
    #: Modules of the program's own project that are *not* to be instrumented.
    no_instrument: tuple[str, ...] = ()

    def over(self, base: "Settings") -> "Settings":
        """These settings where given, ``base`` elsewhere (module lists: both)."""
        values = {}
        for f in dataclasses.fields(self):
            mine = getattr(self, f.name)
            if f.name in ("instrument", "no_instrument"):
                values[f.name] = tuple(getattr(base, f.name)) + tuple(mine)
            else:
                values[f.name] = getattr(base, f.name) if mine is None else mine
        return Settings(**values)

    def value(self, name: str) -> Any:
        mine = getattr(self, name)
        return getattr(DEFAULTS, name) if mine is None else mine


DEFAULTS = Settings(strategy="portfolio", seed=0, max_schedules=1000, time_limit=10.0, preemption_bound=2,
                    depth=3, max_steps=20000, max_threads=64, fail_on_race=False, detect=True, shrink=True,
                    stall_timeout=control.STALL_TIMEOUT)
_SETTING_NAMES = {f.name for f in dataclasses.fields(Settings)}


@dataclass(frozen=True)
class ScenarioSpec:
    id: str
    path: str
    name: str
    func: Callable[[], Any]
    doc: str
    settings: Settings
    outcomes: dict[str, str]


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str
    thread: str
    found_after: int
    schedule: str
    trace: tuple[TraceStep, ...]
    preemptions: int
    details: tuple[str, ...] = ()
    traceback: str = ""
    output: str = ""  # what the failing schedule printed

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "thread": self.thread,
                "found_after": self.found_after, "schedule": self.schedule,
                "trace": [s.to_json() for s in self.trace]}


@dataclass
class ScenarioResult:
    id: str
    verdict: str
    exhausted: bool
    schedules: int
    elapsed_s: float
    failure: Failure | None
    outcomes: dict[str, int] = field(default_factory=dict)
    grades: dict[str, str] = field(default_factory=dict)
    races: list[Any] = field(default_factory=list)
    lock_order: list[Any] = field(default_factory=list)
    strategy: str = ""
    doc: str = ""
    trace: tuple[TraceStep, ...] = ()
    #: What the explored executions did that racelab could not see (one line each); any
    #: entry makes the verdict ``inconclusive`` when nothing failed.
    unseen: tuple[str, ...] = ()
    #: The modules that were instrumented for it (its own file included).
    instrumented: tuple[str, ...] = ()
    #: The search was stopped by Ctrl-C: these are the results so far.
    interrupted: bool = False
    #: ``exhausted`` covers the schedules with at most this many preemptions (None: every schedule).
    preemption_bound: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "verdict": self.verdict, "exhausted": self.exhausted,
                "preemption_bound": self.preemption_bound,
                "schedules": self.schedules, "elapsed_s": round(self.elapsed_s, 4),
                "unseen": list(self.unseen), "instrumented": list(self.instrumented),
                "failure": None if self.failure is None else self.failure.to_json(),
                "races": [r.to_json() if hasattr(r, "to_json") else r for r in self.races],
                "lock_order": [c.to_json() if hasattr(c, "to_json") else c for c in self.lock_order],
                "outcomes": dict(self.outcomes)}


# ---------------------------------------------------------------------------------------
# the decorator


def scenario(func: Callable[[], Any] | None = None, /, *, outcomes: dict[Any, str] | None = None,
             **settings: Any) -> Any:
    """Mark a function as a scenario, optionally with settings and graded outcomes.

    ``@racelab.scenario`` or ``@racelab.scenario(max_schedules=500, outcomes={2: "acceptable",
    1: "forbidden"})``. Outcome keys are matched against the repr of the returned value.
    """
    unknown = set(settings) - _SETTING_NAMES
    if unknown:
        raise TypeError(f"racelab.scenario got unknown settings: {', '.join(sorted(unknown))}")
    if outcomes is not None:
        for grade in outcomes.values():
            if grade not in GRADES:
                raise ValueError(f"outcome grade must be one of {', '.join(GRADES)}, not {grade!r}")

    def mark(fn: Callable[[], Any]) -> Callable[[], Any]:
        fn.__racelab_settings__ = Settings(**settings)  # type: ignore[attr-defined]
        fn.__racelab_outcomes__ = {repr(k): v for k, v in (outcomes or {}).items()}  # type: ignore[attr-defined]
        return fn

    return mark(func) if func is not None else mark


# ---------------------------------------------------------------------------------------
# loading


def _split_target(target: str) -> tuple[str, str | None]:
    path, sep, name = target.partition("::")
    return path, (name or None) if sep else None


def _files(path: str) -> list[str]:
    if os.path.isdir(path):
        return sorted(os.path.join(path, f) for f in os.listdir(path)
                      if f.endswith(".py") and not f.startswith("_"))
    if not os.path.exists(path):
        raise UsageError(f"no such file or directory: {path}")
    if not path.endswith(".py"):
        raise UsageError(f"not a Python file: {path}")
    return [path]


def _display(path: str) -> str:
    return control._relpath(os.path.abspath(path))


def _specs_in(module: Any, path: str, only: str | None, strict: bool = True) -> list[ScenarioSpec]:
    specs = []
    for name, obj in vars(module).items():
        if not inspect.isfunction(obj) or obj.__module__ != module.__name__:
            continue
        marked = hasattr(obj, "__racelab_settings__")
        if not (marked or name.startswith("scenario_")):
            continue
        if only is not None and name != only:
            continue
        params = [p for p in inspect.signature(obj).parameters.values()
                  if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if params:
            raise ScenarioError(f"{_display(path)}::{name} takes arguments ({', '.join(p.name for p in params)}); "
                                "a scenario takes none")
        doc = inspect.getdoc(obj) or inspect.getdoc(module) or ""
        specs.append(ScenarioSpec(f"{_display(path)}::{name}", path, name, obj, doc,
                                  getattr(obj, "__racelab_settings__", Settings()),
                                  getattr(obj, "__racelab_outcomes__", {})))
    if only is not None and not specs and strict:
        raise UsageError(f"no scenario named {only!r} in {_display(path)}")
    return specs


class _World:
    """Patches, instrumentation and the imported scenario modules of one explore call.

    Instrumented: the modules named in ``instrument``, and every module of the program's
    own project (``hook.project_roots`` of ``files``) but those in ``exclude``.

    While it is active the first Ctrl-C stops the exploration gracefully (``control.interrupt``);
    on leaving, a world whose caller does not collect partial results (``keep_interrupt``)
    raises ``KeyboardInterrupt`` then, once everything is put back.
    """

    def __init__(self, instrument: Sequence[str], files: Sequence[str] = (), exclude: Sequence[str] = (), *,
                 keep_interrupt: bool = False) -> None:
        self.instrument = list(instrument)
        self.files = [os.path.abspath(f) for f in files]
        self.exclude = list(exclude)
        self.keep_interrupt = keep_interrupt

    def __enter__(self) -> "_World":
        self.patcher = Patcher()
        self._saved_path = list(sys.path)
        for f in self.files:  # (first: the roots include the scenarios' own directories)
            if os.path.dirname(f) not in sys.path:
                sys.path.insert(0, os.path.dirname(f))
        self.hook = hook.Instrumentation(self.instrument, hook.project_roots(self.files), self.exclude)
        self.hook.__enter__()
        try:
            self.hook.check_names()
            from racelab import sync

            sync.install(self.patcher)
        except BaseException:
            self.patcher.undo()
            self.hook.__exit__(None, None, None)
            sys.path[:] = self._saved_path
            raise
        control.interrupts.__enter__()
        gc.callbacks.append(control._collecting)
        return self

    @property
    def instrumented(self) -> tuple[str, ...]:
        """The modules instrumented so far (scenario files included), in import order."""
        return tuple(self.hook.loaded)

    def load(self, path: str, only: str | None, strict: bool = True) -> list[ScenarioSpec]:
        self.hook.add_path(os.path.dirname(os.path.abspath(path)))
        name = hook.module_name_for(path)
        try:
            module = hook.load_file(os.path.abspath(path), name)
        except RacelabError:
            raise
        except BaseException as exc:  # noqa: BLE001 - the user's module failed to import
            raise ScenarioError(f"cannot import {_display(path)}: {type(exc).__name__}: {exc}") from None
        return _specs_in(module, path, only, strict)

    def __exit__(self, *exc: object) -> None:
        if control._collecting in gc.callbacks:
            gc.callbacks.remove(control._collecting)
        control.interrupts.__exit__()
        self.patcher.undo()
        self.hook.__exit__(None, None, None)
        sys.path[:] = self._saved_path
        if control.interrupted and not self.keep_interrupt and exc[0] is None:
            raise KeyboardInterrupt


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped ``explore``; ``results`` holds what was found until then."""

    def __init__(self, results: list["ScenarioResult"]) -> None:
        super().__init__()
        self.results = results


def _instrument_for(files: Sequence[str], settings: Settings) -> list[str]:
    names = list(settings.instrument)
    for f in files:
        names.extend(hook.declared_in(f))
    return names


def load_scenarios(target: str) -> list[ScenarioSpec]:
    """The scenarios in a file, ``file::name`` or directory (imported instrumented)."""
    path, only = _split_target(target)
    files = _files(path)
    specs: list[ScenarioSpec] = []
    with _World(_instrument_for(files, Settings()), files) as world:
        for f in files:
            specs.extend(world.load(f, only))
    return specs


# ---------------------------------------------------------------------------------------
# running


def bound_of(settings: Settings) -> int | None:
    """The preemption bound that an ``exhausted`` under ``settings`` is stated within."""
    name = settings.value("strategy")
    if name == "dfs":
        return settings.value("preemption_bound")
    if name == "dpor":
        return settings.preemption_bound
    return None


def make_strategy(settings: Settings) -> Strategy:
    name = settings.value("strategy")
    seed = settings.value("seed")
    if name == "random":
        return RandomStrategy(seed)
    if name == "pct":
        return PCTStrategy(seed, depth=settings.value("depth"))
    if name == "dfs":
        return DFSStrategy(settings.value("preemption_bound"))
    if name == "dpor":
        bound = settings.preemption_bound  # (dpor: no bound unless one is given)
        return DPORStrategy() if bound is None else BoundedDPORStrategy(bound)
    if name == "portfolio":
        return PortfolioStrategy(seed, settings.value("depth"))
    raise UsageError(f"unknown strategy {name!r} (choose from portfolio, random, pct, dfs, dpor)")


def _make_detectors(settings: Settings) -> list[Any]:
    if not settings.value("detect"):
        return []
    from racelab.detect import make_detectors

    return make_detectors()


def run_once(func: Callable[[], Any], strategy: Strategy, settings: Settings, *,
             observers: Sequence[Any] = (), verbose: bool = False) -> Execution:
    """One execution of ``func`` under ``strategy``."""
    ex = Execution(strategy, max_steps=settings.value("max_steps"), observers=observers, verbose=verbose,
                   max_threads=settings.value("max_threads"),
                   stall_timeout=control.STALL_TIMEOUT if settings.stall_timeout is None else settings.stall_timeout)
    ex.run(func, _MAIN_THREAD)
    if ex.error is not None:
        raise ex.error
    return ex


def verdict_of(failure: Any, unseen: Sequence[str]) -> str:
    """``fail`` when something failed; ``inconclusive`` when nothing failed but some execution
    did what racelab could not see (no certificate is possible then); ``pass`` otherwise."""
    if failure is not None:
        return "fail"
    return "inconclusive" if unseen else "pass"


class _Search:
    """State of one scenario's exploration."""

    def __init__(self, spec: ScenarioSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.detectors = _make_detectors(settings)
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.unseen: dict[str, str] = {}
        self.interrupted = False

    def graded_failure(self, ex: Execution) -> RawFailure | None:
        for key, text in ex.unseen.items():
            self.unseen.setdefault(key, text)
        if ex.failure is not None:
            return ex.failure
        outcome = repr(ex.result)
        self.outcomes[outcome] += 1
        if self.spec.outcomes.get(outcome) == "forbidden":
            return RawFailure(FailureKind.ASSERTION, f"forbidden outcome {outcome}", "MainThread")
        if self.settings.value("fail_on_race"):
            for det in self.detectors:
                race = getattr(det, "race_in_execution", None)
                if race:
                    return RawFailure(FailureKind.RACE, f"data race on {race}", "MainThread")
        return None

    def run(self) -> ScenarioResult:
        settings = self.settings
        start = _real_monotonic()
        control.watchdog.label = self.spec.id
        with _Output(keep=False):
            failure, n, exhausted = self._search(start)
        elapsed = _real_monotonic() - start
        races, lock_order = [], []
        for det in self.detectors:
            races.extend(getattr(det, "races", ()))
            lock_order.extend(getattr(det, "cycles", ()))
        unseen = tuple(self.unseen.values())
        return ScenarioResult(self.spec.id, verdict_of(failure, unseen), exhausted and failure is None and not unseen,
                              n, elapsed, failure, dict(self.outcomes), dict(self.spec.outcomes), races, lock_order,
                              str(settings.value("strategy")), self.spec.doc, unseen=unseen,
                              interrupted=self.interrupted, preemption_bound=bound_of(settings))

    def _search(self, start: float) -> tuple[Failure | None, int, bool]:
        """Executions until a failure, the budget, or the strategy's end: (failure, count, exhausted)."""
        settings = self.settings
        strategy = make_strategy(settings)
        limit = settings.value("max_schedules")
        time_limit = settings.value("time_limit")
        control.watchdog.deadline = None if time_limit is None else start + time_limit
        try:
            return self._executions(strategy, start, limit, time_limit)
        finally:
            control.watchdog.deadline = None

    def _executions(self, strategy: Strategy, start: float, limit: int,
                    time_limit: float | None) -> tuple[Failure | None, int, bool]:
        settings = self.settings
        n = 0
        while n < limit:
            if control.interrupted:
                self.interrupted = True
                break
            if time_limit is not None and _real_monotonic() - start > time_limit:
                break
            if not strategy.new_execution():
                return None, n, bool(getattr(strategy, "exhausted", False))
            n += 1
            ex = run_once(self.spec.func, strategy, settings, observers=self.detectors)
            # the token names the schedule in race reports: made only when this execution raced
            token = schedule.encode(ex.choices) if any(
                getattr(det, "races_in_execution", 1) for det in self.detectors) else None
            for det in self.detectors:
                det.end(token)
            if ex.cut is not None and self._unfinished(ex):
                if ex.cut is not Cut.STUCK:
                    n -= 1  # stopped from outside before its end: not a schedule explored
                if n == 0 and ex.cut is Cut.TIME_LIMIT:
                    self.unseen.setdefault("time", f"no schedule ran to its end within the time limit of {time_limit:g} s"
                                           + (f" ({ex.stuck_at} then)" if ex.stuck_at else ""))
                break
            raw = self.graded_failure(ex)
            if raw is not None:
                return self.explain(ex, raw, n), n, False
            if ex.cut is not None:
                self.interrupted = ex.cut is Cut.INTERRUPT
                break
        return None, n, False

    def _unfinished(self, ex: Execution) -> bool:
        """A cut execution that did not finish its scenario and found nothing: not graded. What
        it could not see is kept; after Ctrl-C the search reports itself interrupted."""
        if ex.finished or ex.failure is not None:
            return False
        for key, text in ex.unseen.items():
            self.unseen.setdefault(key, text)
        self.interrupted = ex.cut is Cut.INTERRUPT
        return True

    # ---- shrinking and explaining -------------------------------------------------------

    def _same_failure(self, strategy: Strategy, kind: FailureKind) -> Execution | None:
        detectors = _make_detectors(self.settings) if kind is FailureKind.RACE else []
        ex = run_once(self.spec.func, strategy, self.settings, observers=detectors)
        if ex.cut is not None and not ex.finished:
            return None
        raw = ex.failure
        if kind is FailureKind.RACE:
            return ex if any(getattr(d, "race_in_execution", None) for d in detectors) else None
        if raw is None and kind in (FailureKind.ASSERTION, FailureKind.RACE):
            return None
        return ex if raw is not None and raw.kind is kind else None

    def shrink(self, ex: Execution, kind: FailureKind) -> Execution:
        if not self.settings.value("shrink") or ex.preemptions == 0:
            return ex
        deadline = _real_monotonic() + 2.0
        control.watchdog.deadline = deadline
        try:
            for bound in range(ex.preemptions):
                dfs = DFSStrategy(bound)
                dfs.strict = False
                tried = 0
                while tried < 400 and _real_monotonic() < deadline and not control.interrupted and dfs.new_execution():
                    tried += 1
                    found = self._same_failure(dfs, kind)
                    if found is not None and self.spec.outcomes.get(repr(found.result)) != "acceptable":
                        return found
                if _real_monotonic() >= deadline or control.interrupted:
                    break
        finally:
            control.watchdog.deadline = None
        return ex

    def explain(self, ex: Execution, raw: RawFailure, found_after: int) -> Failure:
        control.watchdog.deadline = None  # the search's time limit does not cut its report short
        best = self.shrink(ex, raw.kind)
        choices = list(best.choices)
        with _Output() as output:
            verbose = run_once(self.spec.func, ReplayStrategy(choices), self.settings, verbose=True)
        final = verbose.failure or (best.failure if best is not ex else None)
        if final is None:
            final = raw
        return Failure(str(final.kind), final.message, final.thread, found_after, schedule.encode(choices),
                       tuple(verbose.trace), best.preemptions, tuple(final.details), _user_traceback(final.exc),
                       output.text)


class _Output:
    """Keeps what scenarios print while they are explored off the terminal.

    A scenario runs hundreds of times; its prints would drown the report. They are thrown
    away during the search, and kept (the first 64 KiB) for the schedule that is reported.
    """

    LIMIT = 64 * 1024

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.keep and self.size < self.LIMIT:
            self.parts.append(text)
            self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)[: self.LIMIT]

    def __enter__(self) -> "_Output":
        self._saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self._saved


def _user_traceback(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not control.is_engine_file(f.filename)]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def iterate(target: str, settings: Settings | None = None) -> Iterator[ScenarioResult]:
    """Explore every scenario of ``target``, yielding each result as it is ready."""
    settings = settings or Settings()
    path, only = _split_target(target)
    files = _files(path)
    found = 0
    with _World(_instrument_for(files, settings), files, settings.no_instrument, keep_interrupt=True) as world:
        for f in files:
            for spec in world.load(f, only, strict=len(files) == 1):
                found += 1
                effective = settings.over(spec.settings)
                result = _Search(spec, effective).run()
                result.instrumented = world.instrumented
                yield result
                if result.interrupted:
                    return
    if not found and only is not None:
        raise UsageError(f"no scenario named {only!r} in {_display(path)}")
    if not found:
        raise UsageError(f"no scenario in {_display(path)} (define a function named scenario_* "
                         "or mark one with @racelab.scenario)")


def explore(target: str, settings: Settings | None = None) -> list[ScenarioResult]:
    """Explore every scenario of ``target`` (a file, ``file::name`` or a directory).

    Ctrl-C stops it: ``Interrupted`` (a ``KeyboardInterrupt``) carries the results so far."""
    results = list(iterate(target, settings))
    if results and results[-1].interrupted:
        raise Interrupted(results)
    return results


def explore_function(func: Callable[[], Any], settings: Settings | None = None, *, id: str | None = None,
                     outcomes: dict[str, str] | None = None) -> ScenarioResult:
    """Explore a function that is already imported (its module is not instrumented here)."""
    settings = settings or Settings()
    spec = ScenarioSpec(id or f"{func.__module__}::{func.__qualname__}", inspect.getfile(func), func.__name__, func,
                        inspect.getdoc(func) or "", getattr(func, "__racelab_settings__", Settings()),
                        outcomes or getattr(func, "__racelab_outcomes__", {}))
    with _World(settings.instrument, [spec.path], settings.no_instrument) as world:
        result = _Search(spec, settings.over(spec.settings)).run()
        result.instrumented = world.instrumented
        return result


def replay(target: str, token: str, settings: Settings | None = None) -> ScenarioResult:
    """Run exactly the schedule ``token`` of the scenario ``path::name`` and trace it."""
    settings = settings or Settings()
    choices = schedule.decode(token)
    path, only = _split_target(target)
    files = _files(path)
    with _World(_instrument_for(files, settings), files, settings.no_instrument) as world:
        specs = world.load(files[0], only)
        if len(specs) != 1:
            raise UsageError(f"replay needs one scenario: name it as {_display(path)}::NAME "
                             f"(found {', '.join(s.name for s in specs) or 'none'})")
        spec = specs[0]
        return replay_spec(spec, choices, settings.over(spec.settings))


def replay_spec(spec: ScenarioSpec, choices: list[int], settings: Settings) -> ScenarioResult:
    start = _real_monotonic()
    search = _Search(spec, settings)
    ex = run_once(spec.func, ReplayStrategy(choices), settings, observers=search.detectors, verbose=True)
    token = schedule.encode(choices)
    for det in search.detectors:
        det.end(token)
    raw = search.graded_failure(ex)
    failure = None
    if raw is not None:
        failure = Failure(str(raw.kind), raw.message, raw.thread, 1, token, tuple(ex.trace), ex.preemptions,
                          tuple(raw.details), _user_traceback(raw.exc))
    races = [r for det in search.detectors for r in getattr(det, "races", ())]
    cycles = [c for det in search.detectors for c in getattr(det, "cycles", ())]
    unseen = tuple(search.unseen.values())
    return ScenarioResult(spec.id, verdict_of(failure, unseen), False, 1, _real_monotonic() - start, failure,
                          dict(search.outcomes), dict(spec.outcomes), races, cycles, "replay", spec.doc,
                          tuple(ex.trace), unseen=unseen)


__all__ = ["Settings", "ScenarioSpec", "ScenarioResult", "Failure", "scenario", "explore", "explore_function",
           "iterate", "replay", "load_scenarios"]
