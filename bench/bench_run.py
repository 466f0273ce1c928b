"""The running app as a process: time to the start-up summary, and SIGTERM to exit during a pause.

Run: `.venv/bin/python -m bench bench_run` (or `python -m bench.bench_run --runs 5 --demo`).
Each run starts `python main.py run --sandbox` in a fresh folder; the pause is real time
(SANDBOX_TIME_SCALE=1), so the stop lands inside one of the report's 0.5-10 s pauses.
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


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], within: float = 120) -> float:
    deadline = time.monotonic() + within
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"no {text!r}:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.01)
    return time.monotonic()


def one_run(folder: Path) -> tuple[float, float, str]:
    """Seconds to the summary line, seconds from SIGTERM to exit, and the pause it interrupted."""
    log = folder / "run.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SANDBOX_TIME_SCALE": "1",
           "SANDBOX_CHANNELS": "pulse_news"}
    began = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(MAIN), "run", "--sandbox"], cwd=folder, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        ready = _wait_for(log, "running as @", proc) - began
        _wait_for(log, "Rate limiting: batch pause", proc)
        pause = [line for line in log.read_text().splitlines() if "Rate limiting" in line][-1]
        time.sleep(0.2)  # well inside the pause
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    if code != 0:
        raise RuntimeError(f"exit status {code}")
    return ready, stopped, pause.split("Rate limiting: ", 1)[1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--demo", action="store_true", help="also time `python main.py demo` end to end")
    args = parser.parse_args(argv)
    readies, stops = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            ready, stopped, pause = one_run(Path(folder))
        readies.append(ready)
        stops.append(stopped)
        print(f"  start-up {ready:.2f} s; SIGTERM during '{pause[:60]}' -> exit 0 in {stopped:.2f} s")
    print(f"run --sandbox: start-up to summary median {statistics.median(readies):.2f} s "
          f"(max {max(readies):.2f}); SIGTERM to exit during a pause median {statistics.median(stops):.2f} s "
          f"(max {max(stops):.2f}) over {args.runs} runs")
    if args.demo:
        with tempfile.TemporaryDirectory() as folder:
            began = time.monotonic()
            done = subprocess.run([sys.executable, str(MAIN), "demo", "--out", folder],
                                  cwd=folder, capture_output=True, check=False)
            print(f"demo: exit {done.returncode} in {time.monotonic() - began:.1f} s wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
