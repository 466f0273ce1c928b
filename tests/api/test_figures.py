"""The API's figures are the CLI's: the summary and the overview are the JSON `stats --json` prints."""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import redirect_stdout

import httpx
import pytest

import main
from analytics.cli import cmd_stats
from analytics.windows import WINDOW_NAMES
from api.schemas import OverviewOut, SummaryOut
from clock import VirtualClock
from settings import Settings

pytestmark = pytest.mark.usefixtures("pulse")


def stats_json(argv: list[str], settings: Settings, clock: VirtualClock) -> dict:
    """What `python main.py stats ... --json` prints, at the same instant as the API's clock."""
    args = main.build_parser().parse_args(argv)
    args.window = args.window_word or args.window
    out = io.StringIO()
    with redirect_stdout(out):
        assert cmd_stats(args, settings, clock) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("window", WINDOW_NAMES)
async def test_summary_is_the_json_stats_prints(
    client: httpx.AsyncClient, settings: Settings, clock: VirtualClock, window: str
) -> None:
    answer = await client.get("/api/v1/channels/pulse/summary", params={"window": window})
    assert answer.status_code == 200
    printed = await asyncio.to_thread(
        stats_json, ["stats", "@pulse", "--window", window, "--json"], settings, clock)
    assert answer.json() == printed
    assert printed["current"]["posts"] > 0  # a real comparison, not two empty answers
    # The response model describes exactly these keys (it forbids any other).
    SummaryOut.model_validate(answer.json())


async def test_summary_names_the_channel_as_the_bot_does(client: httpx.AsyncClient) -> None:
    for name in ("pulse", "PULSE", "@pulse"):
        answer = await client.get(f"/api/v1/channels/{name}/summary")
        assert answer.status_code == 200 and answer.json()["username"] == "pulse"
        assert answer.json()["window"] == "7d"  # the bot's default window


async def test_overview_is_the_json_stats_prints(
    client: httpx.AsyncClient, settings: Settings, clock: VirtualClock
) -> None:
    answer = await client.get("/api/v1/overview", params={"window": "30d"})
    printed = await asyncio.to_thread(stats_json, ["stats", "--window", "30d", "--json"], settings, clock)
    assert answer.status_code == 200 and answer.json() == printed
    assert [c["username"] for c in printed["channels"]] == ["pulse"]
    OverviewOut.model_validate(answer.json())


async def test_channels_list_their_state(client: httpx.AsyncClient) -> None:
    (channel,) = (await client.get("/api/v1/channels")).json()["channels"]
    assert channel["username"] == "pulse" and channel["status"] == "active"
    assert channel["posts_stored"] == 13 and channel["subscribers"] is None  # the newest count is unknown
    assert channel["last_collected_at"] == "2026-03-02T11:30:00+00:00"


async def test_subscriber_series_skips_unknown_counts(client: httpx.AsyncClient) -> None:
    answer = (await client.get("/api/v1/channels/pulse/subscribers", params={"window": "all"})).json()
    assert [(p["taken_at"], p["subscribers"]) for p in answer["points"]] == [
        ("2026-02-16T00:00:00+00:00", 950), ("2026-02-23T10:00:00+00:00", 1000),
        ("2026-03-02T11:00:00+00:00", 1100),
    ]
    week = (await client.get("/api/v1/channels/pulse/subscribers", params={"window": "7d"})).json()
    assert [p["subscribers"] for p in week["points"]] == [1100]
