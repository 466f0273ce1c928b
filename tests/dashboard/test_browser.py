"""The dashboard in headless Chromium, as an admin uses it: the link `/dashboard` sends in the bot logs
in, the list shows the channels, a channel's charts draw, the post table sorts, two channels are
compared. Screenshots are saved under test-artifacts/dashboard/ for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import Harness
from tests.dashboard.conftest import LINK, screenshot

pytestmark = pytest.mark.usefixtures("pulse", "echo")
WAIT = 60_000  # ms: a hang guard for a slow machine, never a measure of speed


async def _log_in(page: Any, running: Harness, served: str) -> None:
    reply = (await running.ask_one("/dashboard")).text
    (link,) = LINK.findall(reply)
    assert link.startswith(served + "/dashboard/login?t=")
    await page.goto(link, timeout=WAIT)
    await page.wait_for_url(f"{served}/dashboard/", timeout=WAIT)


async def _drawn(page: Any, selector: str) -> int:
    """How many points the chart under `selector` drew (0: none): uPlot's canvas must also hold
    coloured pixels, not just exist."""
    await page.wait_for_selector(f"{selector}[data-drawn]", state="attached", timeout=WAIT)
    return int(await page.get_attribute(selector, "data-drawn"))


INKED = """(el) => {
  const c = el.tagName === 'CANVAS' ? el : el.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


async def test_an_admin_logs_in_from_the_bot_and_reads_the_channels(
    page: Any, running: Harness, served: str,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await _log_in(page, running, served)
    rows = page.locator("table.channels tbody tr")
    assert await rows.count() == 2
    assert "@echo" in await rows.nth(0).inner_text()  # most subscribers first
    assert "@pulse" in await rows.nth(1).inner_text()
    assert await _drawn(page, 'tr[data-channel="pulse"] canvas.sparkline') == 1  # 7d: one known count
    assert await page.eval_on_selector('tr[data-channel="echo"] canvas.sparkline', INKED) > 0
    await screenshot(page, "channels")
    assert errors == []  # nothing refused by the CSP, no script error


async def test_a_channel_page_draws_its_charts_and_its_table_sorts(
    page: Any, running: Harness, served: str,
) -> None:
    await _log_in(page, running, served)
    await page.click('a[href="/dashboard/channels/pulse?window=7d"]')
    await page.wait_for_url("**/dashboard/channels/pulse?window=7d", timeout=WAIT)
    # 7d: views of 7 posts (albums folded, the deleted one left out; one unknown is a gap), 1 known
    # subscriber count, 6 heatmap cells (weekday × hour in Berlin of the posts with known views).
    assert await _drawn(page, '[data-chart="views"]') == 7
    assert await _drawn(page, '[data-chart="subscribers"]') == 1
    assert await _drawn(page, "canvas.heatmap") == 6
    for chart in ('[data-chart="views"]', '[data-chart="subscribers"]', "canvas.heatmap"):
        assert await page.eval_on_selector(chart, INKED) > 0, chart
    await page.hover("canvas.heatmap")
    await screenshot(page, "channel")

    await page.click('th[data-column="views"] a')
    await page.wait_for_url("**sort=views&order=desc*", timeout=WAIT)
    ids = await page.eval_on_selector_all("table.posts tbody tr", "rs => rs.map(r => r.dataset.messageId)")
    assert ids[:3] == ["17", "14", "12"]
    await page.click('th[data-column="views"] a')
    await page.wait_for_url("**sort=views&order=asc*", timeout=WAIT)
    ids = await page.eval_on_selector_all("table.posts tbody tr", "rs => rs.map(r => r.dataset.messageId)")
    assert ids[:3] == ["9", "19", "10"]
    await screenshot(page, "posts-sorted")

    await page.click('tr[data-message-id="10"] a')
    await page.wait_for_url("**/dashboard/channels/pulse/posts/10", timeout=WAIT)
    assert await _drawn(page, '[data-chart="post"]') == 3
    await screenshot(page, "post")


async def test_two_channels_side_by_side(page: Any, running: Harness, served: str) -> None:
    await _log_in(page, running, served)
    await page.click('nav a[href="/dashboard/compare"]')
    await page.select_option('select[name="a"]', "pulse")
    await page.select_option('select[name="b"]', "echo")
    await page.click(".compare-form button")
    await page.wait_for_url("**/dashboard/compare?a=pulse&b=echo*", timeout=WAIT)
    sides = page.locator("section.side")
    assert await sides.count() == 2
    assert await _drawn(page, 'section.side[data-channel="pulse"] [data-chart="views"]') == 7
    assert await _drawn(page, 'section.side[data-channel="echo"] [data-chart="views"]') == 3
    assert "4,200" in await page.inner_text('section.side[data-channel="echo"] [data-figure="subscribers"]')
    await screenshot(page, "compare")
