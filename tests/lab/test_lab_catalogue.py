"""The catalogue read from files: ids, fixes by name, expectations, and the cost harness."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from racelab.errors import UsageError
from racelab.lab import cost
from racelab.lab.catalogue import Expectation, Role, catalogue, declared_failure, find_fixes, variants

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

REQUIRED = {
    "lost_update", "transfer", "lazy_init", "stack_escape", "shared_file", "ring_buffer", "current_request",
    "config_reload", "async_callback", "worker_pool", "object_pool", "shared_iterator", "lock_order",
    "missed_wakeup",
}


def test_catalogue_holds_every_seed_concept_with_a_summary_and_a_fix() -> None:
    entries = {e.id: e for e in catalogue(SCENARIOS)}
    assert REQUIRED <= set(entries)
    for sid in REQUIRED:
        entry = entries[sid]
        assert entry.summary, f"{sid} has no docstring"
        assert entry.expected.verdict == "fail" and entry.expected.kind in ("assertion", "exception", "deadlock")
        assert any(not r.startswith("wrong_") for r in entry.fixes), f"{sid} has no correct fix"


def test_at_least_five_wrong_fixes() -> None:
    wrong = [p for p in (ROOT / "fixes").glob("*_wrong_*.py")]
    assert len(wrong) >= 5
    for path in wrong:
        assert declared_failure(path) is not None, f"{path.name} does not declare its EXPECTED_FAILURE"


def test_variants_put_the_broken_scenario_first_and_classify_fixes() -> None:
    vs = variants(SCENARIOS / "lazy_init.py")
    assert vs[0].role is Role.BROKEN and vs[0].remedy == "broken"
    remedies = {v.remedy: v for v in vs[1:]}
    assert {"mutex", "atomic", "read_only", "double_checked", "wrong_double_checked"} <= set(remedies)
    assert remedies["mutex"].expected == Expectation("pass", None)
    assert remedies["wrong_double_checked"].role is Role.WRONG_FIX
    assert remedies["wrong_double_checked"].expected == Expectation("fail", "assertion")


def test_fixes_of_a_longer_scenario_id_are_not_mixed_in(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "fixes").mkdir()
    for name in ("scenarios/pool.py", "scenarios/pool_size.py", "fixes/pool_mutex.py", "fixes/pool_size_mutex.py"):
        (tmp_path / name).write_text('"""x"""\n')
    assert [p.name for p in find_fixes(tmp_path / "scenarios" / "pool.py")] == ["pool_mutex.py"]
    assert [p.name for p in find_fixes(tmp_path / "scenarios" / "pool_size.py")] == ["pool_size_mutex.py"]


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        variants(tmp_path / "missing.py")
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    with pytest.raises(UsageError, match="syntax error"):
        variants(broken)
    with pytest.raises(UsageError):
        catalogue(tmp_path / "nowhere")


def test_cost_counts_failures_and_survives_a_real_deadlock(tmp_path: Path) -> None:
    path = tmp_path / "hangs.py"
    path.write_text(textwrap.dedent('''
        import threading

        def scenario_fails():
            def boom():
                raise RuntimeError("in a worker")
            t = threading.Thread(target=boom)
            t.start()
            t.join()

        def scenario_hangs():
            lock = threading.Lock()
            lock.acquire()
            lock.acquire()
    '''))
    failing = cost.measure_file(path, "scenario_fails", runs=3, timeout=5.0)
    assert failing.runs == 3 and failing.failures == 3 and not failing.hung and failing.median_s is not None
    hung = cost.measure_file(path, "scenario_hangs", runs=3, timeout=0.2)
    assert hung.hung and hung.runs == 0 and hung.median_s is None
