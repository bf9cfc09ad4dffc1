"""``racelab bench-server``: the seed's server experiments, measured side by side in one run.

Why this shape
--------------
* Every server runs in a process of its own (``python -m racelab.server serve --port 0``, or the
  stdlib asyncio yardstick run by path), so its memory is read from ``/proc/PID/status`` alone
  and the load generator never shares an interpreter (or a GIL) with it.
* Load comes from ``wrk`` when it is installed (C, one thread: the other core is the server's),
  else from the project's own client (``racelab.server.loadgen``, one Python thread, which then
  limits the figures; the table says which one was used).
* C10K: each idle connection first completes one request (so it is a real keep-alive connection,
  known to the server), then stays open while the server's resident memory is read. The file
  descriptor limit is raised to its hard limit here, and inherited by the servers (``serve``
  raises its own too); a model is skipped with a note when the limit is too low.
* Throughput: both sides serve the trivial route ``GET /plaintext`` (a constant response, which
  the racelab server still counts: the ``counters`` state piece runs on ``thread_local``, the
  cheapest correct remedy, ~4x cheaper per record than ``mutex`` and ~5x than ``atomic``).
  Before measuring, one response from every server is compared byte for byte with the asyncio
  server's; after each run the server's own count of answered requests is read from ``/_stats``.
* Pool sizing: one client per worker, so no request ever waits for, or is refused by, the pool;
  throughput is measured for each pool size and the knee (the smallest size within 5 % of the
  best) is printed beside the rule N·(1+WT/CT).

Benchmarks print figures; no test asserts on them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import IO, Callable, Iterator

from racelab.server.loadgen import LoadOptions, _parse_response, fetch_stats, raise_fd_limit, run_load

ASYNCIO = "asyncio"
MODELS = ("inline", "pool", "thread-per-connection", "process-per-connection")
IDLE_MODELS = ("inline", "pool", "thread-per-connection", ASYNCIO)
PEER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asyncio_peer.py")
GOAL_INLINE = 1.0
GOAL_POOL = 0.5
GOAL_IDLE_RSS_MB = 32.0
WAIT_MS = 10.0
COMPUTE_MS = 1.0
CORES = os.cpu_count() or 1
BENCH_PATH = "/plaintext"
BENCH_REMEDY = ("--counters", "thread_local")


@dataclasses.dataclass(frozen=True)
class Figures:
    """One load run against one server."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx responses plus socket errors
    rss_mb: float  # the server's peak resident memory seen during the run (children included)
    counted: int | None = None  # 200s the server counted itself (/_stats), None for asyncio
    same_bytes: bool = True  # its response to the bench request equals the asyncio server's
    ratio: float = 1.0  # median over the rounds of (this server's req/s / asyncio's in the same round)
    ratio_range: tuple[float, float] = (1.0, 1.0)  # the smallest and largest of those ratios


@dataclasses.dataclass(frozen=True)
class IdleFigures:
    held: int
    rss_mb: float  # with the connections held
    base_mb: float = 0.0  # before the first connection
    note: str = ""

    @property
    def kb_per_conn(self) -> float:
        return (self.rss_mb - self.base_mb) * 1024 / self.held if self.held else 0.0


@dataclasses.dataclass(frozen=True)
class SizingPoint:
    workers: int
    rps: float
    p99_ms: float


# ------------------------------------------------------------------------------ processes


class ServerProcess:
    """A server in a subprocess; ``address`` is parsed from its ``listening on`` line."""

    def __init__(self, argv: list[str], start_timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = _readline(self.proc, start_timeout)
        match = re.match(r"listening on ([\d.]+):(\d+)", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"server did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.host, self.port = match.group(1), int(match.group(2))

    @staticmethod
    def racelab(model: str, *extra: str) -> "ServerProcess":
        return ServerProcess([sys.executable, "-m", "racelab.server", "serve", "--port", "0", "--model", model,
                              "--idle-timeout", "600", "--header-timeout", "600", *extra])

    @staticmethod
    def asyncio_peer() -> "ServerProcess":
        return ServerProcess([sys.executable, "-I", PEER_FILE])  # -I: stdlib only, no racelab on the path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident memory of the server and its children (process-per-connection), in MB."""
        return sum(_vm_rss_kb(pid) for pid in _process_tree(self.pid)) / 1024

    def fd_limit(self) -> int:
        try:
            with open(f"/proc/{self.pid}/limits", encoding="ascii") as f:
                for line in f:
                    if line.startswith("Max open files"):
                        return int(line.split()[3])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0].strip() if box else ""


def _vm_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


class RssSampler:
    """Samples a server's resident memory while a load runs; ``peak`` is the largest seen."""

    def __init__(self, server: ServerProcess, every: float = 0.25) -> None:
        self.server, self.every, self.peak = server, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss_mb())

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.server.rss_mb())


# ---------------------------------------------------------------------------------- load


class Loader:
    """``wrk`` when present, else the project's load client."""

    def __init__(self, use_wrk: bool | None = None) -> None:
        found = shutil.which("wrk")
        self.wrk = found if (use_wrk is None or use_wrk) else None
        self.name = "wrk (1 thread)" if self.wrk else "racelab.server.loadgen (one Python thread)"

    def run(self, host: str, port: int, connections: int, duration: float,
            path: str = "/") -> tuple[float, float, float, int]:
        """(requests/s of 2xx responses, p50 ms, p99 ms, errors)."""
        if self.wrk:
            return _run_wrk(self.wrk, host, port, connections, duration, path)
        report = run_load(LoadOptions(host, port, connections, requests=10_000_000, duration=duration, path=path))
        ok = sum(n for code, n in report.by_status.items() if 200 <= code < 300)
        errors = report.received - ok + report.unanswered + report.connect_errors
        return ok / report.elapsed_s, report.latency_ms["p50"], report.latency_ms["p99"], errors


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _run_wrk(wrk: str, host: str, port: int, connections: int, duration: float,
             path: str) -> tuple[float, float, float, int]:
    seconds = max(1, round(duration))
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
            f"http://{host}:{port}{path}"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30).stdout
    total = _search_float(r"(\d+) requests in", out)
    non2xx = _search_float(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    elapsed = _wrk_elapsed(out) or seconds
    rps = (total - non2xx) / elapsed
    return rps, _wrk_latency(out, "50%"), _wrk_latency(out, "99%"), int(non2xx) + socket_errors


def _search_float(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def _wrk_elapsed(text: str) -> float:
    match = re.search(r"requests in ([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] / 1000 if match else 0.0


def _wrk_latency(text: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0


# ------------------------------------------------------------------------- the experiments


def measure(server: ServerProcess, loader: Loader, connections: int, duration: float, path: str = "/") -> Figures:
    with RssSampler(server) as rss:
        rps, p50, p99, errors = loader.run(server.host, server.port, connections, duration, path)
    return Figures(rps, p50, p99, errors, rss.peak)


REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def hold_idle(server: ServerProcess, count: int, batch: int = 250) -> IdleFigures:
    """Open ``count`` keep-alive connections, one request each, hold them; the server's RSS."""
    socks: list[socket.socket] = []
    try:
        for start in range(0, count, batch):
            group = [_connect(server.host, server.port) for _ in range(min(batch, count - start))]
            socks.extend(group)
            for sock in group:
                sock.sendall(REQUEST)
            for sock in group:
                _read_one(sock)
        time.sleep(0.3)
        return IdleFigures(len(socks), server.rss_mb())
    except OSError as exc:
        return IdleFigures(len(socks), server.rss_mb(), note=f"stopped at {len(socks)} connections: {exc}")
    finally:
        for sock in socks:
            sock.close()


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_one(sock: socket.socket) -> None:
    buf = bytearray()
    while _parse_response(buf) is None:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed an idle connection early")
        buf += chunk


def pool_sizes(quick: bool, best_guess: int) -> list[int]:
    if quick:
        return [1, max(2, best_guess // 2), best_guess]
    return sorted({1, 2, 4, 8, best_guess // 2, best_guess, 16, 2 * best_guess, 32})


def measure_pool_sizes(loader: Loader, sizes: list[int], duration: float) -> list[SizingPoint]:
    path = f"/work?wait_ms={WAIT_MS:g}&compute_ms={COMPUTE_MS:g}"
    points = []
    for n in sizes:
        server = ServerProcess.racelab("pool", "--max-workers", str(n))
        try:
            rps, _, p99, _ = loader.run(server.host, server.port, n, duration, path)
        finally:
            server.stop()
        points.append(SizingPoint(n, rps, p99))
    return points


# ------------------------------------------------------------------------------- printing


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _table(header: list[str], rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    yield _row(header, widths)
    yield _row(["-" * w for w in widths], widths)
    for r in rows:
        yield _row(r, widths)


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def probe(server: ServerProcess, path: str = BENCH_PATH) -> bytes:
    """The exact bytes of one response to a ``wrk``-like request for ``path``."""
    with _connect(server.host, server.port) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path.encode(), server.host.encode(), server.port))
        raw = b""
        while _parse_response(bytearray(raw)) is None:  # the parser consumes what it parses: a copy
            chunk = sock.recv(4096)
            if not chunk:
                break
            raw += chunk
        return raw


def _counted(server: ServerProcess) -> int | None:
    try:
        return int(fetch_stats(server.host, server.port, check_log=False)["counters"].get("status_200", 0))
    except (OSError, ValueError, KeyError):
        return None


def run_models(loader: Loader, connections: int, duration: float, out: Callable[[str], None],
               rounds: int = 3) -> dict[str, Figures]:
    """Every server runs at once (the idle ones sleep in ``poll``); after a warm-up each, the
    rounds measure them one after the other, so a change in the machine's background load
    shifts a round of every server alike and the ratio of one round stays comparable. A
    server's figures are the medians over the rounds; its ratio is the median of its per-round
    ratios to the asyncio server."""
    names = (ASYNCIO, *MODELS)
    servers: dict[str, ServerProcess] = {}
    runs: dict[str, list[Figures]] = {name: [] for name in names}
    try:
        for name in names:
            servers[name] = ServerProcess.asyncio_peer() if name == ASYNCIO else ServerProcess.racelab(name, *BENCH_REMEDY)
        reference = probe(servers[ASYNCIO])
        same = {name: probe(server) == reference for name, server in servers.items()}
        for server in servers.values():  # warm-up: workers started, caches filled, pages touched
            loader.run(server.host, server.port, connections, min(1.0, duration), BENCH_PATH)
        for _ in range(rounds):
            for name in names:
                runs[name].append(measure(servers[name], loader, connections, duration, BENCH_PATH))
        time.sleep(0.2)  # process-per-connection: children report when their connection ends
        counted = {name: _counted(server) for name, server in servers.items() if name != ASYNCIO}
    finally:
        for server in servers.values():
            server.stop()
    results = {name: _summary(figs, runs[ASYNCIO], counted.get(name), same[name]) for name, figs in runs.items()}
    rows = [[name, f"{f.rps:,.0f}", f"{f.ratio:.2f}x", f"{f.ratio_range[0]:.2f}-{f.ratio_range[1]:.2f}",
             f"{f.p50_ms:.2f}", f"{f.p99_ms:.2f}", f"{f.rss_mb:.1f}", str(f.errors),
             "-" if f.counted is None else f"{f.counted:,}", "yes" if f.same_bytes else "NO"]
            for name, f in results.items()]
    out(f"## Throughput: GET {BENCH_PATH}, {connections} keep-alive connections, {rounds} round(s) of {duration:g} s "
        f"per server after a warm-up, load from {loader.name}")
    out(f"(racelab servers: {' '.join(BENCH_REMEDY)}, the cheapest correct counter remedy, other state on mutex. "
        f"req/s, p50, p99: medians over the rounds; vs asyncio: median of the per-round ratios, range: their "
        f"smallest and largest; RSS: peak, process-per-connection adds its children, shared pages counted in "
        f"each; counted: 200s the server counted itself (/_stats, warm-up and probe included); same bytes: its "
        f"response equals the asyncio server's {len(reference)} bytes)")
    for line in _table(["model", "req/s", "vs asyncio", "range", "p50 ms", "p99 ms", "RSS MB", "errors", "counted",
                        "same bytes"], rows):
        out(line)
    return results


def _summary(figs: list[Figures], base: list[Figures], counted: int | None, same: bool) -> Figures:
    ratios = [f.rps / b.rps if b.rps else 0.0 for f, b in zip(figs, base)]
    return Figures(
        rps=statistics.median(f.rps for f in figs), p50_ms=statistics.median(f.p50_ms for f in figs),
        p99_ms=statistics.median(f.p99_ms for f in figs), errors=sum(f.errors for f in figs),
        rss_mb=max(f.rss_mb for f in figs), counted=counted, same_bytes=same, ratio=statistics.median(ratios),
        ratio_range=(min(ratios), max(ratios)),
    )


def run_idle(count: int, out: Callable[[str], None]) -> dict[str, IdleFigures]:
    limit = raise_fd_limit()
    out("")
    out(f"## C10K: {count:,} idle keep-alive connections held (one request each first); fd limit {limit}")
    results: dict[str, IdleFigures] = {}
    for name in IDLE_MODELS:
        results[name] = _idle_one(name, count, limit)
    rows = [[name, f"{f.held:,}", f"{f.rss_mb:.1f}" if f.held else "-", f"{f.base_mb:.1f}" if f.held else "-",
             f"{f.kb_per_conn:.1f}" if f.held else "-", f.note] for name, f in results.items()]
    rows.append(["process-per-connection", "-", "-", "-", "-", f"skipped: would fork {count:,} processes"])
    for line in _table(["model", "held", "RSS MB", "before MB", "KB/conn", "note"], rows):
        out(line)
    return results


def _idle_one(name: str, count: int, limit: int) -> IdleFigures:
    needed = count + 64
    if limit < needed:
        return IdleFigures(0, 0.0, f"skipped: fd limit {limit} < {needed}; raise `ulimit -n`")
    server = ServerProcess.asyncio_peer() if name == ASYNCIO else ServerProcess.racelab(name)
    try:
        if server.fd_limit() and server.fd_limit() < needed:
            return IdleFigures(0, 0.0, f"skipped: the server's fd limit is {server.fd_limit()} < {needed}")
        base = server.rss_mb()
        return dataclasses.replace(hold_idle(server, count), base_mb=base)
    finally:
        server.stop()


def run_sizing(loader: Loader, duration: float, quick: bool, out: Callable[[str], None]) -> list[SizingPoint]:
    ratio = 1 + WAIT_MS / COMPUTE_MS
    rule = round(CORES * ratio)
    gil = round(ratio)
    points = measure_pool_sizes(loader, pool_sizes(quick, rule), duration)
    best = max(p.rps for p in points) or 1.0
    knee = min(p.workers for p in points if p.rps >= 0.95 * best)
    out("")
    out(f"## Pool sizing: handler waits {WAIT_MS:g} ms (WT) then computes {COMPUTE_MS:g} ms (CT); "
        f"pool model, one client per worker, {duration:g} s each")
    rows = [[str(p.workers), f"{p.rps:,.0f}", f"{p.rps / best:.0%}", f"{p.p99_ms:.1f}"] for p in points]
    for line in _table(["workers", "req/s", "of best", "p99 ms"], rows):
        out(line)
    out(f"rule N*(1+WT/CT) with N={CORES} cores: {rule} workers;  with N=1 (the GIL): {gil};  "
        f"measured knee (smallest pool within 5% of the best): {knee}")
    out(f"the GIL lets one thread run Python at a time: the compute is serialised, so N is effectively 1; "
        f"the best throughput, {best:,.0f} req/s, stays under 1/CT = {1000 / COMPUTE_MS:,.0f} req/s where "
        f"{CORES} cores would allow {CORES * 1000 / COMPUTE_MS:,.0f}. A worker woken from its wait also queues for "
        f"the GIL behind the ones computing (up to the {sys.getswitchinterval() * 1000:g} ms switch interval), "
        f"which lengthens WT: the knee lands at or above the N=1 figure, and more workers than that buy little.")
    return points


def goals(models: dict[str, Figures], idle: dict[str, IdleFigures], connections: int,
          out: Callable[[str], None]) -> bool:
    inline, pool = models["inline"].ratio, models["pool"].ratio
    fair = models["inline"].same_bytes and models["pool"].same_bytes  # else the ratios compare unlike work
    out("")
    out("## Goals (median per-round ratios against the asyncio Protocol server in this run)")
    ok = True
    checks = [
        (f"inline >= {GOAL_INLINE:.1f}x asyncio req/s at {connections} connections", fair and inline >= GOAL_INLINE,
         f"{inline:.2f}x" + ("" if fair else " (responses differ)")),
        (f"pool   >= {GOAL_POOL:.1f}x asyncio req/s at {connections} connections", fair and pool >= GOAL_POOL,
         f"{pool:.2f}x" + ("" if fair else " (responses differ)")),
    ]
    held = idle.get("inline")
    if held is not None and held.held:
        checks.append((f"inline holds {held.held:,} idle connections in <= {GOAL_IDLE_RSS_MB:g} MB RSS",
                       held.rss_mb <= GOAL_IDLE_RSS_MB, f"{held.rss_mb:.1f} MB"))
    for text, met, figure in checks:
        ok &= met
        out(f"{_verdict(met):6}  {text}: {figure}")
    return ok


def main(duration: float = 3.0, connections: int = 50, idle: int = 10000, sizing: bool = True,
         out: IO[str] = sys.stdout, quick: bool = False, use_wrk: bool | None = None, rounds: int = 3) -> bool:
    """Run the experiments and print the tables; True when every goal measured was met."""

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    loader = Loader(use_wrk)
    raise_fd_limit()
    say(f"racelab bench-server: {CORES} cores, Python {sys.version.split()[0]}, load from {loader.name}, "
        f"load average at start {_loadavg()}")
    models = run_models(loader, connections, duration, say, rounds)
    idle_figures = run_idle(idle, say) if idle else {}
    if sizing:
        run_sizing(loader, duration if not quick else min(duration, 1.0), quick, say)
    met = goals(models, idle_figures, connections, say)
    say(f"load average at end {_loadavg()} (other work on the machine shifts every figure; the ratios less)")
    return met


def _loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
