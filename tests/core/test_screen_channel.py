"""The room's screen channel and its rules, over real websockets (no browser):
who may connect, what the room may see, the facilitator's commands."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from facilitation_kit.core.screen import contribution_text
from facilitation_kit.report.words import word_counts
from facilitation_kit.testing import agenda_toml
from facilitation_kit_plugins.dot_vote import item_id

VOTE = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "Ideas", "prompt": "What would help?"},
    {"id": "vote", "plugin": "dot_vote", "title": "Vote", "items": ["Time", "Trust", "Money"],
     "dots": 3, "max_per_item": 3},
], roles=["Service user", "Manager"])


def screen_token(host) -> str:
    return host.host.screen_url.split("#token=", 1)[1]


class Screen:
    """A screen client: authenticates and keeps the latest picture."""

    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []

    @classmethod
    async def connect(cls, host, token: str | None = None) -> "Screen":
        ws = await connect(f"{host.ws_url}/ws/screen", max_size=None)
        await ws.send(json.dumps({"type": "auth", "token": token or screen_token(host)}))
        screen = cls(ws)
        await screen.next()
        return screen

    async def next(self, timeout: float = 10) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def until(self, predicate, timeout: float = 10) -> dict:
        if self.frames and predicate(self.frames[-1]):
            return self.frames[-1]
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.next(timeout)
                if predicate(frame):
                    return frame

    @property
    def last(self) -> dict:
        return self.frames[-1]


async def closed_with(ws) -> int:
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(5):
            await asyncio.wait_for(ws.recv(), 10)
    return info.value.rcvd.code if info.value.rcvd else None


async def test_screen_token_opens_only_the_screen_channel(workshop_host):
    host = await workshop_host(VOTE)
    token = screen_token(host)
    assert token and token != host.host.facilitator_token
    # the screen token is no participant token …
    phone = await host.phone(join=False)
    refused = await phone.hello(token=token)
    assert refused["type"] == "error" and refused["code"] == "bad_token"
    # … and no facilitator token
    async with connect(f"{host.ws_url}/ws/facilitator") as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert await closed_with(ws) == 4003
    # the facilitator token does not open the screen channel, nor does a wrong one
    for wrong in (host.host.facilitator_token, token[:-1] + ("A" if token[-1] != "A" else "B"), ""):
        async with connect(f"{host.ws_url}/ws/screen") as ws:
            await ws.send(json.dumps({"type": "auth", "token": wrong}))
            assert await closed_with(ws) == 4003
    screen = await Screen.connect(host)
    assert screen.last["type"] == "screen" and screen.last["view"] == "lobby"
    assert screen.last["strings"]["join_on_phone"]
    assert screen.last["join"]["url"] == host.host.url
    assert screen.last["join"]["qr"].startswith("data:image/svg+xml")
    await screen.ws.send(json.dumps({"type": "submit", "id": "x"}))
    assert (await screen.next())["code"] == "unknown_type"
    await screen.ws.send(json.dumps({"type": "sync"}))
    assert (await screen.next())["type"] == "screen"


async def test_new_screen_token_revokes_the_old_link(workshop_host, tmp_path):
    host = await workshop_host(VOTE)
    old = screen_token(host)
    screen = await Screen.connect(host)
    ok = await host.command("screen_token", action="new")
    assert ok["token"] != old and ok["path"] == f"/screen#token={ok['token']}"
    assert host.host.screen_url.endswith(ok["token"])
    assert await closed_with(screen.ws) == 4003
    async with connect(f"{host.ws_url}/ws/screen") as ws:
        await ws.send(json.dumps({"type": "auth", "token": old}))
        assert await closed_with(ws) == 4003
    assert (await Screen.connect(host, ok["token"])).last["view"] == "lobby"
    assert (await host.command("screen_token"))["token"] == ok["token"]  # get: unchanged
    bad = await host.facilitator.send_command("screen_token", action="burn")
    assert bad["type"] == "error" and bad["code"] == "bad_message"


async def test_silent_vote_held_contributions_and_names(workshop_host):
    host = await workshop_host(VOTE)
    screen = await Screen.connect(host)
    ana = await host.phone(name="Ana Secretname", role="Manager")
    await host.open()
    await screen.until(lambda f: f["view"] == "activity")
    await ana.submit({"answer": "More time to listen"})
    frame = await screen.until(lambda f: f.get("blocks"))
    assert frame["results"] == "shown" and "More time to listen" in json.dumps(frame)
    assert frame["activity"]["answered"] == 1
    # approve before showing: a held answer is counted but never shown until approved
    await host.command("moderate", activity="ideas", moderated=True)
    ack = await ana.submit({"answer": "HELD words wait here"})
    frame = await screen.until(lambda f: f["activity"]["answered"] == 1 and len(f["blocks"]) == 1)
    await asyncio.sleep(0.3)
    assert all("HELD words" not in json.dumps(f) for f in screen.frames)
    await host.command("unhide", participant=ana.id, contribution=ack["id"])
    await screen.until(lambda f: "HELD words" in json.dumps(f))
    # the vote: silent until closed
    await host.command("next")
    await host.open()
    for phone in (ana, await host.phone(role="Service user")):
        await phone.submit({"dots": {item_id("Trust"): 3}})
    frame = await screen.until(lambda f: f["activity"]["id"] == "vote" and f["activity"]["answered"] == 2)
    assert frame["results"] == "hidden" and frame.get("blocks") is None
    assert "Trust" not in json.dumps(frame.get("blocks")) and "6 dots" not in json.dumps(frame)
    await host.command("screen", view="results")
    frame = await screen.until(lambda f: f["view"] == "results")
    assert frame["results"] == "hidden" and not frame.get("blocks")
    await host.close()
    frame = await screen.until(lambda f: f["results"] == "shown")
    assert "Trust: 6 dots" in json.dumps(frame)
    assert all("Secretname" not in json.dumps(f) for f in screen.frames)


async def test_roles_only_when_the_agenda_asks_and_the_group_is_big_enough(workshop_host):
    text = agenda_toml([{"id": "ideas", "plugin": "open_question", "title": "Ideas"}],
                       roles=["Service user", "Manager"], screen_roles=True, min_group=2)
    host = await workshop_host(text)
    screen = await Screen.connect(host)
    a, b = await host.phone(role="Manager"), await host.phone(role="Manager")
    c = await host.phone(role="Service user")
    await host.open()
    for phone, words in ((a, "alpha"), (b, "beta"), (c, "gamma")):
        await phone.submit({"answer": words})
    frame = await screen.until(lambda f: len(f.get("blocks") or []) == 3)
    roles = {blk["text"]: blk["role"] for blk in frame["blocks"]}
    assert roles == {"alpha": "Manager", "beta": "Manager", "gamma": None}  # one service user: no role

    plain = await workshop_host(VOTE)  # without screen_roles: never a role
    screen = await Screen.connect(plain)
    p = await plain.phone(role="Manager")
    await plain.open()
    await p.submit({"answer": "delta"})
    frame = await screen.until(lambda f: f.get("blocks"))
    assert frame["blocks"][0]["role"] is None and "Manager" not in json.dumps(frame)


async def test_screen_commands_blank_highlight_and_errors(workshop_host):
    host = await workshop_host(VOTE)
    screen = await Screen.connect(host)
    ana = await host.phone(name="Ana", role="Manager")
    await host.open()
    ack = await ana.submit({"answer": "Continuity of care"})
    ok = await host.command("screen", view="highlight", participant=ana.id, contribution=ack["id"])
    assert ok["screen"]["view"] == "highlight" and "token" not in ok["screen"]
    frame = await screen.until(lambda f: f["view"] == "highlight")
    assert frame["highlight"] == {"text": "Continuity of care", "role": None}
    assert (await host.command("screen", view="toggle_blank"))["screen"]["view"] == "blank"
    frame = await screen.until(lambda f: f["view"] == "blank")
    assert frame["activity"] is None and "Continuity" not in json.dumps(frame)
    assert (await host.command("screen", view="toggle_blank"))["screen"]["view"] == "highlight"
    await screen.until(lambda f: f["view"] == "highlight")
    # hiding the highlighted contribution takes it off the screen at once
    await host.command("hide", participant=ana.id, contribution=ack["id"])
    frame = await screen.until(lambda f: f["view"] == "activity")
    assert "Continuity" not in json.dumps(frame)
    for fields, code in (({"view": "highlight", "participant": ana.id, "contribution": ack["id"]}, "not_visible"),
                         ({"view": "highlight", "participant": ana.id, "contribution": "nope"}, "unknown_contribution"),
                         ({"view": "highlight"}, "bad_message"), ({"view": "dance"}, "bad_message"),
                         ({}, "bad_message")):
        frame = await host.facilitator.send_command("screen", **fields)
        assert frame["type"] == "error" and frame["code"] == code, (fields, frame)
    # moving on ends a highlight or results view
    await host.command("screen", view="results")
    await host.command("next")
    frame = await screen.until(lambda f: (f.get("activity") or {}).get("id") == "vote")
    assert frame["view"] == "lobby"  # the next activity is not open yet


async def test_screen_token_survives_resume(tmp_path):
    from facilitation_kit.host.assembly import Host

    agenda = tmp_path / "a.toml"
    agenda.write_text(VOTE, encoding="utf-8")
    async with Host.start(agenda, data_dir=tmp_path / "d", port=0) as first:
        url, session = first.screen_url, first.session_id
        await first.workshop.set_screen("blank")
    async with Host.start(None, data_dir=tmp_path / "d", port=0, resume=session) as again:
        assert again.screen_url.split("#")[1] == url.split("#")[1]
        assert again.workshop.screen_settings["view"] == "blank"


def test_word_counts_leave_out_the_stop_words_of_all_eight_languages():
    texts = ["The care and the time", "hoito ja aika on tärkeää", "och vården är bra", "de zorg en het geld",
             "el cuidado y la confianza", "opieka i zaufanie", "la cura e il tempo", "die Pflege und die Zeit",
             "Care! CARE? care."]
    words = dict(word_counts(texts))
    assert words["care"] == 4
    for stop in ("the", "and", "ja", "on", "och", "är", "de", "en", "het", "el", "y", "la", "i", "e", "il",
                 "die", "und"):
        assert stop not in words, stop
    assert {"hoito", "zorg", "cuidado", "opieka", "cura", "pflege"} <= set(words)


def test_contribution_text_uses_labels_and_leaves_ratings_out():
    fields = [{"name": "text", "kind": "text"},
              {"name": "kind", "kind": "choice", "options": [{"value": "out", "label": "Output we count"}]},
              {"name": "importance", "kind": "scale"}]
    assert contribution_text({"text": "Home visits", "kind": "out", "importance": 5}, fields) == \
        "Home visits\nOutput we count"


async def test_the_plugin_example_of_the_screen_docs_runs(workshop_host):
    import re
    import types
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "screen.md").read_text("utf-8")
    (source,) = re.findall(r"```python\n(.*?)```", doc, re.S)
    module = types.ModuleType("one_word_screen_doc")
    exec(compile(source, "docs/screen.md", "exec"), module.__dict__)
    host = await workshop_host(agenda_toml([{"id": "w", "plugin": "one_word_screen", "title": "Words"}]),
                               extra_plugins=[("one_word_screen", module)])
    screen = await Screen.connect(host)
    ana = await host.phone(name="Ana")
    await host.open()
    frame = await screen.until(lambda f: f.get("blocks"))
    assert frame["blocks"] == [{"block": "paragraph", "text": "No words yet."}]
    await ana.submit({"word": "Trust"})
    frame = await screen.until(lambda f: (f.get("blocks") or [{}])[0].get("block") == "chart")
    assert frame["blocks"][0]["alt"] == "trust: 1" and frame["blocks"][0]["svg"].startswith("<svg")
    assert not host.plugin_problems


async def test_a_broken_screen_view_costs_only_the_view(workshop_host):
    import facilitation_kit as fk

    class Broken(fk.ActivityType):
        name = "broken_screen"

        def form(self, activity):
            return fk.Form([fk.TextField("t", label="T")])

        def screen(self, activity, contributions):
            if contributions:
                return ["<script>not a block</script>"]
            raise RuntimeError("boom")

    host = await workshop_host(agenda_toml([{"id": "b", "plugin": "broken_screen"}]), activities=[Broken()])
    screen = await Screen.connect(host)
    ana = await host.phone()
    await host.open()
    frame = await screen.until(lambda f: f["view"] == "activity")
    assert frame["results"] == "none" and frame["blocks"] is None
    assert (await ana.submit({"t": "x"}))["type"] == "ack"
    frame = await screen.until(lambda f: f["activity"]["answered"] == 1)
    assert frame["results"] == "none" and "script" not in json.dumps(frame)
    assert any("screen" in p.message for p in host.plugin_problems)


async def test_theme_tiles_roles_only_as_the_agenda_allows_and_quotes_only_what_may_be_quoted(workshop_host):
    text = agenda_toml([{"id": "s", "plugin": "story", "title": "Stories"}],
                       roles=["Service user", "Manager"], screen_roles=True, min_group=2)
    host = await workshop_host(text)
    phones = [await host.phone(role="Manager"), await host.phone(role="Manager"),
              await host.phone(role="Service user")]
    await host.open()
    refs = []
    for n, phone in enumerate(phones):
        ack = await phone.submit({"happened": f"Story {n}: the same worker came back", "kind": "helped",
                                  "quote": "yes" if n else "no"})
        refs.append({"participant": phone.id, "id": ack["id"]})
    theme = (await host.command("theme_create", activity="s", label="Continuity", contributions=refs))["theme"]
    await host.command("theme_confirm", theme=theme["id"])
    await host.command("star", participant=refs[0]["participant"], id=refs[0]["id"])  # its author said no
    screen = await Screen.connect(host)
    await host.command("screen", view="themes")
    frame = await screen.until(lambda f: f.get("themes"))
    (tile,) = frame["themes"]
    assert tile["count"] == 3 and tile["quote"] is None  # a story not to be quoted is no quote
    assert tile["roles"] == [{"role": "Manager", "count": 2}]  # one service user: not shown
    assert "Story 0" not in json.dumps(frame) and "Service user" not in json.dumps(frame)
    await host.command("star", participant=refs[2]["participant"], id=refs[2]["id"])
    frame = await screen.until(lambda f: (f.get("themes") or [{}])[0].get("quote"))
    assert frame["themes"][0]["quote"] == "Story 2: the same worker came back"
