"""Channel references: every accepted form, and refusals with a reason, without any request."""

from __future__ import annotations

import pytest

from collector.refs import ChannelRef, RefError, parse_ref


@pytest.mark.parametrize(
    ("text", "username", "post"),
    [
        ("@Durov", "durov", None),
        ("durov", "durov", None),
        ("t.me/durov", "durov", None),
        ("https://t.me/durov", "durov", None),
        ("http://telegram.me/durov/", "durov", None),
        ("t.me/s/durov", "durov", None),
        ("https://t.me/s/durov/42", "durov", 42),
        ("t.me/durov/123", "durov", 123),
        ("  @pulse_news  ", "pulse_news", None),
        ("https://t.me/durov?single", "durov", None),
        ("tg://resolve?domain=durov&post=7", "durov", 7),
    ],
)
def test_accepted_forms(text: str, username: str, post: int | None) -> None:
    assert parse_ref(text) == ChannelRef(username, post, text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://t.me/+AbCdEfGh123", "private invite link"),
        ("t.me/joinchat/AbCdEf", "private invite link"),
        ("https://t.me/c/1234567/89", "t.me/c link"),
        ("t.me/addstickers/pack", "not a channel"),
        ("https://example.com/durov", "not a Telegram link"),
        ("@a", "not a valid channel username"),
        ("@1channel", "not a valid channel username"),
        ("@bad-name", "not a valid channel username"),
        ("t.me/durov/12/34", "malformed"),
        ("t.me/durov/abc", "malformed"),
        ("t.me/durov/99999999999999999999", "malformed"),
        ("t.me/durov/0", "malformed"),
        ("", "empty"),
        ("two words", "spaces"),
    ],
)
def test_refused_forms_say_why_in_one_line(text: str, reason: str) -> None:
    with pytest.raises(RefError) as info:
        parse_ref(text)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)
