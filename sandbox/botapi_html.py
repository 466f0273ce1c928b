"""Telegram's HTML parse mode, as strictly as Telegram applies it, for the sandbox Bot API server.

The bot escapes every string it did not write itself; this parser is what proves it in tests: an
unescaped `<`, `&` or an unbalanced tag fails here exactly as it fails on the real Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tags Telegram accepts in HTML parse mode (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR = r"""\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?"""
_TAG = re.compile(rf"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:{_ATTR})*)\s*>")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


class EntityParseError(ValueError):
    """Why Telegram would answer "Bad Request: can't parse entities: ..."."""


@dataclass(frozen=True)
class ParsedText:
    plain: str
    tags: tuple[str, ...]  # every tag opened, in order (so tests can see the formatting used)

    @property
    def length(self) -> int:
        """Length as Telegram counts it: UTF-16 code units."""
        return utf16_len(self.plain)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> ParsedText:
    """The plain text a user would see, or EntityParseError for HTML Telegram would refuse."""
    out: list[str] = []
    stack: list[str] = []
    opened: list[str] = []
    pos = 0
    while pos < len(source):
        ch = source[pos]
        if ch == "<":
            match = _TAG.match(source, pos)
            offset = len(source[:pos].encode())
            if match is None:
                raise EntityParseError(f"Unsupported start tag at byte offset {offset}")
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'expected "</{stack[-1]}>"' if stack else "no tag is open"
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {offset}, {expected}, found "</{name}>"'
                    )
                stack.pop()
            else:
                if name == "a" and "href" not in match.group(3):
                    raise EntityParseError(f'Tag "a" must have attribute href at byte offset {offset}')
                stack.append(name)
                opened.append(name)
            pos = match.end()
        elif ch == "&":
            match = _ENTITY.match(source, pos)
            out.append(_entity(match, len(source[:pos].encode())))
            pos = match.end() if match else pos + 1
        elif ch == ">":
            raise EntityParseError(f"Character '>' is reserved at byte offset {len(source[:pos].encode())}")
        else:
            out.append(ch)
            pos += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return ParsedText("".join(out), tuple(opened))


def _entity(match: re.Match[str] | None, offset: int) -> str:
    if match is None:
        raise EntityParseError(f"Character '&' is reserved at byte offset {offset}: escape it as &amp;")
    body = match.group(1)
    if body.startswith("#"):
        try:
            return chr(int(body[2:], 16) if body.startswith("#x") else int(body[1:]))
        except (ValueError, OverflowError):
            raise EntityParseError(f"Invalid character reference at byte offset {offset}") from None
    if body not in _NAMED_ENTITIES:
        raise EntityParseError(f'Unsupported HTML entity "&{body};" at byte offset {offset}')
    return _NAMED_ENTITIES[body]
