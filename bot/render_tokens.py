"""The replies of /api_token and /dashboard, as HTML: pure functions of what storage returned."""

from __future__ import annotations

from datetime import datetime

from bot.render import esc
from storage.api_tokens import ApiToken


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def token_created(name: str, token: str) -> str:
    return (
        f"API token <b>{esc(name)}</b> created. It is shown only this once; copy it, then delete "
        f"this message:\n<code>{esc(token)}</code>\n"
        "Send it as the header <code>Authorization: Bearer &lt;token&gt;</code>."
    )


def name_taken(name: str) -> str:
    return (f"A live token is already called <b>{esc(name)}</b>: revoke it first "
            f"(<code>/api_token revoke {esc(name)}</code>) or choose another name.")


def token_revoked(name: str) -> str:
    return f"API token <b>{esc(name)}</b> revoked: requests with it now get 401."


def no_such_token(name: str) -> str:
    return f"No live API token is called <b>{esc(name)}</b>. <code>/api_token list</code> shows them."


def token_list(tokens: list[ApiToken]) -> str:
    if not tokens:
        return "No API tokens yet. Create one with <code>/api_token create grafana</code>."
    lines = ["API tokens:"]
    for t in tokens:
        state = "live" if t.revoked_at is None else f"revoked {_when(t.revoked_at)}"
        lines.append(f"• <b>{esc(t.name)}</b>, created {_when(t.created_at)}, {state}")
    return "\n".join(lines)


def dashboard_link(url: str, minutes: int, served: bool = True) -> str:
    """The login link; `served` False: this process serves no API (API_PORT unset), so say where
    the dashboard comes from."""
    note = "" if served else (
        "\nThis process serves no dashboard (API_PORT is not set): start <code>python main.py api</code> "
        "on this machine, or set API_PORT.")
    return (
        f"Your dashboard login link; it works once, within {minutes} minutes, and only for you: do "
        f"not forward it.\n{esc(url)}\n"
        f"Once it is used or expired, send /dashboard again for a new one.{note}"
    )
