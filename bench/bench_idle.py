"""Idle memory of the running app: resident set size of `python main.py run --sandbox` after start-up.

Each run starts the app in a fresh folder with nothing to collect, waits for its start-up summary
line ("running as @..."), lets it settle for `--settle` seconds, reads VmRSS from /proc/PID/status,
and stops it with SIGTERM. Linux only (it reads /proc).

Run: `.venv/bin/python -m bench bench_idle` (or `python -m bench.bench_idle --runs 5`).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parents[1] / "main.py"
READY = "running as @"


def rss_mib(pid: int) -> float:
    """The process's resident set size now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError(f"no VmRSS for process {pid}")


def one_run(folder: Path, settle: float) -> float:
    log = folder / "run.log"
    # No SANDBOX_CHANNELS: nothing is queued, so the app sits idle after start-up.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SANDBOX_CHANNELS", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(MAIN), "run", "--sandbox"], cwd=folder, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while READY not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no {READY!r}:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        time.sleep(settle)
        rss = rss_mib(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return rss


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_idle", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after the ready line")
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("bench_idle reads /proc: Linux only; skipped")
        return 0
    figures = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="channelpulse-bench-idle-") as folder:
            figures.append(one_run(Path(folder), args.settle))
        print(f"  idle RSS {figures[-1]:.1f} MiB")
    print(f"run --sandbox idle RSS {args.settle:g} s after start-up: "
          f"median {statistics.median(figures):.1f} MiB "
          f"(min {min(figures):.1f}, max {max(figures):.1f}) over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
