"""The mapping from real Telethon TL objects (built with keyword arguments) to our SourcePost."""

from __future__ import annotations

from datetime import UTC, datetime

from telethon.tl import types

from collector.telethon_map import map_message

DATE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PEER = types.PeerChannel(channel_id=1_234_567)


def _document(*attributes: object) -> types.Document:
    return types.Document(
        id=1, access_hash=2, file_reference=b"", date=DATE, mime_type="video/mp4", size=10, dc_id=2,
        attributes=list(attributes),
    )


def test_a_channel_post_with_every_counter() -> None:
    msg = types.Message(
        id=812, peer_id=PEER, date=DATE, message="Launch day", post=True, views=15_230, forwards=41,
        replies=types.MessageReplies(replies=17, replies_pts=5, comments=True),
        reactions=types.MessageReactions(results=[
            types.ReactionCount(reaction=types.ReactionEmoji(emoticon="👍"), count=120),
            types.ReactionCount(reaction=types.ReactionCustomEmoji(document_id=5368324170671202286), count=8),
            types.ReactionCount(reaction=types.ReactionPaid(), count=25),
            types.ReactionCount(reaction=types.ReactionEmoji(emoticon="🔥"), count=30),
        ]),
        edit_date=datetime(2026, 3, 1, 10, 0, tzinfo=UTC), grouped_id=13_579, post_author="Anna",
        fwd_from=types.MessageFwdHeader(date=DATE, from_id=types.PeerChannel(channel_id=42)),
        media=types.MessageMediaPhoto(photo=types.PhotoEmpty(id=3)),
    )
    post = map_message(msg)
    assert post is not None
    assert (post.message_id, post.date, post.text) == (812, DATE, "Launch day")
    assert (post.views, post.forwards, post.replies) == (15_230, 41, 17)
    assert post.reactions == 158 and post.paid_reactions == 25  # paid reactions are kept apart
    assert post.reactions_json == {"👍": 120, "custom:5368324170671202286": 8, "🔥": 30}
    assert post.edit_date == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert post.grouped_id == 13_579 and post.post_author == "Anna"
    assert post.forward_from == "channel:42" and post.media_kind == "photo"


def test_a_plain_post_has_no_reactions_and_unknown_comments() -> None:
    # Telegram omits `reactions` on a post nobody reacted to: that is zero, or "reactions per
    # post" would average over the reacted posts alone. Without a comments thread, replies are
    # unknown (comments are off), not zero.
    post = map_message(types.Message(id=5, peer_id=PEER, date=DATE, message="", views=10))
    assert post is not None
    assert post.reactions == 0 and post.paid_reactions == 0 and post.reactions_json == {}
    assert post.replies is None
    assert post.forwards is None and post.media_kind is None and post.forward_from is None


def test_service_and_empty_messages_are_not_posts() -> None:
    pin = types.MessageService(id=9, peer_id=PEER, date=DATE, action=types.MessageActionPinMessage())
    photo = types.MessageService(
        id=10, peer_id=PEER, date=DATE, action=types.MessageActionChatEditPhoto(photo=types.PhotoEmpty(id=1))
    )
    assert map_message(pin) is None and map_message(photo) is None
    assert map_message(types.MessageEmpty(id=11, peer_id=PEER)) is None


def test_media_kinds_and_hidden_forward_names() -> None:
    video = types.MessageMediaDocument(
        document=_document(types.DocumentAttributeVideo(duration=3.0, w=640, h=360))
    )
    voice = types.MessageMediaDocument(voice=True, document=_document())
    sticker = types.MessageMediaDocument(
        document=_document(types.DocumentAttributeSticker(alt="x", stickerset=types.InputStickerSetEmpty()))
    )
    kinds = [
        map_message(types.Message(id=i, peer_id=PEER, date=DATE, message="", media=m)).media_kind  # type: ignore[union-attr]
        for i, m in enumerate((video, voice, sticker, types.MessageMediaWebPage(
            webpage=types.WebPageEmpty(id=1)), types.MessageMediaDocument(document=_document())), 1)
    ]
    assert kinds == ["video", "voice", "sticker", "webpage", "document"]
    hidden = types.Message(id=1, peer_id=PEER, date=DATE, message="",
                           fwd_from=types.MessageFwdHeader(date=DATE, from_name="Someone Private"))
    assert map_message(hidden).forward_from == "Someone Private"  # type: ignore[union-attr]
