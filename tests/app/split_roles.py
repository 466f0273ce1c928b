"""The split roles as a test starts them: `python main.py bot|collector --sandbox` child processes on
one PostgreSQL database and one sandbox timeline, each logging to a file."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")
WITHIN = 120.0  # a hang guard only


class Roles:
    """The role processes a test starts, each logging to a file; all stopped at the end."""

    def __init__(self, tmp: Path, url: str, bot_api_url: str) -> None:
        self.tmp, self.procs, self.logs = tmp, [], []
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("SANDBOX_", "BOT_", "DATABASE_", "TELEGRAM_", "ADMIN_"))}
        self.env |= {"SANDBOX_DATABASE_URL": url, "SANDBOX_ANCHOR": str(int(time.time())),
                     "BOT_API_URL": bot_api_url, "TELEGRAM_SESSION": str(tmp / "acc.session")}

    def start(self, role: str, **env: str) -> subprocess.Popen[bytes]:
        path = self.tmp / f"{role}-{len(self.procs)}.log"
        with path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, MAIN, role, "--sandbox"], cwd=self.tmp,
                                    env=self.env | env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.logs.append(path)
        return proc

    def output(self, proc: subprocess.Popen[bytes]) -> str:
        return self.logs[self.procs.index(proc)].read_text(errors="replace")

    def stop_all(self) -> list[int | None]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=WITHIN))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(None)
        return codes


async def until(condition: Callable[[], Awaitable[bool]], within: float = WITHIN) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 - another process changes it
            await asyncio.sleep(0.1)
