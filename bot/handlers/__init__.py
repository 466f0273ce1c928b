"""The bot's routers, assembled once: the admin filter and the private-chat rule sit on the parents,
not on each handler.

A command's handler lives in the module named after it: /add_channel in `add_channel.py`, /pause
(and /resume, its other direction) in `pause.py`; /digest in `bot/digest/handler.py`, with the rest
of its feature. The other modules here answer what is not a command of ours (`fallback`, `groups`,
`outsiders`) or fails (`errors`)."""

from __future__ import annotations

from aiogram import Router

from bot.digest import handler as digest
from bot.filters import BUTTON_IN_PRIVATE, IN_PRIVATE, IsAdmin
from bot.handlers import (
    accounts,
    add_channel,
    api_token,
    channels,
    chart,
    dashboard,
    errors,
    export,
    fallback,
    groups,
    help,
    outsiders,
    pause,
    post,
    remove_channel,
    start,
    stats,
    status,
)


def get_routers() -> list[Router]:
    """Routers in the order the dispatcher tries them: admins' commands, then everyone else.

    Each call builds fresh routers, because an aiogram router can belong to one parent only and
    every run of the app (and every test) builds its own dispatcher.
    """
    admin = Router(name="admin")
    admin.message.filter(IsAdmin())
    admin.callback_query.filter(IsAdmin())
    # Every admin feature answers in the admin's private chat only; in a group, `groups` points there.
    private = Router(name="admin-private")
    private.message.filter(IN_PRIVATE)
    private.callback_query.filter(BUTTON_IN_PRIVATE)
    private.include_routers(
        start.build_router(),
        help.build_router(),
        add_channel.build_router(),
        channels.build_router(),
        pause.build_router(),
        stats.build_router(),
        chart.build_router(),
        post.build_router(),
        export.build_router(),
        status.build_router(),
        accounts.build_router(),
        remove_channel.build_router(),
        digest.build_router(),
        api_token.build_router(),
        dashboard.build_router(),
        fallback.build_router(),  # last: whatever no command handler took
    )
    admin.include_routers(private, groups.build_router())
    return [admin, outsiders.build_router(), errors.build_router()]
