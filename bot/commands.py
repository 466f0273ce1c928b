"""The one list of commands: /help renders it and set_my_commands registers it, so they never drift."""

from __future__ import annotations

from dataclasses import dataclass

from bot.render import esc


@dataclass(frozen=True)
class CommandSpec:
    name: str
    args: str  # the usage line after the command, "" when it takes none
    description: str  # the command menu's text (1-256 characters)
    example: str  # a full example a person can copy


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "", "What this bot does", "/start"),
    CommandSpec("help", "", "Every command with an example", "/help"),
    CommandSpec(
        "add_channel",
        "<ref> [<ref> ...]",
        "Track public channels (@name or t.me link)",
        "/add_channel @durov t.me/telegram",
    ),
    CommandSpec("channels", "", "Tracked channels, their status and collection times", "/channels"),
    CommandSpec(
        "stats",
        "[<ref>] [24h|7d|30d|all]",
        "A channel's summary, or the overview of all",
        "/stats @durov 30d",
    ),
    CommandSpec("chart", "<ref> [window]", "Views/subscribers chart and posting heatmap", "/chart @durov 7d"),
    CommandSpec("post", "<post link>", "One post's counters over time", "/post t.me/durov/123"),
    CommandSpec("export", "<ref> [series]", "The channel's posts as a CSV file", "/export @durov series"),
    CommandSpec("pause", "<ref>", "Stop collecting a channel, keeping its data", "/pause @durov"),
    CommandSpec("resume", "<ref>", "Collect a paused channel again", "/resume @durov"),
    CommandSpec(
        "remove_channel",
        "<ref>",
        "Stop tracking a channel (asks before deleting data)",
        "/remove_channel @durov",
    ),
    CommandSpec(
        "digest",
        "daily HH:MM | weekly <day> HH:MM [Area/City] [<ref> ...] | off [<ref> ...] | now",
        "Scheduled digests for this chat",
        "/digest weekly mon 09:00 Europe/Berlin",
    ),
    CommandSpec("status", "", "What the collector is doing right now", "/status"),
    CommandSpec("accounts", "", "Collector accounts: load, ledger and state of each", "/accounts"),
    CommandSpec(
        "api_token",
        "create <name> | list | revoke <name>",
        "Tokens for the HTTP API (shown once on create)",
        "/api_token create grafana",
    ),
    CommandSpec("dashboard", "", "A one-time login link to the web dashboard", "/dashboard"),
)

BY_NAME = {spec.name: spec for spec in COMMANDS}


def usage(name: str) -> str:
    """The one-line usage hint a malformed command gets (HTML, escaped)."""
    spec = BY_NAME[name]
    line = f"/{spec.name} {spec.args}".strip()
    return f"Usage: {esc(line)} — e.g. <code>{esc(spec.example)}</code>"
