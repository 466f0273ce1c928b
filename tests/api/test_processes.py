"""The real processes: `python main.py token ...` manages tokens the API honours, and `python main.py
api` serves on a port a client reaches with curl."""

from __future__ import annotations

import json
import signal
import socket
import subprocess

import pytest
from fastapi import FastAPI

from storage.migrate import head_revision
from tests.api.conftest import HANG_GUARD, asgi_client, cli


@pytest.mark.usefixtures("pulse")
async def test_token_lifecycle_through_the_cli(app: FastAPI, env: dict[str, str]) -> None:
    created = cli("token", "create", "--name", "grafana", env=env)
    assert created.returncode == 0, created.stderr
    (token,) = created.stdout.splitlines()  # the token alone, on its own line
    assert token.startswith("cp_") and len(token) > 40
    assert "shown only this once" in created.stderr
    async with asgi_client(app, token) as client:
        assert (await client.get("/api/v1/channels/pulse/summary")).status_code == 200

        again = cli("token", "create", "--name", "grafana", env=env)
        assert again.returncode == 1 and again.stdout == "" and "already called grafana" in again.stderr
        listed = cli("token", "list", env=env)
        assert listed.returncode == 0 and listed.stdout.split()[0] == "grafana"
        assert listed.stdout.rstrip().endswith("live") and token not in listed.stdout

        revoked = cli("token", "revoke", "grafana", env=env)
        assert revoked.returncode == 0
        assert (await client.get("/api/v1/channels/pulse/summary")).status_code == 401
    assert "revoked" in cli("token", "list", env=env).stdout
    assert cli("token", "revoke", "grafana", env=env).returncode == 1  # nothing live by that name
    assert cli("token", "create", "--name", "no spaces", env=env).returncode == 2


def curl(url: str, *args: str) -> tuple[int, dict]:
    done = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args, url], capture_output=True,
                          text=True, timeout=HANG_GUARD, check=True)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


@pytest.mark.usefixtures("pulse")
def test_main_py_api_serves_on_its_port_until_sigterm(
    served: tuple[str, subprocess.Popen[str]], env: dict[str, str]
) -> None:
    base, proc = served
    token = cli("token", "create", "--name", "curl", env=env).stdout.strip()
    status, summary = curl(f"{base}/api/v1/channels/pulse/summary?window=all",
                           "-H", f"Authorization: Bearer {token}")
    assert status == 200 and summary["username"] == "pulse" and summary["current"]["posts"] == 9
    assert curl(f"{base}/api/v1/channels/pulse/summary")[0] == 401
    assert curl(f"{base}/readyz") == (200, {"ready": True, "detail": f"schema {head_revision()}"})
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(HANG_GUARD) == 0
    assert proc.stderr is not None and "API stopped" in proc.stderr.read()


def test_a_port_in_use_is_one_line_and_exit_2(env: dict[str, str]) -> None:
    with socket.socket() as holder:  # another program on the port
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = cli("api", env={**env, "API_PORT": str(port)})
    assert done.returncode == 2
    assert f"the API cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
