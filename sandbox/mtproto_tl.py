"""The TL objects the test Telegram answers with, built from plain values (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from telethon.tl import types

from collector.source import SourcePost

DC_ID, HOST, PORT = 2, "127.0.0.1", 443  # the address in the session; never dialled


def config(now: datetime) -> types.Config:
    """help.getConfig's answer, with values of the order Telegram's production DCs send."""
    return types.Config(
        date=now, expires=now + timedelta(hours=1), test_mode=False, this_dc=DC_ID,
        dc_options=[types.DcOption(id=DC_ID, ip_address=HOST, port=PORT)],
        dc_txt_domain_name="apv3.stel.com", chat_size_max=200, megagroup_size_max=200_000,
        forwarded_count_max=100, online_update_period_ms=210_000, offline_blur_timeout_ms=5_000,
        offline_idle_timeout_ms=30_000, online_cloud_timeout_ms=300_000, notify_cloud_delay_ms=30_000,
        notify_default_delay_ms=1_500, push_chat_period_ms=60_000, push_chat_limit=2,
        edit_time_limit=172_800, revoke_time_limit=2_147_483_647, revoke_pm_time_limit=2_147_483_647,
        rating_e_decay=2_419_200, stickers_recent_limit=200, channels_read_media_period=604_800,
        call_receive_timeout_ms=20_000, call_ring_timeout_ms=90_000, call_connect_timeout_ms=30_000,
        call_packet_timeout_ms=10_000, me_url_prefix="https://t.me/", caption_length_max=1_024,
        message_length_max=4_096, webfile_dc_id=4,
    )


def user(user_id: int, access_hash: int, first_name: str, username: str | None = None,
         is_self: bool = False) -> types.User:
    return types.User(id=user_id, is_self=is_self or None, access_hash=access_hash,
                      first_name=first_name, username=username)


def channel(tg_id: int, access_hash: int, title: str, username: str | None, created: datetime,
            aliases: tuple[str, ...] = ()) -> types.Channel:
    """A broadcast channel this account has joined; several usernames also come as `usernames`."""
    names = None
    if aliases and username:
        names = [types.Username(username=username, editable=True, active=True)]
        names += [types.Username(username=a, active=True) for a in aliases]
    return types.Channel(
        id=tg_id, title=title, photo=types.ChatPhotoEmpty(), date=created, broadcast=True,
        access_hash=access_hash, username=username, usernames=names,
    )


def channel_forbidden(tg_id: int, access_hash: int, title: str) -> types.ChannelForbidden:
    """What this account sees of a channel that banned it."""
    return types.ChannelForbidden(id=tg_id, access_hash=access_hash, title=title, broadcast=True)


def chat_full(chat: types.Channel, subscribers: int | None, pts: int) -> types.messages.ChatFull:
    full = types.ChannelFull(
        id=chat.id, about="", read_inbox_max_id=0, read_outbox_max_id=0, unread_count=0,
        chat_photo=types.PhotoEmpty(id=0), notify_settings=types.PeerNotifySettings(), bot_info=[],
        pts=pts, participants_count=subscribers,
    )
    return types.messages.ChatFull(full_chat=full, chats=[chat], users=[])


def channel_messages(messages: list[types.TypeMessage], count: int, chat: types.Channel,
                     pts: int) -> types.messages.ChannelMessages:
    return types.messages.ChannelMessages(pts=pts, count=count, messages=messages, topics=[],
                                          chats=[chat], users=[])


def service_message(channel_id: int, message_id: int, date: datetime) -> types.MessageService:
    return types.MessageService(id=message_id, peer_id=types.PeerChannel(channel_id), date=date,
                                action=types.MessageActionPinMessage(), post=True)


def empty_message(channel_id: int, message_id: int) -> types.MessageEmpty:
    return types.MessageEmpty(id=message_id, peer_id=types.PeerChannel(channel_id))


def post_message(channel_id: int, post: SourcePost) -> types.Message:
    """The channel post `post` as Telegram sends it; map_message() turns it back into `post`."""
    replies = None
    if post.replies is not None:
        replies = types.MessageReplies(replies=post.replies, replies_pts=post.message_id, comments=True,
                                       channel_id=discussion_group_id(channel_id))
    return types.Message(
        id=post.message_id, peer_id=types.PeerChannel(channel_id), date=post.date, message=post.text,
        post=True, fwd_from=_forward(post), media=_media(channel_id, post), views=post.views,
        forwards=post.forwards, replies=replies, edit_date=post.edit_date, post_author=post.post_author,
        grouped_id=post.grouped_id, reactions=_reactions(post),
    )


def discussion_group_id(channel_id: int) -> int:
    """The linked group where the channel's comments live."""
    return channel_id + 100_000_000


def _forward(post: SourcePost) -> types.MessageFwdHeader | None:
    origin = post.forward_from
    if origin is None:
        return None
    kind, _, number = origin.partition(":")
    peers = {"channel": types.PeerChannel, "user": types.PeerUser, "chat": types.PeerChat}
    if kind in peers and number.isdigit():
        return types.MessageFwdHeader(date=post.date, from_id=peers[kind](int(number)))
    # A hidden sender shows only a name, or nothing at all.
    return types.MessageFwdHeader(date=post.date, from_name=None if origin == "hidden" else origin)


def _media(channel_id: int, post: SourcePost) -> types.TypeMessageMedia | None:
    media_id = channel_id * 1_000_000 + post.message_id
    if post.media_kind is None:
        return None
    if post.media_kind == "photo":
        return types.MessageMediaPhoto(photo=types.Photo(
            id=media_id, access_hash=media_id, file_reference=b"\x01", date=post.date,
            sizes=[types.PhotoSize(type="y", w=1280, h=720, size=120_000)], dc_id=DC_ID,
        ))
    if post.media_kind == "video":
        return types.MessageMediaDocument(document=types.Document(
            id=media_id, access_hash=media_id, file_reference=b"\x01", date=post.date,
            mime_type="video/mp4", size=4_000_000, dc_id=DC_ID,
            attributes=[types.DocumentAttributeVideo(duration=30.0, w=1280, h=720,
                                                     supports_streaming=True)],
        ))
    if post.media_kind == "webpage":
        url = f"https://example.com/{post.message_id}"
        return types.MessageMediaWebPage(webpage=types.WebPage(
            id=media_id, url=url, display_url=url.removeprefix("https://"), hash=0, title=post.text,
        ))
    raise ValueError(f"the test Telegram has no TL media for {post.media_kind!r}")


def _reactions(post: SourcePost) -> types.MessageReactions | None:
    results = [
        types.ReactionCount(
            reaction=types.ReactionCustomEmoji(document_id=int(key.removeprefix("custom:")))
            if key.startswith("custom:") else types.ReactionEmoji(emoticon=key),
            count=count,
        )
        for key, count in (post.reactions_json or {}).items() if count
    ]
    if post.paid_reactions:
        results.append(types.ReactionCount(reaction=types.ReactionPaid(), count=post.paid_reactions))
    if not results:
        return None  # Telegram leaves the field out on a post nobody reacted to
    results.sort(key=lambda r: -r.count)
    return types.MessageReactions(results=results)
