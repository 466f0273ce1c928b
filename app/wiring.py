"""What differs between production and the sandbox (the Wiring), and the production one: the real
Telegram account through Telethon, the real clock, the real Bot API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from collector.clock import Clock, RealClock
from collector.source import ChannelSource, NotAuthorized
from settings import Settings

log = logging.getLogger("app")


class StartupError(Exception):
    """A start-up check failed; str() is the one line telling the user what to do."""


@dataclass(frozen=True)
class Wiring:
    """What differs between production and the sandbox; everything else is built the same way."""

    settings: Settings  # the effective settings (the sandbox swaps the token and BOT_API_URL)
    source: ChannelSource
    clock: Clock
    reconnect: Callable[[], Awaitable[None]]  # bring the MTProto connection back after a drop
    close: Callable[[], Awaitable[None]]  # close the Telegram side (client, sandbox servers)
    sandbox: bool = False


def check_session(settings: Settings) -> None:
    """A session to connect with: a string, or a file `login` wrote; StartupError naming `login`."""
    from collector.login import session_path

    path = session_path(settings)
    # Checked before Telethon opens it: opening a missing session file creates an empty one.
    if path is not None and not path.exists():
        raise StartupError(
            f"no Telegram session at {path} and TELEGRAM_SESSION_STRING is not set: "
            "run `python main.py login` first"
        )


async def production_wiring(settings: Settings) -> Wiring:
    """Connect the collector's account; StartupError (one line naming `login`) when signed out, or
    saying what to check when Telegram cannot be reached."""
    # Imported here so `run --sandbox` and the demo never load Telethon's networking.
    from telethon.errors import RPCError

    from collector.login import CONNECTION_ERRORS, connection_problem, quiet_network
    from collector.telethon_source import TelethonSource, build_client, ensure_authorized

    check_session(settings)
    try:
        client = build_client(settings)
    except NotAuthorized as exc:
        raise StartupError(str(exc)) from None
    try:
        with quiet_network():
            account = await ensure_authorized(client)
    except NotAuthorized as exc:
        await client.disconnect()
        raise StartupError(str(exc)) from None
    except (RPCError, *CONNECTION_ERRORS) as exc:
        with quiet_network():
            await client.disconnect()
        raise StartupError(connection_problem(exc)) from None
    source = TelethonSource(client, account)

    async def reconnect() -> None:
        if not client.is_connected():
            await client.connect()
            log.info("MTProto connection re-established")

    async def close() -> None:
        source.close()
        await client.disconnect()

    return Wiring(settings, source, RealClock(), reconnect, close)
