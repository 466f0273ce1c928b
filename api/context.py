"""What every route reaches through the app's state: the long-lived objects `create_app` was given."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from api.rate_limit import RateLimiter
from api.summary_cache import SummaryCache
from clock import Clock
from settings import Settings


@dataclass(frozen=True)
class ApiContext:
    engine: AsyncEngine
    settings: Settings
    clock: Clock  # the figures' now
    wall_clock: Clock  # the system's time: rate limits and the heartbeat
    limiter: RateLimiter
    schema_head: str  # the newest migration this code knows, which /readyz expects
    summaries: SummaryCache


async def context(request: Request) -> ApiContext:
    """FastAPI dependency: the app's context. A coroutine, so FastAPI calls it in the loop: a plain
    function would be sent to a worker thread on every request."""
    return request.app.state.context
