"""``racelab serve``, ``racelab load`` and ``racelab bench-server``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict
from typing import Any

from racelab.errors import UsageError
from racelab.server.loadgen import (LoadOptions, LoadReport, Reconciliation, parse_address, raise_fd_limit,
                                    reconcile, run_load)
from racelab.server.reactor import Model, Server, ServerOptions, set_switch_interval
from racelab.server.state import SUPPORTED, Piece, Remedies, Remedy


def add_commands(subparsers: Any) -> None:
    _add_serve(subparsers)
    _add_load(subparsers)
    _add_bench(subparsers)


# ------------------------------------------------------------------------------- serve


def _add_serve(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="run the epoll server core (loopback by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--model", choices=[m.value for m in Model], default=Model.INLINE.value)
    p.add_argument("--remedy", choices=[r.value for r in Remedy], default=Remedy.MUTEX.value,
                   help="remedy for every piece of shared state (each piece falls back to its own fix)")
    for piece in Piece:
        p.add_argument(f"--{piece.value}", choices=[r.value for r in SUPPORTED[piece]], default=None,
                       help=f"override the remedy of the {piece.value}")
    p.add_argument("--max-workers", type=int, default=64, help="pool model: most workers at once")
    p.add_argument("--max-idle", type=float, default=10.0, help="pool model: reap workers idle this long (s)")
    p.add_argument("--max-batch", type=int, default=64,
                   help="pool model: most connections handed to one worker at once (1: one each)")
    p.add_argument("--idle-timeout", type=float, default=15.0, help="close idle keep-alive connections (s)")
    p.add_argument("--header-timeout", type=float, default=5.0, help="close clients slow to send headers (s)")
    p.add_argument("--access-log", default=None, help="append an access log to this file")
    p.add_argument("--switch-interval", type=float, default=None, help="sys.setswitchinterval for this process")
    p.set_defaults(func=_serve)


def server_options(args: argparse.Namespace) -> ServerOptions:
    overrides = {piece.value: Remedy(getattr(args, piece.value)) for piece in Piece if getattr(args, piece.value)}
    try:
        remedies = Remedies.everywhere(Remedy(args.remedy), **overrides)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0..65535")
    if args.max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    if args.max_batch < 1:
        raise UsageError("--max-batch must be at least 1")
    for name in ("max_idle", "idle_timeout", "header_timeout"):
        if getattr(args, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive")
    return ServerOptions(
        host=args.host, port=args.port, model=Model(args.model), remedies=remedies,
        max_workers=args.max_workers, max_idle_worker=args.max_idle, idle_timeout=args.idle_timeout,
        header_timeout=args.header_timeout, log_path=args.access_log,
        max_batch=args.max_batch,
    )


def _serve(args: argparse.Namespace) -> int:
    options = server_options(args)
    if args.switch_interval is not None and args.switch_interval <= 0:
        raise UsageError("--switch-interval must be positive")
    set_switch_interval(args.switch_interval)
    raise_fd_limit()
    server = Server(options)
    try:
        host, port = server.bind()
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: server.shutdown())
    print(f"listening on {host}:{port}", flush=True)
    server.serve_forever()
    return 0


# -------------------------------------------------------------------------------- load


def _add_load(subparsers: Any) -> None:
    p = subparsers.add_parser("load", help="bounded load client with reconciliation (loopback only)")
    p.add_argument("address", help="HOST:PORT of a racelab server")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--requests", type=int, default=1000, help="total requests")
    p.add_argument("--duration", type=float, default=10.0, help="stop sending after this many seconds")
    p.add_argument("--pipeline", type=int, default=1, help="requests in flight per connection")
    p.add_argument("--path", default="/")
    p.add_argument("--reload-every", type=int, default=0, help="make every Nth request a config reload")
    p.add_argument("--close-each", action="store_true", help="one connection per request (connection churn)")
    p.add_argument("--no-reconcile", action="store_true", help="skip the comparison with /_stats")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_load)


def load_options(args: argparse.Namespace) -> LoadOptions:
    host, port = parse_address(args.address)
    checks = [
        (1 <= args.connections <= 20000, "--connections must be within 1..20000"),
        (1 <= args.requests <= 10_000_000, "--requests must be within 1..10000000"),
        (0 < args.duration <= 3600, "--duration must be within (0, 3600] seconds"),
        (1 <= args.pipeline <= 1024, "--pipeline must be within 1..1024"),
        (args.reload_every >= 0, "--reload-every must not be negative"),
        (args.path.startswith("/"), "--path must start with /"),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    return LoadOptions(host, port, args.connections, args.requests, args.duration, args.pipeline,
                       args.path, args.reload_every, close_each=args.close_each)


def _load(args: argparse.Namespace) -> int:
    options = load_options(args)
    report = run_load(options)
    if report.received == 0 and report.connect_errors:
        raise UsageError(f"cannot connect to {options.host}:{options.port}")
    rec = None if args.no_reconcile else reconcile(report, options.host, options.port)
    if args.json:
        print(json.dumps(_as_json(report, rec), sort_keys=True))
    else:
        print(format_report(report, rec))
    intact = report.corrupted == 0 and report.duplicated == 0 and report.config_torn == 0
    return 0 if intact and (rec is None or rec.clean) else 1


def _as_json(report: LoadReport, rec: Reconciliation | None) -> dict[str, Any]:
    out: dict[str, Any] = {"load": asdict(report), "throughput": report.throughput}
    if rec is not None:
        out["reconciliation"] = {k: v for k, v in asdict(rec).items() if k != "stats"}
        out["reconciliation"]["clean"] = rec.clean
    return out


def format_report(report: LoadReport, rec: Reconciliation | None) -> str:
    lat = report.latency_ms
    lines = [
        f"requests sent        {report.sent}",
        f"responses            {report.received}  "
        + "  ".join(f"{code}: {n}" for code, n in report.by_status.items()),
        f"unanswered           {report.unanswered}   reconnects {report.reconnects}"
        f"   connect errors {report.connect_errors}",
        f"latency ms           p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}"
        f"  max {lat['max']:.2f}",
        f"throughput           {report.throughput:,.0f} req/s over {report.elapsed_s:.2f} s",
        f"responses corrupted  {report.corrupted}   duplicated {report.duplicated}"
        f"   torn config reads {report.config_torn}",
    ]
    lines.extend(f"  e.g. {sample}" for sample in report.samples)
    if rec is not None:
        stats = rec.stats
        lines += [
            f"server               model {stats.get('model')}  remedies "
            + " ".join(f"{k}={v}" for k, v in stats["remedies"].items()),
            f"lost counts          {rec.lost_counts}   (client saw {rec.client_responses},"
            f" server counted {rec.server_requests})",
            "status mismatches    " + (", ".join(f"{k}: client {c} server {s}"
                                               for k, (c, s) in rec.status_mismatch.items()) or "none"),
            "access log           " + ("off" if rec.log_lines is None
                                      else f"{rec.log_lines} lines, {rec.torn_log_lines} torn"),
            f"connection table     drift {rec.table_drift} (open count minus records)",
            "verdict              " + ("clean" if rec.clean and report.corrupted == 0 and report.duplicated == 0
                                      and report.config_torn == 0 else "LOST OR CORRUPTED UPDATES"),
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------------- bench-server


def _add_bench(subparsers: Any) -> None:
    p = subparsers.add_parser("bench-server", help="server models side by side (prints figures)")
    p.add_argument("--duration", type=float, default=None, help="seconds per measurement (default 3, --quick 1)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--idle", type=int, default=None,
                   help="idle connections for the C10K run (default 10000, --quick 1000; 0 skips)")
    p.add_argument("--skip-sizing", action="store_true", help="skip the pool-sizing experiment")
    p.add_argument("--quick", action="store_true",
                   help="a short run: 1 s per measurement, 1,000 idle connections, 3 pool sizes "
                        "(an explicit --duration/--idle wins)")
    p.add_argument("--rounds", type=int, default=None,
                   help="throughput rounds per server, interleaved (default 3, --quick 1)")
    p.add_argument("--no-wrk", action="store_true", help="use the project's load client even when wrk is installed")
    p.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from racelab.server import bench

    duration = args.duration if args.duration is not None else (1.0 if args.quick else 3.0)
    idle = args.idle if args.idle is not None else (1000 if args.quick else 10000)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if not 0 < duration <= 60 or not 1 <= args.connections <= 1000 or not 0 <= idle <= 20000 or not 1 <= rounds <= 20:
        raise UsageError("bench-server: --duration in (0, 60], --connections in 1..1000, --idle in 0..20000, "
                         "--rounds in 1..20")
    bench.main(duration=duration, connections=args.connections, idle=idle, sizing=not args.skip_sizing,
               out=sys.stdout, quick=args.quick, use_wrk=False if args.no_wrk else None, rounds=rounds)
    return 0
