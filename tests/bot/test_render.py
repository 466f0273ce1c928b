from __future__ import annotations

from datetime import UTC, datetime

from bot.render import caption, esc, human, pct, signed, split_message, utf16_len, when
from sandbox.botapi_html import parse_html


def test_numbers_read_like_people_write_them() -> None:
    assert [human(n) for n in (0, 999, 1000, 12_345, 999_950, 1_234_567, 2_000_000_000)] == [
        "0",
        "999",
        "1K",
        "12.3K",
        "1M",
        "1.2M",
        "2B",
    ]
    assert human(None) == "unknown"
    assert signed(1234) == "+1.2K" and signed(-35) == "-35" and signed(0) == "±0"
    assert pct(12.345) == "12.3%" and pct(-0.04) == "0.0%" and pct(3.25, sign=True) == "+3.2%"
    assert pct(None) == "n/a"


def test_dates_are_shown_in_the_digest_time_zone() -> None:
    moment = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    assert when(moment, "Europe/Berlin") == "1 Jul 14:05 CEST"
    assert when(None, "UTC") == "never"


def test_escaped_text_shows_exactly_as_typed() -> None:
    title = "<b>x</b> & co"
    assert parse_html(f"<b>{esc(title)}</b>").plain == title


def test_long_reply_splits_on_line_boundaries_without_losing_a_line() -> None:
    lines = [f"<b>channel {i}</b> — {esc('<&>')} " + "x" * (i % 90) for i in range(600)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    for part in parts:
        parse_html(part)  # every part is valid HTML on its own


def test_a_single_line_longer_than_the_limit_is_cut_outside_tags_and_entities() -> None:
    line = ("&amp;" * 3 + "<b>bold</b>" + "é" * 50) * 200
    parts = split_message(line, limit=500)
    assert "".join(parts) == line
    assert all(utf16_len(p) <= 500 for p in parts)
    for part in parts:
        assert part.count("<b>") == part.count("</b>")
        parse_html(part)


def test_emoji_count_as_two_characters_the_way_telegram_counts() -> None:
    parts = split_message("\n".join(["😀" * 1500] * 3))
    assert all(utf16_len(p) <= 4096 for p in parts) and len(parts) == 3


def test_caption_keeps_whole_lines_under_1024() -> None:
    text = "\n".join(f"line {i} " + "y" * 40 for i in range(100))
    short = caption(text)
    assert utf16_len(short) < 1024 and short.endswith("…")
    assert caption("one line") == "one line"
