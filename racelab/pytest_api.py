"""``racelab.explore`` and ``racelab.replay`` as test decorators (and as the path-based calls).

How a decorated test runs
-------------------------
pytest calls the wrapper with the test's fixture values (fixtures are set up once, outside
the exploration). The wrapper enters an exploration world, builds an instrumented copy of
the test function (``racelab.instrumented``: the module source goes through the rewriter,
so ``box["n"] += 1`` in the test body is a scheduling point), and explores the zero-argument
closure ``lambda: copy(*fixture_values)``: the test body runs once per schedule.

Everything the body shares between schedules must be created in the body: a fixture's
mutable value is the same object in every schedule, and primitives a fixture creates
(before the world patches ``threading``) are real ones that racelab does not control.

The pytest plugin (``racelab_pytest``) only adds command-line overrides, the failure
report and the summary line, through ``push_context``; without it the decorators work
the same (a failure is an ``AssertionError`` with the full report).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
import io
from dataclasses import dataclass, field
from typing import Any, Callable

from racelab._core import control
from racelab._core import explorer as _explorer
from racelab._core import schedule
from racelab._core.explorer import ScenarioResult, ScenarioSpec, Settings

_SETTING_NAMES = frozenset(f.name for f in dataclasses.fields(Settings))


@dataclass(frozen=True)
class TestConfig:
    """What a decorated test asks for: exploration settings, or one pinned schedule."""

    options: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    outcomes: dict[str, str] = field(default_factory=dict)

    def settings(self, overrides: dict[str, Any]) -> Settings:
        mine = Settings(**{k: tuple(v) if k in ("instrument", "no_instrument") else v for k, v in self.options.items()})
        return Settings(**overrides).over(mine) if overrides else mine


@dataclass
class Context:
    """Set by the pytest plugin around one test call: option overrides and a result sink."""

    overrides: dict[str, Any]
    record: Callable[[ScenarioResult], None]


_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar("racelab_pytest_context", default=None)


def push_context(ctx: Context) -> contextvars.Token[Context | None]:
    return _context.set(ctx)


def pop_context(token: contextvars.Token[Context | None]) -> None:
    _context.reset(token)


class ExplorationFailed(AssertionError):
    """A decorated test failed under some schedule; the message is the whole report."""

    def __init__(self, report: str, result: ScenarioResult) -> None:
        super().__init__(report)
        self.racelab_report = report
        self.result = result


# ---------------------------------------------------------------------------------------
# the decorators


def explore(target: Any = None, settings: Settings | None = None, /, **options: Any) -> Any:
    """Explore a scenario path, or decorate a test to run under exploration.

    * ``racelab.explore("file.py::name", settings)``: explore scenarios (a list of results).
    * ``@racelab.explore`` or ``@racelab.explore(strategy="pct", max_schedules=500, seed=1)``
      on a test function: the test body is run under many schedules; any failure fails the
      test with the interleaving and the replay token.
    """
    if isinstance(target, str) or isinstance(settings, Settings):
        if not isinstance(target, str):
            raise TypeError("racelab.explore(target, settings): target must be a path string")
        chosen = Settings(**_checked(options)).over(settings) if options else settings
        return _explorer.explore(target, chosen)
    config = TestConfig(options=_checked(options), outcomes=_outcomes(options))
    if target is None:
        return lambda func: _decorate(func, config)
    if callable(target):
        return _decorate(target, config)
    raise TypeError(f"racelab.explore: expected a path or a test function, not {type(target).__name__}")


def replay(target: Any, token: str | None = None, settings: Settings | None = None) -> Any:
    """Replay one schedule of a scenario, or pin a test to one schedule.

    * ``racelab.replay("file.py::name", "rl1...")``: run that schedule of a scenario.
    * ``@racelab.replay("rl1...")`` on a test: run the test body under exactly that schedule
      (the token printed by a failing explored test).
    """
    if token is None and isinstance(target, str) and target.startswith(schedule.PREFIX):
        schedule.decode(target)  # refuse a damaged token when the test module is imported
        pinned = target
        return lambda func: _decorate(func, dataclasses.replace(_config_of(func), token=pinned))
    if token is None:
        raise TypeError("racelab.replay(target, token): give the scenario path and the token, "
                        "or use @racelab.replay(\"rl1...\") on a test")
    return _explorer.replay(target, token, settings)


def _checked(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - _SETTING_NAMES - {"outcomes"}
    if unknown:
        raise TypeError(f"racelab.explore got unknown options: {', '.join(sorted(unknown))} "
                        f"(known: {', '.join(sorted(_SETTING_NAMES))}, outcomes)")
    return {k: v for k, v in options.items() if k != "outcomes"}


def _outcomes(options: dict[str, Any]) -> dict[str, str]:
    outcomes = options.get("outcomes") or {}
    for grade in outcomes.values():
        if grade not in _explorer.GRADES:
            raise ValueError(f"outcome grade must be one of {', '.join(_explorer.GRADES)}, not {grade!r}")
    return {repr(k): v for k, v in outcomes.items()}


def _config_of(func: Callable[..., Any]) -> TestConfig:
    config = getattr(func, "__racelab_test__", None)
    return config if isinstance(config, TestConfig) else TestConfig()


def _decorate(func: Callable[..., Any], config: TestConfig) -> Callable[..., Any]:
    """Wrap ``func`` (or re-wrap its raw function, when stacked) with ``config``."""
    raw = getattr(func, "__racelab_raw__", func)
    previous = getattr(func, "__racelab_test__", None)
    if isinstance(previous, TestConfig):
        config = TestConfig({**previous.options, **config.options}, config.token or previous.token,
                            config.outcomes or previous.outcomes)
    if not inspect.isfunction(raw):
        raise TypeError(f"racelab.explore/replay decorate test functions, not {type(raw).__name__}")
    if inspect.iscoroutinefunction(raw):
        raise TypeError("racelab.explore/replay cannot decorate coroutine functions; explore threads instead")

    @functools.wraps(raw)
    def run_test(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        if control.active() is not None:  # already inside an execution (a scenario calls the test)
            raw(*args, **kwargs)
            return
        _run(raw, run_test.__racelab_test__, args, kwargs)  # type: ignore[attr-defined]

    run_test.__racelab_test__ = config  # type: ignore[attr-defined]
    run_test.__racelab_raw__ = raw  # type: ignore[attr-defined]
    return run_test


# ---------------------------------------------------------------------------------------
# running a decorated test


def _run(raw: Callable[..., Any], config: TestConfig, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    __tracebackhide__ = True
    from racelab.instrumented import instrumented

    ctx = _context.get()
    settings = config.settings(ctx.overrides if ctx is not None and config.token is None else {})
    test_id = _test_id(raw)
    with _explorer._World(settings.instrument, [inspect.getfile(raw)], settings.no_instrument) as world:
        copy = instrumented(raw, settings.instrument, fresh=True)
        spec = ScenarioSpec(test_id, inspect.getfile(raw), raw.__name__, functools.partial(copy, *args, **kwargs),
                            inspect.getdoc(raw) or "", Settings(), dict(config.outcomes))
        if config.token is not None:
            result = _explorer.replay_spec(spec, schedule.decode(config.token), settings)
        else:
            result = _explorer._Search(spec, settings).run()
        result.instrumented = world.instrumented
    if ctx is not None:
        ctx.record(result)
    if result.failure is not None:
        raise ExplorationFailed(failure_report(result, pinned=config.token is not None), result)


def _test_id(func: Callable[..., Any]) -> str:
    from racelab._core.report import display_path

    return f"{display_path(inspect.getfile(func))}::{func.__qualname__.replace('.', '::')}"


def failure_report(result: ScenarioResult, *, pinned: bool = False) -> str:
    """The text of a failing test: the usual report with the test's way to replay it."""
    from racelab._core.report import render_result

    out = io.StringIO()
    render_result(result, out)
    lines = [line for line in out.getvalue().rstrip().splitlines() if not line.startswith("    Replay: ")]
    assert result.failure is not None
    token = result.failure.schedule
    head = f"racelab: the test fails under {'the pinned schedule' if pinned else 'an explored schedule'}"
    lines = [head, ""] + lines + [
        "",
        f"    Replay token: {token}",
        "    To run exactly this schedule, pin it on the test:",
        f"        @racelab.replay(\"{token}\")",
    ]
    return "\n".join(lines)


def options_from_cli(seed: int | None, max_schedules: int | None, strategy: str | None,
                     instrument: Any = (), no_instrument: Any = ()) -> dict[str, Any]:
    """The plugin's ``--racelab-*`` options as Settings overrides (None: not given)."""
    given = {"seed": seed, "max_schedules": max_schedules, "strategy": strategy,
             "instrument": tuple(instrument or ()) or None, "no_instrument": tuple(no_instrument or ()) or None}
    return {k: v for k, v in given.items() if v is not None}


def config_of(obj: Any) -> TestConfig | None:
    """The racelab configuration of a collected test object, or None for ordinary tests."""
    config = getattr(obj, "__racelab_test__", None)
    return config if isinstance(config, TestConfig) else None


__all__ = ["explore", "replay", "ExplorationFailed", "TestConfig", "Context", "push_context", "pop_context",
           "failure_report", "options_from_cli", "config_of"]
