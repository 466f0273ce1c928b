"""Posts: a channel's posts with their latest counters, page by page; one post's counters over time."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from analytics.service import post_history
from analytics.windows import Window
from api.context import ApiContext, context
from api.params import CHANNEL_ERRORS, tracked_channel, window_query
from api.request_read import Reads
from api.schemas import ErrorOut, PostHistoryOut, PostPageOut
from storage.db import read
from storage.models import Channel, Post
from storage.post_pages import NO_MEDIA, SORT_COLUMNS, post_page

Ctx = Annotated[ApiContext, Depends(context)]
Tracked = Annotated[Channel, Depends(tracked_channel)]
WindowQ = Annotated[Window, Depends(window_query)]

MAX_LIMIT = 200
SortBy = StrEnum("SortBy", {name: name for name in SORT_COLUMNS})  # type: ignore[misc]
BY_DATE = SortBy("date")


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


TEXT = "text"  # the media filter for posts without media


def _post(username: str, p: Post) -> dict:
    return {
        "message_id": p.message_id, "date": p.date.isoformat(),
        "link": f"https://t.me/{username}/{p.message_id}", "media_kind": p.media_kind,
        "grouped_id": p.grouped_id, "deleted": p.deleted, "views": p.views, "forwards": p.forwards,
        "replies": p.replies, "reactions": p.reactions, "paid_reactions": p.paid_reactions, "text": p.text,
    }


async def list_posts(
    ctx: Ctx, reads: Reads, channel: Tracked, window: WindowQ,
    sort: Annotated[SortBy, Query(description="The column to sort by")] = BY_DATE,
    order: Annotated[Order, Query()] = Order.desc,
    media: Annotated[str | None, Query(
        pattern=r"^[a-z_]{1,32}$", description=f"Only posts of this media kind (photo, video, …); "
        f"'{TEXT}' for posts without media")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Posts per page, at most {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> JSONResponse:
    """Stored posts published in the window with their latest counters; deleted ones are flagged.
    Unknown counters sort last in either order."""
    start, end = window.bounds(ctx.clock.now())
    kind = NO_MEDIA if media == TEXT else media
    await reads.release()  # the page and its total must agree: one transaction of their own
    async with read(ctx.engine) as conn:
        page = await post_page(conn, channel.id, since=start, until=end, media_kind=kind,
                               sort=sort.value, descending=order is Order.desc, limit=limit, offset=offset)
    return JSONResponse({
        "username": channel.username, "window": window.name, "sort": sort.value, "order": order.value,
        "media": media, "total": page.total, "offset": offset, "limit": limit,
        "posts": [_post(channel.username, p) for p in page.posts],
    })


async def get_post(
    ctx: Ctx, reads: Reads, channel: Tracked, message_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> JSONResponse:
    """One post's counters at every collection that saw it, with its age at each."""
    await reads.release()  # the analytics read on their own connection
    history = await post_history(ctx.engine, channel.id, message_id, ctx.clock.now())
    if history is None:
        raise HTTPException(404, f"post {message_id} of @{channel.username} is not stored (yet)")
    return JSONResponse(history.to_dict())


def build_router() -> APIRouter:
    """This module's routes on a fresh router (see `create_app`)."""
    router = APIRouter(tags=["posts"])
    router.add_api_route("/channels/{username}/posts", list_posts, response_model=PostPageOut,
                         responses=CHANNEL_ERRORS)
    router.add_api_route(
        "/channels/{username}/posts/{message_id}", get_post, response_model=PostHistoryOut,
        responses={**CHANNEL_ERRORS, 404: {"model": ErrorOut, "description": "Channel or post not stored"}},
    )
    return router
