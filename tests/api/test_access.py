"""Who may read: bearer tokens (missing, unknown, revoked → 401), the per-token rate limit (429 with
Retry-After), and what every answer carries: security headers, JSON errors, never a stack trace."""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.factory import create_app
from clock import VirtualClock
from settings import Settings
from storage.api_tokens import ApiTokenRepo
from storage.db import write
from tests.api.conftest import asgi_client, issue

pytestmark = pytest.mark.usefixtures("pulse")
SUMMARY = "/api/v1/channels/pulse/summary"


async def test_no_token_or_a_wrong_one_is_401_in_json(anonymous: httpx.AsyncClient, app: FastAPI) -> None:
    answer = await anonymous.get(SUMMARY)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in answer.json()["detail"]
    async with asgi_client(app, "cp_not-a-token") as wrong:
        refused = await wrong.get(SUMMARY)
    assert refused.status_code == 401 and refused.json() == {"detail": "this API token is not valid "
                                                             "(unknown or revoked)"}
    basic = await anonymous.get(SUMMARY, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


async def test_a_revoked_token_stops_working_at_once(
    client: httpx.AsyncClient, engine: AsyncEngine, now: datetime
) -> None:
    assert (await client.get(SUMMARY)).status_code == 200
    async with write(engine) as conn:
        assert await ApiTokenRepo(conn).revoke("tests", now)
    assert (await client.get(SUMMARY)).status_code == 401


async def test_each_token_has_its_own_rate_limit(
    engine: AsyncEngine, settings: Settings, clock: VirtualClock, now: datetime
) -> None:
    app = create_app(engine, settings.model_copy(update={"api_rate_per_minute": 3}), clock)
    first, second = await issue(engine, "first", now), await issue(engine, "second", now)
    async with asgi_client(app, first) as a, asgi_client(app, second) as b:
        assert [(await a.get("/api/v1/channels")).status_code for _ in range(3)] == [200] * 3
        limited = await a.get("/api/v1/channels")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "20"  # 3 a minute: one more every 20 s
        assert "at most 3 a minute" in limited.json()["detail"]
        assert (await b.get("/api/v1/channels")).status_code == 200  # another token is not held up
        clock.advance(19)
        assert (await a.get("/api/v1/channels")).headers["retry-after"] == "1"
        clock.advance(1)
        assert (await a.get("/api/v1/channels")).status_code == 200


async def test_unknown_channel_is_404_with_a_message(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/channels/nobody/summary")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "@nobody is not tracked: add it with /add_channel in the bot"}


async def test_a_bad_window_is_422_naming_the_allowed_ones(client: httpx.AsyncClient) -> None:
    answer = await client.get(SUMMARY, params={"window": "9d"})
    assert answer.status_code == 422
    message = answer.json()["detail"][0]["msg"]
    assert all(f"'{w}'" in message for w in ("24h", "7d", "30d", "all")), message


@pytest.mark.parametrize("path", [SUMMARY, "/api/v1/channels/nobody/summary", "/healthz", "/openapi.json"])
async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"


async def test_an_unexpected_error_is_500_in_json_without_internals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/channelpulse/analytics/service.py")

    monkeypatch.setattr("api.routes_channels.channel_summary", broken)
    with caplog.at_level(logging.ERROR, logger="api"):
        answer = await client.get(SUMMARY)
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error: the server logged it; try again later"}
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"]
    # The operator still gets the whole story in the log.
    assert "secret internals" in caplog.text and "GET /api/v1/channels/pulse/summary failed" in caplog.text


async def test_the_openapi_document_is_served_but_no_script_pages(anonymous: httpx.AsyncClient) -> None:
    doc = (await anonymous.get("/openapi.json")).json()
    assert "/api/v1/channels/{username}/summary" in doc["paths"]
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert (await anonymous.get("/docs")).status_code == 404
