"""`python main.py run`: the bot, the scheduler and the paced collector in one process and one loop.

The composition is the same for production, `run --sandbox` and the demo; only the `Wiring` (the
Telegram side, the clock, the Bot API address and token) differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError
from aiogram.utils.token import TokenValidationError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import CannotOpenDatabase, open_or_explain
from app.liveness import COLLECTION, Liveness, PollingBeat, schedule_heartbeat, stale_limits
from app.wiring import StartupError, Wiring
from bot.app import BotStartupError, check_token, create_bot, create_dispatcher
from bot.digest.jobs import JOB_PREFIX, schedule_digests
from bot.notifier import BotNotifier
from clock import Clock, RealClock
from collector.control import CollectorControl
from collector.job import JOB_ID, schedule_collection
from collector.pacing import PacingConfig
from collector.service import Collector
from settings import Settings, hide_secrets
from storage.channels import ChannelRepo
from storage.db import read, retry_locked
from storage.outage import DatabaseOutage

if TYPE_CHECKING:
    from api.server import ApiServer

log = logging.getLogger("app")


@dataclass
class App:
    """Every long-lived object of a running ChannelPulse, in the order they are stopped."""

    wiring: Wiring
    engine: AsyncEngine
    bot: Bot
    username: str
    scheduler: AsyncIOScheduler
    collector: CollectorControl
    dispatcher: Dispatcher
    liveness: Liveness
    role: SplitRole | None = None  # the `bot` role's queue side; None in `run`

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll for updates until `stop` is set (or polling ends by itself)."""
        polling = asyncio.create_task(self.dispatcher.start_polling(
            self.bot, handle_signals=False, close_bot_session=False,
        ))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not polling.done():
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # the stop came before polling had begun
                polling.cancel()
                await asyncio.wait({polling})
                return
        await polling  # surfaces an error polling died of

    async def close(self) -> None:
        """Stop what start_app started: drain, scheduler, bot session, engine (the Wiring's owner
        closes the Telegram side, which may outlive a failed start)."""
        self.scheduler.pause()  # no new job starts while the rest stops
        if self.role is not None:
            await self.role.stop()
        # Cancelling the drain is handled in the collector: the post in hand is committed or rolled
        # back whole, and the run is recorded as cancelled.
        await self.collector.aclose()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.liveness.forget(self.engine)  # stopped, not hung: `status --check` says so
        await self.bot.session.close()
        await self.engine.dispose()


class SplitRole(Protocol):
    """The `bot` role's side of the queue (app/bot_role.py): its collector hands channels out."""

    components: tuple[str, ...]  # what its heartbeat covers
    outage: DatabaseOutage  # the process's one, which the heartbeat tells too

    def make_collector(self, engine: AsyncEngine, notifier: BotNotifier) -> CollectorControl: ...

    async def start(self, scheduler: AsyncIOScheduler) -> None: ...

    async def stop(self) -> None: ...


async def start_app(wiring: Wiring, wall_clock: Clock | None = None, role: SplitRole | None = None) -> App:
    """Run the start-up checks, then build and start everything but polling; StartupError on failure.
    The heartbeat is on `wall_clock` (the system's), which `status --check` compares with from
    another process, also when the collector runs on the sandbox's faster clock. With `role` (the
    `bot` role) channels are handed to collector processes instead of collected here."""
    settings = wiring.settings
    limits = stale_limits(settings)
    if role is not None:
        limits = {c: limits[c] for c in role.components}
    liveness = Liveness(wall_clock or RealClock(), limits, outage=role.outage if role is not None else None)
    engine = await _open(settings.database_url)
    try:
        bot = _bot(settings)
    except StartupError:
        await engine.dispose()
        raise
    try:
        username = await check_token(bot)
        bot.session.middleware(PollingBeat(liveness))
        notifier = BotNotifier(bot, engine, settings, wiring.clock)
        collector: CollectorControl
        if role is not None:
            collector = role.make_collector(engine, notifier)
        else:
            assert wiring.source is not None and wiring.gate is not None
            collector = Collector(engine, wiring.source, wiring.gate, wiring.clock, notifier,
                                  settings.collect_interval_minutes, alive=lambda: liveness.mark(COLLECTION))
        scheduler = AsyncIOScheduler(timezone=UTC)
        schedule_collection(scheduler, collector, settings.collect_interval_minutes)
        retry_collection_when_locked(scheduler, collector.drain)
        schedule_heartbeat(scheduler, engine, liveness)
        digests = await schedule_digests(scheduler, engine, bot, settings, wiring.clock)
        # wall_clock: dashboard login links last real minutes, also when the rest runs on the
        # sandbox's faster clock; the API judges them on the same clock.
        dispatcher = create_dispatcher(engine=engine, settings=settings, clock=wiring.clock,
                                       collector=collector, digests=digests, scheduler=scheduler,
                                       wall_clock=liveness.clock)
    except BaseException as exc:
        await bot.session.close()
        await engine.dispose()
        if isinstance(exc, BotStartupError):
            raise StartupError(str(exc)) from None
        raise
    logging.getLogger("apscheduler.executors.default").addFilter(_drop_shutdown_cancel)
    await liveness.record(engine)  # alive from the start; the scheduler writes it every tick
    if role is not None:
        await role.start(scheduler)
    scheduler.start()
    return App(wiring, engine, bot, username, scheduler, collector, dispatcher, liveness, role)


async def summary(app: App) -> list[str]:
    """The start-up lines: what runs, how fast it may collect, and any unsafe override."""
    settings = app.wiring.settings
    async with read(app.engine) as conn:
        channels = [c for c in await ChannelRepo(conn).list_all() if c.status != "paused"]
    digests = sum(1 for job in app.scheduler.get_jobs() if job.id.startswith(JOB_PREFIX))
    p = PacingConfig.from_settings(settings)
    # The job runs now and every interval, but a channel collected recently waits for its due time.
    times = [t for c in channels if (t := app.collector.collection_time(c)) is not None]
    upcoming = min(times, default=None)
    if upcoming is None:
        collection = "nothing to collect yet"
    elif upcoming <= app.wiring.clock.now() + timedelta(seconds=1):
        collection = "next collection now"
    else:
        collection = f"next collection {upcoming:%Y-%m-%d %H:%M} UTC"
    lines = [
        f"ChannelPulse running as @{app.username}: {len(channels)} channel(s) tracked, {collection} "
        f"(collection runs every {settings.collect_interval_minutes} min), {digests} digest(s) scheduled; "
        f"pacing {p.message_delay:g} s per message, +{p.batch_pause:g} s every {p.batch_every}, "
        f"+{p.extended_pause:g} s every {p.extended_every}, {p.channel_delay:g} s between channels, "
        f"{p.request_gap:g} s between requests, {p.history_limit} posts per channel run"
    ]
    if settings.mtproto_unsafe_override:
        crossed = "; ".join(settings.crossed_speed_rails()) or "no limit crossed yet"
        lines.append(
            f"WARNING: MTPROTO_UNSAFE_OVERRIDE is on, pacing may go faster than the safe limits ({crossed})"
        )
    return lines


def retry_collection_when_locked(scheduler: AsyncIOScheduler, drain: Callable[[], Awaitable[None]]) -> None:
    """A drain that meets "database is locked" past SQLite's busy timeout (a backup or an sqlite3
    shell holding the write lock) starts again shortly instead of failing until the next interval;
    posts are upserted, so repeating part of a run stores nothing twice."""
    scheduler.modify_job(JOB_ID, func=retry_locked, args=(drain,))


def _drop_shutdown_cancel(record: logging.LogRecord) -> bool:
    """A drain cancelled by a stop is expected and recorded in its run; not an error with a traceback."""
    return not (record.exc_info and record.exc_info[0] is asyncio.CancelledError)


MALFORMED_TOKEN = (
    "BOT_TOKEN is not a bot token (they look like 123456789:AAE…): copy it again from @BotFather into .env"
)


def _bot(settings: Settings) -> Bot:
    try:
        return create_bot(settings)
    except TokenValidationError:  # aiogram checks the token's shape before any request
        raise StartupError(MALFORMED_TOKEN) from None


async def check_bot(settings: Settings) -> str | None:
    """The bot token's check (getMe) before Telegram's MTProto side is dialled; StartupError when the
    token is malformed or refused. When BOT_API_URL is set but cannot be reached, the token cannot be
    checked: that line is returned, to be told after the Telethon session's check."""
    bot = _bot(settings)
    try:
        await check_token(bot)
    except BotStartupError as exc:
        # check_token raises `from None`, which hides the cause from tracebacks but keeps it here.
        if settings.bot_api_url and isinstance(exc.__context__, TelegramNetworkError):
            # aiohttp's text may hold the request URL, and so the token: shown as ***.
            reason = hide_secrets(f"BOT_API_URL={settings.bot_api_url} ({exc.__context__.message})")
            return (f"cannot reach the Bot API at {reason}: start that server, "
                    "or unset BOT_API_URL to use Telegram's")
        raise StartupError(str(exc)) from None
    finally:
        await bot.session.close()
    return None


async def check_database(url: str) -> None:
    """Open and migrate the database once, so its problem is told before Telegram is dialled."""
    await (await _open(url)).dispose()


async def _open(url: str) -> AsyncEngine:
    try:
        return await open_or_explain(url)
    except CannotOpenDatabase as exc:
        raise StartupError(str(exc)) from None


async def start_api(app: App) -> ApiServer | None:
    """The HTTP API beside the bot, on the app's engine and clock, when API_PORT is set;
    StartupError when its address cannot be listened on."""
    settings = app.wiring.settings
    if settings.api_port is None:
        return None
    # Imported only when serving: FastAPI and uvicorn stay out of a `run` without the API.
    from api.factory import create_app
    from api.server import ApiServer, CannotListen

    # Figures on the wiring's clock, as the bot's; the heartbeat and rate limits on the system's.
    api = create_app(app.engine, settings, app.wiring.clock, app.liveness.clock)
    server = ApiServer(api, settings.api_host, settings.api_port)
    try:
        await server.start()
    except CannotListen as exc:
        raise StartupError(str(exc)) from None
    return server


API_NOTE = "python main.py token create --name NAME for a token"


async def run_until_stopped(
    wiring: Wiring, stop: asyncio.Event, say: Callable[[str], None],
    started: Callable[[App], Awaitable[None]] | None = None, api_note: str = API_NOTE,
    role: SplitRole | None = None,
) -> int:
    """Start, print the summary, serve until `stop`, close; 0 on a clean stop, 2 on a failed check.

    `started` runs once everything is up (the sandbox queues its channels there, the demo its script);
    `api_note` follows the API's address in the summary.
    """
    try:
        app = await start_app(wiring, role=role)
    except StartupError as exc:
        say(str(exc))
        return 2
    try:
        api = await start_api(app)
    except StartupError as exc:
        say(str(exc))
        await app.close()
        return 2
    try:
        for line in await summary(app):
            say(line)
        if api is not None:
            say(f"HTTP API on {api.address} ({api_note})")
        if started is not None:
            await started(app)
        await app.serve(stop)
    finally:
        if api is not None:
            await api.stop()
        await app.close()
    log.info("stopped cleanly")
    return 0
