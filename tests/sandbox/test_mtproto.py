"""The real TelegramClient against the TL-level test Telegram: what goes over the wire, and back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from datetime import datetime

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions, types

from clock import VirtualClock
from collector.source import ChannelKey, SourcePost
from collector.telethon_map import map_message
from sandbox.mtproto import FakeTelegram, WireCall, method_name
from sandbox.telegram import ACCOUNT_ID, PRIVATE_CHANNEL, USER_NAME, SandboxTelegram
from tests.collector.tl_fake import API_HASH, API_ID, input_channel, input_peer, running_client, settle

LOGIN = ["help.GetConfig", "users.GetUsers", "updates.GetState", "updates.GetDifference"]


@pytest.fixture
def clock(now: datetime) -> VirtualClock:
    return VirtualClock(now)


@pytest.fixture
def fake(clock: VirtualClock) -> FakeTelegram:
    return FakeTelegram(clock)


def methods(wire: list[WireCall]) -> list[tuple[str, str]]:
    return [(c.method, c.answer) for c in wire]


def history(key: ChannelKey, *, limit: int, offset_id: int = 0, add_offset: int = 0, max_id: int = 0,
            min_id: int = 0) -> functions.messages.GetHistoryRequest:
    return functions.messages.GetHistoryRequest(
        peer=input_peer(key), offset_id=offset_id, offset_date=None, add_offset=add_offset,
        limit=limit, max_id=max_id, min_id=min_id, hash=0,
    )


async def resolve_key(client: TelegramClient, username: str) -> ChannelKey:
    found = await client(functions.contacts.ResolveUsernameRequest(username=username))
    return ChannelKey(found.chats[0].id, found.chats[0].access_hash)


async def test_connect_logs_in_over_the_wire_without_a_socket(
    fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the test Telegram must never open a socket")

    monkeypatch.setattr(asyncio, "open_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    async with running_client(fake) as client:
        # connect() sends InitConnection(GetConfig) and, as the session holds no update state
        # yet, logs in: GetUsers(self), then GetState and GetDifference.
        assert methods(fake.wire) == [(m, "ok") for m in LOGIN]
        init = fake.wire[0].request
        assert isinstance(init, functions.help.GetConfigRequest)  # wrappers unwrapped
        assert await client.is_user_authorized()
        me = await client.get_me()
        assert (me.id, me.is_self, me.first_name) == (ACCOUNT_ID, True, "Collector")
        pong = await client(functions.PingRequest(ping_id=7))
        assert pong.ping_id == 7
    # is_user_authorized() was answered from connect()'s login; pings are not RPCs in the log.
    assert [c.method for c in fake.wire] == [*LOGIN, "users.GetUsers"]


def test_method_names_are_the_innermost_request() -> None:
    inner = functions.channels.GetFullChannelRequest(channel=types.InputChannel(1, 2))
    wrapped = functions.InvokeWithLayerRequest(layer=1, query=functions.InvokeWithoutUpdatesRequest(inner))
    assert method_name(inner) == method_name(wrapped) == "channels.GetFullChannel"
    assert method_name(functions.PingRequest(ping_id=1)) == "Ping"


def as_sent(post: SourcePost) -> SourcePost:
    # Telegram dates are whole seconds; the sandbox's edit times are not.
    return dataclasses.replace(post, edit_date=post.edit_date and post.edit_date.replace(microsecond=0))


async def test_posts_read_through_the_wire_map_to_the_worlds_posts(fake: FakeTelegram) -> None:
    world = fake.world
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_news")
        assert key == (await world.resolve("pulse_news")).key
        full = await client(functions.channels.GetFullChannelRequest(channel=input_channel(key)))
        page = await client(history(key, limit=100))
    info = await world.get_info(key)
    assert full.full_chat.participants_count == info.subscribers > 0
    assert [u.username for u in full.chats[0].usernames] == ["pulse_news", "pulsenews"]

    assert isinstance(page, types.messages.ChannelMessages) and len(page.messages) == 100
    ids = [m.id for m in page.messages]
    assert ids == sorted(ids, reverse=True) and page.count > 100
    posts = [m for m in page.messages if isinstance(m, types.Message)]
    service = [m for m in page.messages if isinstance(m, types.MessageService)]
    assert service and len(posts) + len(service) == 100
    expected = await world.get_messages(key, [m.id for m in posts])
    mapped = [map_message(m) for m in posts]
    assert mapped == [as_sent(p) for p in expected if p is not None]
    # The sample covers every field the world fills in, so a builder that dropped one would fail.
    assert {p.media_kind for p in mapped if p} == {"photo", "video", "webpage", None}
    for field in ("edit_date", "grouped_id", "forward_from", "post_author", "paid_reactions"):
        assert any(getattr(p, field) for p in mapped if p), field
    assert any("custom:5368324170671202286" in (p.reactions_json or {}) for p in mapped if p)
    assert methods(fake.wire)[len(LOGIN):] == [
        ("contacts.ResolveUsername", "ok"), ("channels.GetFullChannel", "ok"), ("messages.GetHistory", "ok"),
    ]


async def test_rereads_answer_message_empty_for_deleted_and_unknown_ids(fake: FakeTelegram) -> None:
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_news")
        page = await client(history(key, limit=100))
        present = {m.id for m in page.messages}
        deleted = next(i for i in range(min(present), max(present)) if i not in present)
        newest = max(present)
        reread = await client(functions.channels.GetMessagesRequest(
            channel=input_channel(key), id=[types.InputMessageID(i) for i in (deleted, newest, newest + 5)],
        ))
        # 100 ids make a request big enough for Telethon to send it gzip_packed.
        again = await client(functions.channels.GetMessagesRequest(
            channel=input_channel(key), id=[types.InputMessageID(m.id) for m in page.messages],
        ))
    assert [type(m).__name__ for m in reread.messages] == ["MessageEmpty", "Message", "MessageEmpty"]
    assert [m.id for m in reread.messages] == [deleted, newest, newest + 5]
    assert [(type(m), m.id) for m in again.messages] == [(type(m), m.id) for m in page.messages]


async def test_history_paging_counts_service_messages(fake: FakeTelegram) -> None:
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_tech")
        newest = await client(history(key, limit=100))
        present = sorted(m.id for m in newest.messages)  # oldest first
        pin = min(m.id for m in newest.messages if isinstance(m, types.MessageService))
        # The oldest 10 messages from the pin on: offset_id=X+1, add_offset=-limit, min_id=0.
        upward = await client(history(key, offset_id=pin, add_offset=-10, limit=10))
        # The newest 20 messages, of which only those above X count.
        above = await client(history(key, limit=20, min_id=present[-8]))
        below = await client(history(key, offset_id=present[-1], limit=5, max_id=present[-3]))
    window = [m for m in newest.messages if m.id >= pin][-10:]  # newest first, as Telegram sends
    assert [m.id for m in upward.messages] == [m.id for m in window]
    # Service messages take places among the ten: a full page with fewer than ten posts.
    assert len(upward.messages) == 10 and upward.messages[-1].id == pin
    assert isinstance(upward.messages[-1], types.MessageService)
    assert sum(isinstance(m, types.Message) for m in upward.messages) < 10
    assert [m.id for m in above.messages] == present[:-8:-1]
    assert [m.id for m in below.messages] == present[-4:-7:-1]  # slice of 5 below the newest, then < max_id
    assert upward.count == newest.count == above.count  # every message in the channel, not the page


async def test_channel_errors_raise_telethons_classes(fake: FakeTelegram) -> None:
    fake.ban("pulse_tech")
    async with running_client(fake) as client:
        with pytest.raises(errors.UsernameNotOccupiedError):
            await client(functions.contacts.ResolveUsernameRequest(username="no_such_channel"))
        with pytest.raises(errors.UsernameInvalidError):
            await client(functions.contacts.ResolveUsernameRequest(username="1_bad"))
        person = await client(functions.contacts.ResolveUsernameRequest(username=USER_NAME))
        assert isinstance(person.peer, types.PeerUser) and person.users[0].username == USER_NAME
        private = await resolve_key(client, PRIVATE_CHANNEL)  # it resolves, as in the world
        with pytest.raises(errors.ChannelPrivateError):
            await client(history(private, limit=10))
        banned = await client(functions.contacts.ResolveUsernameRequest(username="pulse_tech"))
        assert isinstance(banned.chats[0], types.ChannelForbidden)
        tech = ChannelKey(banned.chats[0].id, banned.chats[0].access_hash)
        with pytest.raises(errors.ChannelPrivateError):
            await client(functions.channels.GetFullChannelRequest(channel=input_channel(tech)))
        news = await resolve_key(client, "pulse_news")
        with pytest.raises(errors.ChannelInvalidError):
            await client(history(ChannelKey(news.tg_id, news.access_hash + 1), limit=1))
        with pytest.raises(errors.BadRequestError, match="METHOD_NOT_SUPPORTED_BY_FAKE"):
            await client(functions.messages.GetDialogFiltersRequest())
    assert [c.answer for c in fake.wire[len(LOGIN):]] == [
        "USERNAME_NOT_OCCUPIED", "USERNAME_INVALID", "ok", "ok", "CHANNEL_PRIVATE", "ok",
        "CHANNEL_PRIVATE", "ok", "CHANNEL_INVALID", "METHOD_NOT_SUPPORTED_BY_FAKE",
    ]


@pytest.mark.parametrize(
    ("error", "raised", "code"),
    [
        ("AUTH_KEY_UNREGISTERED", errors.AuthKeyUnregisteredError, 401),
        ("USER_DEACTIVATED_BAN", errors.UserDeactivatedBanError, 401),
        ("SESSION_REVOKED", errors.SessionRevokedError, 401),
        ("AUTH_KEY_DUPLICATED", errors.AuthKeyDuplicatedError, 406),
        ("CHANNEL_PRIVATE", errors.ChannelPrivateError, 400),
    ],
)
async def test_injected_errors_carry_telegrams_codes(
    fake: FakeTelegram, error: str, raised: type[errors.RPCError], code: int,
) -> None:
    fake.inject("channels.GetFullChannel", error)
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_markets")
        with pytest.raises(raised) as caught:
            await client(functions.channels.GetFullChannelRequest(channel=input_channel(key)))
        await client(functions.channels.GetFullChannelRequest(channel=input_channel(key)))  # once only
    assert caught.value.code == code
    assert [c.answer for c in fake.calls("channels.GetFullChannel")] == [error, "ok"]


async def test_signed_out_session_connects_but_is_not_authorized(fake: FakeTelegram) -> None:
    fake.sign_out()
    async with running_client(fake) as client:
        assert not await client.is_user_authorized()
        assert await client.get_me() is None  # Telethon turns 401 into None here
        with pytest.raises(errors.AuthKeyUnregisteredError):
            await client(functions.contacts.ResolveUsernameRequest(username="pulse_news"))
    assert methods(fake.wire) == [
        ("help.GetConfig", "ok"), ("users.GetUsers", "AUTH_KEY_UNREGISTERED"),
        ("updates.GetState", "AUTH_KEY_UNREGISTERED"), ("users.GetUsers", "AUTH_KEY_UNREGISTERED"),
        ("contacts.ResolveUsername", "AUTH_KEY_UNREGISTERED"),
    ]


@pytest.mark.parametrize("receive_updates", [False, True])
async def test_flood_wait_above_the_threshold_raises(fake: FakeTelegram, receive_updates: bool) -> None:
    fake.inject("contacts.ResolveUsername", "FLOOD_WAIT_60")
    async with running_client(fake, flood_sleep_threshold=10, receive_updates=receive_updates) as client:
        with pytest.raises(errors.FloodWaitError) as caught:
            await client(functions.contacts.ResolveUsernameRequest(username="pulse_news"))
        assert caught.value.seconds == 60
        # Telethon remembers the wait (on its own wall clock) keyed by the request type it sent:
        # with receive_updates=True the next ResolveUsername is refused without being sent. With
        # receive_updates=False it sent InvokeWithoutUpdates(...), checks the inner type, never
        # finds it, and sends the next one to Telegram.
        try:
            await client(functions.contacts.ResolveUsernameRequest(username="pulse_tech"))
        except errors.FloodWaitError as again:
            # What is left of the 60 s (Telethon counts it down on its wall clock): never more.
            assert receive_updates and 0 < again.seconds <= 60
        else:
            assert not receive_updates
    resolves = [c.answer for c in fake.calls("contacts.ResolveUsername")]
    assert resolves == (["FLOOD_WAIT_60"] if receive_updates else ["FLOOD_WAIT_60", "ok"])


async def test_flood_wait_below_the_threshold_is_slept_through_and_repeated(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="telethon.client.users")
    fake.inject("messages.GetHistory", "FLOOD_WAIT_1")  # 1 s: Telethon's sleep is real time
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_news")
        page = await client(history(key, limit=5))
    assert len(page.messages) == 5
    calls = fake.calls("messages.GetHistory")
    assert [c.answer for c in calls] == ["FLOOD_WAIT_1", "ok"]
    assert calls[0].at == calls[1].at  # Telethon slept on asyncio, never on our clock
    assert any("Sleeping for 1s" in r.getMessage() and "flood wait" in r.getMessage() for r in caplog.records)


async def test_request_retries_0_makes_one_try_after_which_it_sleeps_anyway(clock: VirtualClock) -> None:
    async def one_try(raise_last_call_error: bool) -> tuple[list[object], list[tuple[str, str]]]:
        fake = FakeTelegram(clock)
        fake.inject("contacts.ResolveUsername", "FLOOD_WAIT_1")  # below the threshold: 1 s sleep
        fake.inject("messages.GetHistory", "HISTORY_GET_FAILED")  # a 500: a 2 s sleep
        key = (await fake.world.resolve("pulse_news")).key
        async with running_client(fake, request_retries=0, raise_last_call_error=raise_last_call_error,
                                  ) as client:
            failures = await asyncio.gather(
                client(functions.contacts.ResolveUsernameRequest(username="pulse_news")),
                client(history(key, limit=5)), return_exceptions=True,
            )
        return failures, sorted(methods(fake.wire)[len(LOGIN):])

    # Both variants at once: Telethon's sleeps are real seconds.
    (plain, plain_wire), (raising, raising_wire) = await asyncio.gather(one_try(False), one_try(True))
    # One try each; Telethon still sleeps off the short flood wait and the 500, then makes no
    # second try: the caller gets ValueError, or with raise_last_call_error the RPC error itself.
    for failure in plain:
        assert isinstance(failure, ValueError) and "Request was unsuccessful 1 time(s)" in str(failure)
    assert isinstance(raising[0], errors.FloodWaitError) and raising[0].seconds == 1
    assert isinstance(raising[1], errors.HistoryGetFailedError) and raising[1].code == 500
    assert plain_wire == raising_wire == [
        ("contacts.ResolveUsername", "FLOOD_WAIT_1"), ("messages.GetHistory", "HISTORY_GET_FAILED"),
    ]


async def test_dropped_connection_without_auto_reconnect_fails_the_call(fake: FakeTelegram) -> None:
    fake.drop("messages.GetHistory")
    async with running_client(fake, auto_reconnect=False) as client:
        key = await resolve_key(client, "pulse_news")
        # Telethon hands the caller the transport's own error, not a ConnectionError.
        with pytest.raises(asyncio.IncompleteReadError):
            await client(history(key, limit=5))
        assert not client.is_connected()
        await client.connect()
        assert len((await client(history(key, limit=5))).messages) == 5
    assert methods(fake.wire)[len(LOGIN):] == [
        ("contacts.ResolveUsername", "ok"), ("messages.GetHistory", "dropped"),
        ("help.GetConfig", "ok"),  # connect() again: InitConnection only, the login state is kept
        ("messages.GetHistory", "ok"),
    ]


async def test_auto_reconnect_resends_the_pending_request_every_time(fake: FakeTelegram) -> None:
    fake.drop("messages.GetHistory", times=3)
    async with running_client(fake) as client:
        key = await resolve_key(client, "pulse_news")
        page = await client(history(key, limit=5))  # Telethon's defaults: auto_reconnect=True
        assert len(page.messages) == 5 and client.is_connected()
        await settle(lambda: len(fake.calls("users.GetUsers")) == 4)
    # Each reconnect re-sends the pending request by itself, with no InitConnection, as often as
    # the connection drops (request_retries does not count these), then runs get_me().
    assert [c.answer for c in fake.calls("messages.GetHistory")] == ["dropped", "dropped", "dropped", "ok"]
    assert len(fake.calls("help.GetConfig")) == 1


async def test_world_faults_reach_the_client_as_telegram_errors(now: datetime) -> None:
    world = SandboxTelegram(VirtualClock(now))
    fake = FakeTelegram(world.clock, world)
    world.inject_flood_wait("info", 90)
    async with running_client(fake, flood_sleep_threshold=10) as client:
        key = await resolve_key(client, "pulse_news")
        with pytest.raises(errors.FloodWaitError) as caught:
            await client(functions.channels.GetFullChannelRequest(channel=input_channel(key)))
    assert caught.value.seconds == 90
    assert [kind for kind, _ in world.requests] == ["resolve", "info"]


async def test_a_session_with_another_auth_key_is_refused(fake: FakeTelegram) -> None:
    stranger = FakeTelegram(fake.clock, account_id=ACCOUNT_ID + 1).session()  # another auth key
    client = TelegramClient(stranger, API_ID, API_HASH, connection=fake.connection(), receive_updates=False)
    # Telegram answers an unknown key with transport error -404; Telethon gives up on the session.
    with pytest.raises(errors.AuthKeyNotFound):
        await client.connect()
    assert not client.is_connected()
    with pytest.raises(errors.AuthKeyNotFound):
        await client.disconnected  # the client's own record of why it stopped
    assert fake.wire == []
