"""/api_token: an admin creates, lists and revokes the HTTP API's tokens in the private chat."""

from __future__ import annotations

import re

from fastapi import FastAPI

from api.factory import create_app
from settings import Settings
from tests.api.conftest import asgi_client
from tests.bot.conftest import STRANGER, Harness


def _app(running: Harness, settings: Settings) -> FastAPI:
    return create_app(running.engine, settings, running.clock)


async def test_an_admin_creates_lists_and_revokes_a_token(running: Harness, settings: Settings) -> None:
    created = (await running.ask_one("/api_token create grafana")).text
    assert "shown only this once" in created
    (token,) = re.findall(r"cp_[\w-]{40,}", created)
    async with asgi_client(_app(running, settings), token) as client:
        assert (await client.get("/api/v1/channels")).status_code == 200
        again = (await running.ask_one("/api_token create grafana")).text
        assert "already called grafana" in again
        listed = (await running.ask_one("/api_token list")).text
        assert "grafana" in listed and "live" in listed and token not in listed
        assert "revoked" in (await running.ask_one("/api_token revoke grafana")).text
        assert (await client.get("/api/v1/channels")).status_code == 401
    assert "No live API token is called grafana" in (await running.ask_one("/api_token revoke grafana")).text


async def test_bad_words_get_the_usage_and_strangers_get_nothing(running: Harness) -> None:
    assert "Usage: /api_token" in (await running.ask_one("/api_token")).text
    assert "Usage: /api_token" in (await running.ask_one("/api_token drop grafana")).text
    assert "1 to 64 letters" in (await running.ask_one("/api_token create a<b>")).text
    stranger = await running.ask_one("/api_token create mine", user=STRANGER)
    assert "cp_" not in stranger.text
