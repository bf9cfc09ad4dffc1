"""Run a library's own test suite in one mode and compare the outcomes with the plain run.

Three modes, each a fresh process with a hard wall-clock timeout (``timeout_for``: a hang
fails, it never blocks CI; the process is killed with everything it started):

``plain``    ``python -m pytest TESTS``
``live``     ``racelab run --instrument LIB -m pytest TESTS``: the library instrumented, the
             live race detector on
``explore``  ``racelab explore SCENARIO --instrument LIB --strategy random --max-schedules 1``:
             the whole suite as one execution of one scenario (``pytest.main`` inside it),
             under the controlled runtime: its threads, primitives and clock are racelab's

Each run works on a fresh copy of the extracted sdist (so no run sees what another wrote),
with the same environment: ``PYTHONHASHSEED=0``, no bytecode written, no pytest plugins
loaded from entry points, Hypothesis's database in the run's directory, and the plugin
``difftest_outcomes`` recording every test's outcome as JSON lines. The library is imported from
the copy (checked); its extra test dependencies, if any, come from a cached directory on
``PYTHONPATH``.

Instrumentation must be transparent: the tests that pass plain must be exactly the tests
that pass instrumented. ``compare`` says which differ and ``render`` shows them, grouped by
how they failed, with where (one group is usually one root cause).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import racelab

from . import fetch
from .libraries import PLAIN_BUDGET, Library

MODES = ("plain", "live", "explore")
PLUGIN_DIR = Path(__file__).parent / "plugin"
RACELAB_DIR = Path(racelab.__file__).resolve().parent
_PASSED = "passed"
#: When a test reports several outcomes (one per phase), the worst counts.
_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "failed": 2, "error": 3}


@dataclass(frozen=True)
class Outcome:
    outcome: str
    crash: str = ""
    where: str = ""
    text: str = ""


@dataclass
class SuiteRun:
    """What one run of a library's suite did."""

    library: str
    mode: str
    workdir: Path
    command: list[str]
    tests: dict[str, Outcome] = field(default_factory=dict)
    elapsed: float = 0.0
    returncode: int | None = None
    #: Why the run says less than a finished pytest session would (a timeout, a crash, the
    #: explorer stopping the execution); None when the session ran to its end.
    problem: str | None = None
    modules: dict[str, Any] = field(default_factory=dict)
    #: The last test that started (the one a killed run was in).
    last_started: str | None = None
    #: explore: the execution's failure that stopped it (see ``difftest_outcomes``), if any.
    stopped: dict[str, str] | None = None

    @property
    def passed(self) -> set[str]:
        return {test for test, outcome in self.tests.items() if outcome.outcome == _PASSED}

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for outcome in self.tests.values():
            counts[outcome.outcome] += 1
        return dict(sorted(counts.items()))

    def summary(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in self.counts().items()) or "no test ran"
        text = f"{self.library} {self.mode}: {counts} in {self.elapsed:.1f} s"
        return text + (f" [{self.problem}]" if self.problem else "")


def timeout_for(library: Library, mode: str) -> float:
    """The wall-clock limit of one run: the library's budget (``PLAIN_BUDGET`` plain), times
    ``$RACELAB_DIFFTEST_TIMEOUT_SCALE`` (default 1: a slower machine may raise it)."""
    scale = float(os.environ.get("RACELAB_DIFFTEST_TIMEOUT_SCALE", "1"))
    return (PLAIN_BUDGET if mode == "plain" else library.budget) * scale


# ---------------------------------------------------------------------------------------
# preparing and running


def prepare(library: Library) -> tuple[Path, Path | None]:
    """The extracted sdist and the directory of its extra dependencies (fetched if needed)."""
    tree = fetch.sdist_tree(library.sdist)
    deps = fetch.wheels_tree(library.deps) if library.deps else None
    return tree, deps


def pytest_args(library: Library, root: Path) -> list[str]:
    """The arguments of the library's pytest session, the same in every mode."""
    args = [*library.tests, *library.pytest_args, "--rootdir", str(root), "-p", "no:cacheprovider",
            "-p", "difftest_outcomes", "-q", "-rN", "--color=no"]
    if _pytest_config(root) is None:  # never pick up a configuration above the copy
        empty = root.parent / "empty-pytest.ini"
        empty.write_text("[pytest]\n")
        args += ["-c", str(empty)]
    return args


def _pytest_config(root: Path) -> Path | None:
    """The file pytest would take its configuration from in ``root``, as pytest looks."""
    for name, marker in (("pytest.ini", ""), ("pyproject.toml", "[tool.pytest.ini_options]"),
                         ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]")):
        path = root / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return path
    return None


def command_for(mode: str, library: Library, args: list[str], workdir: Path) -> list[str]:
    instrument = [option for module in library.modules for option in ("--instrument", module)]
    if mode == "plain":
        return [sys.executable, "-m", "pytest", *args]
    if mode == "live":
        return [sys.executable, "-m", "racelab", "run", *instrument, "-m", "pytest", *args]
    if mode == "explore":
        scenario = workdir / "difftest_scenario.py"
        scenario.write_text(SCENARIO.format(library=library.name, args=json.dumps(args, indent=4)))
        return [sys.executable, "-m", "racelab", "explore", str(scenario), *instrument, "--strategy", "random",
                "--max-schedules", "1", "--max-steps", "1000000000", "--time-limit", "100000",
                "--max-threads", "1000000", "--json"]
    raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")


SCENARIO = '''\
"""The test suite of {library} as one execution: pytest.main inside a scenario (generated)."""

import difftest_explore

ARGS = {args}


def scenario_suite():
    return difftest_explore.run(ARGS)
'''


def environment(library: Library, root: Path, deps: Path | None, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "COVERAGE_PROCESS_START")
           and not k.startswith("DIFFTEST_")}
    path = [str(root / library.source), *([str(deps)] if deps else []), str(PLUGIN_DIR)]
    env.update(
        PYTHONPATH=os.pathsep.join(path), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", HYPOTHESIS_STORAGE_DIRECTORY=str(workdir / "hypothesis"),
        DIFFTEST_OUTCOMES=str(workdir / "outcomes.jsonl"), DIFFTEST_MODULES=",".join(library.modules),
        DIFFTEST_LOG=str(workdir / "pytest.log"), DIFFTEST_HIDDEN=str(RACELAB_DIR) + os.sep,
        PYTHONIOENCODING="utf-8",
    )
    return env


def run_suite(library: Library, mode: str, workdir: Path, timeout: float | None = None,
              extra_args: Sequence[str] = ()) -> SuiteRun:
    """Run ``library``'s suite in ``mode`` in a fresh copy under ``workdir`` (made empty first);
    ``extra_args`` are more pytest arguments (``-k``, ``--deselect``: for looking closer)."""
    tree, deps = prepare(library)
    if workdir.exists():
        shutil.rmtree(workdir)
    root = workdir / "src"
    shutil.copytree(tree, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), symlinks=True)
    command = command_for(mode, library, [*pytest_args(library, root), *extra_args], workdir)
    (workdir / "command.json").write_text(json.dumps(command))
    limit = timeout_for(library, mode) if timeout is None else timeout
    env = environment(library, root, deps, workdir)
    start = time.monotonic()
    returncode, timed_out = _run(command, root, env, workdir, limit, json_stdout=mode == "explore")
    elapsed = time.monotonic() - start
    (workdir / "status.json").write_text(json.dumps({"returncode": returncode, "elapsed": elapsed,
                                                     "timed_out": limit if timed_out else None}))
    return read_run(library, mode, workdir)


def read_run(library: Library, mode: str, workdir: Path) -> SuiteRun:
    """What the run of ``library``'s suite in ``mode`` left in ``workdir`` (see ``run_suite``)."""
    status = json.loads((workdir / "status.json").read_text())
    run = SuiteRun(library.name, mode, workdir, json.loads((workdir / "command.json").read_text()),
                   elapsed=status["elapsed"], returncode=status["returncode"])
    _read_outcomes(run, workdir / "src", instrumented=mode != "plain")
    if status["timed_out"] is not None:
        during = f" during {run.last_started}" if run.last_started else ""
        run.problem = f"timed out after {status['timed_out']:g} s{during} (killed)"
    elif run.problem is None and mode == "explore":
        run.problem = _explorer_problem(workdir / "explore.json")
    return run


def _run(command: list[str], cwd: Path, env: dict[str, str], workdir: Path, limit: float, *,
         json_stdout: bool) -> tuple[int | None, bool]:
    """Run ``command`` in a session of its own; killed with everything it started at ``limit``.
    Its output goes to ``run.log``, or with ``json_stdout`` to ``explore.json`` and ``stderr.log``.

    Where coreutils' ``timeout`` exists it wraps the command with a slightly later limit, so
    that a run outlives the test session that started it (killed by a signal, say) by no
    more than its own limit."""
    guard = shutil.which("timeout")
    if guard is not None:
        command = [guard, "--signal=KILL", f"{limit + 30:g}", *command]
    with open(workdir / ("explore.json" if json_stdout else "run.log"), "wb") as out, \
            open(workdir / "stderr.log", "wb") as err:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err if json_stdout else subprocess.STDOUT, start_new_session=True)
        _running.add(process)
        try:
            return process.wait(timeout=limit), False
        except subprocess.TimeoutExpired:
            return None, True
        finally:  # also what the run left behind in its session
            _kill_group(process)
            _running.discard(process)


_running: set[subprocess.Popen[bytes]] = set()


def kill_running() -> None:
    """Stop every run still going (each with what it started): for an interrupted session."""
    for process in list(_running):
        _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the run's process group (the run and whatever it started and left behind)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _read_outcomes(run: SuiteRun, root: Path, instrumented: bool) -> None:
    """Read what ``difftest_outcomes`` wrote; say in ``run.problem`` what went wrong, if anything."""
    lines = _json_lines(run.workdir / "outcomes.jsonl")
    if not lines:
        run.problem = f"the pytest session never started (exit status {run.returncode}); see {_log_of(run)}"
        return
    running = finish = None
    for line in lines:
        if "test" in line:
            outcome = Outcome(line["outcome"], line.get("crash", ""), line.get("where", ""), line.get("text", ""))
            previous = run.tests.get(line["test"])
            if previous is None or _RANK[outcome.outcome] > _RANK[previous.outcome]:
                run.tests[line["test"]] = outcome
        elif "start" in line:
            running = line["start"]
        elif "stopped" in line and run.stopped is None:
            run.stopped = line["stopped"]
        elif line.get("session") == "finish":
            finish = line
    run.last_started = running
    if finish is None:
        during = f" during {running}" if running else ""
        run.problem = f"the pytest session did not finish{during} (exit status {run.returncode}); see {_log_of(run)}"
    else:
        run.modules = finish["modules"]
        run.problem = _module_problem(run.modules, root, instrumented)
    if run.stopped:
        run.problem = (f"racelab explore stopped the execution during {run.stopped['during']}: "
                       f"{run.stopped['kind']} in thread {run.stopped['thread']}: {run.stopped['message']}")


def _json_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:  # the last line of a killed run may be cut short
            pass
    return lines


def _module_problem(modules: dict[str, Any], root: Path, instrumented: bool) -> str | None:
    """Whether the library's modules came from the copy under test, instrumented if they should be."""
    for module, found in modules.items():
        if found is None:
            continue
        if not Path(found["file"]).resolve().is_relative_to(root.resolve()):
            return f"{module} was imported from {found['file']}, not from the sdist under test"
        if instrumented != found["loader"].startswith("racelab."):
            return f"{module} was loaded by {found['loader']}: {'not ' if instrumented else ''}instrumented"
    return None


def _log_of(run: SuiteRun) -> Path:
    return run.workdir / ("pytest.log" if run.mode == "explore" else "run.log")


def _explorer_problem(path: Path) -> str | None:
    """The explorer's own verdict on the execution, when it is not a pass."""
    try:
        (result,) = json.loads(path.read_text(encoding="utf-8"))["scenarios"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no JSON report from racelab explore; see {path.parent / 'stderr.log'}"
    failure = result.get("failure")
    if failure:
        return f"racelab explore stopped the execution: {failure['kind']}: {failure['message']}"
    if result.get("verdict") not in ("pass", "inconclusive"):
        return f"racelab explore verdict {result.get('verdict')}"
    # (``inconclusive``: the suite did what racelab cannot see — a child process, code that
    # is not instrumented in threads —, which is no difference in the tests' outcomes)
    return None


# ---------------------------------------------------------------------------------------
# comparing


@dataclass(frozen=True)
class Difference:
    """The tests whose passing differs between the plain run and another mode's run."""

    plain: SuiteRun
    other: SuiteRun
    lost: tuple[str, ...]  # pass plain, not in the other mode
    gained: tuple[str, ...]  # pass in the other mode, not plain

    @property
    def same(self) -> bool:
        return not self.lost and not self.gained


def compare(plain: SuiteRun, other: SuiteRun) -> Difference:
    return Difference(plain, other, tuple(sorted(plain.passed - other.passed)),
                      tuple(sorted(other.passed - plain.passed)))


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_CLASS = re.compile(r"'[A-Za-z_][\w.]*' object")
_RECURSION = re.compile(r"(RecursionError: maximum recursion depth exceeded).*")


def _cause(outcome: Outcome | None) -> str:
    """How a test failed, with what varies from one instance of a cause to the next left
    out (addresses, class names, RecursionError's variants), so that one difference met by
    many tests and classes makes one group."""
    if outcome is None:
        return "(not run)"
    if outcome.outcome not in ("failed", "error"):
        return f"({outcome.outcome})"
    crash = _CLASS.sub("'…' object", _ADDRESS.sub("0x…", outcome.crash))
    return _RECURSION.sub(r"\1", crash) or f"({outcome.outcome}, no message)"


def causes(diff: Difference) -> list[tuple[str, list[str]]]:
    """The tests that pass plain but not in the other mode, grouped by ``_cause``, largest first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for test in diff.lost:
        groups[_cause(diff.other.tests.get(test))].append(test)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def render(diff: Difference, *, examples: int = 3, lines: int = 12) -> str:
    """The differing tests grouped by how they failed, with where (the innermost frame outside
    racelab, and how many tests failed there) and the end of one failure report per group."""
    other = diff.other
    out = [diff.plain.summary(), other.summary()]
    if other.problem:
        out.append(f"  {other.mode} run: {other.problem}")
    if other.stopped and other.stopped.get("text"):
        out.append(textwrap.indent(_excerpt(other.stopped["text"], lines), "   | "))
    if diff.same:
        out.append("the same tests pass")
        return "\n".join(out)
    out.append(f"{len(diff.lost)} test(s) pass plain but not {other.mode}; "
               f"{len(diff.gained)} pass {other.mode} but not plain")
    for cause, tests in causes(diff):
        out.append("")
        out.append(f"== {len(tests)} x {cause}")
        wheres = Counter(other.tests[test].where for test in tests if test in other.tests and other.tests[test].where)
        if wheres:
            out.append("   at " + ", ".join(f"{where} ({n})" for where, n in wheres.most_common(6))
                       + (", ..." if len(wheres) > 6 else ""))
        for test in tests[:examples]:
            outcome = other.tests.get(test)
            out.append(f"   {test}  [{outcome.outcome if outcome else 'not run'}]")
        if len(tests) > examples:
            out.append(f"   ... and {len(tests) - examples} more")
        first = other.tests.get(tests[0])
        if first is not None and first.text:
            out.append(textwrap.indent(_excerpt(first.text, lines), "   | "))
    if diff.gained:
        out.append("")
        out.append(f"== pass {other.mode} but not plain:")
        for test in diff.gained:
            outcome = diff.plain.tests.get(test)
            out.append(f"   {test}  [plain: {outcome.outcome if outcome else 'not run'}] {_cause(outcome)}")
    return "\n".join(out)


def _excerpt(text: str, lines: int) -> str:
    """The end of a failure's long report: the innermost frames and the error itself."""
    kept = [line for line in text.rstrip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def details(run: SuiteRun, tests: Sequence[str]) -> str:
    """The whole recorded failure text of each of ``tests`` in ``run``."""
    out = []
    for test in tests:
        outcome = run.tests.get(test)
        out.append(f"---- {test}: {outcome.outcome if outcome else 'not run'}")
        if outcome is not None and outcome.text:
            out.append(outcome.text.rstrip())
    return "\n".join(out)
