"""Alerts as the admins get them; /healthz and /readyz for the health checks (no token needed)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.health import NO_PROCESS
from storage.alerts import AlertRepo
from storage.db import write
from storage.heartbeats import Heartbeat, HeartbeatRepo
from storage.migrate import downgrade, head_revision
from tests.analytics.conftest import add_channel, t


async def test_alerts_newest_first_and_per_channel(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    a = await add_channel(engine, "alpha", t("2026-03-02 11:00"))
    b = await add_channel(engine, "beta", t("2026-03-02 11:00"))
    async with write(engine) as conn:
        repo = AlertRepo(conn)
        await repo.record(
            "subscribers:1", "subscribers", "Alpha: subscribers 100 → 120", t("2026-03-01 10:00"), a)
        await repo.record("viral:2", "viral", "Beta: a post took off", t("2026-03-02 10:00"), b)
    every = (await client.get("/api/v1/alerts")).json()["alerts"]
    assert [x["key"] for x in every] == ["viral:2", "subscribers:1"]
    assert every[1] == {"key": "subscribers:1", "kind": "subscribers", "text": "Alpha: subscribers 100 → 120",
                        "created_at": "2026-03-01T10:00:00+00:00", "channel_id": a, "delivered_at": None}
    alpha = (await client.get("/api/v1/channels/alpha/alerts")).json()["alerts"]
    assert [x["key"] for x in alpha] == ["subscribers:1"]
    assert [x["key"] for x in (await client.get("/api/v1/alerts", params={"limit": 1})).json()["alerts"]] == [
        "viral:2"]


async def test_healthz_follows_the_running_processs_heartbeat(
    anonymous: httpx.AsyncClient, engine: AsyncEngine, now: datetime
) -> None:
    nobody = await anonymous.get("/healthz")
    assert nobody.status_code == 503 and nobody.json() == {"healthy": False, "detail": NO_PROCESS}
    async with write(engine) as conn:
        await HeartbeatRepo(conn).save(Heartbeat("scheduler", now - timedelta(seconds=30),
                                                 timedelta(minutes=2), 4242))
    fresh = await anonymous.get("/healthz")
    assert fresh.status_code == 200 and fresh.json() == {
        "healthy": True, "detail": "healthy: scheduler tick 30s ago (pid 4242)"}
    async with write(engine) as conn:
        await HeartbeatRepo(conn).save(Heartbeat("scheduler", now - timedelta(minutes=5),
                                                 timedelta(minutes=2), 4242))
    stale = await anonymous.get("/healthz")
    assert stale.status_code == 503 and "stale scheduler tick 300s ago" in stale.json()["detail"]


async def test_readyz_wants_the_schema_this_code_knows(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ready = await anonymous.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "detail": f"schema {head_revision()}"}
    await downgrade(engine, "-1")
    behind = await anonymous.get("/readyz")
    assert behind.status_code == 503 and behind.json()["ready"] is False
    assert head_revision() in behind.json()["detail"]
