"""The parameters routes share: the channel a path names (404 when not tracked) and the window
(422 naming the allowed values)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import HTTPException, Path, Query
from sqlalchemy.ext.asyncio import AsyncConnection

from analytics.windows import WINDOW_NAMES, Window, parse_window
from api.request_read import Reads
from api.schemas import ErrorOut
from storage.channels import ChannelRepo
from storage.models import Channel, Run

WindowName = StrEnum("WindowName", {name: name for name in WINDOW_NAMES})  # type: ignore[misc]
DEFAULT_WINDOW = WindowName("7d")  # as in the bot and `stats`
USERNAME = r"^@?[A-Za-z0-9_]{1,64}$"

# Documented answers beside a route's 200, so the OpenAPI document says what each may return.
AUTH_ERRORS: dict[int | str, dict] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or revoked one"},
    429: {"model": ErrorOut, "description": "Past the token's rate limit; see Retry-After"},
}
CHANNEL_ERRORS: dict[int | str, dict] = {
    **AUTH_ERRORS, 404: {"model": ErrorOut, "description": "The channel is not tracked"},
}


async def window_query(  # async: FastAPI runs a plain function in a worker thread
    window: Annotated[WindowName, Query(description="The period ending now")] = DEFAULT_WINDOW,
) -> Window:
    return parse_window(window.value)


Username = Annotated[str, Path(pattern=USERNAME, description="The channel's username, as in the bot")]


async def tracked_channel(reads: Reads, username: Username) -> Channel:
    return await find_tracked(await reads.conn(), username)


async def find_tracked(conn: AsyncConnection, username: str) -> Channel:
    """The tracked channel `username` names (any case, with or without @); 404 when there is none."""
    name = _name(username)
    channel = await ChannelRepo(conn).get_by_username(name)
    if channel is None:
        raise _not_tracked(name)
    return channel


async def find_tracked_with_latest_run(conn: AsyncConnection, username: str) -> tuple[Channel, Run | None]:
    """`find_tracked`, with the channel's newest run read in the same statement."""
    name = _name(username)
    found = await ChannelRepo(conn).get_with_latest_run(name)
    if found is None:
        raise _not_tracked(name)
    return found


def _name(username: str) -> str:
    return username.removeprefix("@").lower()


def _not_tracked(name: str) -> HTTPException:
    return HTTPException(404, f"@{name} is not tracked: add it with /add_channel in the bot")
