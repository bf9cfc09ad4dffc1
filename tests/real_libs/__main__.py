"""Run one library's suite plain and in other modes, and show the tests whose outcome differs.

From the repository root::

    python -m tests.real_libs cachetools              # plain, then live and explore
    python -m tests.real_libs cachetools live         # plain, then live only
    python -m tests.real_libs cachetools live --full  # and every differing test's whole report
    python -m tests.real_libs cachetools --reuse      # show the last runs again, run none
    python -m tests.real_libs boltons live -k "not test_seqguiderator"   # a part of the suite
    python -m tests.real_libs --list                  # the libraries, their suites and stresses

Each run keeps its directory (``--workdir``, by default ``/tmp/racelab-difftest``):
``<library>/<mode>/`` holds the copied sdist (``src/``), ``outcomes.jsonl``, ``run.log``
(or ``pytest.log`` and ``explore.json`` for explore) and, for explore, the generated
``difftest_scenario.py``, so a run can be repeated by hand from there.
Exit status: 0 when every mode passes the same tests as plain, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from . import fetch, harness
from .libraries import BY_NAME, LIBRARIES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.real_libs", description=__doc__.split("\n\n")[0])
    parser.add_argument("library", nargs="?", choices=sorted(BY_NAME), metavar="LIBRARY")
    parser.add_argument("modes", nargs="*", metavar="MODE", help="live and/or explore (default: both)")
    parser.add_argument("--list", action="store_true", help="list the libraries and exit")
    parser.add_argument("--full", action="store_true", help="print the whole report of every differing test")
    parser.add_argument("--timeout", type=float, help="wall-clock limit of each run, in seconds")
    parser.add_argument("-k", dest="select", metavar="EXPRESSION", help="pytest's -k, in every run")
    parser.add_argument("--deselect", action="append", default=[], metavar="NODEID",
                        help="pytest's --deselect, in every run (repeatable)")
    parser.add_argument("--reuse", action="store_true",
                        help="read the runs already in the workdir instead of running again (where there are some)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "racelab-difftest")
    args = parser.parse_args(argv)
    if args.list or args.library is None:
        for library in LIBRARIES:
            print(f"{library.name}=={library.sdist.version}  instrument {','.join(library.modules)}  "
                  f"tests {' '.join(library.tests + library.pytest_args)}\n    {library.stresses}")
        return 0
    unknown = [mode for mode in args.modes if mode not in ("live", "explore")]
    if unknown:
        parser.error(f"unknown mode {unknown[0]!r} (choose from live, explore)")
    library = BY_NAME[args.library]
    try:
        plain = _run(library, "plain", args)
        different = False
        for mode in args.modes or ["live", "explore"]:
            diff = harness.compare(plain, _run(library, mode, args))
            print(harness.render(diff, examples=5))
            if args.full and not diff.same:
                print(harness.details(diff.other, diff.lost))
            print()
            different |= not diff.same
    except fetch.Unreachable as exc:
        print(f"PyPI unreachable: {exc}", file=sys.stderr)
        return 2
    return 1 if different else 0


def _run(library: "harness.Library", mode: str, args: argparse.Namespace) -> harness.SuiteRun:
    workdir = args.workdir / library.name / mode
    if args.reuse and (workdir / "status.json").is_file():
        return harness.read_run(library, mode, workdir)
    print(f"{library.name} {mode}: running in {workdir} ...", file=sys.stderr, flush=True)
    extra = (["-k", args.select] if args.select else []) + [f"--deselect={test}" for test in args.deselect]
    run = harness.run_suite(library, mode, workdir, args.timeout, extra)
    print(f"  {run.summary()}\n  command (from {workdir / 'src'}): {shlex.join(run.command)}",
          file=sys.stderr, flush=True)
    return run


if __name__ == "__main__":
    sys.exit(main())
