"""The dashboard's pages over HTTP, as a browser without JavaScript sees them: the way in and out,
what a page without a session does, the security headers, and that the figures are the analytics'."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.service import channel_summary
from analytics.windows import parse_window
from api import chart_lib
from api.factory import create_app
from api.middleware import CSP
from clock import VirtualClock
from settings import Settings
from storage.dashboard_auth import LOGIN_TTL, SESSION_TTL, issue_login
from tests.api.conftest import asgi_client
from tests.dashboard.conftest import log_in

pytestmark = pytest.mark.usefixtures("pulse", "echo")


async def test_a_page_without_a_session_sends_the_browser_to_the_way_in(
    browser_client: httpx.AsyncClient,
) -> None:
    for path in ("/dashboard/", "/dashboard/channels/pulse", "/dashboard/compare",
                 "/dashboard/channels/pulse/posts/10"):
        answer = await browser_client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/welcome", path
    welcome = await browser_client.get("/dashboard/welcome")
    assert welcome.status_code == 200
    assert "send <code>/dashboard</code> to the ChannelPulse bot" in welcome.text
    assert "python main.py dashboard-link" in welcome.text


async def test_a_link_logs_in_once_with_a_strict_httponly_cookie(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime,
) -> None:
    secret = await issue_login(engine, now)
    first = await browser_client.get(f"/dashboard/login?t={secret}")
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert secret not in cookie
    assert '<meta http-equiv="refresh" content="0; url=/dashboard/">' in first.text
    listed = await browser_client.get("/dashboard/")
    assert listed.status_code == 200 and "@pulse" in listed.text and "@echo" in listed.text

    async with httpx.AsyncClient(transport=browser_client._transport, base_url="http://api.test") as other:
        again = await other.get(f"/dashboard/login?t={secret}")
        assert again.status_code == 410 and "already used" in again.text
        assert "set-cookie" not in again.headers
        assert (await other.get("/dashboard/")).status_code == 303


async def test_an_expired_or_unknown_link_says_so_and_opens_nothing(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, clock: VirtualClock,
) -> None:
    secret = await issue_login(engine, clock.now())
    clock.advance(LOGIN_TTL.total_seconds() + 1)
    expired = await browser_client.get(f"/dashboard/login?t={secret}")
    assert expired.status_code == 410 and "has expired" in expired.text and "/dashboard" in expired.text
    unknown = await browser_client.get("/dashboard/login?t=not-a-link")
    assert unknown.status_code == 400 and "not valid" in unknown.text
    assert (await browser_client.get("/dashboard/login")).status_code == 400
    assert "set-cookie" not in expired.headers and "set-cookie" not in unknown.headers
    assert (await browser_client.get("/dashboard/")).status_code == 303


async def test_a_session_ends_after_its_lifetime_or_at_log_out(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, clock: VirtualClock,
) -> None:
    await log_in(browser_client, engine, clock.now())
    assert (await browser_client.get("/dashboard/")).status_code == 200
    clock.advance(SESSION_TTL.total_seconds() + 1)
    assert (await browser_client.get("/dashboard/")).status_code == 303

    await log_in(browser_client, engine, clock.now())
    kept = browser_client.cookies.get("cp_session")
    out = await browser_client.post("/dashboard/logout")
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/welcome"
    browser_client.cookies.set("cp_session", kept)  # a copy of the cookie kept from before
    assert (await browser_client.get("/dashboard/")).status_code == 303


async def test_every_page_carries_the_csp_without_inline_scripts(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime,
) -> None:
    await log_in(browser_client, engine, now)
    for path in ("/dashboard/", "/dashboard/channels/pulse?window=30d", "/dashboard/compare",
                 "/dashboard/channels/pulse/posts/10", "/dashboard/welcome"):
        answer = await browser_client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
        # Every script is a file of this server: none inline, none from elsewhere.
        scripts = re.findall(r"<script([^>]*)>", answer.text)
        assert scripts and all('src="/dashboard/static/' in s for s in scripts), path
        assert " style=" not in answer.text and "<style" not in answer.text, path


async def test_the_channel_page_shows_the_analytics_figures(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime, pulse: int,
) -> None:
    await log_in(browser_client, engine, now)
    page = (await browser_client.get("/dashboard/channels/pulse?window=7d")).text
    summary = await channel_summary(engine, pulse, parse_window("7d"), now, "Europe/Berlin")
    assert summary.current is not None
    assert f'data-figure="err">{summary.current.err:.1f} %<' in page
    assert f'data-figure="views_mean">{summary.current.views_mean:,.0f}<' in page
    assert 'data-figure="subscribers">1,100 (+100)<' in page
    # The chart data: views per post of the window (albums folded; the deleted 5000 left out).
    charts = re.search(r"data-charts='([^']*)'", page)
    assert charts is not None and '"views": [[' in charts.group(1).replace("&#34;", '"')


async def _order(client: httpx.AsyncClient, query: str) -> list[int]:
    page = (await client.get(f"/dashboard/channels/pulse?window=7d&{query}")).text
    return [int(m) for m in re.findall(r'<tr data-message-id="(\d+)">', page)]


async def test_the_post_table_sorts_by_the_column_asked(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime,
) -> None:
    await log_in(browser_client, engine, now)
    assert await _order(browser_client, "") == [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9]
    # Unknown counts (15, 18) last in either order; ties by message id in the same direction.
    by_views = [17, 14, 12, 13, 11, 16, 10, 19, 9]
    assert await _order(browser_client, "sort=views&order=desc") == [*by_views, 18, 15]
    assert await _order(browser_client, "sort=views&order=asc") == [*reversed(by_views), 15, 18]
    page = (await browser_client.get("/dashboard/channels/pulse?sort=views&order=desc")).text
    assert 'href="?window=7d&amp;sort=views&amp;order=asc#posts"' in page  # its header sorts back


async def test_a_post_page_and_the_compare_page(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime,
) -> None:
    await log_in(browser_client, engine, now)
    post = (await browser_client.get("/dashboard/channels/pulse/posts/10")).text
    assert "one two three four five" in post
    # Its snapshots at 19 h, 22 h and 30 h of age, oldest first.
    assert re.findall(r'<td class="n">([\d.]+)</td><td class="n">(\d+)</td>', post) == [
        ("19.0", "70"), ("22.0", "90"), ("30.0", "95")]
    compared = (await browser_client.get("/dashboard/compare?a=pulse&b=echo&window=7d")).text
    assert '<section class="side" data-channel="pulse">' in compared
    assert '<section class="side" data-channel="echo">' in compared
    assert 'data-figure="subscribers">4,200 (+200)<' in compared


async def test_what_is_not_stored_gets_a_page_that_says_so(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime,
) -> None:
    await log_in(browser_client, engine, now)
    missing = await browser_client.get("/dashboard/channels/nobody")
    assert missing.status_code == 404 and "@nobody is not tracked" in missing.text
    post = await browser_client.get("/dashboard/channels/pulse/posts/999")
    assert post.status_code == 404 and "Post 999 of @pulse is not stored" in post.text
    bad = await browser_client.get("/dashboard/channels/pulse?window=1y")
    assert bad.status_code == 422 and "Traceback" not in bad.text


async def test_without_the_chart_library_the_pages_still_serve_and_say_so(
    browser_client: httpx.AsyncClient, engine: AsyncEngine, now: datetime, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(chart_lib, "VENDOR", tmp_path / "never-fetched")
    await log_in(browser_client, engine, now)
    page = await browser_client.get("/dashboard/channels/pulse")
    assert page.status_code == 200
    assert "Charts are unavailable" in page.text and "uPlot" not in page.text
    assert "data-figure=\"err\"" in page.text


async def test_links_and_sessions_run_on_the_wall_clock_when_the_figures_run_faster(
    engine: AsyncEngine, settings: Settings, now: datetime,
) -> None:
    # As in `run --sandbox`: the figures' clock races ahead; a link is still good for real minutes.
    figures, wall = VirtualClock(now), VirtualClock(now)
    app = create_app(engine, settings, figures, wall)
    secret = await issue_login(engine, wall.now())
    figures.advance(86_400)
    async with asgi_client(app) as browser:
        assert (await browser.get(f"/dashboard/login?t={secret}")).status_code == 200
        assert (await browser.get("/dashboard/")).status_code == 200
        wall.advance(SESSION_TTL.total_seconds() + 1)
        assert (await browser.get("/dashboard/")).status_code == 303
