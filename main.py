"""ChannelPulse command line: the composition root that builds settings, storage, collector and bot."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from analytics.windows import WINDOW_NAMES as WINDOWS
from app.commands import backup_command, status_command
from app.lock import SessionLock, SessionLockError
from app.logs import configure_logging, settings_secrets
from settings import Settings, SettingsError, load_settings
from storage.db import is_locked

DATABASE_BUSY = (
    "the database stayed busy: another ChannelPulse process (run, collect or backup) is writing to it; "
    "try again in a minute"
)

Handler = Callable[[argparse.Namespace, Settings], int]


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    if args.check:
        from app.health import check_command

        return asyncio.run(check_command(settings, now=datetime.now(UTC), role=args.role))
    return asyncio.run(status_command(settings, as_json=args.json, now=datetime.now(UTC)))


def cmd_accounts(args: argparse.Namespace, settings: Settings) -> int:
    from app.accounts_command import accounts_command

    return asyncio.run(accounts_command(settings, now=datetime.now(UTC)))


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(backup_command(settings, args.file, now=datetime.now(UTC)))


def checked_ref(args: argparse.Namespace) -> str | None:
    """The reference through the collector's parser, so a private link is refused as the bot does."""
    from collector.refs import RefError, parse_ref

    if args.ref is None:
        return None
    try:
        args.ref = f"@{parse_ref(args.ref).username}"
    except RefError as exc:
        return str(exc)
    return None


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    # Imported on use: analytics and its storage queries are not needed for `--help`.
    from analytics.cli import cmd_stats as run

    if args.ref is not None and args.ref.lower() in WINDOWS and args.window_word is None:
        args.ref, args.window_word = None, args.ref.lower()  # `stats 7d`: the overview over 7d
    args.window = args.window_word or args.window
    if refused := checked_ref(args):
        print(refused, file=sys.stderr)
        return 2
    return run(args, settings)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from analytics.cli import cmd_export as run

    args.series = args.series or args.series_word is not None
    if refused := checked_ref(args):
        print(refused, file=sys.stderr)
        return 2
    return run(args, settings)


def holding_session(handler: Handler) -> Handler:
    """`login` and `collect` take the session lock `run` holds: one Telethon client per session."""

    def locked(args: argparse.Namespace, settings: Settings) -> int:
        try:
            lock = SessionLock(settings.telegram_session)
            lock.acquire()
        except SessionLockError as exc:
            print(exc, file=sys.stderr)
            return 2
        try:
            return handler(args, settings)
        finally:
            lock.release()

    return locked


@holding_session
def cmd_login(args: argparse.Namespace, settings: Settings) -> int:
    from collector.login import login

    return asyncio.run(login(settings))


@holding_session
def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    from app.collect import collect_command

    try:
        return asyncio.run(collect_command(settings, args.channels, args.once, sandbox=args.sandbox))
    except KeyboardInterrupt:
        return 130


@holding_session
def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    # The session lock keeps `run` and `collect` on this session from writing to the SQLite
    # database while it is copied; what they would write after it would not be in the copy.
    from app.migrate_db import migrate_db_command

    return asyncio.run(migrate_db_command(settings, args.url))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from app.launch import run_command

    return run_command(settings, sandbox=args.sandbox)


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from app.split_launch import bot_command

    return bot_command(settings, sandbox=args.sandbox)


def cmd_collector(args: argparse.Namespace, settings: Settings) -> int:
    from app.split_launch import collector_command

    return collector_command(settings, sandbox=args.sandbox)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from app.tokens import token_command

    return asyncio.run(token_command(settings, args.action, getattr(args, "name", None), datetime.now(UTC)))


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from app.api_command import api_command

    return api_command(settings)


def cmd_dashboard_link(args: argparse.Namespace, settings: Settings) -> int:
    from app.dashboard_link import dashboard_link_command

    return asyncio.run(dashboard_link_command(settings, datetime.now(UTC)))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.demo import demo_command

    return demo_command(settings, args.out, serve=args.serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="ChannelPulse: Telegram channel analytics through an admin bot and a paced collector.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the bot, the scheduler and the collector in one process")
    p.add_argument("--sandbox", action="store_true",
                   help="offline: the sandbox Telegram and a local Bot API server (development, drills)")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "bot", help="PostgreSQL only: the bot and the scheduler; collectors collect (see `collector`)",
        description="The bot, digests, alerts and the scheduler that queues due channels for the "
        "`collector` processes; it tells admins what they report. Needs PostgreSQL (DATABASE_URL).",
    )
    p.add_argument("--sandbox", action="store_true",
                   help="offline: a local Bot API server and the sandbox clock (drills, tests)")
    p.set_defaults(handler=cmd_bot)

    p = sub.add_parser(
        "collector", help="PostgreSQL only: one Telegram account's collector, fed by `bot`",
        description="Takes the channels the `bot` process queues for this account, one at a time, "
        "paced as `run` paces them. Needs PostgreSQL (DATABASE_URL).",
    )
    p.add_argument("--session", type=Path, metavar="FILE",
                   help="the account's Telethon session file (default: TELEGRAM_SESSION)")
    p.add_argument("--sandbox", action="store_true", help="offline: the sandbox Telegram (drills, tests)")
    p.set_defaults(handler=cmd_collector)

    p = sub.add_parser(
        "login", help="sign the collector's Telegram account in (interactive, once)",
        description="Asks for the phone number, the login code Telegram sends and, if set, the 2FA "
        "password; writes the session to TELEGRAM_SESSION (owner-only permissions). With "
        "--session, signs another account in: it collects channels too.",
    )
    p.add_argument("--session", type=Path, metavar="FILE",
                   help="the session file to write, for another account (e.g. data/acc2.session); "
                   "default: TELEGRAM_SESSION")
    p.set_defaults(handler=cmd_login)

    p = sub.add_parser("accounts", help="the collector accounts: load, ledger and state of each")
    p.set_defaults(handler=cmd_accounts)

    p = sub.add_parser("collect", help="collect channels now, in the foreground, with progress")
    p.add_argument("channels", nargs="*", help="channel references to add before collecting")
    p.add_argument("--once", action="store_true", help="one round over the due channels, then exit "
                   "(without it: collect every COLLECT_INTERVAL_MINUTES until Ctrl-C)")
    # For manual checks only: the offline sandbox Telegram with the pacing shown 20x faster.
    p.add_argument("--sandbox", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_collect)

    p = sub.add_parser("stats", help="print one channel's summary (or the overview)")
    p.add_argument("ref", nargs="?", help="channel reference, e.g. @durov; omit for the overview")
    # The bot's form, `/stats @durov 30d`, works here too.
    p.add_argument("window_word", nargs="?", metavar="window", type=str.lower, choices=WINDOWS,
                   help="24h, 7d, 30d or all, as in the bot (same as --window)")
    p.add_argument("--window", default="7d", type=str.lower, choices=WINDOWS,
                   help="the period ending now, beside the one before it (default: 7d)")
    p.add_argument("--json", action="store_true", help="every number as JSON")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("export", help="export a channel's posts or counter snapshots")
    p.add_argument("ref", help="channel reference")
    p.add_argument("--format", default="csv", choices=["csv", "json"], help="default: csv")
    p.add_argument("series_word", nargs="?", metavar="series", choices=["series"],
                   help="the same as --series, as in the bot's /export @name series")
    p.add_argument("--series", action="store_true", help="every counter snapshot, not just the latest")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("status", help="tracked channels, recent runs and digests, without the bot")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="as JSON, for scripts")
    shown.add_argument("--check", action="store_true",
                       help="health check: one line, exit 1 when the running process's heartbeat is stale")
    p.add_argument("--role", choices=["bot", "collector"],
                   help="with --check, in the split: only the `bot` process, or this machine's collector")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("backup", help="a consistent copy of the SQLite database, safe while the app runs")
    p.add_argument("file", nargs="?", help="where to write it (default: beside the database, timestamped)")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "migrate-db", help="copy everything from the SQLite database into an empty PostgreSQL one",
        description="Copies every table (channels, posts, snapshots, subscriptions, the account "
        "ledger) from DATABASE_URL into the PostgreSQL database URL, checks the row counts, and "
        "says what to change in .env. Stop `run` first; the SQLite file is left as it was.",
    )
    p.add_argument("url", help="postgresql://user:password@host:5432/database (an empty database)")
    p.set_defaults(handler=cmd_migrate_db)

    p = sub.add_parser("api", help="serve the read-only HTTP API (API_HOST:API_PORT, default 127.0.0.1:8080)")
    p.set_defaults(handler=cmd_api)

    p = sub.add_parser("token", help="create, list or revoke the HTTP API's bearer tokens")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("create", help="a new token, printed once on its own line")
    q.add_argument("--name", required=True, help="what the token is for, e.g. grafana")
    actions.add_parser("list", help="every token: name, when created, live or revoked")
    q = actions.add_parser("revoke", help="revoke a live token: requests with it get 401")
    q.add_argument("name")
    p.set_defaults(handler=cmd_token)

    p = sub.add_parser("dashboard-link", help="print a one-time login link to the web dashboard")
    p.set_defaults(handler=cmd_dashboard_link)

    p = sub.add_parser("demo", help="the whole pipeline offline, against the sandbox Telegram")
    p.add_argument("--out", default="demo-output", help="folder for the charts and the CSV export")
    p.add_argument("--serve", action="store_true",
                   help="after the script, keep the dashboard and the HTTP API open until Ctrl-C")
    p.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        for line in exc.lines:
            print(f"settings: {line}", file=sys.stderr)
        return 2
    if getattr(args, "session", None) is not None:
        # This session file rather than TELEGRAM_SESSION(_STRING): another account's.
        settings = settings.model_copy(update={"telegram_session": args.session,
                                               "telegram_session_string": None})
    configure_logging(settings.log_level, settings.log_format, settings_secrets(settings))
    missing = [] if getattr(args, "sandbox", False) else settings.missing_for(args.command)
    if missing:
        for line in missing:
            print(line, file=sys.stderr)
        return 2
    if settings.mtproto_unsafe_override and args.command != "demo":
        settings.warn_if_unsafe()  # the demo ignores MTPROTO_* and says so in its own banner
    try:
        return args.handler(args, settings)
    except OperationalError as exc:
        # Only after the storage layer's own retries: say what to do, not SQLite's words.
        if not is_locked(exc):
            raise
        print(f"{args.command}: {DATABASE_BUSY}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `stats --json | head` closed the pipe: stop quietly, and keep Python's exit-time flush
        # of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
