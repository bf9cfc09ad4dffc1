"""The public surface of ``racelab``: what users import, pinned."""

import racelab

PUBLIC = {
    "Failure", "RacelabError", "ScenarioResult", "ScenarioSpec", "Settings", "UsageError",
    "check_linearizable", "explore", "explore_function", "instrumented", "load_scenarios",
    "replay", "scenario", "__version__",
}


def test_public_names_are_pinned() -> None:
    assert set(racelab.__all__) == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in racelab.__all__:
        assert getattr(racelab, name) is not None, name


def test_unknown_names_raise_attribute_error() -> None:
    try:
        racelab.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("racelab.no_such_thing resolved")
