"""The job queue between the `bot` and `collector` roles: procrastinate on the PostgreSQL database.

The bot defers `collect_channel` to the queue of the channel's account; the job's lock is the
account, so two collectors of one account never collect at once, and its queueing lock is the
channel, so a due channel waits in the queue once. Collectors defer `notify_admins` to the bot's
queue: only the bot process talks to the Bot API.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from procrastinate import App, JobContext
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url

from collector.queue_connection import QueueConnector
from storage.models import Channel
from storage.outage import DatabaseOutage

log = logging.getLogger("collector.tasks")

COLLECT_TASK = "collect_channel"
NOTIFY_TASK = "notify_admins"
BOT_QUEUE = "bot"
DEFAULT_ACCOUNT = "account-default"
# A worker whose heartbeat (procrastinate's, every 10 s) is older than this died: its job is retried,
# and a worker starting prunes its row. Every worker we start uses this one figure: procrastinate's
# default prune (30 s) is shorter, and a worker pruned while alive loses the account lock's guarantee
# (its job counts as stalled and may be retried while it still runs).
STALLED_AFTER_SECONDS = 60

SPLIT_NEEDS_POSTGRES = (
    "the bot and collector roles share a job queue that needs PostgreSQL, and this database is SQLite: "
    "use `python main.py run` for everything in one process, or `python main.py migrate-db` to move up"
)


class NeedsPostgres(Exception):
    """The split roles were asked for on SQLite; str() is the one line saying what to do."""


def queue_for(account_id: int | None = None) -> str:
    """The queue (and lock) of an account's channels; `account-default` holds the channels no account
    has yet (before any account signed in), which the first collector to take one claims."""
    return DEFAULT_ACCOUNT if account_id is None else f"account-{account_id}"


def conninfo(database_url: str) -> str:
    """The libpq form of our SQLAlchemy URL, for procrastinate's psycopg connector."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise NeedsPostgres(SPLIT_NEEDS_POSTGRES)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_task_app(database_url: str, outage: DatabaseOutage | None = None) -> App:
    """A procrastinate App on the database (opened by the caller with `open_async`), which rides out
    the server's restarts telling `outage` (the process's one) about them."""
    outage = outage or DatabaseOutage("this process")
    return App(connector=QueueConnector(conninfo=conninfo(database_url), outage=outage))


def register_collect(app: App, collect: Callable[[int, str], Awaitable[Any]]) -> None:
    """The collector's side: what a `collect_channel(channel_id)` job runs, told the job's queue."""

    async def collect_channel(context: JobContext, channel_id: int) -> None:
        await collect(channel_id, context.job.queue)

    app.task(name=COLLECT_TASK, pass_context=True)(collect_channel)


def register_notify(app: App, deliver: Callable[..., Awaitable[None]]) -> None:
    """The bot's side: what a `notify_admins(event=..., ...)` job runs."""

    async def notify_admins(**notice: Any) -> None:
        await deliver(**notice)

    app.task(name=NOTIFY_TASK)(notify_admins)


async def defer_collect(app: App, channel: Channel, account_id: int | None) -> bool:
    """Queue the channel's run on its account's queue; False when it waits there already. A job left
    waiting on another queue (its channel moved to another account meanwhile) is cancelled first."""
    queue, lock = queue_for(account_id), f"channel-{channel.id}"
    for job in await app.job_manager.list_jobs_async(
            task=COLLECT_TASK, status=Status.TODO.value, queueing_lock=lock):
        if job.queue == queue:
            return False
        assert job.id is not None
        await app.job_manager.cancel_job_by_id_async(job.id, delete_job=True)
        log.info("@%s moved to %s: its job on %s cancelled", channel.username, queue, job.queue)
    deferrer = app.configure_task(COLLECT_TASK, queue=queue, lock=queue, queueing_lock=lock)
    try:
        await deferrer.defer_async(channel_id=channel.id)
    except AlreadyEnqueued:
        return False
    return True


async def defer_notice(app: App, **notice: Any) -> None:
    await app.configure_task(NOTIFY_TASK, queue=BOT_QUEUE).defer_async(**notice)


async def retry_stalled(app: App, queue: str | None = None) -> int:
    """Put the `collect_channel` jobs of dead collectors back in their queue; how many. A job whose
    channel was queued again meanwhile is closed as failed instead (the new one collects it)."""
    retried = 0
    stalled = await app.job_manager.get_stalled_jobs(
        queue=queue, task_name=COLLECT_TASK, seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    for job in stalled:
        assert job.id is not None
        try:
            await app.job_manager.retry_job(job)
        except UniqueViolation:
            await app.job_manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            continue
        except ConnectorException as exc:
            # Another process (the bot, or a collector starting) requeued it a moment before.
            log.info("job %s was requeued elsewhere: %s", job.id, exc)
            continue
        log.warning("a collector stopped mid-channel (job %s, %s): queued again", job.id, job.task_kwargs)
        retried += 1
    return retried


async def running_channels(app: App) -> list[int]:
    """The channels collectors are collecting now."""
    jobs = await app.job_manager.list_jobs_async(task=COLLECT_TASK, status=Status.DOING.value)
    return [int(job.task_kwargs["channel_id"]) for job in jobs]


async def queued_channels(app: App) -> int:
    jobs = await app.job_manager.list_jobs_async(task=COLLECT_TASK, status=Status.TODO.value)
    return len(list(jobs))
