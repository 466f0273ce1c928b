"""Channels: the list with their state, the overview, one channel's summary and subscriber series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from analytics.records import overview_dict
from analytics.service import channel_summary, overview
from analytics.windows import Window
from api.context import ApiContext, context
from api.params import (
    AUTH_ERRORS,
    CHANNEL_ERRORS,
    Username,
    find_tracked,
    find_tracked_with_latest_run,
    tracked_channel,
    window_query,
)
from api.request_read import Reads
from api.schemas import ChannelsOut, OverviewOut, SubscribersOut, SummaryOut
from api.summary_cache import data_stamp
from storage.channels import ChannelRepo
from storage.counts import ChannelCounts, channel_counts
from storage.db import read
from storage.models import Channel
from storage.subscribers import subscriber_series

Ctx = Annotated[ApiContext, Depends(context)]
Tracked = Annotated[Channel, Depends(tracked_channel)]
WindowQ = Annotated[Window, Depends(window_query)]


async def list_channels(ctx: Ctx, reads: Reads) -> JSONResponse:
    """Every tracked channel with its state, posts stored and newest subscriber count."""
    await reads.release()  # the channels and their counts must agree: one transaction of their own
    async with read(ctx.engine) as conn:
        channels = await ChannelRepo(conn).list_all()
        counts = await channel_counts(conn)
    rows = []
    for c in channels:
        n = counts.get(c.id, ChannelCounts())
        rows.append({
            "username": c.username, "title": c.title, "status": c.status, "status_reason": c.status_reason,
            "added_at": c.added_at.isoformat(), "history_complete": c.history_complete,
            "last_collected_at": c.last_collected_at.isoformat() if c.last_collected_at else None,
            "next_collection_at": c.next_collection_at.isoformat() if c.next_collection_at else None,
            "posts_stored": n.posts, "subscribers": n.subscribers,
        })
    return JSONResponse({"channels": rows})


async def get_overview(ctx: Ctx, reads: Reads, window: WindowQ) -> JSONResponse:
    """Every channel's figures over the window: the JSON `python main.py stats --json` prints."""
    await reads.release()  # the analytics read on their own connections
    now = ctx.clock.now()
    rows = await overview(ctx.engine, window, now)
    return JSONResponse(overview_dict(window.name, now, rows))


async def get_summary(ctx: Ctx, reads: Reads, username: Username, window: WindowQ) -> Response:
    """One channel's summary: the JSON `python main.py stats @name --window W --json` prints."""
    now, tz = ctx.clock.now(), ctx.settings.digest_timezone
    # The channel and its newest run in one read (the token's), before the figures: a run that
    # writes meanwhile changes the next request's stamp.
    conn, stamp = await reads.conn(), None
    if ctx.summaries.enabled:
        channel, latest = await find_tracked_with_latest_run(conn, username)
        stamp = data_stamp(channel, latest)
    else:
        channel = await find_tracked(conn, username)
    await reads.release()  # a cached answer needs nothing more; the analytics read on their own
    key = (channel.id, window.name, tz)
    if stamp is not None and (body := ctx.summaries.get(key, stamp, now)) is not None:
        return Response(body, media_type="application/json")
    summary = await channel_summary(ctx.engine, channel.id, window, now, tz)
    answer = JSONResponse(summary.to_dict())
    if stamp is not None:
        ctx.summaries.put(key, stamp, now, answer.body)
    return answer


async def get_subscribers(ctx: Ctx, reads: Reads, channel: Tracked, window: WindowQ) -> JSONResponse:
    """The known subscriber counts in the window, oldest first (unknown counts are left out)."""
    start, end = window.bounds(ctx.clock.now())
    points = await subscriber_series(await reads.conn(), channel.id, start, end)
    return JSONResponse({
        "username": channel.username, "window": window.name,
        "points": [{"taken_at": p.taken_at.isoformat(), "subscribers": p.subscribers} for p in points],
    })


def build_router() -> APIRouter:
    """This module's routes on a fresh router (see `create_app`)."""
    router = APIRouter(tags=["channels"])
    router.add_api_route("/channels", list_channels, response_model=ChannelsOut, responses=AUTH_ERRORS)
    router.add_api_route("/overview", get_overview, response_model=OverviewOut, responses=AUTH_ERRORS)
    router.add_api_route("/channels/{username}/summary", get_summary, response_model=SummaryOut,
                         responses=CHANNEL_ERRORS)
    router.add_api_route("/channels/{username}/subscribers", get_subscribers,
                         response_model=SubscribersOut, responses=CHANNEL_ERRORS)
    return router
