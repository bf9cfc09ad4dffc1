"""The ``racelab run`` subcommand: a real program under the live race detector."""

from __future__ import annotations

import argparse
import json
import sys

from racelab.detect.runner import LiveReport, run_module, run_program
from racelab.detect.report import render_all
from racelab.errors import UsageError

RACE_EXIT_STATUS = 66
"""The exit status when ``--fail-on-race`` is given and races were found (as Go's -race)."""

_DESCRIPTION = """\
Run a real Python program (real OS threads, sockets and files; no controlled scheduling) with the
instrumentation and the happens-before race detector on. When it exits, print the data races and
lock-order inversions seen on stderr. Exit status: the program's, or 66 with --fail-on-race when a
race was found.

With -m MODULE, run a module as 'python -m MODULE' does (a package runs its __main__); everything
after the module name is passed to it: racelab run --instrument mylib -m pytest tests/"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run", help="run a real program with the race detector on", description=_DESCRIPTION,
        usage="%(prog)s [options] (script.py | -m MODULE) [args...]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("script", nargs="?", help="the Python file to run as __main__")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    parser.add_argument("--fail-on-race", action="store_true", help="exit with status 66 when a race was found")
    parser.add_argument(
        "--instrument", action="append", default=[], metavar="MODULE",
        help="also instrument this installed module or package (repeatable; the program's own "
             "modules are instrumented without asking)",
    )
    parser.add_argument(
        "--no-instrument", action="append", default=[], metavar="MODULE",
        help="do not instrument this module or package of the program's own (repeatable)",
    )
    parser.add_argument("--json", metavar="FILE", dest="json_path", help="also write the report as JSON to FILE")
    parser.add_argument(
        "-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE",
        help="run a module as 'python -m' does; the arguments after it are the module's",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    report = _run(args)
    _print_report(report)
    if args.json_path:
        _write_json(args.json_path, report)
    if args.fail_on_race and report.races:
        return RACE_EXIT_STATUS
    return report.status


def _run(args: argparse.Namespace) -> LiveReport:
    instrument = tuple(args.instrument)
    exclude = tuple(args.no_instrument)
    if args.module is not None:
        if not args.module or args.module[0].startswith("-"):
            raise UsageError("racelab run -m needs a module name")
        name, *argv = args.module
        return run_module(name, argv, instrument, exclude)
    if args.script is None:
        raise UsageError("racelab run needs a script or -m MODULE")
    if not args.script.endswith(".py"):
        raise UsageError(f"racelab run expects a Python file, got {args.script!r}")
    return run_program(args.script, list(args.args), instrument, exclude)


def _print_report(report: LiveReport) -> None:
    sys.stdout.flush()
    print(render_all(list(report.races), list(report.cycles)), file=sys.stderr)


def _write_json(path: str, report: LiveReport) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(report.to_json(), out, indent=2)
            out.write("\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc
