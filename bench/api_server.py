"""`python -m bench.api_server URL PORT [SUMMARY_CACHE_SECONDS]`: the API app on uvicorn, as
`python main.py api` serves it, but with the figures' clock fixed at the benchmark data's `NOW` (the
data ends there, so a 30d window ending at the real now would be empty), the per-token rate limit
out of the way, and the summary cache kept as long as asked (the setting's default when not given;
0: off). Prints `ready` once it listens; SIGINT or SIGTERM stops it."""

from __future__ import annotations

import asyncio
import sys

from api.factory import create_app
from api.server import ApiServer, settle_heap
from app.launch import stop_on_signals
from bench.bench_analytics import NOW
from clock import RealClock, VirtualClock
from settings import load_settings
from storage.db import create_engine


async def serve(url: str, port: int, summary_cache_seconds: float | None) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    cache = {} if summary_cache_seconds is None else {"api_summary_cache_seconds": summary_cache_seconds}
    settings = load_settings(env_file=None, database_url=url, api_rate_per_minute=10**9, **cache)
    engine = create_engine(settings.database_url)
    try:
        server = ApiServer(create_app(engine, settings, VirtualClock(NOW), RealClock()), "127.0.0.1", port)
        await server.start()
        settle_heap()  # as `python main.py api` does
        print("ready", flush=True)
        await stop.wait()
        await server.stop()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else None))
