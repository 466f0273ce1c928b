from __future__ import annotations

from datetime import UTC, datetime

from bot.render import caption, esc, human, pct, signed, split_message, utf16_len, when
from bot.render_stats import EXCERPT_CHARS, link
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
    assert all(parse_html(p).length <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    for part in parts:
        parse_html(part)  # every part is valid HTML on its own


def test_a_single_line_longer_than_the_limit_is_cut_outside_tags_and_entities() -> None:
    line = ("&amp;" * 3 + "<b>bold</b>" + "é" * 50) * 200
    parts = split_message(line, limit=500)
    assert "".join(parse_html(p).plain for p in parts) == parse_html(line).plain
    assert all(parse_html(p).length <= 500 for p in parts)
    for part in parts:
        assert part.count("<b>") == part.count("</b>")


def test_a_cut_inside_a_link_closes_it_and_reopens_it_in_the_next_part() -> None:
    line = f'{len("x")}. <a href="https://t.me/a/1">' + "long words " * 1000 + "</a> (12 views)"
    parts = split_message(line)
    assert len(parts) == 3
    assert "".join(parse_html(p).plain for p in parts) == parse_html(line).plain  # nothing lost
    for part in parts:
        parsed = parse_html(part)  # Telegram would refuse a part with half a link
        assert parsed.length <= 4096 and parsed.tags == ("a",)
    assert parts[0].endswith("words </a>")  # cut between words, not inside one


def test_the_limit_counts_visible_characters_not_escaped_html() -> None:
    lines = [esc("<&>" * 30) for _ in range(44)]  # 90 visible characters, 390 of HTML each
    assert split_message("\n".join(lines)) == ["\n".join(lines)]  # 4003 visible: one message


def test_long_post_excerpts_are_capped_by_characters() -> None:
    text = parse_html(link("https://t.me/a/1", "https://example.com/" + "q" * 5000)).plain
    assert len(text) == EXCERPT_CHARS and text.endswith("…")


def test_emoji_count_as_two_characters_the_way_telegram_counts() -> None:
    parts = split_message("\n".join(["😀" * 1500] * 3))
    assert all(utf16_len(p) <= 4096 for p in parts) and len(parts) == 3


def test_caption_keeps_whole_lines_under_1024() -> None:
    text = "\n".join(f"line {i} " + "y" * 40 for i in range(100))
    short = caption(text)
    assert utf16_len(short) < 1024 and short.endswith("…")
    assert caption("one line") == "one line"
