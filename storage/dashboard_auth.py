"""The dashboard's one-time login links and browser sessions. Each secret is 32 random bytes shown once
(in the link, in the cookie); only its SHA-256 hash is stored, as for the API's tokens, so a copy of
the database opens nothing. A link is used up by the first visit that logs in with it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.api_tokens import token_hash
from storage.db import read, write
from storage.tables import dashboard_logins, dashboard_sessions

LOGIN_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=12)


class LoginOutcome(Enum):
    OK = "ok"
    UNKNOWN = "unknown"  # never issued (or mistyped)
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class NewSession:
    secret: str  # the cookie's value, given to the browser this once
    expires_at: datetime


async def issue_login(engine: AsyncEngine, now: datetime, ttl: timedelta = LOGIN_TTL) -> str:
    """A fresh login secret valid until now + ttl, stored hashed; the clear text is returned once."""
    secret = secrets.token_urlsafe(32)
    async with write(engine) as conn:
        # Expired links are of no use to anyone: each new one sweeps them away.
        await conn.execute(delete(dashboard_logins).where(dashboard_logins.c.expires_at <= now))
        await conn.execute(dashboard_sessions.delete().where(dashboard_sessions.c.expires_at <= now))
        await conn.execute(dashboard_logins.insert().values(
            token_hash=token_hash(secret), created_at=now, expires_at=now + ttl))
    return secret


async def redeem_login(
    engine: AsyncEngine, secret: str, now: datetime, ttl: timedelta = SESSION_TTL
) -> tuple[LoginOutcome, NewSession | None]:
    """Use the login `secret` up and open a session, or say why it cannot be used."""
    hashed = token_hash(secret)
    async with write(engine) as conn:
        row = (await conn.execute(
            select(dashboard_logins.c.expires_at, dashboard_logins.c.used_at)
            .where(dashboard_logins.c.token_hash == hashed))).first()
        if row is None:
            return LoginOutcome.UNKNOWN, None
        if row.used_at is not None:
            return LoginOutcome.USED, None
        if row.expires_at <= now:
            return LoginOutcome.EXPIRED, None
        # Guarded by used_at IS NULL: of two visits racing with one link, one logs in.
        taken = await conn.execute(
            update(dashboard_logins).where(dashboard_logins.c.token_hash == hashed,
                                           dashboard_logins.c.used_at.is_(None)).values(used_at=now))
        if taken.rowcount != 1:
            return LoginOutcome.USED, None
        session = NewSession(secrets.token_urlsafe(32), now + ttl)
        await conn.execute(dashboard_sessions.insert().values(
            session_hash=token_hash(session.secret), created_at=now, expires_at=session.expires_at))
    return LoginOutcome.OK, session


async def session_is_live(engine: AsyncEngine, secret: str, now: datetime) -> bool:
    """Whether the cookie value `secret` names a session that has not expired."""
    async with read(engine) as conn:
        expires_at = (await conn.execute(
            select(dashboard_sessions.c.expires_at)
            .where(dashboard_sessions.c.session_hash == token_hash(secret)))).scalar()
    return expires_at is not None and expires_at > now


async def end_session(engine: AsyncEngine, secret: str) -> None:
    async with write(engine) as conn:
        await conn.execute(dashboard_sessions.delete().where(
            dashboard_sessions.c.session_hash == token_hash(secret)))
