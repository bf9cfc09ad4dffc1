"""Child processes in scenarios: subprocess runs uncontrolled, multiprocessing is refused."""

import concurrent.futures
import multiprocessing
import os
import subprocess
import sys
import threading


def _square(x):
    return x * x


def scenario_subprocess_run():
    out = []

    def work():
        done = subprocess.run([sys.executable, "-c", "print('hi')"], capture_output=True, text=True, timeout=30)
        out.append(done.stdout)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["hi\n", "hi\n"], out


def scenario_multiprocessing_pool():
    with multiprocessing.Pool(2) as pool:
        assert pool.map(_square, [1, 2, 3]) == [1, 4, 9]


def scenario_spawned_process():
    p = multiprocessing.get_context("spawn").Process(target=_square, args=(2,))
    p.start()
    p.join()


def scenario_process_pool_executor():
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        assert list(pool.map(_square, [1, 2])) == [1, 4]


def scenario_fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
