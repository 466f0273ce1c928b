"""What differs between production and the sandbox (the Wiring), and the production one: the real
Telegram account through Telethon, the real clock, the real Bot API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from clock import Clock, RealClock
from collector.assignment import Assigner, handover_lines
from collector.gate import RequestGate
from collector.ledger import AccountLedger, describe_block
from collector.pacing import Pacer, PacingConfig, PacingEvent
from collector.source import AccountFatal, ChannelSource, NotAuthorized
from settings import Settings
from storage.migrate import open_database

log = logging.getLogger("app")


class StartupError(Exception):
    """A start-up check failed; str() is the one line telling the user what to do."""


@dataclass(frozen=True)
class Wiring:
    """What differs between production and the sandbox; everything else is built the same way."""

    settings: Settings  # the effective settings (the sandbox swaps the token and BOT_API_URL)
    # Sends every request through `gate`; both None in the `bot` role, which sends nothing to Telegram.
    source: ChannelSource | None
    gate: RequestGate | None
    clock: Clock
    close: Callable[[], Awaitable[None]]  # close the Telegram side (client, sandbox servers, ledger)
    sandbox: bool = False


async def open_gate(
    settings: Settings, clock: Clock, on_pacing: Callable[[PacingEvent], None] | None = None,
) -> tuple[RequestGate, AsyncEngine]:
    """The request gate with the account ledger in the database (already migrated by the start-up
    check); the caller disposes the engine when the Telegram side closes. `on_pacing` hears the
    pacer's events (the demo draws its timeline from them)."""
    engine = await open_database(settings.database_url)
    pacer = Pacer(PacingConfig.from_settings(settings), clock, on_event=on_pacing)
    return RequestGate(pacer, AccountLedger(engine, clock)), engine


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


async def production_wiring(settings: Settings, clock: Clock | None = None, **client: Any) -> Wiring:
    """Connect the collector's account; StartupError (one line naming `login`) when signed out, or
    saying what to check when Telegram cannot be reached. While the ledger holds a block of the whole
    account nothing is sent: the collector connects when the block ends. (Tests pass a virtual clock
    and, in `client`, the connection of their test Telegram.)"""
    # Imported here so `run --sandbox` and the demo never load Telethon's networking.
    from telethon.errors import RPCError

    from collector.login import CONNECTION_ERRORS, connection_problem, quiet_network
    from collector.telethon_source import TelethonSource, build_client, ensure_authorized

    check_session(settings)
    clock = clock or RealClock()
    gate, engine = await open_gate(settings, clock)
    try:
        client = build_client(settings, gate, **client)
    except NotAuthorized as exc:
        await engine.dispose()
        raise StartupError(str(exc)) from None
    source = TelethonSource(client)

    async def close() -> None:
        with quiet_network():  # a closing line after the one that told what went wrong is noise
            await client.disconnect()
        await engine.dispose()

    ledger = gate.ledger
    assert ledger is not None
    await gate.bind_session(client.session_key(), client.session_path())
    if gate.account is not None and (stopped := await ledger.fatal(gate.account)) is not None:
        # Telegram ended this session before; nothing more is sent on it until `login` again.
        await close()
        raise StartupError(f"collection stopped on {stopped.fatal_at:%Y-%m-%d %H:%M} UTC: "
                           f"{stopped.fatal_reason}")
    if (block := gate.blocked()) is not None:
        log.warning("Telegram account %s: not connecting until then", describe_block(block))
        return Wiring(settings, source, gate, clock, close)
    try:
        with quiet_network():
            await ensure_authorized(client)
    except NotAuthorized as exc:
        if isinstance(exc, AccountFatal) and gate.account is not None:
            if await ledger.set_fatal(gate.account, exc.kind, exc.reason):
                # Stopped while no process ran: its channels go to the live accounts all the same.
                handover = await Assigner(engine, gate.config, settings.collect_interval_minutes
                                          ).hand_over(gate.account)
                for line in handover_lines(handover):
                    log.warning("%s", line)
        await close()
        raise StartupError(str(exc)) from None
    except (RPCError, *CONNECTION_ERRORS) as exc:
        await close()
        raise StartupError(connection_problem(exc)) from None
    # Channels a stopped account was left with (no account was live then) are collected again.
    assigner = Assigner(engine, gate.config, settings.collect_interval_minutes)
    for handover in await assigner.rehome_stranded():
        log.warning("channels of stopped account %s: %s", handover.account_id,
                    "; ".join(handover_lines(handover)[1:]))
    return Wiring(settings, source, gate, clock, close)
