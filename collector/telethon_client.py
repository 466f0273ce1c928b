"""The collector's TelegramClient: every request it sends passes the request gate, and it sends none
on its own.

Telethon is set so that it never repeats a request behind the gate's back:
- request_retries=0: one attempt per call (its default repeats a call up to 5 more times after a
  server error or a short FloodWait); the collector repeats through the gate instead;
- auto_reconnect=False: after a drop Telethon would reconnect and send the pending requests again
  by itself; reconnecting is the collector's, through the gate;
- flood_sleep_threshold=MTPROTO_SLEEP_THRESHOLD: Telethon sleeps through a FloodWait that short and,
  having no retry left, raises it; the gate keeps it as a block, counting the seconds already slept;
- no updates: a collector needs none, and Telethon's update handling sends GetState and
  GetDifference by itself (at log-in and on its own timers), so it is switched off here;
- connection_retries: attempts at opening the connection on connect; the only request of a
  connect (InitConnection) is sent once one succeeds, through the gate.
What is left is MTProto's own service traffic (acks, pings), which carries no API request. Two
things Telethon does on its own are turned into ours: a ping left unanswered (a stalled link)
cancels the pending request, which becomes a dropped connection instead of a cancelled collection;
and the one move to another data centre Telegram asks for at log-in (PHONE_MIGRATE) is followed by
the same request again, through the gate.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import TelegramClient, errors

from collector.gate import RequestGate
from collector.wire_names import method_name

CONNECTION_RETRIES = 3
RETRY_DELAY = 5  # seconds between attempts at opening the connection
INIT = "help.GetConfig"  # what connect() sends, wrapped in InvokeWithLayer(InitConnection(...))
_FLOODS = (errors.FloodWaitError, errors.FloodPremiumWaitError)


class GatedTelegramClient(TelegramClient):
    def __init__(self, session: Any, api_id: int, api_hash: str, gate: RequestGate,
                 sleep_threshold: float, **kwargs: Any) -> None:
        super().__init__(
            session, api_id, api_hash, request_retries=0, connection_retries=CONNECTION_RETRIES,
            retry_delay=RETRY_DELAY, auto_reconnect=False, flood_sleep_threshold=sleep_threshold,
            raise_last_call_error=True, receive_updates=False, **kwargs,
        )
        self.gate = gate

    def session_key(self) -> int | None:
        """The session's auth key id (signed 64-bit): which ledger applies, known with no request."""
        key = self.session.auth_key
        if key is None or key.key_id is None:
            return None
        return key.key_id - 2**64 if key.key_id >= 2**63 else key.key_id

    def session_path(self) -> str | None:
        """The session's file, as `login --session` named it; None for a session string."""
        filename = getattr(self.session, "filename", None)
        return str(filename) if filename else None

    async def connect(self) -> None:
        if self.is_connected():
            return
        await self.gate.bind_session(self.session_key(), self.session_path())
        await self.gate.before_request(INIT)
        await super().connect()

    async def _call(self, sender: Any, request: Any, ordered: bool = False,
                    flood_sleep_threshold: float | None = None) -> Any:
        method = method_name(request)
        for moves in range(2):
            await self.gate.before_request(method)
            try:
                result = await super()._call(self._sender if moves else sender, request, ordered,
                                             flood_sleep_threshold)
            except _FLOODS as exc:
                # At or below the threshold Telethon has slept the seconds already.
                slept = exc.seconds if exc.seconds <= self.flood_sleep_threshold else 0
                await self.gate.flood_wait(method, exc.seconds, slept)
                raise
            except errors.InvalidDCError as exc:
                self.gate.answered()
                if moves or self.session.dc_id != exc.new_dc:
                    raise
                continue  # Telethon moved the session to the DC Telegram named: ask there
            except errors.RPCError:
                self.gate.answered()
                raise
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # a stop of ours
                # Telethon cancels pending requests when a ping goes unanswered (a stalled link).
                raise ConnectionError("no answer from Telegram (the connection stalled)") from None
            self.gate.answered()
            return result
        raise AssertionError("unreachable")

    async def _on_login(self, user: Any) -> Any:
        """Who we are, for the ledger; Telethon would also fetch the update state (GetState and
        GetDifference), which a collector never needs."""
        self._mb_entity_cache.set_self_user(user.id, user.bot, user.access_hash)
        self._authorized = True
        await self.gate.bind(user.id, self.session_key())
        return user

    async def _update_loop(self) -> None:
        """No update loop: it would send GetDifference on its own timers."""
