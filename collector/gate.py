"""The request gate: the one choke point every wire request of the collector's account passes.

The Telethon client (collector/telethon_client.py) calls it before each request it sends,
connecting included, and so does the sandbox Telegram; nothing else may talk on the account's
connection. Before a request it enforces, in this order:

1. the account ledger's FloodWait blocks: a request of a flood-waited method waits out the rest of
   the wait; a block of the whole account (a wait longer than MTPROTO_MAX_FLOOD_WAIT, or
   MAX_FLOOD_STREAK waits in a row) refuses it with AccountBlocked;
2. the run's budget: at most RUN_BUDGET wire requests in one channel's run;
3. MTPROTO_REQUEST_GAP between the starts of any two requests, also across a restart (the ledger
   keeps the last request's time);

and then records the request in the ledger. Telegram's FloodWaits come back through `flood_wait`,
which turns each into a block the ledger keeps, so a restart obeys it too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

from collector.ledger import FLOOD, MAX_FLOOD_STREAK, STREAK, AccountLedger, describe_block
from collector.pacing import Pacer
from collector.source import AccountBlocked, RunBudgetSpent, short_method
from storage.ledger import ACCOUNT, Block

log = logging.getLogger("collector.gate")

# Wire requests one channel's run may send: a first run needs 4 (resolve, two history pages, full
# channel), a later one up to 7 (history, five re-reads, full channel); the rest is room for
# FloodWait repeats and reconnects.
RUN_BUDGET = 20


class RequestGate:
    def __init__(self, pacer: Pacer, ledger: AccountLedger | None = None) -> None:
        self.pacer, self.ledger = pacer, ledger
        self.clock, self.config = pacer.clock, pacer.config
        self.account: int | None = None
        self.session_path: str | None = None  # the session file in use, once a client names it
        self._blocks: list[Block] = []
        self._streak = 0  # FloodWaits since the last answer
        self._unrecorded: list[str] = []  # requests sent before the account was known
        self._unsaved: list[Block] = []  # blocks met before the account was known
        self._run: int | None = None  # requests in the channel run under way
        self._lock = asyncio.Lock()
        self.sent_by_method: Counter[str] = Counter()  # wire requests this process sent

    @property
    def sent(self) -> int:
        return self.sent_by_method.total()

    async def bind_session(self, session_key: int | None, session_path: str | None = None) -> None:
        """Before a session's first request: take the ledger of the account it last belonged to. A
        session the ledger has not seen (a new log-in) is held to the account the ledger knows, if it
        knows one, until Telegram says who signed in: a FloodWait binds the account, not the file.
        A session file of its own (`login --session data/acc2.session`) is another account's, and
        is not held to the accounts signed in from other files."""
        self.session_path = session_path or self.session_path
        if self.account is not None or self.ledger is None:
            return
        account = await self.ledger.account_for_session(session_key) if session_key is not None else None
        if account is None and session_path is not None:
            account = await self.ledger.account_for_session_path(session_path)
        if account is not None:
            await self.bind(account, session_key)
        elif (latest := await self.ledger.latest_account(session_path)) is not None:
            await self.bind(latest)

    async def bind(self, account_id: int, session_key: int | None = None) -> None:
        """The account is known (Telegram said who we are): load its blocks and last request."""
        if self.account not in (None, account_id):
            self._blocks, self._streak = [], 0  # another account's; this one has its own ledger
        self.account = account_id
        if self.ledger is None:
            return
        # The file is recorded with the session's key: an account a new session is only held to
        # (no key of its own yet) is not signed in from that file.
        path = self.session_path if session_key is not None else None
        record, blocks = await self.ledger.bind(account_id, session_key, path)
        for block in self._unsaved:
            await self.ledger.block(account_id, block)
        for method in self._unrecorded:
            await self.ledger.request(account_id, method)
        self._unsaved, self._unrecorded = [], []
        self._blocks = [*blocks, *(b for b in self._blocks if b not in blocks)]
        if record.last_request_at is not None:
            self.pacer.request_seen((self.clock.now() - record.last_request_at).total_seconds())

    def blocked(self) -> Block | None:
        """The block of the whole account in force, if any (nothing may be sent until it ends)."""
        now = self.clock.now()
        return max((b for b in self._blocks if b.scope == ACCOUNT and b.until > now),
                   key=lambda b: b.until, default=None)

    async def catch_up(self) -> None:
        """Before a channel's run and its pause between channels: what another process of this
        account did meanwhile is read from the ledger they share: the blocks it met, and its last
        request, from which this process keeps the pause between channels and the gap between
        requests (the queue's lock lets one process of an account collect at a time; this keeps
        the pacing across the hand-over from one to the next)."""
        if self.ledger is None or self.account is None:
            return
        for block in await self.ledger.active_blocks(self.account):
            if block not in self._blocks:
                self._blocks.append(block)
        if (last := await self.ledger.last_request_at(self.account)) is not None:
            ago = (self.clock.now() - last).total_seconds()
            self.pacer.request_seen(ago)
            self.pacer.channel_seen(ago)

    def start_run(self) -> None:
        """A channel's run begins: its budget starts."""
        self._run = 0

    def end_run(self) -> None:
        self._run = None

    async def before_request(self, method: str) -> None:
        """Wait until `method` may be sent, or refuse it; then count and record it as sent. One
        caller at a time, so two requests can never both pass one gap."""
        async with self._lock:
            await self._admit(method)

    async def _admit(self, method: str) -> None:
        now = self.clock.now()
        self._blocks = [b for b in self._blocks if b.until > now]
        block = max((b for b in self._blocks if b.forbids(method)), key=lambda b: b.until, default=None)
        if block is not None:
            left = (block.until - now).total_seconds()
            if block.scope == ACCOUNT or left > self.config.max_flood_wait:
                raise AccountBlocked(describe_block(block), block.until)
            await self.pacer.obey(left, short_method(method))
        if self._run is not None:
            if self._run >= RUN_BUDGET:
                raise RunBudgetSpent(f"this run sent {RUN_BUDGET} requests, the most one channel's run "
                                     "may; it goes on in the next round")
            self._run += 1
        await self.pacer.before_request(short_method(method))
        self.sent_by_method[method] += 1
        if self.account is None:
            self._unrecorded.append(method)
        elif self.ledger is not None:
            await self.ledger.request(self.account, method)

    def answered(self) -> None:
        """Telegram answered a request (with a result or an error that is no FloodWait)."""
        self._streak = 0

    async def flood_wait(self, method: str, seconds: float, slept: float = 0.0) -> Block:
        """Telegram answered `method` with a FloodWait: keep it as a block, in the ledger too.
        `slept`: seconds of it the client has already sat out (Telethon's own short sleep)."""
        self._streak += 1
        now = self.clock.now() - timedelta(seconds=slept)
        if seconds > self.config.max_flood_wait:
            scope, reason, length = ACCOUNT, FLOOD, seconds
        elif self._streak >= MAX_FLOOD_STREAK:
            scope, reason, length = ACCOUNT, STREAK, max(seconds, self.config.max_flood_wait)
            self._streak = 0
        else:
            scope, reason, length = method, FLOOD, seconds
        # Obeyed to the second and a little more, never less.
        block = Block(scope, method, seconds, reason, now,
                      now + timedelta(seconds=length + self.pacer.jitter()))
        self._blocks.append(block)
        log.warning("Rate limiting: FloodWait %g s on %s; %s", seconds, short_method(method),
                    describe_block(block))
        if self.account is None:
            self._unsaved.append(block)
        elif self.ledger is not None:
            await self.ledger.block(self.account, block)
        return block
