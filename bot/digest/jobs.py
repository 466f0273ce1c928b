"""Scheduled digests: one cron job per subscription, each slot sent once (the schedule math decides)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import BufferedInputFile
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.digest import digest_content
from analytics.records import DigestContent
from analytics.schedule import slot_decision
from bot import render_collect
from bot.delivery import obeying_retry_after, send_html, send_parts
from bot.digest.subscriptions import covered_channels
from bot.digest.texts import render_digest
from bot.render import split_message
from clock import Clock
from settings import Settings
from storage.db import read, write
from storage.deliveries import DeliveryRepo, DigestDelivery
from storage.digests import DigestRepo
from storage.models import DigestSubscription

log = logging.getLogger("bot.digests")

JOB_PREFIX = "digest:"
CATCH_UP_JOB = "digest-catch-up"
# The cron jobs fire at the slot; this sweep sends what they could not (a restart, a DST gap).
CATCH_UP_MINUTES = 10
PERIOD = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def job_id(sub_id: int) -> str:
    return f"{JOB_PREFIX}{sub_id}"


def period_start(sub: DigestSubscription, slot: datetime) -> datetime:
    """Where the subscription's next digest starts: where its last sent digest stopped."""
    return sub.covered_until or sub.last_slot_sent or slot - PERIOD[sub.cadence]


class Digests:
    """Builds, schedules and delivers digests; `scheduler` None means no jobs (tests, /digest now)."""

    def __init__(
        self,
        engine: AsyncEngine,
        bot: Bot,
        settings: Settings,
        clock: Clock,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.engine, self.bot, self.settings, self.clock = engine, bot, settings, clock
        self.scheduler = scheduler
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # -- jobs --------------------------------------------------------------------------------

    def schedule(self, sub: DigestSubscription) -> None:
        """One cron job per subscription, with a stable id so rescheduling replaces it."""
        if self.scheduler is None or sub.paused:
            return
        hour, minute = (int(part) for part in sub.at_time.split(":"))
        trigger = CronTrigger(
            hour=hour,
            minute=minute,
            day_of_week="*" if sub.weekday is None else sub.weekday,
            timezone=ZoneInfo(sub.timezone),
        )
        self.scheduler.add_job(
            self.send_due,
            trigger,
            args=[sub.id],
            id=job_id(sub.id),
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            # A slot the process was busy or asleep for is still sent within the grace, once.
            misfire_grace_time=int(self.settings.digest_grace_hours * 3600) or 1,
        )

    def unschedule(self, sub_ids: Sequence[int]) -> None:
        if self.scheduler is None:
            return
        for sub_id in sub_ids:
            try:
                self.scheduler.remove_job(job_id(sub_id))
            except JobLookupError:
                pass

    async def schedule_all(self) -> int:
        """Rebuild every job from the database (start-up), plus the catch-up sweep."""
        async with read(self.engine) as conn:
            subs = await DigestRepo(conn).list(include_paused=False)
        for sub in subs:
            self.schedule(sub)
        if self.scheduler is not None:
            self.scheduler.add_job(
                self.catch_up,
                "interval",
                minutes=CATCH_UP_MINUTES,
                id=CATCH_UP_JOB,
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=CATCH_UP_MINUTES * 60,
                # APScheduler keeps real time, whatever clock the digests' decisions read.
                next_run_time=datetime.now(UTC),
            )
        return len(subs)

    async def catch_up(self) -> None:
        """Send every subscription's due slot; a failure of one is logged, not the end of the sweep."""
        async with read(self.engine) as conn:
            subs = await DigestRepo(conn).list(include_paused=False)
        for sub in subs:
            # One subscription that cannot be sent must not drop every later one's missed slot.
            try:
                await self.send_due(sub.id)
            except Exception:
                log.exception("digest %s: catch-up failed; the sweep goes on", sub.id)

    # -- sending -----------------------------------------------------------------------------

    async def send_due(self, sub_id: int) -> str:
        """Send the subscription's current slot if it is due; returns "send", "skip" or "wait"."""
        async with self._locks[sub_id]:  # the cron job and the sweep never send one slot twice
            async with read(self.engine) as conn:
                sub = await DigestRepo(conn).get(sub_id)
            if sub is None or sub.paused or not await self._admins_own_chat(sub.chat_id):
                return "wait"
            decision = slot_decision(
                sub.cadence,
                sub.at_time,
                sub.timezone,
                sub.weekday,
                sub.last_slot_sent,
                self.clock.now(),
                self.settings.digest_grace_hours,
            )
            if decision.action == "wait" or decision.slot is None:
                return "wait"
            if decision.action == "send":
                delivery = await self._prepare(sub, decision.slot)

                async def record(steps: int) -> None:
                    async with write(self.engine) as conn:
                        await DeliveryRepo(conn).set_sent(sub.id, steps)

                sent = await self._send(
                    sub.chat_id, delivery.parts, delivery.chart, delivery.parts_sent, record
                )
                if not sent:
                    return "wait"
                covered: datetime | None = delivery.covered_until
            else:
                # Its period stays open: the next digest sent starts where the last sent one stopped.
                log.warning("digest %s: slot %s is past the grace; skipped", sub.id, decision.slot)
                # (Pinned first if it was never stored, or moving the last slot would move it.)
                covered = None if sub.covered_until else period_start(sub, decision.slot)
            async with write(self.engine) as conn:
                await DigestRepo(conn).set_last_slot(sub.id, decision.slot, covered)
                await DeliveryRepo(conn).finish(sub.id)
            return decision.action

    async def _prepare(self, sub: DigestSubscription, slot: datetime) -> DigestDelivery:
        """The slot's digest: the one already on its way if an attempt stopped part-way (it goes on
        with the same text, from the next part), else built now and recorded before it is sent."""
        async with read(self.engine) as conn:
            pending = await DeliveryRepo(conn).get(sub.id)
        if pending is not None and pending.slot == slot:
            log.info(
                "digest %s: slot %s goes on after %d of %d step(s) sent",
                sub.id, slot, pending.parts_sent, pending.steps,
            )
            return pending
        now = self.clock.now()
        # Posts published after the channels were last read are read later: they belong to the
        # next digest, which starts where this one ends (stored once this one is sent).
        content = await digest_content(
            self.engine, await covered_channels(self.engine, sub), period_start(sub, slot), now,
            up_to_read=True,
        )
        parts, chart = self._render(content)
        async with write(self.engine) as conn:
            return await DeliveryRepo(conn).start(sub.id, slot, parts, chart, now, content.end)

    async def send_now(self, chat_id: int, channel_ids: Sequence[int] | None, since: datetime) -> bool:
        """`/digest now`: build and send one digest of everything read since `since`, leaving the
        scheduled digests' periods alone; False when the chat blocked the bot or is no admin's own."""
        if not await self._admins_own_chat(chat_id):
            return False
        content = await digest_content(self.engine, channel_ids, since, self.clock.now())
        parts, chart = self._render(content)
        return await self._send(chat_id, parts, chart)

    def _render(self, content: DigestContent) -> tuple[list[str], bytes | None]:
        return split_message(render_digest(content, self.settings.digest_timezone)), content.chart_png

    async def _send(
        self,
        chat_id: int,
        parts: Sequence[str],
        chart: bytes | None,
        start: int = 0,
        record: Callable[[int], Awaitable[None]] | None = None,
    ) -> bool:
        """Send the steps from `start` on: the text parts, then the chart; `record(n)` after each.
        True once the text is delivered, False when the chat blocked the bot (its digests pause)."""
        try:
            await send_parts(self.bot, chat_id, parts, start=start, on_sent=record)
        except TelegramForbiddenError:
            await self._pause_chat(chat_id)
            return False
        if chart is None or start > len(parts):
            return True
        # The text is the digest and it went out: a lost chart must not make the slot unsent, or
        # the next try would send the same digest again.
        photo = BufferedInputFile(chart, "digest.png")
        try:
            await obeying_retry_after(lambda: self.bot.send_photo(chat_id, photo, caption="Views by channel"))
        except TelegramForbiddenError:
            await self._pause_chat(chat_id)
        except TelegramAPIError as exc:
            log.warning("digest chart to chat %s not sent: %s", chat_id, exc.message)
        if record is not None:
            await record(len(parts) + 1)
        return True

    async def _admins_own_chat(self, chat_id: int) -> bool:
        """Digests carry channel data: they go to an admin's private chat (whose id is the admin's
        user id) only. A subscription made elsewhere before that rule, or of someone no longer an
        admin, is paused instead, and the admins are told once."""
        if chat_id in self.settings.admin_ids:
            return True
        await self._pause_chat(chat_id, blocked=False)
        return False

    async def _pause_chat(self, chat_id: int, blocked: bool = True) -> None:
        async with write(self.engine) as conn:
            repo = DigestRepo(conn)
            changed = await repo.set_paused(chat_id, True)
            subs = await repo.list(chat_id)
        self.unschedule([s.id for s in subs])
        if not changed:
            return
        why = "blocked the bot" if blocked else "is not an admin's private chat"
        log.warning("chat %s %s: %d digest(s) paused", chat_id, why, changed)
        render = render_collect.digests_paused if blocked else render_collect.digests_not_private
        notice = render(chat_id, changed)
        for admin in self.settings.admin_ids:
            if admin == chat_id:
                continue
            try:
                await send_html(self.bot, admin, notice)
            except TelegramAPIError as exc:
                log.warning("could not tell admin %s that digests paused: %s", admin, exc.message)


async def schedule_digests(
    scheduler: AsyncIOScheduler, engine: AsyncEngine, bot: Bot, settings: Settings, clock: Clock
) -> Digests:
    """The app's digests: every subscription's job rebuilt from the database."""
    digests = Digests(engine, bot, settings, clock, scheduler)
    count = await digests.schedule_all()
    log.info("scheduled %d digest subscription(s)", count)
    return digests
