"""rate_items, story, journey and actions exist in all eight languages: every catalogue
has every key with the same placeholders (and Polish its plural forms), and no form,
result or report text falls back to a bare key in any language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from facilitation_kit import LANGUAGES

from .helpers import Room, info

LOCALES = Path(__file__).resolve().parents[2] / "plugins" / "facilitation_kit_plugins" / "locales"
PLUGINS = ("rate_items", "story", "journey", "actions")


def _placeholders(value) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {p for t in texts for p in re.findall(r"\{(\w+)\}", t)}


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_catalogue_is_complete(plugin, lang):
    en = json.loads((LOCALES / plugin / "en.json").read_text("utf-8"))
    other = json.loads((LOCALES / plugin / f"{lang}.json").read_text("utf-8"))
    assert set(other) == set(en)
    for key, value in en.items():
        assert _placeholders(other[key]) == _placeholders(value), (key, other[key])
        if isinstance(value, dict):
            forms = {"one", "few", "many"} if lang == "pl" else {"one", "other"}
            assert forms <= set(other[key]), (key, other[key])
            assert all(v.strip() for v in other[key].values())
        else:
            assert isinstance(other[key], str) and other[key].strip(), key


SAMPLES = {
    "rate_items": ('items = ["Time to talk", "Peer groups"]', lambda ids: {n: 2 for n in ids}),
    "story": ("", lambda ids: {"happened": "It helped", "changed": "A lot", "kind": "helped", "quote": "yes"}),
    "journey": ("", lambda ids: {"stage": "assessment", "happened": "Waited", "felt": "2", "mattered": "Time"}),
    "actions": ("", lambda ids: {"what": "Call back", "who": "Our team", "by_when": "May",
                                 "hear_back": "A letter"}),
}


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_falls_back_to_a_key(plugins, plugin, lang):
    atype = plugins.activity_type(plugin).activity_type
    options, answer = SAMPLES[plugin]
    a = info(plugins, f'id = "a"\nplugin = "{plugin}"\n{options}', language=lang, min_group=1)
    room = Room(atype, a)
    names = [f.name for f in atype.form(a).fields]
    roles = ["Service user", "Front-line professional"]
    for n in range(4):
        room.say(f"p{n}", roles[n % 2], answer(names))
    results = room.summary()
    out = json.dumps([atype.form(a).to_json(), [b.to_json() for b in room.report()],
                      [b.to_json() for b in atype.screen(a, room.contributions) or []],
                      [i.to_json() for i in atype.items(a, room.contributions)],
                      atype.findings(a, results)], ensure_ascii=False)
    assert not re.search(rf"\b{plugin}\.[a-z_]", out), re.search(rf"\b{plugin}\.[a-z_.]+", out)
    assert not re.search(r'"(everyone|role)"(?!:)|"label": "dont_know"', out)
