"""``python -m racelab.server serve|load|bench-server ...``: the server commands on their own."""

from __future__ import annotations

import argparse
import sys

from racelab.errors import UsageError
from racelab.server.commands import add_commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m racelab.server")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
