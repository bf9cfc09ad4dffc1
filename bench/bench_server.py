"""The seed's server experiments: the execution models side by side, C10K, and pool sizing.

A thin front end for ``racelab bench-server`` (``racelab.server.bench``): every server runs in a
subprocess on loopback, load comes from ``wrk`` when installed (else the project's load client),
and the figures are ratios against an asyncio Protocol server measured in the same run.

    python bench/bench_server.py [--quick] [--duration S] [--connections N] [--idle N]
                                 [--skip-sizing] [--no-wrk]
"""

from __future__ import annotations

import sys

from racelab.server.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["bench-server", *sys.argv[1:]]))
