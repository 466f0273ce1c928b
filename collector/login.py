"""`python main.py login`: the one interactive step (phone, code, 2FA password) that writes the session."""

from __future__ import annotations

import asyncio
import getpass
import os
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors

from collector.telethon_source import build_client


def session_path(settings: Any) -> Path | None:
    """The session file Telethon writes (it adds ".session" when the name lacks it)."""
    if settings.telegram_session_string is not None:
        return None
    path = Path(settings.telegram_session)
    return path if path.suffix == ".session" else path.with_name(path.name + ".session")


def protect(path: Path | None) -> None:
    """Owner-only: the session file is as good as the account's password."""
    if path is not None and path.exists():
        os.chmod(path, 0o600)


async def _ask(prompt: str, secret: bool = False) -> str:
    # input()/getpass() block, so they run in a thread and the event loop stays free.
    reader = getpass.getpass if secret else input
    return (await asyncio.to_thread(reader, prompt)).strip()


async def sign_in(client: TelegramClient) -> str:
    """Walk the phone / code / password steps; returns the signed-in account's display name."""
    phone = await _ask("Phone number of the collector's account (international format, +…): ")
    await client.send_code_request(phone)
    code = await _ask("The login code Telegram just sent you: ")
    try:
        await client.sign_in(phone=phone, code=code)
    except errors.SessionPasswordNeededError:
        await client.sign_in(password=await _ask("Two-step verification password: ", secret=True))
    me = await client.get_me()
    return f"{me.first_name or ''} (@{me.username})" if me.username else str(me.first_name or me.id)


async def login(settings: Any) -> int:
    client = build_client(settings)
    path = session_path(settings)
    protect(path)
    try:
        await client.connect()
        if await client.is_user_authorized():
            me = await client.get_me()
            print(f"already signed in as {me.first_name or me.id}; nothing to do")
            return 0
        if settings.telegram_session_string is not None:
            print("TELEGRAM_SESSION_STRING is set but not signed in: replace it, or unset it to log in here")
            return 2
        who = await sign_in(client)
        print(f"signed in as {who}; session written to {path} (owner-only permissions)")
        return 0
    except (errors.PhoneNumberInvalidError, errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError,
            errors.PasswordHashInvalidError) as exc:
        what = exc.__class__.__name__.removesuffix("Error")
        print(f"login failed: {what}; run `python main.py login` again")
        return 1
    finally:
        await client.disconnect()
        protect(path)
