"""`python main.py token create|list|revoke`: the HTTP API's bearer tokens, managed without the bot."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import IO

from app.database import CannotOpenDatabase, open_or_explain
from settings import Settings
from storage.api_tokens import BAD_NAME, issue_token, list_tokens, revoke_token, valid_name


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


async def token_command(
    settings: Settings, action: str, name: str | None, now: datetime,
    out: IO[str] | None = None, err: IO[str] | None = None,
) -> int:
    """Run `action` ("create", "list" or "revoke"); the exit status. A new token is printed once,
    alone on its line of standard output, so `TOKEN=$(python main.py token create --name x)` works."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    if action != "list" and not valid_name(name):
        print(f"token {action}: {BAD_NAME}", file=err)
        return 2
    try:
        engine = await open_or_explain(settings.database_url)
    except CannotOpenDatabase as exc:
        print(f"token: {exc}", file=err)
        return 1
    try:
        if action == "create":
            assert name is not None
            token = await issue_token(engine, name, now)
            if token is None:
                print(f"a live token is already called {name}: revoke it first "
                      f"(python main.py token revoke {name}) or choose another name", file=err)
                return 1
            print(token, file=out)
            print(f"token {name} created; it is shown only this once. Send it as the header "
                  f"'Authorization: Bearer <token>'", file=err)
            return 0
        if action == "revoke":
            assert name is not None
            if not await revoke_token(engine, name, now):
                print(f"no live token is called {name} (python main.py token list shows them)", file=err)
                return 1
            print(f"token {name} revoked: requests with it now get 401", file=out)
            return 0
        tokens = await list_tokens(engine)
        if not tokens:
            print("no API tokens yet: python main.py token create --name NAME", file=out)
        width = max((len(t.name) for t in tokens), default=0)
        for t in tokens:
            state = "live" if t.live else f"revoked {_when(t.revoked_at)}"  # type: ignore[arg-type]
            print(f"{t.name:<{width}}  created {_when(t.created_at)}  {state}", file=out)
        return 0
    finally:
        await engine.dispose()
