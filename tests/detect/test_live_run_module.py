"""``racelab run -m MODULE``: a module run as ``python -m`` runs it, under the live detector.

Each run is a fresh process, started in a temporary directory that holds the modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

SHOW = """\
import json, os, sys
print(json.dumps({
    "name": __name__, "spec": __spec__.name, "file": __file__, "package": __package__,
    "argv": sys.argv, "path0": sys.path[0], "cwd": os.getcwd(),
    "main": sys.modules["__main__"] is sys.modules[__name__],
    "instrumented": any(name.startswith("__rl_") for name in sys._getframe().f_code.co_names),
}))
"""

RACY = """\
import threading

class Counter:
    def __init__(self):
        self.value = 0

    def bump(self):
        for _ in range(200):
            self.value += 1  # racy
"""

RACY_MAIN = """\
import sys, threading
from racy import Counter

counter = Counter()
threads = [threading.Thread(target=counter.bump) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("value", counter.value)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""

TEST_FILE = """\
import threading
from racy import Counter

def test_counts():
    counter = Counter()
    threads = [threading.Thread(target=counter.bump) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.value > 0

def test_fails():
    assert False, "on purpose"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def racelab_run(cwd: Path, *args: str, json_report: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--json", str(json_report)] if json_report is not None else []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, "-m", "racelab", "run", *extra, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=90)


def shown(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[0])


def test_a_module_runs_as_main_with_python_m_argv_and_path(tmp_path: Path) -> None:
    write(tmp_path, {"show.py": SHOW})
    seen = shown(racelab_run(tmp_path, "-m", "show", "a", "--b", "-m", "c"))
    assert seen["name"] == "__main__" and seen["spec"] == "show" and seen["main"]
    assert seen["argv"] == [str(tmp_path / "show.py"), "a", "--b", "-m", "c"]
    assert seen["file"] == str(tmp_path / "show.py") and seen["package"] == ""
    assert seen["path0"] == seen["cwd"] == str(tmp_path)
    assert seen["instrumented"] is True  # a module of the program's own directory


def test_the_same_module_under_python_m_sees_the_same(tmp_path: Path) -> None:
    write(tmp_path, {"show.py": SHOW})
    plain = subprocess.run([sys.executable, "-m", "show", "x"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
    under_racelab = shown(racelab_run(tmp_path, "-m", "show", "x"))
    assert json.loads(plain.stdout) == {**under_racelab, "instrumented": False}


def test_a_package_runs_its_main_module(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/__main__.py": SHOW, "pkg/sub.py": SHOW})
    seen = shown(racelab_run(tmp_path, "-m", "pkg"))
    assert seen["spec"] == "pkg.__main__" and seen["package"] == "pkg"
    assert seen["argv"] == [str(tmp_path / "pkg" / "__main__.py")]
    assert shown(racelab_run(tmp_path, "-m", "pkg.sub"))["spec"] == "pkg.sub"


def test_the_module_is_instrumented_unless_opted_out(tmp_path: Path) -> None:
    write(tmp_path, {"show.py": SHOW, "pkg/__init__.py": "", "pkg/__main__.py": SHOW})
    assert shown(racelab_run(tmp_path, "--instrument", "show", "-m", "show"))["instrumented"] is True
    assert shown(racelab_run(tmp_path, "-m", "pkg"))["instrumented"] is True
    assert shown(racelab_run(tmp_path, "--no-instrument", "pkg", "-m", "pkg"))["instrumented"] is False
    done = racelab_run(tmp_path, "--instrument", "other", "-m", "pkg")
    assert done.returncode == 2
    assert done.stderr.strip() == "racelab: error: --instrument other: no module or package of that name can be imported"


def test_races_in_instrumented_modules_and_the_exit_status(tmp_path: Path) -> None:
    write(tmp_path, {"racy.py": RACY, "main.py": RACY_MAIN})
    report = tmp_path / "report.json"
    done = racelab_run(tmp_path, "--instrument", "racy", "-m", "main", json_report=report)
    assert done.returncode == 0, done.stderr
    assert "value" in done.stdout and "WARNING: DATA RACE" in done.stderr
    (race,) = json.loads(report.read_text())["races"]
    assert race["location"] == "Counter.value"
    assert racelab_run(tmp_path, "--instrument", "racy", "-m", "main", "3").returncode == 3
    assert racelab_run(tmp_path, "--fail-on-race", "--instrument", "racy", "-m", "main", "3").returncode == 66
    assert racelab_run(tmp_path, "--fail-on-race", "-m", "main").returncode == 66  # instrumented anyway
    assert racelab_run(tmp_path, "--fail-on-race", "--no-instrument", "racy", "-m", "main").returncode == 0


def test_the_program_waits_for_non_daemon_threads(tmp_path: Path) -> None:
    write(tmp_path, {"late.py": """\
        import threading, time

        def late():
            time.sleep(0.2)
            print("late thread done", flush=True)

        threading.Thread(target=late).start()
        print("main done", flush=True)
        """})
    done = racelab_run(tmp_path, "-m", "late")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["main done", "late thread done"]


def test_a_crash_is_a_traceback_and_status_1(tmp_path: Path) -> None:
    write(tmp_path, {"crash.py": "raise ValueError('boom')\n"})
    done = racelab_run(tmp_path, "-m", "crash")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ValueError: boom" in done.stderr


def test_pytest_under_the_detector(tmp_path: Path) -> None:
    write(tmp_path, {"racy.py": RACY, "tests/test_racy.py": TEST_FILE})
    report = tmp_path / "report.json"
    args = ("--instrument", "racy", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    done = racelab_run(tmp_path, *args, json_report=report)
    assert done.returncode == 1, done.stderr
    assert "1 failed, 1 passed" in done.stdout
    assert json.loads(report.read_text())["races"][0]["location"] == "Counter.value"
    only_passing = racelab_run(tmp_path, "--fail-on-race", *args, "-k", "counts")
    assert only_passing.returncode == 66, only_passing.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("-m",), "racelab run -m needs a module name"),
    (("-m", "--instrument", "x"), "racelab run -m needs a module name"),
    (("-m", "no_such_module_here"), "racelab run -m: No module named no_such_module_here"),
    (("-m", "nopkg.sub"), "racelab run -m: Error while finding module specification for 'nopkg.sub'"),
    (("-m", "show.py"), "Try using 'show' instead of 'show.py'"),
    (("-m", "pkg"), "'pkg' is a package and cannot be directly executed"),
    (("-m", ".rel"), "Relative module names not supported"),
    (("-m", "broken"), "broken.py:2: syntax error"),
    (("--instrument", "broken", "-m", "broken"), "broken.py:2: syntax error"),
    ((), "racelab run needs a script or -m MODULE"),
    (("main.txt", "-m", "x"), "racelab run expects a Python file"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write(tmp_path, {"show.py": SHOW, "pkg/__init__.py": "", "broken.py": "x = 1\ndef (:\n"})
    done = racelab_run(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
