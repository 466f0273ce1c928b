"""The API benchmark's load generator (bench/http_load.py) against the app served on a loopback port:
every answer read whole and counted, and an answer that is not 200 or not whole JSON counted as failed,
so a benchmark figure cannot come from error pages."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from api.server import ApiServer
from bench.http_load import run_load

pytestmark = pytest.mark.usefixtures("pulse")
HANG_GUARD = 60  # seconds: only against a hang, never a measure of speed


async def test_every_answer_is_timed_and_bad_ones_are_counted(app: FastAPI, token: str) -> None:
    server = ApiServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        good = ["/api/v1/channels/pulse/summary?window=30d"] * 6
        tally, wall = await asyncio.wait_for(
            run_load(server.address, {"Authorization": f"Bearer {token}"}, good, clients=3), HANG_GUARD)
        assert len(tally.times_ms) == 6 and tally.failed == 0 and wall > 0
        mixed = [*good[:2], "/api/v1/channels/nobody/summary", "/api/v1/channels/pulse/summary?window=9y"]
        tally, _ = await asyncio.wait_for(
            run_load(server.address, {"Authorization": f"Bearer {token}"}, mixed, clients=2), HANG_GUARD)
        assert len(tally.times_ms) == 4 and tally.failed == 2  # the 404 and the 422
        tally, _ = await asyncio.wait_for(run_load(server.address, {}, good[:3], clients=1), HANG_GUARD)
        assert tally.failed == 3  # no token: 401s
    finally:
        await server.stop()
