"""Paper cards (``assist``): the facilitator enters a contribution for someone without a
phone, over a real facilitator channel on loopback, against a real host and its files."""

from __future__ import annotations

import asyncio
import json

from facilitation_kit.core.roles import NO_ROLE
from facilitation_kit.core.state import contribution_key
from facilitation_kit.report.export import to_csv
from facilitation_kit.testing import agenda_toml, start_test_host

AGENDA = agenda_toml([{"id": "q1", "plugin": "open_question", "prompt": "What matters?", "max_length": 50},
                      {"id": "values", "plugin": "value_mapping", "prompt": "What does the service count?"}],
                     roles=["Service user", "Front-line professional", "Manager"])


async def test_a_paper_card_is_stored_like_a_phones_submission(workshop_host):
    host = await workshop_host(AGENDA)
    f = host.facilitator
    await host.open()
    phone = await host.phone(role="Manager")
    mine = await phone.submit({"answer": "From a phone"})

    ok = await f.send_command("assist", activity="q1", role="Service user", name="Card A",
                              data={"answer": "  From a paper card  "})
    assert ok["type"] == "ok", ok
    person, card = ok["participant"], ok["contribution"]
    assert person["role"] == "Service user" and person["name"] == "Card A" and person["assisted"] is True
    assert card["participant"] == person["id"] and card["activity"] == "q1"
    assert card["data"] == {"answer": "From a paper card"}  # the form's own cleaning
    # the same events a phone's submission causes, the participant row first, no token anywhere
    ops = [e for e in f.events if e["type"] == "ops"]
    rows = [op for e in ops for op in e["ops"] if op[1] == "participants" and op[2] == person["id"]]
    assert rows and "token_hash" not in rows[0][3] and rows[0][3]["assisted"] is True
    profile = next(e for e in f.events if e["type"] == "profile")
    assert profile["participant"]["id"] == person["id"]
    contribution = next(e for e in f.events if e["type"] == "contribution" and e["contribution"]["id"] == card["id"])
    assert contribution["role"] == "Service user"
    kinds = [e["type"] for e in f.events]
    assert kinds.index("profile") < kinds.index("contribution", kinds.index("profile"))
    # counted like anyone else; no connection, no token
    stored = host.workshop.tables["participants"][person["id"]]
    assert "token_hash" not in stored and not host.workshop.is_connected(person["id"])
    assert [c["role"] for c in host.workshop.contributions("q1")] == ["Manager", "Service user"]
    # a second card from the same person, another role given on the card
    again = await f.send_command("assist", activity="q1", role=NO_ROLE, participant=person["id"],
                                 data={"answer": "Second card"})
    assert again["type"] == "ok", again
    assert again["participant"]["id"] == person["id"] and again["participant"]["role"] is None
    assert again["participant"]["name"] == "Card A"  # kept when not given
    assert len([p for p in host.workshop.participants() if p.get("assisted")]) == 1
    assert host.workshop.contributions("q1")[-1]["role"] is None

    export = host.export()
    assisted = [p for p in export["participants"] if p.get("assisted")]
    assert [p["id"] for p in assisted] == [person["id"]]
    cards = [c for c in export["contributions"] if c.get("assisted")]
    assert [c["data"]["answer"] for c in cards] == ["From a paper card", "Second card"]
    assert not any(c.get("assisted") for c in export["contributions"] if c["participant"] == phone.id)
    # the report counts them like anyone else, says how many took part on paper, never a label
    report = host.report("md")
    assert "2 people took part." in report and "1 of them took part on paper cards" in report
    assert "Card A" not in report
    rows = to_csv(export).splitlines()
    header = rows[0].split(",")
    assert "assisted" in header
    flags = {r.split(",")[header.index("contribution")]: r.split(",")[header.index("assisted")] for r in rows[1:]}
    assert flags[card["id"]] == "yes" and flags[mine["id"]] == ""


async def test_paper_card_errors_are_protocol_errors_and_store_nothing(workshop_host):
    host = await workshop_host(AGENDA)
    f = host.facilitator
    before = len(host.workshop.tables["participants"])

    closed = await f.send_command("assist", activity="q1", role=None, data={"answer": "x"})
    assert closed["type"] == "error" and closed["code"] == "activity_closed"
    await host.open()
    wrong = await f.send_command("assist", activity="values", role=None, data={"text": "x"})
    assert wrong["code"] == "wrong_activity"
    too_long = await f.send_command("assist", activity="q1", role=None, data={"answer": "x" * 51})
    assert too_long["code"] == "invalid" and "answer" in too_long["fields"]
    unknown_key = await f.send_command("assist", activity="q1", role=None, data={"answer": "x", "evil": 1})
    assert unknown_key["code"] == "invalid" and "evil" in unknown_key["fields"]
    role = await f.send_command("assist", activity="q1", role="Boss", data={"answer": "x"})
    assert role["code"] == "invalid" and "role" in role["fields"]
    assert (await f.send_command("assist", activity="q1", role=None, data="x"))["code"] == "bad_message"
    assert (await f.send_command("assist", activity="q1", data={"answer": "x"}))["code"] == "bad_message"
    nobody = await f.send_command("assist", activity="q1", role=None, participant="p-nope", data={"answer": "x"})
    assert nobody["code"] == "not_found"
    phone = await host.phone(role="Manager")
    has_phone = await f.send_command("assist", activity="q1", role=None, participant=phone.id,
                                     data={"answer": "x"})
    assert has_phone["code"] == "not_assisted"
    # a card that fails leaves no participant behind
    assert len(host.workshop.tables["participants"]) == before + 1  # the phone only
    assert host.workshop.contributions("q1") == []


async def test_paper_cards_follow_moderation_consent_and_erasure(workshop_host, tmp_path):
    agenda = AGENDA + "\n[consent]\nrequired = true\n"
    host = await workshop_host(agenda)
    f = host.facilitator
    await host.open()
    assert (await f.send_command("moderate", activity="q1", moderated=True))["type"] == "ok"
    # the person gave consent on paper: no consent on a phone is asked of them
    ok = await f.send_command("assist", activity="q1", role="Manager", data={"answer": "Held card"})
    assert ok["type"] == "ok", ok
    pid, cid = ok["participant"]["id"], ok["contribution"]["id"]
    assert ok["contribution"]["hidden"] is True and host.workshop.is_held(pid, cid)
    assert host.workshop.contributions("q1") == []  # not shown until approved
    assert (await f.send_command("unhide", participant=pid, contribution=cid))["type"] == "ok"
    assert [c["data"]["answer"] for c in host.workshop.contributions("q1")] == ["Held card"]
    assert host.workshop.tables["participants"][pid].get("consented_at") is None  # never "on their phone"
    phone = await host.phone(role="Manager")  # a phone still has to agree first
    assert (await phone.submit({"answer": "no consent yet"}))["code"] == "consent_required"

    erased = await f.send_command("erase", participant=pid)
    assert erased["type"] == "ok" and erased["erased"] == 1
    assert [p["id"] for p in host.export()["participants"]] == [phone.id] and host.export()["contributions"] == []
    after = await f.send_command("assist", activity="q1", role=None, participant=pid, data={"answer": "x"})
    assert after["code"] == "not_found"
    # the kit's own files no longer hold the card (the compaction after an erase)
    for _ in range(100):
        if not any("Held card" in text for text in _texts(tmp_path / "data")):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the erased card is still in the data dir")


def _texts(folder):
    """The text of every file in ``folder`` now; a file the store renames or removes while
    we look (a journal being rotated) is skipped: it is looked at again next time."""
    for path in folder.rglob("*"):
        try:
            yield path.read_text(errors="replace")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue


async def test_an_assisted_participant_comes_back_after_resume(tmp_path):
    data_dir = tmp_path / "data"
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    async with start_test_host(agenda, data_dir=data_dir) as host:
        await host.open()
        ok = await host.facilitator.send_command("assist", activity="q1", role="Service user",
                                                 data={"answer": "Kept across a resume"})
        pid = ok["participant"]["id"]
        session_id = host.workshop.session_id
    async with start_test_host(agenda, data_dir=data_dir, resume=session_id) as host:
        doc = host.workshop.tables["participants"][pid]
        assert doc["assisted"] is True and doc["role"] == "Service user"
        key = contribution_key(pid, ok["contribution"]["id"])
        assert host.workshop.tables["contributions"][key]["assisted"] is True
        again = await host.facilitator.send_command("assist", activity="q1", role="Service user", participant=pid,
                                                    data={"answer": "One more"})
        assert again["type"] == "ok", again
        assert json.dumps(host.export()).count('"assisted": true') == 3  # the person and two cards
