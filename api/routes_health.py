"""/healthz (the running process's heartbeat is fresh, as `status --check` judges it) and /readyz
(the database answers and its schema is the one this code knows), for health checks: no token."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.context import ApiContext, context
from api.schemas import HealthOut, ReadyOut
from app.health import health_line
from storage.db import read
from storage.heartbeats import HeartbeatRepo
from storage.migrate import current_revision

Ctx = Annotated[ApiContext, Depends(context)]
log = logging.getLogger("api")
UNREACHABLE = "the database does not answer"


async def healthz(ctx: Ctx) -> JSONResponse:
    """200 while every component of the running ChannelPulse process beats in time, else 503."""
    try:
        async with read(ctx.engine) as conn:
            beats = await HeartbeatRepo(conn).list()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("healthz: %s", exc)
        return JSONResponse({"healthy": False, "detail": f"unhealthy: {UNREACHABLE}"}, 503)
    # By the heartbeat alone: the API may run in another container than `run`, where the session
    # lock that `status --check` also reads is not to be seen.
    healthy, line = health_line(beats, ctx.wall_clock.now())
    return JSONResponse({"healthy": healthy, "detail": line}, 200 if healthy else 503)


async def readyz(ctx: Ctx) -> JSONResponse:
    """200 when the database answers and is at this code's schema, else 503."""
    try:
        current = await current_revision(ctx.engine)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readyz: %s", exc)
        return JSONResponse({"ready": False, "detail": UNREACHABLE}, 503)
    head = ctx.schema_head
    if current != head:
        return JSONResponse({"ready": False, "detail": f"the schema is at {current}, not {head}"}, 503)
    return JSONResponse({"ready": True, "detail": f"schema {head}"})


def build_router() -> APIRouter:
    """This module's routes on a fresh router (see `create_app`)."""
    router = APIRouter(tags=["health"])
    router.add_api_route("/healthz", healthz, response_model=HealthOut, responses={503: {"model": HealthOut}})
    router.add_api_route("/readyz", readyz, response_model=ReadyOut, responses={503: {"model": ReadyOut}})
    return router
