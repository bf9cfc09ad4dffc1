"""asyncio with worker threads: the event loop waits in its selector, the executor's threads run."""

import asyncio
import threading

box = {"n": 0}
lock = threading.Lock()


def work():
    value = box["n"]
    box["n"] = value + 1


def locked_work():
    with lock:
        box["n"] += 1


async def _both(fn):
    await asyncio.gather(asyncio.to_thread(fn), asyncio.to_thread(fn))


async def _in_executor(fn):
    loop = asyncio.get_running_loop()
    await asyncio.gather(loop.run_in_executor(None, fn), loop.run_in_executor(None, fn))


def scenario_to_thread_lost_update():
    box["n"] = 0
    asyncio.run(_both(work))
    assert box["n"] == 2, box["n"]


def scenario_to_thread_locked():
    box["n"] = 0
    asyncio.run(_both(locked_work))
    assert box["n"] == 2, box["n"]


def scenario_run_in_executor_lost_update():
    box["n"] = 0
    asyncio.run(_in_executor(work))
    assert box["n"] == 2, box["n"]


def scenario_sleep_is_virtual():
    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(30)
        return loop.time() - start

    assert asyncio.run(main()) >= 30
