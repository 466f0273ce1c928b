"""/api_token create NAME | list | revoke NAME: the HTTP API's tokens, as `python main.py token` does."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands import usage
from bot.delivery import reply
from bot.render import esc
from bot.render_tokens import name_taken, no_such_token, token_created, token_list, token_revoked
from clock import Clock
from storage.api_tokens import BAD_NAME, issue_token, list_tokens, revoke_token, valid_name


async def cmd_api_token(message: Message, command: CommandObject, engine: AsyncEngine, clock: Clock) -> None:
    words = (command.args or "").split()
    action, name = (words[0].lower(), words[1] if len(words) > 1 else None) if words else (None, None)
    if action == "list" and len(words) == 1:
        await reply(message, token_list(await list_tokens(engine)))
        return
    if action not in ("create", "revoke") or len(words) != 2:
        await reply(message, usage("api_token"))
        return
    assert name is not None
    if not valid_name(name):
        await reply(message, f"{esc(BAD_NAME[0].upper() + BAD_NAME[1:])}.\n{usage('api_token')}")
        return
    if action == "create":
        token = await issue_token(engine, name, clock.now())
        await reply(message, name_taken(name) if token is None else token_created(name, token))
        return
    revoked = await revoke_token(engine, name, clock.now())
    await reply(message, token_revoked(name) if revoked else no_such_token(name))


def build_router() -> Router:
    """This module's handlers on a fresh router (see `get_routers`)."""
    router = Router(name="api_token")
    router.message.register(cmd_api_token, Command("api_token"))
    return router
