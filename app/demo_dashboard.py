"""The demo's dashboard and API: the port it serves on, and the lines that tell a newcomer how to look.

The demo serves the HTTP API and the dashboard exactly as `run` does with API_PORT set, on a free
loopback port of its throwaway database; these lines give its address, a one-time login link (as
`python main.py dashboard-link` makes) and a token with a curl line to try.
"""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from api import chart_lib
from settings import Settings
from storage.api_tokens import issue_token
from storage.dashboard_auth import LOGIN_TTL, issue_login

TOKEN_NAME = "demo"
# In the transcript instead of `run`'s hint (`python main.py token create`), which would write to
# the user's own database, not the demo's.
API_NOTE = "the demo's dashboard link and token follow"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now. The demo's settings carry it, so the bot's /dashboard links and
    the API agree; should another program take it before the API binds it, the demo says so in one
    line and stops."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def login_line(engine: AsyncEngine, settings: Settings, now: datetime) -> str:
    """A fresh one-time link to the dashboard, as `dashboard-link` prints it."""
    link = settings.dashboard_login_url(await issue_login(engine, now))
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    return f"Dashboard login link (once, within {minutes} minutes): {link}"


async def opening_lines(engine: AsyncEngine, settings: Settings, now: datetime, serve: bool) -> list[str]:
    """What the demo says once the API listens: where, how to log in, how to call it."""
    token = await issue_token(engine, TOKEN_NAME, now)  # a fresh database: the name is free
    base = settings.dashboard_url.removesuffix("/dashboard")
    until = ("it stays open after the script, until Ctrl-C" if serve else
             "open while the demo runs; `python main.py demo --serve` keeps it open until Ctrl-C")
    lines = [
        f"Dashboard at {settings.dashboard_url}/ ({until})",
        await login_line(engine, settings, now),
        f'API: curl -H "Authorization: Bearer {token}" {base}/api/v1/channels',
    ]
    if not chart_lib.present():
        lines.append("The dashboard's chart library is missing, so its pages show figures and tables "
                     "without charts: `python -m api.chart_lib` (or `make demo`) fetches it with npm.")
    return lines


async def serving_lines(engine: AsyncEngine, settings: Settings, now: datetime) -> list[str]:
    """After the script, with --serve: the dashboard is still there, with a new link (the first may
    be used up or expired by now)."""
    return [
        f"The dashboard stays open at {settings.dashboard_url}/ until Ctrl-C "
        "(the collector goes on collecting meanwhile).",
        await login_line(engine, settings, now),
    ]


def closed_line(out_dir: Path) -> str:
    """The one line after Ctrl-C ended `demo --serve`."""
    return f"dashboard closed, demo stopped; files in {out_dir.resolve()}"
