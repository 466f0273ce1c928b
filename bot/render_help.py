"""/start and /help texts, built from the one command list."""

from __future__ import annotations

from bot.commands import COMMANDS
from bot.render import esc


def render_start(first_name: str) -> str:
    return (
        f"Hi {esc(first_name)}! ChannelPulse tracks public Telegram channels: subscribers, views, "
        "ERR/ER, charts, exports and scheduled digests.\n"
        "Start with /add_channel @name, then /channels and /stats. /help lists every command."
    )


def render_help() -> str:
    lines = ["<b>Commands</b>"]
    for spec in COMMANDS:
        usage = f"/{spec.name} {esc(spec.args)}".strip()
        lines += ["", f"{usage} — {esc(spec.description)}", f"e.g. <code>{esc(spec.example)}</code>"]
    lines += ["", "A channel is @name, name, or a t.me/name link. Windows: 24h, 7d (default), 30d, all."]
    return "\n".join(lines)


def only_in_private(bot_username: str | None) -> str:
    """The one line an admin's command gets in a group (plain text, under a button answer's 200)."""
    where = f"@{esc(bot_username)}" if bot_username else "me"
    return f"I answer only in a private chat, so a group never sees channel data: open {where} and ask there."
