"""The pictures of the docs: every picture a page in docs/ shows or links to exists, and
docs/activities.md shows, for every built-in activity and for the themes step, its three
pictures (the phone form, the app's view, the report section) that ``make docs-screens``
(tests/docs_screens.py) makes."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from facilitation_kit.core.agenda import parse_agenda
from facilitation_kit.core.plugins import load_plugins

from tests.docs_screens import AGENDA, PICTURED

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
#: ![alt](target) and [text](target) whose target is a picture
PICTURE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+\.(?:png|svg|jpe?g|gif))(?:\s+\"[^\"]*\")?\)", re.I)


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def pictures_of(text: str) -> list[str]:
    return PICTURE.findall(text)


def section(text: str, name: str) -> str:
    """The part of docs/activities.md about one activity (its ``## … (`name`)`` heading),
    or the themes step (``## Themes …``)."""
    heading = re.compile(r"^## .*\(`%s`\)$" % re.escape(name) if name != "themes" else r"^## Themes\b.*$", re.M)
    found = heading.search(text)
    assert found, f"docs/activities.md has no section for {name}"
    rest = text[found.end():]
    end = re.search(r"^## ", rest, re.M)
    return rest[:end.start()] if end else rest


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_link_pattern_finds_pictures():
    text = "![A](screens/a.png) see [the page](screens/b-full.png), [c](other.md), ![d](x.svg \"title\")"
    assert pictures_of(text) == ["screens/a.png", "screens/b-full.png", "x.svg"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_picture_a_page_shows_exists(page):
    """A picture is a file kept in git under docs/ (``make docs-screens`` makes them
    again): never a test's output, which a fresh checkout does not have."""
    missing = []
    for target in pictures_of(page.read_text(encoding="utf-8")):
        path = (page.parent / target).resolve()
        if not path.is_relative_to(DOCS) or not path.is_file():
            missing.append(target)
    assert not missing, f"{page.name} shows pictures that do not exist in docs/: {missing}"


def test_every_builtin_activity_is_pictured(plugins):
    builtin = {name for name, r in plugins.activity_types.items() if r.builtin}
    assert builtin == set(PICTURED) - {"themes"}
    # and the scripted workshop that makes the pictures runs each of them
    agenda = parse_agenda(AGENDA, plugins, path="tests/docs_screens.py")
    assert {a.plugin for a in agenda.activities} == builtin
    assert any(a.from_themes for a in agenda.activities)


@pytest.mark.parametrize("name", PICTURED)
def test_each_activity_shows_its_three_pictures(name):
    text = (DOCS / "activities.md").read_text(encoding="utf-8")
    shown = set(pictures_of(section(text, name)))
    for picture in (f"screens/phone-{name}.png", f"screens/tui-{name}.svg", f"screens/report-{name}.png"):
        assert picture in shown, f"the {name} section of docs/activities.md does not show {picture}"
        assert (DOCS / picture).is_file(), picture
    width, height = png_size(DOCS / f"screens/phone-{name}.png")
    assert width == 390 and height >= 844, (width, height)  # a 390x844 phone, the whole page
    assert png_size(DOCS / f"screens/report-{name}.png")[0] > 0
    svg = (DOCS / f"screens/tui-{name}.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "facilitation-kit" in svg
