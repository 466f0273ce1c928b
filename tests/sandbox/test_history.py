"""messages.getHistory paging, worked out by hand over a small channel."""

from __future__ import annotations

import pytest

from sandbox.history import MAX_LIMIT, history_ids

# Messages 4 and 7 were deleted; newest first the channel reads 10 9 8 6 5 3 2 1.
IDS = [3, 1, 10, 5, 2, 9, 6, 8]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"limit": 3}, [10, 9, 8]),  # offset_id 0: from the newest
        ({"offset_id": 8, "limit": 3}, [6, 5, 3]),  # strictly below offset_id
        ({"offset_id": 7, "limit": 2}, [6, 5]),  # a deleted offset_id works the same
        ({"offset_id": 1, "limit": 3}, []),  # nothing below the first message
        ({"add_offset": 2, "limit": 2}, [8, 6]),  # skips the two newest
        # offset_id=X+1, add_offset=-limit: the `limit` oldest messages with id >= X+1 (X = 5)
        ({"offset_id": 6, "add_offset": -3, "limit": 3}, [9, 8, 6]),
        # fewer than `limit` of them exist: the slice is cut at the newest, not refilled below
        ({"offset_id": 9, "add_offset": -3, "limit": 3}, [10, 9]),
        ({"offset_id": 11, "add_offset": -3, "limit": 3}, []),  # nothing newer than 10
        # the filters apply to the slice, after it is cut
        ({"limit": 5, "min_id": 5}, [10, 9, 8, 6]),
        ({"limit": 3, "max_id": 9}, [8]),
        ({"offset_id": 6, "add_offset": -10, "limit": 10, "min_id": 5}, [10, 9, 8, 6]),
        ({"limit": 0}, []),
    ],
)
def test_history_pages(kwargs: dict[str, int], expected: list[int]) -> None:
    assert history_ids(IDS, **kwargs) == expected


def test_limit_is_capped_at_one_hundred() -> None:
    page = history_ids(range(1, 251), limit=150)
    assert len(page) == MAX_LIMIT == 100
    assert (page[0], page[-1]) == (250, 151)
