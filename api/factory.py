"""`create_app`: the FastAPI app over an engine, the settings and a clock, all given by the caller
(`python main.py api`, `run`, the tests); nothing is built when the module is imported."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api import routes_alerts, routes_channels, routes_exports, routes_health, routes_posts
from api.auth import require_token
from api.context import ApiContext
from api.dashboard_app import add_dashboard
from api.middleware import CatchAll, SecurityHeaders
from api.rate_limit import RateLimiter
from api.summary_cache import SummaryCache
from clock import Clock
from settings import Settings
from storage.migrate import head_revision

PREFIX = "/api/v1"
DESCRIPTION = (
    "Read-only figures of the channels ChannelPulse tracks, from the same analytics as the bot and "
    "`python main.py stats --json`. Channels are named by username, as in the bot. Every /api/v1 "
    "route needs `Authorization: Bearer <token>` (`python main.py token create --name NAME`)."
)


def create_app(
    engine: AsyncEngine, settings: Settings, clock: Clock, wall_clock: Clock | None = None
) -> FastAPI:
    """The API app; the caller owns (and disposes of) the engine. `clock` is the figures' now, as the
    bot's; `wall_clock` (default: `clock`) times the rate limits and judges the heartbeat, which is
    written on the system's clock also when the sandbox runs the rest faster."""
    wall_clock = wall_clock or clock
    app = FastAPI(
        title="ChannelPulse API", version="1", description=DESCRIPTION,
        # The interactive docs pages load scripts from a CDN and inline: not served. The OpenAPI
        # document itself is.
        docs_url=None, redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.context = ApiContext(
        engine, settings, clock, wall_clock, RateLimiter(settings.api_rate_per_minute, wall_clock),
        head_revision(), SummaryCache(timedelta(seconds=settings.api_summary_cache_seconds)))
    guarded = [Depends(require_token)]
    for module in (routes_channels, routes_posts, routes_exports, routes_alerts):
        app.include_router(module.build_router(), prefix=PREFIX, dependencies=guarded)
    app.include_router(routes_health.build_router())
    add_dashboard(app)
    # Outermost first: headers go on every answer, the catch-all's 500 included.
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders)
    return app
