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
    text = "\n".join(p.read_text() for p in (*sorted((SRC / "core").glob("*.py")), SRC / "host" / "server.py"))
    found = set(re.findall(r'(?:WorkshopError|BadFrame|BadCommand)\(\s*"([a-z_]+)"', text))
    found |= set(re.findall(r'_error\(conn, "([a-z_]+)"', text))
    return found


def test_every_error_code_is_documented():
    doc = (DOCS / "protocol.md").read_text(encoding="utf-8")
    codes = codes_in_source()
    assert {"bad_json", "invalid", "unavailable", "rate_limited", "too_large"} <= codes
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"undocumented error codes: {missing}"


def test_every_facilitator_command_is_documented():
    """The protocol table (core/protocol.py) is the one list of commands: each is in
    docs/protocol.md with each of its fields and errors."""
    from facilitation_kit.core.protocol import COMMANDS

    doc = (DOCS / "protocol.md").read_text(encoding="utf-8")
    assert {"next", "goto", "timer", "hide", "results", "state"} <= set(COMMANDS)
    rows = {}
    for line in doc.splitlines():
        if line.startswith("| ") and "`" in line.split("|")[1]:
            for name in re.findall(r"`([a-z_]+)`", line.split("|")[1]):
                rows[name] = line
    for name, command in COMMANDS.items():
        assert name in rows, f"undocumented facilitator command: {name}"
        for field in command.fields:
            assert f"`{field.name}`" in rows[name], f"{name}: field {field.name} not documented"
        for code in command.errors:
            assert f"`{code}`" in rows[name], f"{name}: error {code} not documented"
        assert ("**extension**" in rows[name]) != command.v1, f"{name}: v1 or extension?"
