"""`status --check` against the real `run --sandbox` process: healthy while it runs, and told at
once when it was killed or stopped."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from app.health import NO_PROCESS
from tests.drills.harness import collected, run, sandbox_env, start, terminate_all, wait_until

DB = Path("data/pulse.db")


def _check(cwd: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    code, out = run(cwd, "status", "--check", env={**env, "DATABASE_URL": "sqlite:///data/pulse.db"})
    return code, out.strip().splitlines()


def test_status_check_follows_the_running_process(tmp_path: Path) -> None:
    env = sandbox_env(0.01, time.time(), SANDBOX_CHANNELS="pulse_tech")
    app = start(tmp_path, "run", "--sandbox", env=env)
    try:
        app.wait_for("ChannelPulse running as")
        wait_until(lambda: collected(tmp_path / DB, "pulse_tech"), 60, "the first collection", app)
        code, lines = _check(tmp_path, env)
        assert code == 0, lines
        [line] = lines
        assert line.startswith("healthy: ") and line.endswith(f"(pid {app.proc.pid})")
        for part in ("scheduler tick", "collection round", "bot polling"):
            assert part in line

        app.signal(signal.SIGKILL)
        app.proc.wait(10)
        code, lines = _check(tmp_path, env)
        assert code == 1
        assert lines[0].startswith(f"unhealthy: no ChannelPulse process is running (pid {app.proc.pid} ")

        app = start(tmp_path, "run", "--sandbox", env=env, name="again")
        app.wait_for("ChannelPulse running as")
        code, lines = _check(tmp_path, env)
        assert code == 0 and lines[0].endswith(f"(pid {app.proc.pid})"), lines
        assert app.stop(within=60)[0] == 0
        assert _check(tmp_path, env) == (1, [NO_PROCESS])
    finally:
        terminate_all(app)
