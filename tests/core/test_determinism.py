"""Determinism as a property: the same seed and options give the same result and the same trace."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import racelab

from .helpers import target

FILE = "determinism.py"


def _fingerprint(result: racelab.ScenarioResult) -> tuple[Any, ...]:
    failure = result.failure
    failed = None if failure is None else (failure.kind, failure.message, failure.thread, failure.found_after,
                                          failure.schedule, failure.trace, failure.preemptions, failure.details)
    return result.id, result.verdict, result.exhausted, result.schedules, failed, tuple(sorted(result.outcomes.items()))


def _explore(name: str, **options: Any) -> racelab.ScenarioResult:
    [result] = racelab.explore(target(FILE, name), racelab.Settings(time_limit=60.0, **options))
    return result


@given(seed=st.integers(0, 10**6), strategy=st.sampled_from(["random", "pct", "portfolio"]), shrink=st.booleans())
@settings(max_examples=10, deadline=None)
def test_same_seed_same_failure_and_trace(seed: int, strategy: str, shrink: bool) -> None:
    options = dict(strategy=strategy, seed=seed, max_schedules=200, shrink=shrink)
    first = _explore("scenario_transfer_lost_update", **options)
    second = _explore("scenario_transfer_lost_update", **options)
    assert _fingerprint(first) == _fingerprint(second)
    if first.failure is not None:
        assert first.failure.trace, "a failure comes with its interleaving"
        replayed = racelab.replay(target(FILE, "scenario_transfer_lost_update"), first.failure.schedule)
        assert replayed.trace == first.failure.trace


@given(seed=st.integers(0, 10**6))
@settings(max_examples=10, deadline=None)
def test_same_seed_same_outcome_histogram(seed: int) -> None:
    options = dict(strategy="random", seed=seed, max_schedules=60, detect=False)
    first = _explore("scenario_pipeline_outcomes", **options)
    second = _explore("scenario_pipeline_outcomes", **options)
    assert first.verdict == "pass"
    assert _fingerprint(first) == _fingerprint(second)


def test_the_seed_matters() -> None:
    histograms = {tuple(sorted(_explore("scenario_pipeline_outcomes", strategy="random", seed=seed,
                                        max_schedules=30, detect=False).outcomes.items()))
                  for seed in range(4)}
    assert len(histograms) > 1, "four seeds explored exactly the same outcome histogram"


def test_ten_runs_one_trace() -> None:
    options = dict(strategy="random", seed=12345, max_schedules=200, shrink=False)
    runs = [_fingerprint(_explore("scenario_transfer_lost_update", **options)) for _ in range(10)]
    assert all(run == runs[0] for run in runs)
    _, verdict, _, _, failed, _ = runs[0]
    assert verdict == "fail" and failed is not None and failed[5], "the failure and its trace are in every run"
