"""Who may use the bot: only the user ids in ADMIN_IDS (read from the injected settings)."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject, User

from settings import Settings


class IsAdmin(BaseFilter):
    async def __call__(
        self, event: TelegramObject, settings: Settings, event_from_user: User | None = None
    ) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_ids
