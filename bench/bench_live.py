"""Live-mode overhead: a lock-heavy loop of four threads, plain vs ``racelab run``.

Each thread does ``with lock: counter.value += 1`` N times (a lock hand-off and a read and a
write of a shared attribute per iteration: the worst case for a race detector, all events
and almost no other work). The workload times its own threaded section; the script runs it
in fresh interpreters, plain and under the live detector, and prints both and the ratio
(best of ``--repeat`` alternating runs each), by wall clock and by process CPU time:
on a shared machine the CPU figure is the steadier one.

    python bench/bench_live.py [--iterations 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

WORKLOAD = '''
import sys
import threading
import time


class Counter:
    def __init__(self):
        self.value = 0


def work(counter, lock, n):
    for _ in range(n):
        with lock:
            counter.value += 1


def main(n):
    counter = Counter()
    lock = threading.Lock()
    threads = [threading.Thread(target=work, args=(counter, lock, n)) for _ in range(4)]
    start, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert counter.value == 4 * n, counter.value
    print(f"elapsed {elapsed:.6f} cpu {cpu:.6f}")


main(int(sys.argv[1]))
'''

LIVE = "import sys; from racelab.detect.runner import run_program; sys.exit(run_program(sys.argv[1], sys.argv[2:]).status)"


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of the workload's threaded section."""
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("elapsed "):
            fields = line.split()
            return float(fields[1]), float(fields[3])
    raise RuntimeError(f"no timing in output: {done.stdout!r} {done.stderr!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000, help="loop iterations per thread")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant (best is kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "lock_loop.py")
        with open(script, "w", encoding="utf-8") as out:
            out.write(WORKLOAD)
        n = str(args.iterations)
        plains, lives = [], []
        for _ in range(args.repeat):  # alternate, so that a busy machine slows both alike
            plains.append(_timed([sys.executable, script, n]))
            lives.append(_timed([sys.executable, "-c", LIVE, script, n]))
    ops = 4 * args.iterations
    print(f"python {sys.version.split()[0]}, 4 threads x {args.iterations} iterations of `with lock: counter.value += 1`")
    print("round   plain wall    live wall   ratio   (cpu ratio)")
    for index, (plain_run, live_run) in enumerate(zip(plains, lives), 1):
        print(f"{index:5d} {plain_run[0]:10.3f} s {live_run[0]:10.3f} s {live_run[0] / plain_run[0]:6.1f} x"
              f"   ({live_run[1] / max(plain_run[1], 1e-9):.1f} x)")
    for label, column in (("wall", 0), ("cpu", 1)):
        plain = min(run[column] for run in plains)
        live = min(run[column] for run in lives)
        print(f"best {label:4s}  plain {plain:7.3f} s ({plain / ops * 1e6:5.2f} us/it)   "
              f"racelab run {live:7.3f} s ({live / ops * 1e6:5.2f} us/it)   overhead {live / plain:5.1f} x")


if __name__ == "__main__":
    main()
