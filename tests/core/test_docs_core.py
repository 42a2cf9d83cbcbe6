"""The core docs are checked against the code: agenda examples parse, the error example is
what the CLI really prints, every error code and command is documented."""

import re
from pathlib import Path

import pytest

from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.plugins import load_plugins

DOCS = Path(__file__).resolve().parents[2] / "docs"
SRC = Path(__file__).resolve().parents[2] / "facilitation_kit"


def blocks(name, lang):
    return re.findall(rf"```{lang}\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("text", blocks("agenda.md", "toml"))
def test_agenda_examples_parse(text):
    agenda = parse_agenda(text, load_plugins(), path="example.toml")
    assert agenda.activities


def test_agenda_error_example_is_real():
    (example,) = [b for b in blocks("agenda.md", "text") if "max_lenght" in b]
    documented = example.strip().splitlines()[-1].split("field 'max_lenght': ", 1)[1]
    with pytest.raises(AgendaError) as info:
        parse_agenda('title = "T"\n[[activity]]\nid = "ideas"\nplugin = "open_question"\nmax_lenght = 3\n',
                     load_plugins(), path="x.toml")
    assert info.value.reason == documented


def codes_in_source():
    text = "\n".join(p.read_text() for p in (SRC / "core" / "engine.py", SRC / "host" / "server.py"))
    found = set(re.findall(r'(?:WorkshopError|BadFrame)\(\s*"([a-z_]+)"', text))
    found |= set(re.findall(r'_error\(conn, "([a-z_]+)"', text))
    return found


def test_every_error_code_is_documented():
    doc = (DOCS / "protocol.md").read_text(encoding="utf-8")
    codes = codes_in_source()
    assert {"bad_json", "invalid", "unavailable", "rate_limited", "too_large"} <= codes
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"undocumented error codes: {missing}"


def test_every_facilitator_command_is_documented():
    doc = (DOCS / "protocol.md").read_text(encoding="utf-8")
    server = (SRC / "host" / "server.py").read_text()
    body = server[server.index("async def _command"):server.index("# events ---")]
    commands = set(re.findall(r'"([a-z_]+)"', body)) - {"activity", "seconds", "close_at_end",
                                                          "contribution", "participant", "unknown_type",
                                                          "bad_message", "erased", "agenda",
                                                          "participants", "export"}
    commands |= {"agenda", "participants", "export"}
    missing = sorted(c for c in commands if f"`{c}`" not in doc)
    assert not missing, f"undocumented facilitator commands: {missing}"
