"""A pytest plugin that records each test's outcome as JSON lines (racelab: no-instrument).

Loaded with ``-p difftest_outcomes`` in every mode of the differential test, so the three
runs of a library's suite are read the same way. The file named by ``$DIFFTEST_OUTCOMES``
gets one JSON object per line, written as the session goes (a run killed at its timeout
still says what it did, and which test it was in)::

    {"session": "start"}
    {"start": "tests/test_x.py::test_y"}
    {"test": "tests/test_x.py::test_y", "outcome": "failed", "crash": "KeyError: 1",
     "where": "src/x.py:3", "text": "its long report"}
    {"stopped": {"during": "...", "kind": "exception", "message": "...", "thread": "...", "text": "..."}}
    {"session": "finish", "exit": 1, "modules": {"cachetools": {"file": "...", "loader": "..."}}}

An outcome is ``passed``, ``failed``, ``error`` (in setup or teardown, or a collection
error, keyed ``<collect> nodeid``), ``skipped``, ``xfailed`` or ``xpassed``; a test has one
line per phase that says something, and the worst one counts (``_RANK``). A subtest is
keyed by its test's node id followed by its description. ``where`` is the innermost frame
of the failure outside ``$DIFFTEST_HIDDEN`` (racelab's own files). ``modules`` says where
each module named in ``$DIFFTEST_MODULES`` was imported from and by which loader (to check
that it is the library under test, and instrumented when it should be).

``stopped`` (under ``racelab explore``) is the first failure the explorer recorded in the
running execution (an uncaught exception in a thread, a thread that hangs, a deadlock...)
and the test during which it was seen. Once the execution has such a failure it is
stopping: every later scheduling point raises the runtime's ``Abort``, so the tests after it
cannot pass, and this line says why.
This module is never instrumented (it is not one of the library's modules).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, TextIO

import pytest

TEXT_LIMIT = 6000
RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "failed": 2, "error": 3}


class Recorder:
    def __init__(self, out: TextIO, modules: list[str], hidden: str) -> None:
        self.out = out
        self.modules = modules
        self.hidden = hidden
        self.stopped = False
        self.line({"session": "start"})

    def line(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(data) + "\n")
        self.out.flush()

    def record(self, key: str, outcome: str, report: Any) -> None:
        entry: dict[str, Any] = {"test": key, "outcome": outcome}
        if outcome in ("failed", "error"):
            entry.update(crash=_crash(report), where=_where(report, self.hidden), text=_text(report))
        self.line(entry)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.line({"start": nodeid})

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.stopped:
            stopped = _explorer_failure(report.nodeid)
            if stopped is not None:
                self.stopped = True
                self.line({"stopped": stopped})
        if report.passed and report.when != "call":
            return  # a test passes by its call, not by a setup that a stopped run never followed
        self.record(report.nodeid + _subtest(report), _outcome(report), report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.record(f"<collect> {report.nodeid}", "error", report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.line({"session": "finish", "exit": int(exitstatus), "modules": self.where_from()})

    def where_from(self) -> dict[str, dict[str, str] | None]:
        found: dict[str, dict[str, str] | None] = {}
        for name in self.modules:
            module = sys.modules.get(name)
            loader = type(getattr(module, "__loader__", None))
            found[name] = None if module is None else {
                "file": str(getattr(module, "__file__", None)), "loader": f"{loader.__module__}.{loader.__qualname__}"}
        return found


def _explorer_failure(nodeid: str) -> dict[str, str] | None:
    """The failure of the execution ``racelab explore`` is running, once there is one."""
    control = sys.modules.get("racelab._core.control")
    execution = getattr(control, "_active", None)
    failure = getattr(execution, "failure", None)
    if failure is None:
        return None
    exc = getattr(failure, "exc", None)
    text = "".join(traceback.format_exception(exc)) if isinstance(exc, BaseException) else ""
    return {"during": nodeid, "kind": str(failure.kind), "message": str(failure.message),
            "thread": str(failure.thread), "text": text[-TEXT_LIMIT:]}


def _outcome(report: pytest.TestReport) -> str:
    xfail = hasattr(report, "wasxfail")
    if report.when != "call" and report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    if report.failed:
        return "failed"
    if xfail:
        return "xpassed"
    return "passed"


def _subtest(report: Any) -> str:
    context = getattr(report, "context", None)
    if context is None:
        return ""
    parts = []
    if getattr(context, "msg", None) is not None:
        parts.append(f"[{context.msg}]")
    if getattr(context, "kwargs", None):
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in context.kwargs.items()) + ")")
    return " " + (" ".join(parts) or "(<subtest>)")


def _crash(report: Any) -> str:
    """The error itself, on one line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        lines = crash.message.splitlines()
        return lines[0] if lines else ""
    lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _where(report: Any, hidden: str) -> str:
    """``path:line`` of the innermost frame of the failure outside ``hidden`` (racelab's own
    files): where the tested code met the difference, usually."""
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", ())
    for entry in reversed(entries):
        location = getattr(entry, "reprfileloc", None)
        if location is not None and not (hidden and os.path.abspath(location.path).startswith(hidden)):
            return f"{location.path}:{location.lineno}"
    crash = getattr(report.longrepr, "reprcrash", None)
    return f"{crash.path}:{crash.lineno}" if crash is not None else ""


def _text(report: Any) -> str:
    text = report.longreprtext
    return text if len(text) <= TEXT_LIMIT else "...\n" + text[-TEXT_LIMIT:]


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get("DIFFTEST_OUTCOMES")
    if path:
        modules = [m for m in os.environ.get("DIFFTEST_MODULES", "").split(",") if m]
        out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed at unconfigure
        config.pluginmanager.register(Recorder(out, modules, os.environ.get("DIFFTEST_HIDDEN", "")),
                                      "difftest-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.pluginmanager.get_plugin("difftest-recorder")
    if recorder is not None:
        recorder.out.close()
