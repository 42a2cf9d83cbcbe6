"""Consent at join (agenda ``[consent]``), over the real protocol: welcome.session.consent,
``consent`` frames, a watcher who reads but cannot submit, ``consent_required`` before
agreeing, a resumed participant keeps their consent, the export's ``consented_at``."""

from __future__ import annotations

import pytest

from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.testing import Phone

AGENDA = """
title = "Consent"
roles = ["Service user", "Manager"]
{consent}
[[activity]]
id = "q1"
plugin = "open_question"
prompt = "What matters?"
auto_open = true
"""


async def consent(phone: Phone, agree) -> dict:
    await phone.send({"type": "consent", "agree": agree})
    while True:
        frame = await phone.recv()
        if frame["type"] in ("consent", "error"):
            return frame


async def test_consent_required_flow(workshop_host):
    host = await workshop_host(AGENDA.format(consent="[consent]\n"))
    phone = await host.phone(role="Service user", lang="fi")
    session = phone.welcome["session"]
    assert session["consent"]["required"] is True
    assert "Osallistuminen on sinun valintasi" in session["consent"]["text"]   # the kit's default, in Finnish
    assert "consented_at" not in phone.welcome["participant"]
    # a submit before agreeing is refused and nothing is stored
    refused = await phone.submit({"answer": "too early"})
    assert (refused["type"], refused["code"]) == ("error", "consent_required")
    assert host.workshop.contributions("q1") == []
    # "no": a watcher, who still gets the activity but cannot submit
    frame = await consent(phone, False)
    assert frame == {"type": "consent", "agreed": False, "at": None}
    assert (await phone.sync())["activity"]["id"] == "q1"
    assert (await phone.submit({"answer": "watching"}))["code"] == "consent_required"
    # then "yes"
    frame = await consent(phone, True)
    assert frame["agreed"] is True and frame["at"].endswith("Z")
    at = frame["at"]
    ack = await phone.submit({"answer": "Being listened to"})
    assert ack["type"] == "ack"
    # a resumed participant keeps the consent (stored in the participant row)
    again = await Phone.connect(host.ws_url + "/ws", host.host.room)
    host.phones.append(again)
    welcome = await again.hello(token=phone.token)
    assert welcome["participant"]["consented_at"] == at
    assert (await again.submit({"answer": "still fine"}))["type"] == "ack"
    # the JSON export gives each participant consented_at
    exported = host.workshop.export()
    assert [p["consented_at"] for p in exported["participants"]] == [at]


async def test_bad_consent_frames(workshop_host):
    host = await workshop_host(AGENDA.format(consent="[consent]\n"))
    phone = await host.phone()
    bad = await consent(phone, "yes")
    assert (bad["type"], bad["code"]) == ("error", "bad_message")
    assert (await consent(phone, True))["agreed"] is True


async def test_optional_consent_and_none(workshop_host):
    host = await workshop_host(AGENDA.format(consent='[consent]\nrequired = false\ntext = { en = "We keep it for a week.", fi = "Säilytämme viikon." }\n'))
    phone = await host.phone(lang="fi")
    assert phone.welcome["session"]["consent"] == {"text": "Säilytämme viikon.", "required": False}
    assert (await phone.submit({"answer": "no consent needed"}))["type"] == "ack"
    # saying no still makes a watcher
    await consent(phone, False)
    assert (await phone.submit({"answer": "now watching"}))["code"] == "consent_required"


async def test_no_consent_table_is_null(workshop_host):
    host = await workshop_host(AGENDA.format(consent=""))
    phone = await host.phone()
    assert phone.welcome["session"]["consent"] is None
    assert (await consent(phone, True))["code"] == "bad_message"
    assert (await phone.submit({"answer": "fine"}))["type"] == "ack"
    assert host.workshop.export()["participants"][0]["consented_at"] is None


@pytest.mark.parametrize("table, words", [
    ("[consent]\nrequired = \"yes\"\n", "required must be true or false"),
    ("[consent]\nkept = 3\n", "unknown setting 'kept'"),
    ("consent = true\n", "must be a table"),
])
def test_bad_consent_tables(table, words):
    with pytest.raises(AgendaError) as err:
        parse_agenda(AGENDA.format(consent=table), load_plugins(), path="c.toml")
    assert err.value.field == "consent" and words in str(err.value)
