"""Channel references typed into commands: the bot parses them with the collector's parser only."""

from __future__ import annotations

from collector.refs import ChannelRef, RefError, parse_ref

__all__ = ["ChannelRef", "RefError", "parse_ref"]
