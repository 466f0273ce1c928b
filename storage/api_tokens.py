"""ApiTokenRepo: the HTTP API's bearer tokens. Only a SHA-256 hash of each token is stored: a token is
32 random bytes, so a fast hash is enough, and a copy of the database lets nobody in."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import read, write
from storage.tables import api_tokens

PREFIX = "cp_"  # tells a ChannelPulse token apart in a secret scanner or a pasted header
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
BAD_NAME = "a token's name is 1 to 64 letters, digits, '_', '.' or '-' (e.g. grafana)"


def valid_name(name: str | None) -> bool:
    return name is not None and _NAME.match(name) is not None


def new_token() -> str:
    """A fresh token as it is shown once to its owner."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    token_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


class ApiTokenRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def create(self, name: str, token: str, now: datetime) -> ApiToken | None:
        """Store `token`'s hash under `name`; None when a live token already has that name."""
        if await self.live_named(name) is not None:
            return None
        try:
            async with self.conn.begin_nested():  # a clash rolls back to here, not the whole write
                result = await self.conn.execute(
                    api_tokens.insert().values(name=name, token_hash=token_hash(token), created_at=now)
                    .returning(api_tokens.c.id)
                )
        except IntegrityError:  # created by another process since the check
            return None
        return ApiToken(int(result.scalar_one()), name, token_hash(token), now)

    async def live_named(self, name: str) -> ApiToken | None:
        stmt = select(api_tokens).where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
        row = (await self.conn.execute(stmt)).first()
        return _token(row) if row else None

    async def list(self) -> list[ApiToken]:
        """Every token, live and revoked, oldest first."""
        rows = await self.conn.execute(select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id))
        return [_token(r) for r in rows]

    async def live(self) -> list[ApiToken]:
        rows = await self.conn.execute(select(api_tokens).where(api_tokens.c.revoked_at.is_(None)))
        return [_token(r) for r in rows]

    async def revoke(self, name: str, now: datetime) -> bool:
        """Revoke the live token called `name`; False when there is none."""
        result = await self.conn.execute(
            update(api_tokens).where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1


def _token(row: object) -> ApiToken:
    m = row._mapping  # type: ignore[attr-defined]
    return ApiToken(m["id"], m["name"], m["token_hash"], m["created_at"], m["revoked_at"])


async def issue_token(engine: AsyncEngine, name: str, now: datetime) -> str | None:
    """A new token called `name`, stored hashed and returned in the clear this once; None when a
    live token has that name."""
    token = new_token()
    async with write(engine) as conn:
        created = await ApiTokenRepo(conn).create(name, token, now)
    return token if created is not None else None


async def revoke_token(engine: AsyncEngine, name: str, now: datetime) -> bool:
    async with write(engine) as conn:
        return await ApiTokenRepo(conn).revoke(name, now)


async def list_tokens(engine: AsyncEngine) -> list[ApiToken]:
    async with read(engine) as conn:
        return await ApiTokenRepo(conn).list()
