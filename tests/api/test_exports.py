"""Exports: streamed, the same text as `python main.py export`, safe to open in a spreadsheet."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.export import export_posts
from tests.analytics.conftest import P, add_channel, add_posts, t

EXPORT = "/api/v1/channels/pulse/export"


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("series", [False, True])
async def test_the_export_is_the_clis_text(
    client: httpx.AsyncClient, engine: AsyncEngine, pulse: int, fmt: str, series: bool
) -> None:
    answer = await client.get(EXPORT, params={"format": fmt, "series": str(series).lower()})
    assert answer.status_code == 200
    assert answer.text == await export_posts(engine, pulse, fmt, series)
    name = f"pulse-{'snapshots' if series else 'posts'}.{fmt}"
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert answer.headers["content-type"].startswith("text/csv" if fmt == "csv" else "application/json")


async def _asgi_get(app: FastAPI, path: str, token: str) -> tuple[int, list[bytes]]:
    """The status and each body message the app sends, as a server gets them (httpx's ASGITransport
    gathers the body whole before it answers)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "",
             "headers": [(b"host", b"api.test"), (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 1), "server": ("api.test", 80)}
    sent: list[dict] = []
    requested, done = False, asyncio.Event()

    async def receive() -> dict:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the whole answer came
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]


async def test_a_big_export_is_sent_while_it_is_read(app: FastAPI, token: str, engine: AsyncEngine) -> None:
    cid = await add_channel(engine, "big", t("2026-03-02 11:00"))
    await add_posts(engine, cid, tuple(P(i, "2026-03-01 10:00", i) for i in range(1, 2502)))
    status, pieces = await _asgi_get(app, "/api/v1/channels/big/export", token)
    body = b"".join(pieces).decode()
    assert status == 200
    assert [int(r["message_id"]) for r in csv.DictReader(io.StringIO(body))] == list(range(1, 2502))
    assert len(pieces) == 3  # 1000 rows at a time, each sent as soon as it was read
    assert body == await export_posts(engine, cid)


async def test_text_that_would_run_as_a_formula_is_quoted(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    cid = await add_channel(engine, "tricky", t("2026-03-02 11:00"))
    await add_posts(engine, cid, (P(1, "2026-03-01 10:00", 5, text='=HYPERLINK("http://x","y")'),))
    body = (await client.get("/api/v1/channels/tricky/export")).text
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["text"] == "'=HYPERLINK(\"http://x\",\"y\")"


async def test_nothing_stored_is_404(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    await add_channel(engine, "ghost", None)
    answer = await client.get("/api/v1/channels/ghost/export")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "@ghost has no posts stored yet: nothing to export"}
    bad = await client.get("/api/v1/channels/ghost/export", params={"format": "xlsx"})
    assert bad.status_code == 422
