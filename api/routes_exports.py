"""Exports: a channel's posts or counter snapshots as CSV or JSON, streamed while they are read, with
the same text (formula-safe CSV) as `python main.py export` and the bot's /export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from analytics.export import iter_export
from api.context import ApiContext, context
from api.params import CHANNEL_ERRORS, tracked_channel
from api.request_read import Reads
from api.schemas import ErrorOut
from storage.models import Channel
from storage.posts import PostRepo

Ctx = Annotated[ApiContext, Depends(context)]
Tracked = Annotated[Channel, Depends(tracked_channel)]

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class Format(StrEnum):
    csv = "csv"
    json = "json"


async def export(
    ctx: Ctx, reads: Reads, channel: Tracked,
    format: Annotated[Format, Query(description="csv (spreadsheet-safe) or json")] = Format.csv,
    series: Annotated[bool, Query(description="Every counter snapshot, not each post's latest")] = False,
) -> StreamingResponse:
    """Every stored post (deleted ones flagged) or, with `series`, every counter snapshot."""
    stored = (await PostRepo(await reads.conn()).count_by_channel()).get(channel.id, 0)
    if not stored:
        raise HTTPException(404, f"@{channel.username} has no posts stored yet: nothing to export")
    name = f"{channel.username}-{'snapshots' if series else 'posts'}.{format.value}"

    async def body() -> AsyncIterator[bytes]:
        async for piece in iter_export(ctx.engine, channel.id, format.value, series):
            yield piece.encode("utf-8")

    return StreamingResponse(body(), media_type=MEDIA_TYPES[format.value],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


EXPORT_ANSWERS: dict[int | str, dict] = {
    **CHANNEL_ERRORS,
    200: {"content": {"text/csv": {"schema": {"type": "string"}},
                      "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
          "description": "The export, streamed"},
    404: {"model": ErrorOut, "description": "The channel is not tracked, or has no posts stored"},
}


def build_router() -> APIRouter:
    """This module's routes on a fresh router (see `create_app`)."""
    router = APIRouter(tags=["exports"])
    router.add_api_route("/channels/{username}/export", export, responses=EXPORT_ANSWERS,
                         response_class=StreamingResponse)
    return router
