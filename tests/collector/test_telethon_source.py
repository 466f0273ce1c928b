"""TelethonSource with a stand-in client: requests built, results mapped by id, errors translated
(tests/app/test_telegram_boundary.py drives it under the real TelegramClient)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from telethon import errors
from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import functions, types

from clock import VirtualClock
from collector.gate import RequestGate
from collector.pacing import Pacer, PacingConfig
from collector.source import (
    BANNED,
    AccountFatal,
    ChannelKey,
    ChannelUnavailable,
    FloodWait,
    NotAuthorized,
    SourceDisconnected,
)
from collector.telethon_source import TelethonSource, build_client, ensure_authorized
from settings import load_settings

DATE = datetime(2026, 3, 1, tzinfo=UTC)
PEER = types.PeerChannel(channel_id=99)
GATE = RequestGate(Pacer(PacingConfig(), VirtualClock(DATE)))
KEY = ChannelKey(99, 1234)


class FakeClient:
    def __init__(self, *results: Any, authorized: bool = True) -> None:
        self.results = list(results)
        self.sent: list[Any] = []
        self.authorized = authorized
        self.gate = SimpleNamespace(account=5150)

    async def connect(self) -> None:
        return None

    async def __call__(self, request: Any) -> Any:
        self.sent.append(request)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def is_connected(self) -> bool:
        return True

    async def is_user_authorized(self) -> bool:
        return self.authorized

    async def get_me(self, input_peer: bool = False) -> Any:
        return types.InputPeerUser(user_id=5150, access_hash=1)


def _msg(i: int, views: int) -> types.Message:
    return types.Message(id=i, peer_id=PEER, date=DATE, message=f"post {i}", views=views)


def _messages(*msgs: Any) -> types.messages.ChannelMessages:
    return types.messages.ChannelMessages(pts=1, count=len(msgs), messages=list(msgs), topics=[], chats=[],
                                          users=[])


async def test_reread_matches_by_id_and_reports_deletions() -> None:
    client = FakeClient(_messages(_msg(12, 300), types.MessageEmpty(id=11, peer_id=PEER), _msg(10, 100)))
    source = TelethonSource(client)  # type: ignore[arg-type]
    found = await source.get_messages(KEY, [10, 11, 12, 13])
    assert [p.views if p else None for p in found] == [100, None, 300, None]
    (req,) = client.sent
    assert isinstance(req, functions.channels.GetMessagesRequest)


async def test_history_newer_than_asks_upward_and_returns_oldest_first() -> None:
    client = FakeClient(_messages(_msg(103, 1), _msg(102, 1),
                                  types.MessageService(id=101, peer_id=PEER, date=DATE,
                                                       action=types.MessageActionPinMessage())))
    source = TelethonSource(client)  # type: ignore[arg-type]
    posts = await source.get_history(KEY, 50, newer_than=100)
    assert [p.message_id for p in posts] == [102, 103]  # service message 101 is not a post
    (req,) = client.sent
    # Telethon's own combination for reading upward: no min_id beside a negative add_offset.
    assert (req.offset_id, req.add_offset, req.limit, req.min_id, req.max_id) == (101, -50, 50, 0, 0)


async def test_telegram_errors_become_ours() -> None:
    req = functions.messages.GetHistoryRequest(peer=types.InputPeerEmpty(), offset_id=0, offset_date=None,
                                               add_offset=0, limit=1, max_id=0, min_id=0, hash=0)
    client = FakeClient(errors.FloodWaitError(request=req, capture=30),
                        errors.UsernameNotOccupiedError(request=req),
                        errors.ChannelPrivateError(request=req))
    source = TelethonSource(client)  # type: ignore[arg-type]
    with pytest.raises(FloodWait) as flood:
        await source.get_history(KEY, 50)
    assert flood.value.seconds == 30
    with pytest.raises(ChannelUnavailable, match="not taken"):
        await source.resolve("ghost_name")
    with pytest.raises(ChannelUnavailable, match="private"):
        await source.get_info(KEY)


async def test_each_telegram_error_maps_to_one_class() -> None:
    req = functions.messages.GetHistoryRequest(peer=types.InputPeerEmpty(), offset_id=0, offset_date=None,
                                               add_offset=0, limit=1, max_id=0, min_id=0, hash=0)
    client = FakeClient(errors.HistoryGetFailedError(request=req),
                        asyncio.IncompleteReadError(b"", 8),  # the connection closed under the request
                        errors.AuthKeyUnregisteredError(request=req),
                        errors.AuthKeyDuplicatedError(request=req),
                        errors.UserDeactivatedBanError(request=req),
                        ValueError("something else entirely"))
    source = TelethonSource(client)  # type: ignore[arg-type]
    with pytest.raises(SourceDisconnected, match="passing problem"):  # transient
        await source.get_history(KEY, 50)
    with pytest.raises(SourceDisconnected, match="dropped"):  # transient
        await source.get_history(KEY, 50)
    with pytest.raises(AccountFatal, match=r"signed this session out \(AUTH_KEY_UNREGISTERED\).*login"):
        await source.get_history(KEY, 50)
    with pytest.raises(AccountFatal, match="two clients at once") as twice:
        await source.get_history(KEY, 50)
    assert twice.value.kind == "AUTH_KEY_DUPLICATED"
    with pytest.raises(AccountFatal, match="banned this account"):
        await source.get_history(KEY, 50)
    with pytest.raises(ValueError, match="something else"):  # unexpected: not ours to hide
        await source.get_history(KEY, 50)


async def test_resolving_a_person_or_a_forbidden_channel_is_refused() -> None:
    forbidden = types.ChannelForbidden(id=99, access_hash=1, title="Banned here", broadcast=True)
    client = FakeClient(types.contacts.ResolvedPeer(peer=types.PeerUser(user_id=7), chats=[], users=[]),
                        types.contacts.ResolvedPeer(peer=PEER, chats=[forbidden], users=[]))
    source = TelethonSource(client)  # type: ignore[arg-type]
    with pytest.raises(ChannelUnavailable, match="not a channel"):
        await source.resolve("somebody")
    with pytest.raises(ChannelUnavailable, match="not available to this account") as banned:
        await source.resolve("banned_here")
    assert banned.value.kind == BANNED


async def test_an_unauthorized_session_says_to_run_login_or_what_telegram_did() -> None:
    who = functions.users.GetUsersRequest([types.InputUserSelf()])
    signed_out = FakeClient(errors.AuthKeyUnregisteredError(request=who), authorized=False)
    with pytest.raises(NotAuthorized, match=r"not signed in: run `python main.py login` first"):
        await ensure_authorized(signed_out)  # type: ignore[arg-type]
    banned = FakeClient(errors.UserDeactivatedBanError(request=who), authorized=False)
    with pytest.raises(AccountFatal, match="banned this account") as fatal:
        await ensure_authorized(banned)  # type: ignore[arg-type]
    assert fatal.value.kind == "USER_DEACTIVATED_BAN"
    assert await ensure_authorized(FakeClient()) == 5150  # type: ignore[arg-type]


def test_build_client_leaves_every_repeat_to_the_gate() -> None:
    saved = StringSession()
    saved.set_dc(2, "149.154.167.51", 443)
    saved.auth_key = AuthKey(b"\x01" * 256)
    settings = load_settings(None, telegram_api_id=1, telegram_api_hash="abc",
                             telegram_session_string=saved.save(), mtproto_sleep_threshold=2.5)
    client = build_client(settings, GATE)
    assert client.flood_sleep_threshold == 2.5
    assert client._no_updates is True
    assert client._request_retries == 0  # one attempt per call: repeats go through the gate
    assert client._sender._auto_reconnect is False  # no re-sent pending requests after a drop
    assert client._raise_last_call_error is True
    assert isinstance(client.session, StringSession)
    key = client.session_key()  # fits the ledger's signed 64-bit column
    assert key is not None and -(2**63) <= key < 2**63 and key % 2**64 == AuthKey(b"\x01" * 256).key_id


def test_a_mangled_session_string_is_one_line_naming_what_to_do() -> None:
    settings = load_settings(None, telegram_api_id=1, telegram_api_hash="abc",
                             telegram_session_string="garbageSECRET")
    with pytest.raises(NotAuthorized, match="not a Telethon session string") as info:
        build_client(settings, GATE)
    assert "garbageSECRET" not in str(info.value)


def _service(i: int) -> types.MessageService:
    return types.MessageService(id=i, peer_id=PEER, date=DATE, action=types.MessageActionPinMessage())


async def test_where_history_begins_is_judged_from_telegrams_raw_answer() -> None:
    client = FakeClient(
        _messages(_service(9), _service(8), _service(7)),  # a full page with no post in it
        _messages(_msg(3, 5), _msg(2, 5)),  # shorter than asked, but message 1 is not in it
        _messages(_msg(2, 5), _service(1)),  # message 1: the channel's first
        _messages(),  # nothing older at all
    )
    source = TelethonSource(client)  # type: ignore[arg-type]
    services = await source.get_history(KEY, 3, older_than=10)
    assert (list(services), services.returned, services.oldest_id, services.at_start) == ([], 3, 7, False)
    short = await source.get_history(KEY, 3, older_than=4)
    assert (short.returned, short.oldest_id, short.at_start) == (2, 2, False)
    first = await source.get_history(KEY, 3, older_than=3)
    assert [p.message_id for p in first] == [2] and first.at_start
    empty = await source.get_history(KEY, 3, older_than=2)
    assert (len(empty), empty.oldest_id, empty.at_start) == (0, None, True)


def _full(chat: types.Channel) -> types.messages.ChatFull:
    full = types.ChannelFull(
        id=chat.id, about="", read_inbox_max_id=0, read_outbox_max_id=0, unread_count=0,
        chat_photo=types.PhotoEmpty(id=0), notify_settings=types.PeerNotifySettings(), bot_info=[], pts=1,
        participants_count=1200,
    )
    return types.messages.ChatFull(full_chat=full, chats=[chat], users=[])


async def test_info_names_the_username_a_rename_is_judged_by() -> None:
    def chat(**names: Any) -> types.Channel:
        return types.Channel(id=99, title="Pulse", photo=types.ChatPhotoEmpty(), date=DATE, **names)

    collectible = [types.Username("pulse_daily", active=True), types.Username("pulse_old", active=False),
                   types.Username("pulse_extra", active=True)]
    client = FakeClient(_full(chat(username="pulse_daily")), _full(chat(usernames=collectible)),
                        _full(chat()))
    source = TelethonSource(client)  # type: ignore[arg-type]
    plain = await source.get_info(KEY)
    assert (plain.username, plain.aliases, plain.subscribers) == ("pulse_daily", (), 1200)
    many = await source.get_info(KEY)  # only collectible usernames: the first active one is its name
    assert (many.username, many.aliases) == ("pulse_daily", ("pulse_extra",))
    unnamed = await source.get_info(KEY)  # no public username at all
    assert (unnamed.username, unnamed.aliases) == (None, ())
