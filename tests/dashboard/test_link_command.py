"""`python main.py dashboard-link`: the way in for someone with the server but not the bot."""

from __future__ import annotations

import os

import pytest
from fastapi import FastAPI

from bot.render_tokens import dashboard_link
from settings import Settings
from tests.api.conftest import asgi_client, cli
from tests.bot.conftest import STRANGER, Harness

pytestmark = pytest.mark.usefixtures("pulse")


async def test_the_printed_link_logs_a_browser_in_once(app: FastAPI, db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "API_PORT": "8123"}
    done = cli("dashboard-link", env=env)
    assert done.returncode == 0, done.stderr
    (link,) = done.stdout.splitlines()
    assert link.startswith("http://127.0.0.1:8123/dashboard/login?t=")
    assert "within 5 minutes" in done.stderr
    path = link.removeprefix("http://127.0.0.1:8123")
    async with asgi_client(app) as browser:
        assert (await browser.get(path)).status_code == 200
        assert "@pulse" in (await browser.get("/dashboard/")).text
    async with asgi_client(app) as other:
        assert (await other.get(path)).status_code == 410


def test_the_link_starts_with_the_public_url_when_it_is_set(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "API_PUBLIC_URL": "https://pulse.example.org/"}
    done = cli("dashboard-link", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("https://pulse.example.org/dashboard/login?t=")


def test_a_public_url_that_is_no_url_is_refused_in_one_line(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "API_PUBLIC_URL": "pulse.example.org"}
    done = cli("dashboard-link", env=env)
    assert done.returncode == 2 and "API_PUBLIC_URL" in done.stderr and "Traceback" not in done.stderr


async def test_the_bot_sends_a_link_to_admins_only(running: Harness, settings: Settings) -> None:
    reply = await running.ask_one("/dashboard")
    assert f"http://127.0.0.1:{settings.api_port}/dashboard/login?t=" in reply.text
    assert "works once, within 5 minutes" in reply.text
    stranger = await running.ask_one("/dashboard", user=STRANGER)
    assert "/dashboard/login" not in stranger.text


def test_without_an_api_port_the_reply_says_where_the_dashboard_comes_from() -> None:
    text = dashboard_link("http://127.0.0.1:8080/dashboard/login?t=x", 5, served=False)
    assert "python main.py api" in text and "API_PORT" in text
    assert "API_PORT" not in dashboard_link("http://127.0.0.1:8080/dashboard/login?t=x", 5)
