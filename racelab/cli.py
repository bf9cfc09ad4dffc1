"""The command line: ``racelab explore``, ``replay`` and the commands of the lab, detector and server.

Exit status: 0 nothing found, 1 a failure found, 2 bad input (one line on stderr),
3 an internal error (labelled as such). ``racelab run`` exits with the program's status,
or 66 when it found races under ``--fail-on-race``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn, Sequence

from racelab import __version__
from racelab.errors import REPORT_URL, NondeterminismError, RacelabError, UsageError

#: Modules that add sub-commands (each has ``add_commands(subparsers)``).
COMMAND_MODULES = ("racelab.lab.commands", "racelab.detect.commands", "racelab.server.commands")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def add_exploration_options(p: argparse.ArgumentParser, *, with_budget: bool = True) -> None:
    """The options every exploring command shares (explore, compare, ...)."""
    if with_budget:
        p.add_argument("--strategy", choices=("portfolio", "random", "pct", "dfs", "dpor"),
                       help="how to choose schedules (default: portfolio)")
        p.add_argument("--seed", type=int, help="seed of the random strategies (default 0)")
        p.add_argument("--max-schedules", type=positive_int, metavar="N", help="stop after N schedules (default 1000)")
        p.add_argument("--time-limit", type=positive_float, metavar="SECONDS",
                       help="stop exploring a scenario after this long (default 10)")
        p.add_argument("--preemption-bound", type=natural, metavar="K", help="dfs: at most K preemptions (default 2); dpor: bounded partial-order reduction "
                       "within K preemptions (default: no bound)")
        p.add_argument("--depth", type=positive_int, metavar="D", help="pct: bug depth (default 3)")
    p.add_argument("--max-steps", type=positive_int, metavar="N",
                   help="scheduling steps of one execution before it counts as a livelock (default 20000)")
    p.add_argument("--max-threads", type=positive_int, metavar="N", help="threads a scenario may start (default 64)")
    p.add_argument("--stall-timeout", type=positive_float, metavar="SECONDS",
                   help="a thread that runs this long without a scheduling point counts as stuck (default 2)")
    p.add_argument("--instrument", action="append", default=[], metavar="MODULE",
                   help="also instrument this installed module or package (repeatable; the modules of "
                        "the scenario's own project are instrumented without asking)")
    p.add_argument("--no-instrument", action="append", default=[], metavar="MODULE",
                   help="do not instrument this module or package of the project (repeatable); "
                        "what it does unseen makes the verdict inconclusive")
    p.add_argument("--fail-on-race", action="store_true", default=None, help="a data race is a failure")
    p.add_argument("--no-races", dest="detect", action="store_false", default=None,
                   help="do not run the race and lock-order detectors")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def settings_from(args: argparse.Namespace) -> Any:
    from racelab import Settings

    fields = ("strategy", "seed", "max_schedules", "time_limit", "preemption_bound", "depth", "max_steps",
              "max_threads", "fail_on_race", "detect", "stall_timeout")
    values = {f: getattr(args, f, None) for f in fields}
    return Settings(instrument=tuple(getattr(args, "instrument", ()) or ()),
                    no_instrument=tuple(getattr(args, "no_instrument", ()) or ()), **values)


def positive_int(text: str) -> int:
    value = natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def _replay_extra(args: argparse.Namespace) -> list[str]:
    extra = []
    for name in getattr(args, "instrument", ()) or ():
        extra += ["--instrument", name]
    for name in getattr(args, "no_instrument", ()) or ():
        extra += ["--no-instrument", name]
    return extra


def cmd_explore(args: argparse.Namespace) -> int:
    """Explore every target; Ctrl-C stops with the results so far (exit status 130)."""
    from racelab._core import control, report
    from racelab._core.explorer import iterate

    settings = settings_from(args)
    results: list[Any] = []
    out, err = sys.stdout, sys.stderr
    interrupted = False

    def finish() -> None:
        if args.json:
            print(report.to_json(results, __version__, interrupted=interrupted), file=out)
        else:
            if getattr(args, "verbose", False):
                modules = list(dict.fromkeys(m for r in results for m in r.instrumented))
                print(f"instrumented modules: {', '.join(modules) or 'none'}", file=out)
            report.render_summary(results, out, interrupted=interrupted)
        out.flush()

    def give_up(why: str) -> None:  # on the watchdog's thread, while the main thread is stuck
        finish()
        print(f"racelab: error: {why}; giving up", file=err)
        err.flush()
        os._exit(2)

    control.watchdog.give_up = give_up
    try:
        for target in args.targets:
            for result in iterate(target, settings):
                results.append(result)
                interrupted = result.interrupted
                if not args.json:
                    report.render_result(result, out, extra_replay_args=_replay_extra(args))
                    out.flush()
            if interrupted:
                break
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside exploration
        interrupted = True
    finally:
        control.watchdog.give_up = None
    finish()
    if interrupted:
        return 130
    return 1 if any(r.verdict == "fail" for r in results) else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from racelab._core import report
    from racelab._core.explorer import replay

    result = replay(args.target, args.token, settings_from(args))
    if args.json:
        print(report.to_json([result], __version__))
        return 1 if result.failure else 0
    out = sys.stdout
    out.write(f"Replaying {result.id} {args.token}\n\n")
    for line in report.render_trace(result.trace):
        out.write(line + "\n")
    out.write("\n")
    if result.failure:
        f = result.failure
        out.write(f"REPRODUCED  {f.message}  ({f.kind}, in thread {f.thread})\n")
        for line in f.details:
            out.write(f"  {line}\n")
        if f.traceback and f.kind in ("assertion", "exception"):
            for line in f.traceback.rstrip().splitlines():
                out.write(f"  {line}\n")
        return 1
    out.write("this schedule passes (the failure did not reproduce)\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="racelab", description="A thread-safety bug lab: explore thread interleavings, "
                     "replay them exactly, find data races and deadlocks.")
    parser.add_argument("--version", action="version", version=f"racelab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("explore", help="explore the schedules of scenario files")
    p.add_argument("targets", nargs="+", metavar="TARGET", help="a file, FILE::NAME, or a directory")
    p.add_argument("-v", "--verbose", action="store_true", help="also list the modules that were instrumented")
    add_exploration_options(p)
    p.set_defaults(func=cmd_explore)
    p = sub.add_parser("replay", help="run exactly one schedule from its token and print its trace")
    p.add_argument("target", metavar="FILE::NAME")
    p.add_argument("token", metavar="TOKEN")
    add_exploration_options(p, with_budget=False)
    p.set_defaults(func=cmd_replay)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args))
    except NondeterminismError as exc:
        print(f"racelab: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"racelab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("racelab: interrupted", file=sys.stderr)
        return 130
    except RacelabError as exc:
        print(f"racelab: {exc}", file=sys.stderr)
        return 3 if "internal error" in str(exc) else 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        import traceback

        traceback.print_exc()
        print(f"racelab internal error: {type(exc).__name__}: {exc} "
              f"(please report it at {REPORT_URL} with the command you ran)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
