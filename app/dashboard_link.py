"""`python main.py dashboard-link`: a one-time dashboard login link, for whoever has the server but not
the bot at hand (and for the demo)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import IO

from app.database import CannotOpenDatabase, open_or_explain
from settings import Settings
from storage.dashboard_auth import LOGIN_TTL, issue_login


async def dashboard_link_command(
    settings: Settings, now: datetime, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Print the link alone on its line of standard output (so `$(python main.py dashboard-link)`
    works), and how long it lasts on standard error."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        print(f"dashboard-link: {exc}", file=err)
        return 1
    try:
        secret = await issue_login(engine, now)
    finally:
        await engine.dispose()
    print(settings.dashboard_login_url(secret), file=out)
    print(f"open it within {int(LOGIN_TTL.total_seconds() // 60)} minutes, once, in the browser that "
          "should stay logged in; the API (python main.py api, or run with API_PORT) must be serving",
          file=err)
    return 0
