"""Slow readers and half-open connections while broadcasts flow.

A phone that never reads (its receive window fills up) and a phone that vanished
without a FIN (it answers no ping) must not delay anyone else; their buffers stay
bounded because the host drops them after ping_interval + ping_timeout (short here via
Limits, for test speed); the vanished phone comes back with its token as the same
participant with its contributions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid

import pytest

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from facilitation_kit.host.server import Limits
from facilitation_kit.testing import start_test_host

from bad_input.rawws import RawWS

from .helpers import AGENDA, wait_for

CHANGES = 120


class Reading:
    """A client that, like a real phone's page, reads every frame as it arrives."""

    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []
        self.task = asyncio.ensure_future(self._read())
        self.refs = itertools.count(1)

    @classmethod
    async def connect(cls, url: str) -> "Reading":
        return cls(await connect(url, max_size=None))

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                self.frames.append(json.loads(message))
        except ConnectionClosed:
            pass

    async def reply(self, key: str, value) -> dict:
        def found():
            return next((f for f in self.frames if f.get(key) == value
                         and f.get("type") in ("ack", "error", "ok", "welcome")), None)
        await wait_for(lambda: found() is not None, timeout=15)
        return found()

    async def hello(self, room: str, **kw) -> dict:
        await self.ws.send(json.dumps({"type": "hello", "room": room, **kw}))
        await wait_for(lambda: any(f.get("type") in ("welcome", "error") for f in self.frames), 15)
        return next(f for f in self.frames if f.get("type") in ("welcome", "error"))

    async def submit(self, text: str) -> dict:
        cid = str(uuid.uuid4())
        await self.ws.send(json.dumps({"type": "submit", "id": cid, "activity": "ideas",
                                       "data": {"answer": text}}))
        return await self.reply("id", cid)

    async def command(self, kind: str, **fields) -> dict:
        ref = next(self.refs)
        await self.ws.send(json.dumps({"type": kind, "ref": ref, **fields}))
        return await self.reply("ref", ref)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


@pytest.mark.slow
async def test_stuck_and_vanished_phones_are_dropped_others_unaffected(tmp_path):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    limits = Limits(ping_interval=0.3, ping_timeout=0.3)
    async with start_test_host(agenda, data_dir=tmp_path / "data", limits=limits) as host:
        server = host.host.server
        await host.facilitator.close()  # the harness's facilitator reads only when asked
        facilitator = await Reading.connect(host.ws_url + "/ws/facilitator")
        await facilitator.ws.send(json.dumps({"type": "auth", "token": host.host.facilitator_token}))
        await wait_for(lambda: any(f.get("type") == "authed" for f in facilitator.frames))

        # a phone that joins, then never reads again (tiny receive buffer)
        stuck = await RawWS.open(host.host.port, rcvbuf=4096)
        assert stuck.status == 101
        await stuck.send_json({"type": "hello", "room": host.host.room, "role": "Manager"})
        welcome = await stuck.recv_json()
        stuck_id = welcome["participant"]["id"]

        # a phone that vanishes: joined and contributed, then silent (no pongs, no FIN)
        gone = await host.phone(role="Service user")
        ack = await gone.submit({"answer": "said before vanishing"}, activity="ideas")
        assert ack["type"] == "ack"
        gone_token, gone_id = gone.token, gone.id
        gone.ws.transport.pause_reading()

        phones = []
        for _ in range(4):
            phone = await Reading.connect(host.ws_url + "/ws")
            assert (await phone.hello(host.host.room, role="Manager"))["type"] == "welcome"
            phones.append(phone)

        async def keep_submitting(phone: Reading, n: int) -> list[dict]:
            acks = []
            for i in range(n):
                acks.append(await phone.submit(f"idea {i}"))
                await asyncio.sleep(0.05)
            return acks

        async def broadcast_a_lot() -> None:
            for i in range(CHANGES):
                target = "more" if i % 2 == 0 else "ideas"
                reply = await facilitator.command("goto", activity=target)
                assert reply["type"] == "ok"
            await facilitator.command("goto", activity="ideas")

        results = await asyncio.gather(broadcast_a_lot(), *(keep_submitting(p, 10) for p in phones))
        results = results[1:]
        replies = [a for acks in results for a in acks]
        # the activity changes under them: each is acked or refused as wrong_activity
        assert all(a["type"] == "ack" or a.get("code") == "wrong_activity" for a in replies), replies
        acked = sum(1 for a in replies if a["type"] == "ack")
        # every phone that reads saw every activity change, in order
        for phone in phones:
            seen = [f["activity"]["id"] for f in phone.frames if f.get("type") == "activity"]
            assert seen == ["more", "ideas"] * (CHANGES // 2) + ["ideas"]

        # both are dropped by the keepalive; their left events reach the facilitator
        await wait_for(lambda: not server._by_participant.get(stuck_id)
                       and not server._by_participant.get(gone_id), timeout=15)
        await wait_for(lambda: {stuck_id, gone_id} <= {
            f["participant"]["id"] for f in facilitator.frames if f.get("type") == "left"})
        assert len(server.participant_conns) == len(phones)
        assert host.workshop.connected_count() == len(phones)
        # nothing of theirs is buffered any more on the host
        for conn in server.participant_conns:
            assert conn.ws.transport.get_write_buffer_size() < 64 * 1024
        stuck.abort()

        # the vanished phone comes back: same participant, its contribution kept
        back = await host.phone(join=False)
        welcome = await back.hello(token=gone_token)
        assert welcome["type"] == "welcome" and welcome["participant"]["id"] == gone_id
        assert [c["data"]["answer"] for c in welcome["mine"]] == ["said before vanishing"]
        ack = await back.submit({"answer": "back again"}, activity="ideas")
        assert ack["type"] == "ack"
        stored = [c for c in host.workshop.contributions("ideas") if c["participant"] == gone_id]
        assert len(stored) == 2
        assert len(host.workshop.contributions("ideas")) == 2 + acked
        for client in (*phones, facilitator):
            await client.close()
        gone.ws.transport.abort()  # its reading is paused: a polite close would wait 10 s
