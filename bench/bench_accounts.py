"""Channel runs per hour against the number of accounts: 1, 2 and 4 `collector --sandbox` processes
(one account each) beside one `bot --sandbox`, on a throwaway PostgreSQL, on the sandbox's fast
clock. Each account is handed the same number of channels, all first runs (the heaviest: 50
messages each), and the rate is counted in sandbox hours, so it is the policy's rate whatever the
speed-up, as long as the machine keeps up.

Also checked per account, on its own runs: none overlaps another (one request stream per account),
and each begins at least the policy's 8 s after the one before ended."""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sandbox.telegram import crowd

SCALE = 0.05  # 20x: a first run of about 90 s of pacing takes about 4.5 s of wall time
CHANNEL_GAP = timedelta(seconds=8)  # the policy's pause between channels


def measure(url: str, accounts: int, per_account: int, scale: float, workdir: Path) -> dict[int, list]:
    """Collect `per_account` channels on each of `accounts` accounts; each account's finished runs
    as (started, finished) on the sandbox clock."""
    from tests.drills.harness import query, sandbox_env, start, terminate_all, wait_until

    anchor = time.time()
    env = sandbox_env(scale, anchor, SANDBOX_DATABASE_URL=url, LOG_LEVEL="WARNING",
                      COLLECT_INTERVAL_MINUTES="600")  # one round: every channel's first run
    (workdir / "data").mkdir(parents=True)
    apps = [start(workdir, "collector", "--sandbox", env=env | {"TELEGRAM_SESSION": f"data/acc{n}.session"},
                  name=f"collector-{n}") for n in range(accounts)]
    try:
        wait_until(lambda: len(query(url, "SELECT account_id FROM accounts")) == accounts,
                   what=f"{accounts} account(s) signed in", app=apps[0])
        names = crowd(accounts * per_account)
        apps.append(start(workdir, "bot", "--sandbox", env=env | {"SANDBOX_CHANNELS": ",".join(names)},
                          name="bot"))
        done = "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL AND error IS NULL"
        wait_until(lambda: query(url, done)[0][0] == len(names), within=3600,
                   what="every channel's first run", app=apps[-1])
        for app in apps:
            app.signal(signal.SIGTERM)
        codes = [app.proc.wait(120) for app in apps]
    finally:
        terminate_all(*apps)
    if any(codes):
        raise SystemExit(f"a process exited with {codes}; logs in {workdir}")
    runs: dict[int, list] = {}
    for account, started, finished in query(url, "SELECT account_id, started_at, finished_at FROM runs "
                                                 "WHERE error IS NULL ORDER BY started_at"):
        runs.setdefault(account, []).append((started, finished))
    return runs


def summarize(runs: dict[int, list]) -> tuple[float, list[str]]:
    """Runs per sandbox hour over all accounts, and a line per account."""
    lines, first = [], min(s for spans in runs.values() for s, _ in spans)
    last = max(f for spans in runs.values() for _, f in spans)
    for account, spans in sorted(runs.items()):
        hours = (spans[-1][1] - spans[0][0]).total_seconds() / 3600
        gaps = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
        least = min(gaps, default=CHANNEL_GAP)
        overlapping = sum(g.total_seconds() < 0 for g in gaps)
        lines.append(f"  account {account}: {len(spans)} runs in {hours * 60:.1f} sandbox min = "
                     f"{len(spans) / hours:.1f} runs/h; runs overlapping: {overlapping}; "
                     f"shortest gap between runs {least.total_seconds():.2f} s "
                     f"({'ok' if least >= CHANNEL_GAP else 'SHORTER than the policy 8 s'})")
    total = sum(len(s) for s in runs.values()) / ((last - first).total_seconds() / 3600)
    return total, lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_accounts")
    parser.add_argument("--accounts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--per-account", type=int, default=24, help="channels per account")
    parser.add_argument("--scale", type=float, default=SCALE,
                        help="real seconds per sandbox second (0.05: 20x faster)")
    args = parser.parse_args(argv)
    from tests.postgres_server import ThrowawayServer, find_binaries

    binaries = find_binaries()
    if binaries is None:
        print("not measured: no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
        return 0
    server = ThrowawayServer(binaries)
    cluster = server.start()
    one = None
    try:
        for n in args.accounts:
            name = f"accounts_{n}"
            _create(cluster.sqlalchemy_url("postgres"), name)
            t0, load0 = time.perf_counter(), os.getloadavg()[0]
            with tempfile.TemporaryDirectory(prefix="pulse-bench-accounts-") as workdir:
                runs = measure(cluster.sqlalchemy_url(name), n, args.per_account, args.scale, Path(workdir))
            total, lines = summarize(runs)
            one = one if one is not None else (total / n if n == 1 else None)
            ratio = f"; {total / (n * one):.3f} x {n} x the one-account rate" if one else ""
            print(f"{n} account(s), {args.per_account} channels each: {total:.1f} runs per sandbox hour"
                  f"{ratio} (target >= 0.95); {time.perf_counter() - t0:.0f} s wall, "
                  f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
            print("\n".join(lines), flush=True)
    finally:
        server.stop()
    return 0


def _create(admin_url: str, name: str) -> None:
    """A new database, migrated once here rather than by the processes starting side by side."""
    import asyncio

    import psycopg
    from sqlalchemy.engine import make_url

    from collector.tasks import conninfo
    from storage.migrate import open_database

    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    async def migrate() -> None:
        engine = await open_database(make_url(admin_url).set(database=name).render_as_string(False))
        await engine.dispose()

    asyncio.run(migrate())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
