"""HTTP API latency under load: a channel's 30d summary and its posts page, 16 clients at once.

The API runs as `python main.py api` serves it (FastAPI on uvicorn, one process) in a subprocess
(`bench/api_server.py`), over the analytics benchmark's database (100 channels x 10,000 posts x 30
counter snapshots: 1M posts, 30M snapshots), on SQLite (the file cached by bench_analytics) and on
PostgreSQL (a throwaway server, as the tests start one, filled with the same rows). A Python load
generator keeps `--clients` requests in flight over loopback (one keep-alive connection per client,
each asking again as soon as its answer is in; `--generator raw`, the default, is bench/http_load.py,
`httpx` the httpx client first measured with) on channels picked at random; figures are percentiles
of each request's time from sending to the whole body read, and the server process's CPU time per
request (from /proc), which other work on the machine moves far less than the latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.bench_analytics import CACHE, big_database, pct
from bench.http_load import run_load
from storage.api_tokens import issue_token, revoke_token
from storage.migrate import open_database

CACHE_SECONDS = 60.0  # the setting's default
READY_WITHIN = 300.0  # a hang guard for the server's start, never a speed test
ENDPOINTS = {
    "summary": "/api/v1/channels/bench{c}/summary?window=30d",
    "posts": "/api/v1/channels/bench{c}/posts?window=30d&sort=views&order=desc&limit=50",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str  # the API's base URL
    pid: int  # its process, whose CPU time /proc tells


def cpu_seconds(pid: int) -> float:
    """The user + system CPU time `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def api_server(url: str, summary_cache_seconds: float) -> Iterator[Served]:
    """The API on a free loopback port in a child process. Stopped with SIGTERM."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.api_server", url, str(port), str(summary_cache_seconds)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + READY_WITHIN
        while (line := proc.stdout.readline()) and line.strip() != "ready":
            if time.monotonic() > deadline:
                raise TimeoutError("the API server did not start")
        if proc.poll() is not None:
            raise RuntimeError(f"the API server exited with {proc.returncode}")
        yield Served(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def load(base: str, token: str, path: str, channels: int, clients: int, total: int,
               seed: int, generator: str = "raw") -> tuple[list[float], float, int]:
    """`total` requests from `clients` concurrent clients: each one's milliseconds, the wall seconds,
    and how many answers were not 200 (or, with the raw generator, not whole JSON)."""
    rng = random.Random(seed)
    paths = [path.format(c=rng.randint(1, channels)) for _ in range(total)]
    headers = {"Authorization": f"Bearer {token}"}
    if generator == "raw":
        tally, wall = await run_load(base, headers, paths, clients)
        return tally.times_ms, wall, tally.failed
    times: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as http:

        async def client() -> None:
            nonlocal failed
            while paths:
                p = paths.pop()
                t0 = time.perf_counter()
                answer = await http.get(p)
                times.append((time.perf_counter() - t0) * 1000)
                failed += answer.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
    return times, time.perf_counter() - began, failed


async def _token(url: str, name: str, revoke: bool = False) -> str | None:
    engine = await open_database(url)
    try:
        if revoke:
            await revoke_token(engine, name, datetime.now(UTC))
            return None
        return await issue_token(engine, name, datetime.now(UTC))
    finally:
        await engine.dispose()


def measure(backend: str, url: str, args: argparse.Namespace) -> None:
    name = f"bench-{os.getpid()}"
    token = asyncio.run(_token(url, name))
    assert token is not None
    try:
        for cached in args.summary_cache:
            with api_server(url, CACHE_SECONDS if cached == "warm" else 0) as served:
                for what, path in ENDPOINTS.items():
                    if cached == "warm" and what != "summary":
                        continue  # only summaries are cached
                    measure_one(backend, f"{what} ({cached})", served, token, path, args)
    finally:
        asyncio.run(_token(url, name, revoke=True))


def measure_one(backend: str, label: str, served: Served, token: str, path: str,
                args: argparse.Namespace) -> None:
    # Warm-up: every channel once (the page cache, the server's first imports, the summary cache).
    most = max(args.clients)
    asyncio.run(load(served.base, token, path, args.channels, most, args.channels, 1, args.generator))
    for clients in args.clients:
        cpu0 = cpu_seconds(served.pid)
        run = load(served.base, token, path, args.channels, clients, args.requests, 2, args.generator)
        times, wall, failed = asyncio.run(run)
        # The server's own CPU per request: what it costs whatever else runs on the machine.
        cpu_ms = (cpu_seconds(served.pid) - cpu0) * 1000 / len(times)
        print(f"{backend:<10} {label:<16} p50 {pct(times, 0.5):6.1f} ms  "
              f"p95 {pct(times, 0.95):6.1f} ms  p99 {pct(times, 0.99):6.1f} ms  "
              f"{len(times) / wall:5.0f} req/s  server CPU {cpu_ms:4.1f} ms/req  "
              f"({clients} clients, {args.generator}, n={len(times)}, not 200: {failed}; "
              f"load average {os.getloadavg()[0]:.1f})", flush=True)


def on_postgres(sqlite_file: Path, args: argparse.Namespace) -> None:
    from bench.postgres_fill import filled_server  # the tests' server module only when it is used

    with filled_server(args.channels, args.posts, args.snapshots, sqlite_file.name) as url:
        if url is not None:
            measure("postgresql", url, args)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api")
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    # More than one count (`--clients 16 1`) measures each in turn on the same server: one client
    # shows a request's own time, 16 that plus the wait behind the others.
    parser.add_argument("--clients", type=int, nargs="+", default=[16])
    parser.add_argument("--summary-cache", nargs="+", choices=["cold", "warm"], default=["cold", "warm"],
                        help="cold: the API's summary cache off; warm: on, every channel's answer in it")
    parser.add_argument("--generator", choices=["raw", "httpx"], default="raw",
                        help="raw: keep-alive HTTP/1.1 on asyncio streams (bench/http_load.py), light "
                        "enough to leave the cores to the server; httpx: the client first measured with")
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint and backend")
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    path = big_database(args.cache, args.channels, args.posts, args.snapshots)
    if args.backend in ("both", "sqlite"):
        measure("sqlite", f"sqlite+aiosqlite:///{path}", args)
    if args.backend in ("both", "postgresql"):
        on_postgres(path, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
