"""Telethon TL objects to our own types, at the edge; nothing of Telethon's leaves this module."""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from collector.source import SourcePost


def map_message(msg: Any) -> SourcePost | None:
    """A channel post as our SourcePost; None for service messages (pins, photo changes) and empties."""
    if not isinstance(msg, types.Message):
        return None
    total, paid, by_kind = map_reactions(msg.reactions)
    return SourcePost(
        message_id=msg.id,
        date=msg.date,
        text=msg.message or "",
        media_kind=media_kind(msg.media),
        grouped_id=msg.grouped_id,
        edit_date=msg.edit_date,
        forward_from=forward_origin(msg.fwd_from),
        post_author=msg.post_author,
        views=msg.views,
        forwards=msg.forwards,
        # `replies` is a MessageReplies object (comments thread), not a number.
        replies=msg.replies.replies if isinstance(msg.replies, types.MessageReplies) else None,
        reactions=total,
        paid_reactions=paid,
        reactions_json=by_kind,
    )


def map_reactions(reactions: Any) -> tuple[int | None, int | None, dict[str, int] | None]:
    """(reactions without paid ones, paid reactions, count per emoticon or "custom:<document id>")."""
    if not isinstance(reactions, types.MessageReactions):
        # Telegram leaves the field out when a post has no reactions (or they are off): zero,
        # not unknown, or per-post means would be taken over the reacted posts alone.
        return 0, 0, {}
    total, paid, by_kind = 0, 0, {}
    for rc in reactions.results:
        reaction = rc.reaction
        if isinstance(reaction, types.ReactionPaid):
            paid += rc.count
            continue
        if isinstance(reaction, types.ReactionEmoji):
            key = reaction.emoticon
        elif isinstance(reaction, types.ReactionCustomEmoji):
            key = f"custom:{reaction.document_id}"
        else:
            key = type(reaction).__name__
        by_kind[key] = by_kind.get(key, 0) + rc.count
        total += rc.count
    return total, paid, by_kind


def forward_origin(fwd: Any) -> str | None:
    """Where a forwarded post came from: "channel:<id>", "user:<id>", or the name shown."""
    if not isinstance(fwd, types.MessageFwdHeader):
        return None
    peer = fwd.from_id
    if isinstance(peer, types.PeerChannel):
        return f"channel:{peer.channel_id}"
    if isinstance(peer, types.PeerUser):
        return f"user:{peer.user_id}"
    if isinstance(peer, types.PeerChat):
        return f"chat:{peer.chat_id}"
    return fwd.from_name or "hidden"


_MEDIA = {
    types.MessageMediaPhoto: "photo",
    types.MessageMediaWebPage: "webpage",
    types.MessageMediaPoll: "poll",
    types.MessageMediaGeo: "geo",
    types.MessageMediaGeoLive: "geo",
    types.MessageMediaVenue: "venue",
    types.MessageMediaContact: "contact",
    types.MessageMediaDice: "dice",
    types.MessageMediaGame: "game",
    types.MessageMediaInvoice: "invoice",
}


def media_kind(media: Any) -> str | None:
    if media is None or isinstance(media, types.MessageMediaEmpty):
        return None
    if isinstance(media, types.MessageMediaDocument):
        return _document_kind(media)
    kind = _MEDIA.get(type(media))
    return kind or type(media).__name__.removeprefix("MessageMedia").lower()


def _document_kind(media: Any) -> str:
    if media.round:
        return "round"
    if media.voice:
        return "voice"
    attrs = getattr(media.document, "attributes", None) or []
    for attr in attrs:
        if isinstance(attr, types.DocumentAttributeSticker):
            return "sticker"
        if isinstance(attr, types.DocumentAttributeAnimated):
            return "gif"
    for attr in attrs:
        if isinstance(attr, types.DocumentAttributeVideo):
            return "round" if attr.round_message else "video"
        if isinstance(attr, types.DocumentAttributeAudio):
            return "voice" if attr.voice else "audio"
    return "document"
