"""A channel renamed on Telegram: every admin hears it once, "@old → @new", and /stats links follow."""

from __future__ import annotations

from tests.bot.conftest import ADMIN, OTHER_ADMIN, Harness
from tests.bot.test_alerts import collect_again


async def test_a_rename_reaches_every_admin_once(running: Harness) -> None:
    running.server.open_chat(OTHER_ADMIN, "Grace")
    await running.ask_one("/add_channel @pulse_news")
    (done,) = await running.server.next_messages(ADMIN)
    assert done.text.startswith("First collection")
    await running.collector.settled()
    await running.said_since(OTHER_ADMIN)

    running.telegram.rename("pulse_news", "pulse_daily")
    await collect_again(running)
    for admin in (ADMIN, OTHER_ADMIN):
        (alert,) = await running.server.next_messages(admin)
        assert "was renamed on Telegram: @pulse_news → @pulse_daily" in alert.text
    await collect_again(running)
    assert await running.said_since(ADMIN) == []
    assert await running.said_since(OTHER_ADMIN) == []
    reply = await running.ask_all("/stats @pulse_daily")
    html = "\n".join(m.html or "" for m in reply)
    assert "t.me/pulse_daily/" in html and "t.me/pulse_news/" not in html  # top posts' links
