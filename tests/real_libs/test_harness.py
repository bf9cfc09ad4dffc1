"""The differential test's own machinery, on a small library made here (no network).

The library is put straight into a private cache, as ``fetch`` would leave an extracted
sdist, so ``harness.run_suite`` runs it in all three modes exactly as it runs the real ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import urllib.error
from pathlib import Path

import pytest

from . import fetch, harness
from .libraries import Library

pytestmark = pytest.mark.timeout(180)

FAKELIB = '''\
class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1
        return self.n


def count(k):
    yield from range(k)
'''

TESTS = '''\
import os
import threading
import time

import pytest

import fakelib


def test_passes():
    assert fakelib.Counter().bump() == 1


def test_fails():
    assert fakelib.Counter().bump() == 2, "on purpose"


@pytest.mark.skip(reason="on purpose")
def test_skipped():
    pass


@pytest.mark.xfail(strict=True)
def test_xfails():
    assert False


@pytest.fixture
def broken():
    raise RuntimeError("a fixture that fails on purpose")


def test_error(broken):
    pass


def test_threads():
    counter, lock = fakelib.Counter(), threading.Lock()

    def work():
        for _ in range(50):
            with lock:
                counter.bump()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.n == 150


def test_generator():
    assert list(fakelib.count(3)) == [0, 1, 2]


def test_maybe_hangs():
    if os.environ.get("FAKELIB_HANG"):
        time.sleep(600)


def test_maybe_crashes_a_thread():
    if os.environ.get("FAKELIB_CRASH"):
        t = threading.Thread(target=lambda: 1 / 0)
        t.start()
        t.join()


def test_after():
    assert fakelib.Counter().bump() == 1
'''

OUTCOMES = {
    "tests/test_fake.py::test_passes": "passed",
    "tests/test_fake.py::test_fails": "failed",
    "tests/test_fake.py::test_skipped": "skipped",
    "tests/test_fake.py::test_xfails": "xfailed",
    "tests/test_fake.py::test_error": "error",
    "tests/test_fake.py::test_threads": "passed",
    "tests/test_fake.py::test_generator": "passed",
    "tests/test_fake.py::test_maybe_hangs": "passed",
    "tests/test_fake.py::test_maybe_crashes_a_thread": "passed",
    "tests/test_fake.py::test_after": "passed",
}

LIBRARY = Library(fetch.Dist("fakelib", "1.0", "fakelib-1.0.tar.gz", "0" * 64), modules=("fakelib",),
                  source=".", tests=("tests",), stresses="nothing: the harness's own test")


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache holding the extracted ``fakelib`` sdist."""
    root = tmp_path / "cache"
    tree = root / "trees" / LIBRARY.sdist.key
    (tree / "tests").mkdir(parents=True)
    (tree / "fakelib.py").write_text(FAKELIB)
    (tree / "tests" / "test_fake.py").write_text(TESTS)
    (tree / ".complete").write_text("\n")
    monkeypatch.setenv("RACELAB_TEST_CACHE", str(root))
    for name in ("FAKELIB_HANG", "FAKELIB_CRASH"):
        monkeypatch.delenv(name, raising=False)
    return root


def outcomes(run: harness.SuiteRun) -> dict[str, str]:
    return {test: outcome.outcome for test, outcome in run.tests.items()}


@pytest.mark.parametrize("mode", harness.MODES)
def test_each_mode_records_every_outcome(tmp_path: Path, mode: str) -> None:
    run = harness.run_suite(LIBRARY, mode, tmp_path / mode)
    assert run.problem is None, run.problem
    assert outcomes(run) == OUTCOMES
    assert run.tests["tests/test_fake.py::test_fails"].crash.startswith("AssertionError: on purpose")
    assert run.tests["tests/test_fake.py::test_fails"].where == "tests/test_fake.py:15"
    assert "RuntimeError: a fixture that fails on purpose" in run.tests["tests/test_fake.py::test_error"].text
    loader = run.modules["fakelib"]["loader"]
    assert loader.startswith("racelab.") == (mode != "plain")


def test_the_modes_pass_the_same_tests(tmp_path: Path) -> None:
    plain = harness.run_suite(LIBRARY, "plain", tmp_path / "plain")
    for mode in ("live", "explore"):
        diff = harness.compare(plain, harness.run_suite(LIBRARY, mode, tmp_path / mode))
        assert diff.same and diff.other.problem is None, harness.render(diff)
        assert harness.render(diff).endswith("the same tests pass")


def test_a_hanging_run_is_killed_and_says_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKELIB_HANG", "1")
    run = harness.run_suite(LIBRARY, "plain", tmp_path / "plain", timeout=5)
    assert run.elapsed < 60
    assert run.problem == "timed out after 5 s during tests/test_fake.py::test_maybe_hangs (killed)"
    assert run.tests["tests/test_fake.py::test_passes"].outcome == "passed"
    assert "tests/test_fake.py::test_after" not in run.tests


def test_a_stopped_exploration_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKELIB_CRASH", "1")
    plain = harness.run_suite(LIBRARY, "plain", tmp_path / "plain")
    assert plain.problem is None and outcomes(plain) == OUTCOMES
    explored = harness.run_suite(LIBRARY, "explore", tmp_path / "explore")
    assert explored.problem is not None
    assert explored.problem.startswith("racelab explore stopped the execution during "
                                       "tests/test_fake.py::test_maybe_crashes_a_thread: exception in thread")
    assert "ZeroDivisionError" in explored.problem
    text = harness.render(harness.compare(plain, explored))
    assert "ZeroDivisionError: division by zero" in text


def test_a_copy_from_elsewhere_is_caught(tmp_path: Path) -> None:
    library = Library(LIBRARY.sdist, modules=("fakelib", "json"), source=".", tests=("tests",), stresses="")
    run = harness.run_suite(library, "plain", tmp_path / "plain")
    assert run.problem is not None and run.problem.startswith("json was imported from ")


def run_with(tests: dict[str, harness.Outcome], mode: str = "live") -> harness.SuiteRun:
    return harness.SuiteRun("lib", mode, Path("/nowhere"), [], tests=tests)


def test_differences_are_grouped_by_where_and_how_they_failed() -> None:
    passed = harness.Outcome("passed")
    private = harness.Outcome("failed", "AttributeError: 'Cache' object has no attribute '__size'", "lib.py:7",
                              "    size = self.__size\nE   AttributeError: 'Cache' object has no attribute '__size'")
    other_class = harness.Outcome("failed", "AttributeError: 'LRU' object has no attribute '__size'", "lib.py:7")
    plain = run_with({"t::a": passed, "t::b": passed, "t::c": passed, "t::d": harness.Outcome("failed", "x")},
                     "plain")
    live = run_with({"t::a": private, "t::b": other_class, "t::d": passed})
    diff = harness.compare(plain, live)
    assert diff.lost == ("t::a", "t::b", "t::c") and diff.gained == ("t::d",)
    text = harness.render(diff)
    assert "== 2 x AttributeError: '…' object has no attribute '__size'\n   at lib.py:7 (2)" in text
    assert "   | E   AttributeError: 'Cache' object has no attribute '__size'" in text
    assert "== 1 x (not run)" in text
    assert "   t::d  [plain: failed] x" in text


# ---- fetching ------------------------------------------------------------------------


class FakePyPI:
    """Serves one release's JSON and its file, and counts the requests."""

    def __init__(self, dist: fetch.Dist, data: bytes, listed: str | None = None) -> None:
        self.dist, self.data, self.requests = dist, data, []
        self.listed = listed or hashlib.sha256(data).hexdigest()

    def get(self, url: str) -> bytes:
        self.requests.append(url)
        if url.endswith("/json"):
            entry = {"filename": self.dist.filename, "url": f"../../../files/{self.dist.filename}",
                     "digests": {"sha256": self.listed}}
            return json.dumps({"urls": [entry]}).encode()
        assert url == f"https://pypi.org/files/{self.dist.filename}"
        return self.data


def sdist_bytes() -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        body = b"VALUE = 1\n"
        info = tarfile.TarInfo("pkg-1.0/pkg.py")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def test_a_pinned_sdist_is_downloaded_verified_and_extracted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = sdist_bytes()
    dist = fetch.Dist("pkg", "1.0", "pkg-1.0.tar.gz", hashlib.sha256(data).hexdigest())
    pypi = FakePyPI(dist, data)
    monkeypatch.setattr(fetch, "_get", pypi.get)
    tree = fetch.sdist_tree(dist)
    assert (tree / "pkg.py").read_text() == "VALUE = 1\n"
    assert len(pypi.requests) == 2
    assert fetch.sdist_tree(dist) == tree and fetch.download(dist).read_bytes() == data
    assert len(pypi.requests) == 2  # all from the cache now


def test_a_file_that_is_not_the_pinned_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = sdist_bytes()
    dist = fetch.Dist("pkg", "1.0", "pkg-1.0.tar.gz", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(fetch, "_get", FakePyPI(dist, data + b"tampered", listed=dist.sha256).get)
    with pytest.raises(fetch.Mismatch, match="downloaded sha256"):
        fetch.download(dist)
    monkeypatch.setattr(fetch, "_get", FakePyPI(dist, data, listed="1" * 64).get)
    with pytest.raises(fetch.Mismatch, match="PyPI lists sha256 1111"):
        fetch.download(dist)


def test_no_network_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str, timeout: float) -> None:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(fetch.urllib.request, "urlopen", refuse)
    dist = fetch.Dist("pkg", "1.0", "pkg-1.0.tar.gz", "0" * 64)
    with pytest.raises(fetch.Unreachable, match="cannot reach pypi.org"):
        fetch.download(dist)


def test_the_library_table_is_consistent() -> None:
    from .libraries import LIBRARIES

    assert len(LIBRARIES) >= 7
    assert len({library.name for library in LIBRARIES}) == len(LIBRARIES)
    for library in LIBRARIES:
        for dist in (library.sdist, *library.deps):
            assert len(dist.sha256) == 64 and dist.version in dist.filename
        assert library.modules and library.tests and library.stresses
