"""A database server that went away (PostgreSQL restarted, its host unreachable): how to tell it from
any other database error, how to wait for it, and how to say so once instead of once per retry."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("storage.outage")

PROBE_SECONDS = 1.0  # how often a process waiting for the database asks it again


class DatabaseLost(Exception):
    """Work cut short by the database's going away, raised once it is back: what was cut is
    recorded, and the caller decides whether to repeat it."""


class DatabaseOutage:
    """One line when the database is first found unreachable, one when it answers again, whatever
    number of loops of the process meet the outage meanwhile."""

    def __init__(self, where: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.where = where  # what waits: "the collector", "the bot"
        self.down = False
        self.monotonic = monotonic
        self._back_at: float | None = None

    def lost(self, exc: BaseException) -> None:
        if self.down:
            return
        self.down = True
        log.warning("the database is unreachable (%s): %s waits for it and carries on when it is back; "
                    "check that PostgreSQL is running and that DATABASE_URL's host can be reached",
                    _reason(exc), self.where)

    def back(self) -> None:
        if self.down:
            self.down = False
            self._back_at = self.monotonic()
            log.warning("the database answers again: %s carries on", self.where)

    def settled(self, seconds: float) -> bool:
        """True unless the database is gone now or came back less than `seconds` ago."""
        return not self.down and (self._back_at is None or self.monotonic() - self._back_at >= seconds)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    return " ".join(str(exc).split()) or type(exc).__name__


async def answers(engine: AsyncEngine) -> bool:
    """True when the database runs a query now."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (DBAPIError, OSError):
        return False
    return True


async def is_lost(engine: AsyncEngine, exc: BaseException) -> bool:
    """True when `exc` came from losing the database (its connection died, or the server does not
    answer now), not from the statement: only then is waiting and repeating the cure."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, DBAPIError | OSError):
        return False
    return not await answers(engine)


async def wait_until_back(
    engine: AsyncEngine, outage: DatabaseOutage, exc: BaseException,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Say once that the database is gone, and return when it answers again."""
    outage.lost(exc)
    while not await answers(engine):
        # Polling the server on the wall clock; nothing but this process's database work waits here.
        await sleep(PROBE_SECONDS)
    outage.back()
