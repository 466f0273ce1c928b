"""`python main.py login`: the one interactive step (phone, code, 2FA password) that writes the session."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors

from clock import RealClock
from collector.assignment import Assigner, handover_lines
from collector.gate import RequestGate
from collector.ledger import AccountLedger
from collector.pacing import Pacer, PacingConfig
from collector.source import AccountBlocked
from collector.telethon_source import build_client
from storage.migrate import open_database

# What a failed MTProto connection surfaces as: the socket's own errors, a reply cut short (a proxy
# or captive portal answering instead of Telegram reads as an IncompleteReadError), or bytes that
# are not MTProto at all.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, BufferError, errors.SecurityError, errors.TypeNotFoundError,
    errors.InvalidChecksumError,
)


def connection_problem(exc: BaseException) -> str:
    """One line for a failed MTProto connection or a refusal by Telegram, saying what to check."""
    if isinstance(exc, errors.ApiIdInvalidError | errors.ApiIdPublishedFloodError):
        return ("Telegram refused TELEGRAM_API_ID / TELEGRAM_API_HASH: copy both again from "
                "https://my.telegram.org (API development tools)")
    if isinstance(exc, errors.FloodWaitError):
        return f"Telegram asks to wait {exc.seconds} s before trying again (FloodWait); try again after that"
    if isinstance(exc, errors.RPCError):
        what = exc.__class__.__name__.removesuffix("Error")
        return f"Telegram refused: {what} ({exc.message}); see the README's Troubleshooting"
    if isinstance(exc, EOFError | BufferError | errors.SecurityError | errors.TypeNotFoundError
                  | errors.InvalidChecksumError):
        return ("cannot reach Telegram (MTProto): something other than Telegram answered (a proxy, "
                "firewall or captive portal?); check the network lets this machine reach Telegram")
    detail = str(exc) or exc.__class__.__name__
    return f"cannot reach Telegram (MTProto): {detail}; check the network (is this machine online?)"


@contextmanager
def quiet_network() -> Iterator[None]:
    """Telethon's own lines about each connection attempt stay out of a check whose failure is told
    in one line of ours; its loggers speak as before afterwards (reconnects in a long run)."""
    logger = logging.getLogger("telethon.network")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


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


def discard(path: Path) -> None:
    """Remove a session that never signed in, so `collect` and `run` say "run login first" again."""
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


class NoAnswer(Exception):
    """Standard input ended before the question was answered (not a terminal)."""


async def _ask(prompt: str, secret: bool = False) -> str:
    # input()/getpass() block, so they run in a thread and the event loop stays free.
    reader = getpass.getpass if secret else input
    try:
        return (await asyncio.to_thread(reader, prompt)).strip()
    except EOFError:  # told apart from a connection cut short, which is an EOFError too
        raise NoAnswer from None


async def sign_in(client: TelegramClient) -> str:
    """Walk the phone / code / password steps; returns the signed-in account's display name."""
    phone = await _ask("Phone number of the collector's account (international format, +…): ")
    await client.send_code_request(phone)
    code = await _ask("The login code Telegram just sent you: ")
    try:
        me = await client.sign_in(phone=phone, code=code)
    except errors.SessionPasswordNeededError:
        me = await client.sign_in(password=await _ask("Two-step verification password: ", secret=True))
    return f"{me.first_name or ''} (@{me.username})" if me.username else str(me.first_name or me.id)


def fail(line: str) -> None:
    print(line, file=sys.stderr)


async def login(settings: Any) -> int:
    """Sign in; one line and a non-zero exit on failure, and no session file left that never signed in.
    Its requests pass the request gate like the collector's: a FloodWait in the account ledger holds."""
    clock = RealClock()
    engine = await open_database(settings.database_url)
    try:
        gate = RequestGate(Pacer(PacingConfig.from_settings(settings), clock), AccountLedger(engine, clock))
        with quiet_network():
            code = await _login(settings, gate)
        if code == 0 and gate.account is not None and gate.ledger is not None:
            await gate.ledger.clear_fatal(gate.account)  # signed in again: collection may go on
            assigner = Assigner(engine, gate.config, settings.collect_interval_minutes)
            for handover in await assigner.rehome_stranded():
                print("\n".join([f"channels of stopped account {handover.account_id}:",
                                 *handover_lines(handover)[1:]]))
        return code
    finally:
        await engine.dispose()


async def _login(settings: Any, gate: RequestGate) -> int:
    path = session_path(settings)
    existed = path is not None and path.exists()
    client = build_client(settings, gate)
    protect(path)
    # None: not known (the connection failed first), so a session that was there before is kept.
    authorized: bool | None = None
    try:
        await client.connect()
        authorized = await client.is_user_authorized()
        if authorized:
            me = await client.get_me()
            print(f"already signed in as {me.first_name or me.id}; nothing to do")
            return 0
        if settings.telegram_session_string is not None:
            print("TELEGRAM_SESSION_STRING is set but not signed in: replace it, or unset it to log in here")
            return 2
        who = await sign_in(client)
        authorized = True
        print(f"signed in as {who}; session written to {path} (owner-only permissions)")
        return 0
    except (errors.PhoneNumberInvalidError, errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError,
            errors.PasswordHashInvalidError) as exc:
        what = exc.__class__.__name__.removesuffix("Error")
        fail(f"login failed: {what}; run `python main.py login` again")
        return 1
    except NoAnswer:
        fail("login failed: no answer to read; run `python main.py login` in a terminal")
        return 1
    except AccountBlocked as exc:
        # Refused by the gate: the ledger holds a FloodWait of the account.
        sent = "nothing was sent" if gate.sent == 0 else "nothing more was sent"
        fail(f"login stopped: the Telegram account is {exc}; {sent}, try again after that")
        return 1
    except (errors.RPCError, *CONNECTION_ERRORS) as exc:
        fail(f"login failed: {connection_problem(exc)}")
        return 1
    finally:
        await client.disconnect()
        if path is not None and not authorized and (not existed or authorized is False):
            discard(path)
        protect(path)
