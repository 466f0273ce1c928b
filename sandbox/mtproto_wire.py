"""The server's half of MTProto 2.0 encryption and framing, for the in-process test Telegram.

The client's half is Telethon's own (telethon/network/mtprotostate.py); this reverses it: packets
from the client are decrypted with x=0 key material, packets to it are encrypted with x=8.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from hashlib import sha256

from telethon.crypto import AES, AuthKey
from telethon.extensions import BinaryReader
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import types
from telethon.tl.core import GzipPacked, MessageContainer, TLMessage

RPC_RESULT = 0xF35C6D01
VECTOR = 0x1CB5C415
BOOL_TRUE, BOOL_FALSE = 0x997275B5, 0xBC799737
RPC_ERROR = struct.pack("<I", types.RpcError.CONSTRUCTOR_ID)
TRANSPORT_AUTH_KEY_NOT_FOUND = struct.pack("<i", -404)  # what Telegram sends for an unknown key


class WireError(Exception):
    """A packet the server cannot accept (unknown auth key, a broken msg_key)."""


@dataclass(frozen=True)
class ClientPacket:
    salt: int
    session_id: int
    messages: tuple[TLMessage, ...]  # containers flattened, gzip_packed bodies unpacked


def decrypt_from_client(auth_key: AuthKey, packet: bytes) -> ClientPacket:
    """key_id + msg_key + AES-IGE(salt, session_id, msg_id, seq_no, length, body, padding)."""
    if len(packet) < 24 or struct.unpack("<Q", packet[:8])[0] != auth_key.key_id:
        raise WireError("unknown auth key")
    msg_key = packet[8:24]
    aes_key, aes_iv = MTProtoState._calc_key(auth_key.key, msg_key, True)
    plain = AES.decrypt_ige(packet[24:], aes_key, aes_iv)
    if sha256(auth_key.key[88:120] + plain).digest()[8:24] != msg_key:
        raise WireError("msg_key does not match the decrypted packet")
    salt, session_id, msg_id, seq_no, length = struct.unpack("<qqqii", plain[:32])
    with BinaryReader(plain[32:32 + length]) as reader:
        obj = reader.tgread_object()
    return ClientPacket(salt, session_id, tuple(_flatten(TLMessage(msg_id, seq_no, obj))))


def _flatten(message: TLMessage) -> list[TLMessage]:
    obj = message.obj
    if isinstance(obj, MessageContainer):
        return [m for inner in obj.messages for m in _flatten(inner)]
    if isinstance(obj, GzipPacked):
        with BinaryReader(obj.data) as reader:
            return _flatten(TLMessage(message.msg_id, message.seq_no, reader.tgread_object()))
    return [message]


def encrypt_to_client(auth_key: AuthKey, salt: int, session_id: int, msg_id: int, seq_no: int,
                      body: bytes) -> bytes:
    data = struct.pack("<qqqii", salt, session_id, msg_id, seq_no, len(body)) + body
    padding = os.urandom(-(len(data) + 12) % 16 + 12)  # 12..27 bytes, whole AES blocks
    msg_key = sha256(auth_key.key[96:128] + data + padding).digest()[8:24]
    aes_key, aes_iv = MTProtoState._calc_key(auth_key.key, msg_key, False)
    return struct.pack("<Q", auth_key.key_id) + msg_key + AES.encrypt_ige(data + padding, aes_key, aes_iv)


def tl_bytes(value: object) -> bytes:
    """A result as Telegram serializes it: a TL object, a Vector of them, or a Bool."""
    if isinstance(value, bool):
        return struct.pack("<I", BOOL_TRUE if value else BOOL_FALSE)
    if isinstance(value, list):
        return struct.pack("<Ii", VECTOR, len(value)) + b"".join(tl_bytes(v) for v in value)
    return bytes(value)  # type: ignore[call-overload]


def rpc_result(req_msg_id: int, body: bytes) -> bytes:
    """rpc_result around a serialized result; like Telegram, large ones travel gzip_packed."""
    if len(body) > 512 and not body.startswith(RPC_ERROR):
        packed = bytes(GzipPacked(body))
        body = packed if len(packed) < len(body) else body
    return struct.pack("<Iq", RPC_RESULT, req_msg_id) + body


def container(messages: list[tuple[int, int, bytes]]) -> bytes:
    """msg_container of (msg_id, seq_no, body)."""
    return struct.pack("<Ii", MessageContainer.CONSTRUCTOR_ID, len(messages)) + b"".join(
        struct.pack("<qii", msg_id, seq_no, len(body)) + body for msg_id, seq_no, body in messages
    )


class MsgIds:
    """Server msg_ids: odd, strictly increasing, 1 mod 4 for answers and 3 mod 4 for the rest.

    They follow the real wall clock, not the test's virtual one: the client drops server messages
    whose msg_id time is more than 30 s ahead of, or 300 s behind, its own time.time().
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self, answer: bool = True) -> int:
        now = time.time()
        msg_id = max((int(now) << 32) | (int(now % 1 * 2**30) << 2), self._last + 4)
        msg_id = (msg_id & ~3) | (1 if answer else 3)
        self._last = msg_id
        return msg_id
