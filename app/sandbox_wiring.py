"""The sandbox Wiring for `run --sandbox`, the demo and the drills: offline Telegram, local Bot API.

Only this module knows the sandbox; the composition in app/run.py is the production one. Faults
for the reliability drills come from environment knobs read here, never from settings.py:

  SANDBOX_TIME_SCALE=0.05        real seconds per second of pacing (0.05 = 20x faster; 1 = real time)
  SANDBOX_ANCHOR=<unix seconds>  where sandbox time equals wall time; restarts given the same
                                 anchor continue the same sandbox timeline instead of going back
  SANDBOX_FLOOD_WAIT=history:60  the next such request gets a FloodWait (kind:seconds[:times], ...)
  SANDBOX_DISCONNECT=history     the next such request drops the connection (kind[:times], ...)
  SANDBOX_CHANNELS=a,b|all       channels to queue at start, as if an admin had sent /add_channel
  BOT_API_URL                    use an already running sandbox Bot API server instead of starting one
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from app.wiring import Wiring, open_gate
from clock import ScaledClock
from collector.pacing import PacingEvent
from settings import Settings

if TYPE_CHECKING:
    from collector.gate import RequestGate
    from sandbox.telegram import SandboxTelegram

log = logging.getLogger("app.sandbox")

DEFAULT_SCALE = 0.05
SANDBOX_ADMIN = 1001  # the admin the demo's script and the drills speak as
BANNER = "SANDBOX: offline Telegram and a local Bot API server; nothing here reaches Telegram"


class KnobError(ValueError):
    """A SANDBOX_* value that cannot be read; the message names it."""


@dataclass(frozen=True)
class Knobs:
    scale: float = DEFAULT_SCALE
    anchor: float | None = None
    floods: tuple[tuple[str, int, int], ...] = ()
    disconnects: tuple[tuple[str, int], ...] = ()
    channels: tuple[str, ...] = ()
    bot_api_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Knobs:
        from sandbox.telegram import KINDS, PRIVATE_CHANNEL, PUBLIC_CHANNELS

        try:
            scale = float(env.get("SANDBOX_TIME_SCALE") or DEFAULT_SCALE)
            anchor = float(env["SANDBOX_ANCHOR"]) if env.get("SANDBOX_ANCHOR") else None
            floods = tuple((k, int(s), int(n[0]) if n else 1)
                           for k, s, *n in _items(env, "SANDBOX_FLOOD_WAIT"))
            drops = tuple((k, int(n[0]) if n else 1) for k, *n in _items(env, "SANDBOX_DISCONNECT"))
        except (ValueError, IndexError) as exc:
            raise KnobError(f"a SANDBOX_* value cannot be read ({exc}); see app/sandbox_wiring.py") from None
        unknown = sorted({k for k, *_ in (*floods, *drops)} - set(KINDS))
        if unknown:
            raise KnobError(f"unknown request kind {', '.join(unknown)} in a SANDBOX_* value; "
                            f"one of {', '.join(KINDS)}")
        if scale <= 0:
            raise KnobError(f"SANDBOX_TIME_SCALE={scale:g}: must be positive")
        names = [n.strip().lstrip("@") for n in env.get("SANDBOX_CHANNELS", "").split(",") if n.strip()]
        if names == ["all"]:
            names = [*PUBLIC_CHANNELS, PRIVATE_CHANNEL]
        return cls(scale, anchor, floods, drops, tuple(names), env.get("BOT_API_URL") or None)


def _items(env: Mapping[str, str], name: str) -> list[list[str]]:
    return [part.strip().split(":") for part in env.get(name, "").split(",") if part.strip()]


def sandbox_clock(knobs: Knobs) -> ScaledClock:
    """A ScaledClock whose time is a function of wall time, so a restarted process continues it."""
    anchor = knobs.anchor if knobs.anchor is not None else time.time()
    virtual_now = anchor + (time.time() - anchor) / knobs.scale
    return ScaledClock(knobs.scale, datetime.fromtimestamp(virtual_now, UTC))


async def sandbox_wiring(
    settings: Settings, knobs: Knobs, on_pacing: Callable[[PacingEvent], None] | None = None,
    collecting: bool = True,
) -> tuple[Wiring, object | None]:
    """The sandbox Telegram and Bot API behind the production composition.

    Returns the wiring and the Bot API server it started (None when BOT_API_URL named one), so the
    demo can act as the admin through the server's control side, and draw its timeline from the
    pacer's events (`on_pacing`). The `bot` role (`collecting=False`) has no Telegram account: its
    channels are collected by `collector` processes, each signed in as its own sandbox account.
    """
    from sandbox.botapi import DEFAULT_TOKEN, BotAPIServer
    from sandbox.telegram import ACCOUNT_ID

    clock = sandbox_clock(knobs)
    source = gate = None
    engine_dispose = None
    if collecting:
        gate, engine = await open_gate(settings, clock, on_pacing)
        source = await _signed_in(knobs, clock, gate, ACCOUNT_ID)
        engine_dispose = engine.dispose
    admins = settings.admin_ids or [SANDBOX_ADMIN]
    server = None
    url = knobs.bot_api_url
    if url is None:
        server = await BotAPIServer().start()
        for admin in admins:
            server.open_chat(admin, "Admin")  # as if each admin had pressed Start
        url = server.base_url
    effective = settings.model_copy(update={
        "bot_token": SecretStr(DEFAULT_TOKEN), "bot_api_url": url, "admin_ids": admins,
    })

    async def close() -> None:
        if server is not None:
            await server.stop()
        if engine_dispose is not None:
            await engine_dispose()

    return Wiring(effective, source, gate, clock, close, sandbox=True), server


async def collect_sandbox_wiring(settings: Settings) -> Wiring:
    """`collect --sandbox`, for manual checks: the sandbox Telegram alone (no Bot API), with the
    report's pacing shown 20x faster (the policy still counts its full seconds)."""
    from sandbox.telegram import ACCOUNT_ID, SandboxTelegram

    clock = ScaledClock(DEFAULT_SCALE, datetime.now(UTC))
    gate, engine = await open_gate(settings, clock)
    await gate.bind(ACCOUNT_ID)
    return Wiring(settings, SandboxTelegram(clock, gate=gate), gate, clock, engine.dispose, sandbox=True)


async def collector_sandbox_wiring(settings: Settings, knobs: Knobs) -> Wiring:
    """`collector --sandbox`: the sandbox Telegram with the knobs' faults on the sandbox clock, and no
    Bot API (a collector tells admins through the bot process). The session file names the sandbox
    account it signs in as (sandbox.telegram.sandbox_account), so collectors started with
    `--session data/acc2.session`, `data/acc3.session`, ... are several accounts, as in production."""
    from sandbox.telegram import sandbox_account

    clock = sandbox_clock(knobs)
    gate, engine = await open_gate(settings, clock)
    gate.session_path = str(settings.telegram_session)
    source = await _signed_in(knobs, clock, gate, sandbox_account(settings.telegram_session))
    return Wiring(settings, source, gate, clock, engine.dispose, sandbox=True)


async def _signed_in(knobs: Knobs, clock: ScaledClock, gate: RequestGate, account: int) -> SandboxTelegram:
    """The sandbox Telegram signed in as `account`, its gate bound to that account's ledger (as
    production binds the session's account before any request), with the knobs' faults."""
    from sandbox.telegram import SandboxTelegram

    source = SandboxTelegram(clock, gate=gate, account=account)
    # The sandbox session's key is its account id: the ledger records the session file with it.
    await gate.bind(account, session_key=account if gate.session_path else None)
    for kind, seconds, times in knobs.floods:
        source.inject_flood_wait(kind, seconds, times)
    for kind, times in knobs.disconnects:
        source.inject_disconnect(kind, times)
    return source
