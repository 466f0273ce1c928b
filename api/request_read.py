"""One read connection per API request for its small look-ups: the token, the channel the path names
(with its newest run, in one statement), a route's single-statement reads. Each connection costs a
pool checkout and, in a transaction, a BEGIN and a ROLLBACK (on SQLite each a few hops to the
driver's thread), which for a cached summary was a third of the request's work when the token and
the channel were read in two. None of these reads needs another to agree with it, so on SQLite each
statement reads on its own, without BEGIN (`read(snapshot=False)`); a route whose statements must
agree (a page of posts and their total) reads in a transaction of its own. Opened at first use;
closed when the route returns, or sooner by `release` before a route hands over to analytics that
read on connections of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.context import ApiContext, context
from storage.db import read


class RequestRead:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._stack: AsyncExitStack | None = None
        self._conn: AsyncConnection | None = None

    async def conn(self) -> AsyncConnection:
        """The request's read-only connection (each statement its own snapshot on SQLite)."""
        if self._conn is None:
            stack = AsyncExitStack()
            self._conn = await stack.enter_async_context(read(self.engine, snapshot=False))
            self._stack = stack
        return self._conn

    async def release(self) -> None:
        """End the transaction and give the connection back; a later `conn` opens another."""
        stack, self._stack, self._conn = self._stack, None, None
        if stack is not None:
            await stack.aclose()


async def request_read(ctx: Annotated[ApiContext, Depends(context)]) -> AsyncIterator[RequestRead]:
    reads = RequestRead(ctx.engine)
    try:
        yield reads
    finally:
        await reads.release()


# "function": released as soon as the route returns, before its answer is sent (or streamed).
Reads = Annotated[RequestRead, Depends(request_read, scope="function")]
