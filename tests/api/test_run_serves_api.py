"""`run` serves the API beside the bot when API_PORT is set, on its own engine and clock."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from app.run import App, run_until_stopped
from app.sandbox_wiring import Knobs, sandbox_wiring
from settings import Settings, load_settings
from tests.api.conftest import free_port

HANG_GUARD = 60.0


def _settings(db_url: str, tmp_path: Path, port: int | None) -> Settings:
    return load_settings(env_file=None, database_url=db_url, telegram_session=tmp_path / "pulse.session",
                         api_port=port)


async def _run(settings: Settings, check: object) -> tuple[int, list[str]]:
    wiring, _ = await sandbox_wiring(settings, Knobs(scale=0.002))
    stop, lines = asyncio.Event(), []

    async def started(app: App) -> None:
        try:
            await check(app)  # type: ignore[operator]
        finally:
            stop.set()

    try:
        async with asyncio.timeout(HANG_GUARD):
            code = await run_until_stopped(wiring, stop, lines.append, started)
    finally:
        await wiring.close()
    return code, lines


async def test_with_api_port_run_answers_http_and_its_heartbeat_is_healthy(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    seen = {}

    async def check(app: App) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            seen["healthz"] = (await client.get("/healthz")).json()
            seen["channels"] = (await client.get("/api/v1/channels")).status_code

    code, lines = await _run(_settings(db_url, tmp_path, port), check)
    assert code == 0
    assert f"HTTP API on http://127.0.0.1:{port} (python main.py token create --name NAME for a token)" \
        in lines
    assert seen["healthz"]["healthy"] is True  # run's own heartbeat, read back through the API
    assert seen["channels"] == 401  # the API is the same guarded one
    with pytest.raises(httpx.ConnectError):  # stopped with the rest
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")


async def test_without_api_port_run_serves_no_api(db_url: str, tmp_path: Path) -> None:
    async def check(app: App) -> None:
        pass

    code, lines = await _run(_settings(db_url, tmp_path, None), check)
    assert code == 0 and not any("HTTP API" in line for line in lines)


async def test_a_taken_api_port_stops_run_with_one_line(db_url: str, tmp_path: Path) -> None:
    with socket.socket() as holder:  # another program listens there
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        async def never(app: App) -> None:
            raise AssertionError("run went on with its API port taken")

        code, lines = await _run(_settings(db_url, tmp_path, port), never)
    assert code == 2
    assert lines == [f"the API cannot listen on 127.0.0.1:{port}: Address already in use; set "
                     "API_HOST/API_PORT to a free address of this machine"]
