"""The dashboard's pages, server-rendered with Jinja2: the channel list, a channel with its charts and
post table, one post's history, and two channels side by side. Every page needs a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from analytics.service import post_history
from analytics.windows import WINDOW_NAMES, Window
from api.context import ApiContext, context
from api.dashboard_login import page, require_session
from api.dashboard_views import PAGE_SIZE, channel_list, channel_view, posts_table
from api.params import USERNAME, window_query
from api.routes_posts import BY_DATE, Order, SortBy
from storage.channels import ChannelRepo
from storage.db import read
from storage.models import Channel
from storage.post_pages import SORT_COLUMNS

Ctx = Annotated[ApiContext, Depends(context)]
WindowQ = Annotated[Window, Depends(window_query)]
Username = Annotated[str, Path(pattern=USERNAME)]


class PageNotFound(Exception):
    """What the page asked for is not stored; str() says what."""


def not_found(request: Request, exc: Exception) -> HTMLResponse:
    return page(request, "missing.html", 404, problem=str(exc))


async def _channel(ctx: ApiContext, username: str) -> Channel:
    name = username.removeprefix("@").lower()
    async with read(ctx.engine) as conn:
        channel = await ChannelRepo(conn).get_by_username(name)
    if channel is None:
        raise PageNotFound(f"@{name} is not tracked: add it with /add_channel in the bot.")
    return channel


async def channels_page(request: Request, ctx: Ctx, window: WindowQ) -> HTMLResponse:
    listed = await channel_list(ctx, window)
    return page(request, "channels.html", channels=listed, window=window, windows=WINDOW_NAMES)


async def channel_page(
    request: Request, ctx: Ctx, username: Username, window: WindowQ,
    sort: Annotated[SortBy, Query()] = BY_DATE, order: Annotated[Order, Query()] = Order.desc,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    channel = await _channel(ctx, username)
    view = await channel_view(ctx, channel, window)
    table = await posts_table(ctx, channel, window, sort.value, order is Order.desc, offset)
    return page(request, "channel.html", channel=channel, view=view, window=window, windows=WINDOW_NAMES,
                table=table, sort=sort.value, order=order.value, offset=offset, page_size=PAGE_SIZE,
                columns=[c for c in SORT_COLUMNS if c != "message_id"])


async def post_history_page(
    request: Request, ctx: Ctx, username: Username, message_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> HTMLResponse:
    channel = await _channel(ctx, username)
    history = await post_history(ctx.engine, channel.id, message_id, ctx.clock.now())
    if history is None:
        raise PageNotFound(f"Post {message_id} of @{channel.username} is not stored (yet).")
    series = [[round(p.age_hours, 3) for p in history.points], [p.views for p in history.points]]
    return page(request, "post.html", channel=channel, history=history, series=series)


async def compare_page(
    request: Request, ctx: Ctx, window: WindowQ,
    a: Annotated[str | None, Query(pattern=USERNAME)] = None,
    b: Annotated[str | None, Query(pattern=USERNAME)] = None,
) -> HTMLResponse:
    listed = await channel_list(ctx, window)
    names = [c.row.username for c in listed]
    a = a or (names[0] if names else None)
    b = b or (names[1] if len(names) > 1 else a)
    views = [await channel_view(ctx, await _channel(ctx, n), window) for n in (a, b) if n]
    return page(request, "compare.html", names=names, a=a, b=b, views=views, window=window,
                windows=WINDOW_NAMES)


def build_router() -> APIRouter:
    """The pages on a fresh router, each behind the session (see `create_app`)."""
    router = APIRouter(prefix="/dashboard", include_in_schema=False, dependencies=[Depends(require_session)])
    router.add_api_route("/", channels_page, methods=["GET"])
    router.add_api_route("/compare", compare_page, methods=["GET"])
    router.add_api_route("/channels/{username}", channel_page, methods=["GET"])
    router.add_api_route("/channels/{username}/posts/{message_id}", post_history_page, methods=["GET"])
    return router
