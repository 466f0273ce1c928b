"""Alerts: the events the bot sent (or will send) its admins, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from api.params import AUTH_ERRORS, CHANNEL_ERRORS, tracked_channel
from api.request_read import Reads
from api.schemas import AlertsOut
from storage.alerts import AlertRepo
from storage.models import Alert, Channel

MAX_ALERTS = 500
Limit = Annotated[int, Query(ge=1, le=MAX_ALERTS, description=f"At most {MAX_ALERTS}")]


def _alerts(found: list[Alert]) -> JSONResponse:
    return JSONResponse({"alerts": [{
        "key": a.key, "kind": a.kind, "text": a.text, "created_at": a.created_at.isoformat(),
        "channel_id": a.channel_id, "delivered_at": a.delivered_at.isoformat() if a.delivered_at else None,
    } for a in found]})


async def list_alerts(reads: Reads, limit: Limit = 100) -> JSONResponse:
    """The newest alerts of every channel."""
    return _alerts(await AlertRepo(await reads.conn()).recent(limit))


async def channel_alerts(
    reads: Reads, channel: Annotated[Channel, Depends(tracked_channel)], limit: Limit = 100,
) -> JSONResponse:
    """The newest alerts of one channel."""
    return _alerts(await AlertRepo(await reads.conn()).recent(limit, channel.id))


def build_router() -> APIRouter:
    """This module's routes on a fresh router (see `create_app`)."""
    router = APIRouter(tags=["alerts"])
    router.add_api_route("/alerts", list_alerts, response_model=AlertsOut, responses=AUTH_ERRORS)
    router.add_api_route("/channels/{username}/alerts", channel_alerts, response_model=AlertsOut,
                         responses=CHANNEL_ERRORS)
    return router
