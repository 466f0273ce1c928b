"""`python main.py api`: the read-only HTTP API on API_HOST:API_PORT until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

from app.database import CannotOpenDatabase, open_or_explain
from app.launch import say, stop_on_signals
from clock import RealClock
from settings import DEFAULT_API_PORT, Settings


def api_command(settings: Settings) -> int:
    """Serve until stopped; 0 on a clean stop, 2 when the database or the address cannot be had."""
    try:
        return asyncio.run(_serve(settings))
    except KeyboardInterrupt:  # before the loop took the signal over: nothing was serving yet
        return 0


async def _serve(settings: Settings) -> int:
    stop = asyncio.Event()
    stop_on_signals(stop)
    # Imported here: FastAPI and uvicorn are needed by this command only (and `run` with API_PORT).
    from api.factory import create_app
    from api.server import ApiServer, CannotListen, settle_heap

    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        say(f"api: {exc}")
        return 2
    try:
        app = create_app(engine, settings, RealClock())
        server = ApiServer(app, settings.api_host, settings.api_port or DEFAULT_API_PORT)
        try:
            await server.start()
        except CannotListen as exc:
            say(str(exc))
            return 2
        settle_heap()
        say(f"ChannelPulse API listening on {server.address} (OpenAPI document: "
            f"{server.address}/openapi.json); Ctrl-C stops it")
        stopping = asyncio.create_task(stop.wait())
        serving = asyncio.create_task(server.wait())
        await asyncio.wait({stopping, serving}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await server.stop()
        say("API stopped")
    finally:
        await engine.dispose()
    return 0
