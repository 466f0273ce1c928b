"""`status --check` against a real `run --sandbox` process: how long the check takes, and how long
after the process hangs (SIGSTOP: frozen, still holding its session lock) and after it is killed
(SIGKILL) the check says so.

Run: `.venv/bin/python -m bench bench_liveness` (about three minutes: a hang is told only once
the scheduler's heartbeat is older than its limit, 2 minutes).
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

ROOT = Path(__file__).resolve().parents[1]
ENV = {"SANDBOX_TIME_SCALE": "0.01", "SANDBOX_CHANNELS": "pulse_tech", "PYTHONUNBUFFERED": "1",
       "SANDBOX_DATABASE_URL": "sqlite:///data/pulse.db", "DATABASE_URL": "sqlite:///data/pulse.db"}


def _check(cwd: Path) -> tuple[int, str, float]:
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "status", "--check"], cwd=cwd,
                          env={**os.environ, **ENV}, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout.strip(), time.perf_counter() - began


def _until_unhealthy(cwd: Path, poll: float, within: float) -> tuple[float, str]:
    began = time.monotonic()
    while time.monotonic() - began < within:
        code, line, _ = _check(cwd)
        if code != 0:
            return time.monotonic() - began, line
        time.sleep(poll)
    raise SystemExit(f"still healthy after {within:.0f} s")


def _start(cwd: Path) -> subprocess.Popen[bytes]:
    log = (cwd / "app.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "--sandbox"], cwd=cwd,
                            env={**os.environ, **ENV}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while b"ChannelPulse running as" not in (cwd / "app.log").read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("run --sandbox did not start:\n" + (cwd / "app.log").read_text()[-2000:])
        time.sleep(0.1)
    return proc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_liveness")
    parser.add_argument("--checks", type=int, default=5, help="timed health checks (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        proc = _start(cwd)
        try:
            time.sleep(3)  # the first collection round under way
            runs = [_check(cwd) for _ in range(args.checks)]
            assert all(code == 0 for code, _, _ in runs), runs
            times = [t for _, _, t in runs]
            print(f"status --check while it runs: exit 0, median {statistics.median(times):.2f} s, "
                  f"most {max(times):.2f} s ({args.checks} runs): {runs[-1][1]}")
            proc.send_signal(signal.SIGSTOP)
            hung, line = _until_unhealthy(cwd, 5.0, 400)
            print(f"hung (SIGSTOP): unhealthy after {hung:.0f} s (checked every 5 s): {line}")
            proc.send_signal(signal.SIGCONT)
            time.sleep(2)
            code, line, _ = _check(cwd)
            print(f"resumed (SIGCONT): exit {code}: {line}")
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed, line = _until_unhealthy(cwd, 0.5, 60)
            print(f"killed (SIGKILL): unhealthy at the first check ({killed:.1f} s): {line}")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
