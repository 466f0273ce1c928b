"""Who may use the bot (only the user ids in ADMIN_IDS) and where it answers them (a private chat)."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import Message, TelegramObject, User

from settings import Settings

# Replies carry channel data: they go to the admin's own chat, never to every member of a group.
IN_PRIVATE = F.chat.type == ChatType.PRIVATE
# A button's chat is the chat of the message it sits on (none for an inline message: not private).
BUTTON_IN_PRIVATE = F.message.chat.type == ChatType.PRIVATE


class IsAdmin(BaseFilter):
    async def __call__(
        self, event: TelegramObject, settings: Settings, event_from_user: User | None = None
    ) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_ids


class CommandForUs(BaseFilter):
    """A command (`/name`), not addressed to another bot: in a group, `/stats@other_bot` is not ours."""

    async def __call__(self, message: Message, bot: Bot) -> bool:
        word = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        if not word.startswith("/"):
            return False
        _, _, mention = word.partition("@")
        return not mention or mention.lower() == ((await bot.me()).username or "").lower()
