"""A raw WebSocket client on asyncio streams, for what a well-behaved client library
will not send: invalid UTF-8, unmasked or fragmented frames, oversized frames, header
floods; and for a client that never reads."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([bit | length])
    elif length < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if length < 65536 else _xor(payload, key)
    return head + key + masked


def _xor(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


class RawWS:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, head: bytes):
        self.reader, self.writer, self.status, self.head = reader, writer, status, head

    @classmethod
    async def open(cls, port: int, path: str = "/ws", *, headers: list[tuple[str, str]] = (),
                   rcvbuf: int | None = None, raw_request: bytes | None = None,
                   timeout: float = 10, source: str | None = None) -> "RawWS":
        """``source``: the local address to connect from (any of 127.0.0.0/8 on Linux),
        to look like another device to the per-address limits."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source:
            sock.bind((source, 0))
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        if raw_request is None:
            key = base64.b64encode(os.urandom(16)).decode()
            lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                     "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
            lines += [f"{k}: {v}" for k, v in headers]
            raw_request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        writer.write(raw_request)
        await writer.drain()
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError) as exc:
            head = getattr(exc, "partial", b"")  # no answer (yet): status 0
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
        return cls(reader, writer, status, head)

    async def send_frame(self, opcode: int, payload: bytes, **kw) -> None:
        self.writer.write(encode_frame(opcode, payload, **kw))
        await self.writer.drain()

    async def send_json(self, frame: dict) -> None:
        await self.send_frame(TEXT, json.dumps(frame).encode())

    async def recv_frame(self, timeout: float = 10.0) -> tuple[int, bytes]:
        """The next frame from the server (unmasked, unfragmented, as servers send)."""
        async def read():
            b1, b2 = await self.reader.readexactly(2)
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            return b1 & 0x0F, await self.reader.readexactly(length)
        return await asyncio.wait_for(read(), timeout)

    async def recv_json(self, timeout: float = 10.0) -> dict:
        while True:
            opcode, payload = await self.recv_frame(timeout)
            if opcode == TEXT:
                return json.loads(payload)
            if opcode == CLOSE:
                raise ConnectionClosedRaw(close_code(payload))

    async def close_code(self, timeout: float = 10.0) -> int | None:
        """Read until the server's close frame (its code) or EOF (None)."""
        try:
            while True:
                opcode, payload = await self.recv_frame(timeout)
                if opcode == CLOSE:
                    return close_code(payload)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    def abort(self) -> None:
        self.writer.transport.abort()


class ConnectionClosedRaw(Exception):
    def __init__(self, code):
        self.code = code
        super().__init__(f"closed with {code}")


def close_code(payload: bytes) -> int | None:
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
