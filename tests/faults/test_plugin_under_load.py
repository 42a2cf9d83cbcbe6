"""A plugin that hangs or raises while many phones submit does not stall the host.

A throwaway plugin module is registered with ``load_plugins(extra=[(name, module)])``:
its ``contribution_stored`` hook blocks (a synchronous sleep) or raises on alternate
calls, and its activity type's ``validate`` blocks for one phone's submissions. The
others keep getting acks, in full; the host answers throughout; the log gets a bounded
number of lines and no tracebacks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import types

from facilitation_kit import hookimpl
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.testing import start_test_host

RELEASE = threading.Event()  # set at the end: no thread stays blocked after the test


class Sticky(ActivityType):
    name = "sticky"
    title = "Sticky"

    def form(self, activity):
        return Form([TextField("answer", label="Answer", max_length=200)])

    def validate(self, activity, data):
        if data["answer"].startswith("hang"):
            RELEASE.wait(20)  # a plugin stuck in I/O
        return None

    def summarise(self, activity, contributions):
        return {"count": len(contributions)}


def _module() -> types.ModuleType:
    calls = {"n": 0}
    module = types.ModuleType("throwaway_plugin")

    @hookimpl
    def register_activities(register):
        register(Sticky())

    @hookimpl
    def contribution_stored(workshop, contribution, role):
        calls["n"] += 1
        if calls["n"] % 2:
            RELEASE.wait(20)
        else:
            raise RuntimeError("the hook is broken")

    module.register_activities = register_activities
    module.contribution_stored = contribution_stored
    return module


AGENDA = """\
title = "Plugins under load"
roles = ["Manager"]

[[activity]]
id = "s"
plugin = "sticky"
title = "Sticky"
prompt = "Anything"
auto_open = true
"""


async def test_hanging_and_raising_plugin_under_load(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    plugins = load_plugins(extra=[("throwaway", _module())])
    try:
        async with start_test_host(agenda, data_dir=tmp_path / "data", plugins=plugins,
                                   plugin_timeout=0.5) as host:
            phones = [await host.phone(role="Manager") for _ in range(8)]
            hanger = phones[0]

            async def load(phone, n):
                return [await phone.submit({"answer": f"idea {i} from {phone.id}"}) for i in range(n)]

            hung = asyncio.ensure_future(hanger.submit({"answer": "hang please"}))
            results = await asyncio.gather(*(load(p, 15) for p in phones[1:]))
            assert [a["type"] for acks in results for a in acks] == ["ack"] * (7 * 15)
            sync = await phones[1].sync()  # the host answers while a plugin is stuck
            assert len(sync["mine"]) == 15
            refused = await hung
            assert refused["type"] == "error" and refused["code"] == "plugin_error"
            stored = host.workshop.contributions("s")
            assert len(stored) == 7 * 15
            assert not any(c["data"]["answer"].startswith("hang") for c in stored)
            # the harness's clients read only when asked; with their reading paused by
            # unread events a polite close would wait websockets' close_timeout
            for ws in [p.ws for p in host.phones] + [host.facilitator.ws]:
                ws.transport.abort()
    finally:
        RELEASE.set()
    assert not [r for r in caplog.records if r.exc_info]  # failures logged in one line each
    assert len(caplog.records) < 250
