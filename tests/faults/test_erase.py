"""Erase is atomic (issue 11 items 4 and 5): a submission in flight while the facilitator
erases its author does not survive the erase, nor a resume, and the erased phone is told
with its own close code. A real host on loopback with real files."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid

from facilitation_kit.host.server import ERASED_CLOSE
from facilitation_kit.host.store import read_session
from facilitation_kit.testing import Phone, start_test_host
from facilitation_kit_plugins.open_question import OpenQuestion

AGENDA = """\
title = "Erase drill"
roles = ["Service user", "Manager"]

[[activity]]
id = "ideas"
plugin = "slow_question"
title = "Ideas"
prompt = "Tell us"
auto_open = true

[[activity]]
id = "vote"
plugin = "dot_vote"
title = "Vote"
from = "ideas"
auto_open = true
"""


class SlowQuestion(OpenQuestion):
    """An open question whose validate takes a while: a submission stays in flight."""

    name = "slow_question"

    def validate(self, activity, data):
        time.sleep(0.03)
        return None


def everything_of(tables: dict, pid: str) -> list:
    """Every row that names the participant, but the erased marker itself."""
    rows = [c for c in tables["contributions"].values() if c.get("participant") == pid]
    doc = tables["participants"].get(pid)
    if doc is not None and doc != {"id": pid, "erased": True}:
        rows.append(doc)
    return rows


async def test_a_submission_in_flight_does_not_survive_erase_nor_a_resume(tmp_path):
    agenda = tmp_path / "erase.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    data_dir = tmp_path / "data"
    rng = random.Random(11)
    erased: list[str] = []
    async with start_test_host(agenda, data_dir=data_dir, activities=[SlowQuestion()]) as host:
        session_id = host.host.session_id
        keeper = await host.phone(role="Manager")
        assert (await keeper.submit({"answer": "kept idea"}))["type"] == "ack"
        for trial in range(12):
            phone = await host.phone(role="Service user", name=f"Erased {trial}")
            await phone.submit({"answer": f"secret {trial} acked"})
            for n in range(3):  # in flight: sent, not answered yet
                await phone.send({"type": "submit", "id": str(uuid.uuid4()), "activity": "ideas",
                                  "data": {"answer": f"secret {trial} in flight {n}"}})
            await asyncio.sleep(rng.uniform(0, 0.04))
            reply = await host.facilitator.send_command("erase", participant=phone.id)
            assert reply["type"] == "ok", reply
            erased.append(phone.id)
            # the phone is told: its connection closes with the erased code
            await asyncio.wait_for(phone.ws.wait_closed(), 10)
            assert phone.ws.close_code == ERASED_CLOSE
            await asyncio.sleep(0.1)  # what was in flight has settled now
            assert everything_of(host.workshop.tables, phone.id) == []
            # the token is dead: the page's outbox cannot bring anything back
            again = await Phone.connect(host.ws_url + "/ws", host.host.room)
            assert (await again.hello(token=phone.token))["code"] == "bad_token"
            await again.close()
    tables, _ = read_session(data_dir, session_id)
    for pid in erased:
        assert everything_of(tables, pid) == [], pid
    checkpoint = json.dumps(tables, ensure_ascii=False)
    assert "secret" not in checkpoint and "Erased" not in checkpoint

    # resumed: nothing of theirs is in the tables or shown to a phone
    async with start_test_host(agenda, data_dir=data_dir, resume=session_id,
                               activities=[SlowQuestion()]) as host:
        for pid in erased:
            assert everything_of(host.workshop.tables, pid) == []
        await host.goto("vote")
        phone = await host.phone(role="Manager")
        shown = json.dumps(phone.welcome, ensure_ascii=False)
        assert "kept idea" in shown and "secret" not in shown
        assert not any(pid in shown for pid in erased)
