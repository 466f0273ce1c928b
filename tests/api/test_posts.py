"""The post table: paged, sorted, filtered by window and media kind; one post's counters over time."""

from __future__ import annotations

import httpx
import pytest

from api.routes_posts import MAX_LIMIT

pytestmark = pytest.mark.usefixtures("pulse")
POSTS = "/api/v1/channels/pulse/posts"


async def _ids(client: httpx.AsyncClient, **params: object) -> list[int]:
    answer = await client.get(POSTS, params={"window": "all", **params})
    assert answer.status_code == 200, answer.text
    return [p["message_id"] for p in answer.json()["posts"]]


async def test_newest_first_by_default_with_deleted_posts_flagged(client: httpx.AsyncClient) -> None:
    page = (await client.get(POSTS, params={"window": "all"})).json()
    assert page["total"] == 13 and page["sort"] == "date" and page["order"] == "desc"
    assert [p["message_id"] for p in page["posts"]][:3] == [19, 18, 17]
    deleted = next(p for p in page["posts"] if p["message_id"] == 17)
    assert deleted["deleted"] is True and deleted["views"] == 5000
    assert deleted["link"] == "https://t.me/pulse/17"


async def test_sorted_by_views_unknown_counts_last_either_way(client: httpx.AsyncClient) -> None:
    most = await _ids(client, sort="views", order="desc")
    assert most[:3] == [17, 14, 12] and most[-2:] == [18, 15]  # views unknown: last
    least = await _ids(client, sort="views", order="asc")
    assert least[:3] == [8, 7, 9]  # 40 views, then the two of 60 by message id
    assert least[-2:] == [15, 18]


async def test_pages_never_repeat_or_skip_a_post(client: httpx.AsyncClient) -> None:
    seen = []
    for offset in range(0, 13, 5):
        seen += await _ids(client, sort="views", limit=5, offset=offset)
    assert sorted(seen) == list(range(7, 20))


async def test_window_and_media_filters(client: httpx.AsyncClient) -> None:
    assert sorted(await _ids(client, window="7d")) == list(range(9, 20))
    assert await _ids(client, media="service") == [18]
    assert 18 not in await _ids(client, media="text")
    assert len(await _ids(client, media="text")) == 12
    assert await _ids(client, media="video") == []


async def test_page_size_is_capped(client: httpx.AsyncClient) -> None:
    assert (await client.get(POSTS, params={"limit": MAX_LIMIT})).status_code == 200
    refused = await client.get(POSTS, params={"limit": MAX_LIMIT + 1})
    assert refused.status_code == 422 and str(MAX_LIMIT) in refused.text


async def test_a_posts_counters_over_time(client: httpx.AsyncClient) -> None:
    history = (await client.get(f"{POSTS}/10")).json()
    assert [p["views"] for p in history["points"]] == [70, 90, 95]
    assert [p["age_hours"] for p in history["points"]] == [19, 22, 30]
    missing = await client.get(f"{POSTS}/999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "post 999 of @pulse is not stored (yet)"}
