"""kill -9 of the host at random moments under load, then --resume.

Every contribution acked before the kill is stored exactly once with the data that was
acked; phones that resend what they never saw acked (same client id) create no
duplicates; nothing that was never sent appears.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from websockets.exceptions import ConnectionClosed

from facilitation_kit.testing import Facilitator, Phone

from .helpers import Served, stored_contributions, wait_for

PHONES = 6
CYCLES = 3


class Outbox:
    """One phone's memory: its token, everything it sent, what was acked."""

    def __init__(self, index: int):
        self.index = index
        self.token: str | None = None
        self.pid: str | None = None
        self.sent: dict[str, dict] = {}      # client id → data, in sending order
        self.acked: dict[str, dict] = {}     # client id → contribution from the ack
        self.count = 0

    def new(self, cycle: int) -> tuple[str, dict]:
        cid = f"phone{self.index}-c{cycle}-{self.count}"
        self.count += 1
        data = {"answer": f"phone {self.index}, cycle {cycle}, idea {self.count}"}
        self.sent[cid] = data
        return cid, data

    def record(self, frame: dict) -> None:
        assert frame["type"] == "ack", frame
        contribution = frame["contribution"]
        first = self.acked.setdefault(frame["id"], contribution)
        assert first == contribution, "a resend must get the original ack"


async def _join(served: Served, box: Outbox) -> Phone:
    phone = await Phone.connect(served.ws + "/ws", served.info["room"])
    welcome = await phone.hello(role="Service user", token=box.token)
    assert welcome["type"] == "welcome", welcome
    if box.token is None:
        box.token, box.pid = phone.token, phone.id
    assert phone.id == box.pid  # resuming keeps the participant
    return phone


async def _resend_unacked(phone: Phone, box: Outbox) -> None:
    """What a phone's outbox does on reconnect: resend everything not acked, same ids,
    plus a couple of acked ones (a lost ack looks the same to the phone)."""
    again = [cid for cid in box.sent if cid not in box.acked] + list(box.acked)[-2:]
    for cid in again:
        frame = await phone.submit(box.sent[cid], id=cid, activity="ideas")
        box.record(frame)


async def _load(phone: Phone, box: Outbox, cycle: int, rng: random.Random) -> None:
    """Submit new ideas until the connection dies (the host is killed)."""
    try:
        while True:
            cid, data = box.new(cycle)
            frame = await phone.submit(data, id=cid, activity="ideas")
            box.record(frame)
            await asyncio.sleep(rng.uniform(0.02, 0.06))  # a brisk phone, under the rate limit
    except (ConnectionClosed, OSError):
        return


@pytest.mark.slow
async def test_kill_9_at_random_moments_then_resume(tmp_path, agenda_file):
    rng = random.Random(20261129)
    data_dir = tmp_path / "data"
    boxes = [Outbox(i) for i in range(PHONES)]
    served = Served(data_dir, agenda=agenda_file)
    session_id, room = served.session_id, served.info["room"]
    for cycle in range(CYCLES):
        phones = [await _join(served, box) for box in boxes]
        for phone, box in zip(phones, boxes):
            await _resend_unacked(phone, box)
        loads = [asyncio.ensure_future(_load(p, b, cycle, rng)) for p, b in zip(phones, boxes)]
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        served.kill9()  # no shutdown, no final checkpoint; maybe mid-write
        await asyncio.wait_for(asyncio.gather(*loads), 30)
        for phone in phones:
            await phone.close()
        served = Served(data_dir, "--resume", session_id)
        assert served.info["room"] == room
        # every ack given before the kill is there, exactly as acked
        stored = stored_contributions(data_dir, session_id)
        for box in boxes:
            for cid, contribution in box.acked.items():
                assert stored[(box.pid, cid)] == contribution
        # nothing that was never sent appears
        for (pid, cid) in stored:
            box = next(b for b in boxes if b.pid == pid)
            assert cid in box.sent

    # the last reconnect: every outbox drains, then a clean stop
    phones = [await _join(served, box) for box in boxes]
    for phone, box in zip(phones, boxes):
        await _resend_unacked(phone, box)
        await phone.close()
    code, out, err = served.stop()
    assert code == 0, err
    stored = stored_contributions(data_dir, session_id)
    expected = {(box.pid, cid) for box in boxes for cid in box.sent}
    assert set(stored) == expected  # all sent, each once
    assert sum(len(b.acked) for b in boxes) == len(stored)
    texts = [c["data"]["answer"] for c in stored.values()]
    assert len(texts) == len(set(texts))  # no idea stored twice under two ids
    for box in boxes:
        for cid, contribution in box.acked.items():
            assert stored[(box.pid, cid)] == contribution
            assert contribution["data"] == box.sent[cid]
    assert sum(len(b.acked) for b in boxes) > PHONES * CYCLES  # the load was real


async def _load_with_withdrawals(phone: Phone, box: Outbox, withdrawn: set, cycle: int,
                                 rng: random.Random) -> None:
    """Submit, and withdraw every third acked idea: each withdrawal makes the host rotate
    its journal and write a checkpoint on a thread, so kills land in every phase of it."""
    try:
        while True:
            cid, data = box.new(cycle)
            box.record(await phone.submit(data, id=cid, activity="ideas"))
            if box.count % 3 == 0:
                reply = await phone.withdraw(cid)
                assert reply["type"] == "ack" and reply.get("withdrawn"), reply
                withdrawn.add((box.pid, cid))
            await asyncio.sleep(rng.uniform(0.01, 0.04))
    except (ConnectionClosed, OSError):
        return


@pytest.mark.slow
async def test_kill_9_during_journal_rotation_and_checkpoints(tmp_path, agenda_file):
    """Withdrawals under load keep checkpoints running (journal rotated, checkpoint from a
    snapshot, previous journal deleted); kill -9 at random moments, resume: every acked
    idea is there exactly as acked, every acked withdrawal stays withdrawn, and the
    removed text is in no file once the resumed host has compacted."""
    rng = random.Random(20261130)
    data_dir = tmp_path / "data"
    boxes = [Outbox(i) for i in range(4)]
    withdrawn: set = set()
    served = Served(data_dir, "--max-contributions", "100000", agenda=agenda_file)
    session_id = served.session_id
    for cycle in range(4):
        phones = [await _join(served, box) for box in boxes]
        loads = [asyncio.ensure_future(_load_with_withdrawals(p, b, withdrawn, cycle, rng))
                 for p, b in zip(phones, boxes)]
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        served.kill9()
        await asyncio.wait_for(asyncio.gather(*loads), 30)
        for phone in phones:
            await phone.close()
        served = Served(data_dir, "--resume", session_id, "--max-contributions", "100000")
        stored = stored_contributions(data_dir, session_id)
        for box in boxes:
            for cid, contribution in box.acked.items():
                if (box.pid, cid) in withdrawn:
                    assert (box.pid, cid) not in stored
                else:
                    assert stored[(box.pid, cid)] == contribution
    assert len(withdrawn) >= 8  # the rotations were real
    # the resumed host withdraws once more: it compacts, and the removed text is gone
    box = boxes[0]
    phone = await _join(served, box)
    cid, data = box.new(99)
    box.record(await phone.submit(data, id=cid, activity="ideas"))
    await phone.withdraw(cid)
    withdrawn.add((box.pid, cid))
    await phone.close()
    # quoted, as JSON holds it: "idea 3" must not match inside "idea 30"
    gone = [f'"{b.sent[cid]["answer"]}"'.encode() for b in boxes for (pid, cid) in withdrawn if pid == b.pid]
    sessions = data_dir / "sessions"

    def clean() -> bool:
        for p in sessions.iterdir():
            try:
                data = p.read_bytes() if p.is_file() else b""
            except FileNotFoundError:  # a checkpoint's temporary file, renamed meanwhile: look again
                return False
            if any(text in data for text in gone):
                return False
        return True
    try:
        await wait_for(clean, timeout=15)
    except AssertionError:
        found = {(p.name, t) for p in sessions.iterdir() if p.is_file() for t in gone if t in p.read_bytes()}
        raise AssertionError(f"still on disk: {sorted(found)[:5]}") from None
    code, _, err = served.stop()
    assert code == 0, err
    assert clean()
