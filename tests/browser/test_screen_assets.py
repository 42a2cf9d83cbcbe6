"""Static checks of the screen page's files and headers (no browser needed)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from facilitation_kit.host.assembly import Host
from facilitation_kit.host.pages import BY_PATH, read_page

WEB = Path(__file__).resolve().parents[2] / "facilitation_kit" / "web"
I18N = WEB / "screen-i18n"
LANGUAGES = {"en", "fi", "sv", "nl", "es", "pl", "it", "de"}


def _html() -> str:
    """The page as the host serves it at /screen: assembled from host/pages.py's
    declaration and web/screen.body.html by the function the server uses."""
    return read_page(BY_PATH["/screen"], WEB).decode("utf-8")


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_every_language_has_every_word_with_the_same_placeholders():
    assert {p.stem for p in I18N.glob("*.json")} == LANGUAGES
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    for code in LANGUAGES:
        other = json.loads((I18N / f"{code}.json").read_text("utf-8"))
        assert set(other) == set(en), code
        for key, text in en.items():
            assert other[key].strip(), (code, key)
            assert _placeholders(other[key]) == _placeholders(text), (code, key)


def test_every_word_the_page_uses_is_translated():
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    used = set(re.findall(r'\bt\("(\w+)"', (WEB / "screen.js").read_text("utf-8")))
    assert len(used) > 15
    assert used - set(en) == set()


def test_host_text_never_goes_through_html_parsing():
    js = (WEB / "screen.js").read_text("utf-8") + (WEB / "linkpage.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"on", ".style."):
        assert sink not in js, sink
    html = _html()
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/linkpage.js" defer>',
                                                      '<script src="/static/screen.js" defer>']
    assert "<style" not in html and " style=" not in html and not re.search(r"\son\w+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    css = (WEB / "screen.css").read_text("utf-8")
    assert "@import" not in css and "url(" not in css


def test_page_weight_under_150_kb():
    files = [WEB / "linkpage.js", WEB / "screen.js", WEB / "screen.css", *I18N.glob("*.json")]
    assert len(_html().encode("utf-8")) + sum(p.stat().st_size for p in files) < 150 * 1024


@pytest.mark.parametrize("path", ["/screen", "/screen?x=1"])
async def test_screen_page_is_served_with_a_strict_csp(tmp_path, path):
    async with Host.start(None, data_dir=tmp_path, host="127.0.0.1", port=0) as host:
        import asyncio

        def get():
            with urllib.request.urlopen(f"http://127.0.0.1:{host.port}{path}", timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()

        status, headers, body = await asyncio.to_thread(get)
    assert status == 200 and "/static/screen.js" in body
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"


def test_every_picture_of_the_screen_docs_exists_and_can_be_made_again():
    import sys

    root = WEB.parents[1]
    sys.path.insert(0, str(root / "tests" / "browser"))
    from docs_screens import SHOTS

    doc = (root / "docs" / "screen.md").read_text("utf-8")
    shown = set(re.findall(r"\(screens/(screen-[\w-]+\.png)\)", doc))
    # every picture on the page is taken by a test, and shown (the script also copies the
    # phone page's pictures for docs/participants.md)
    assert shown == {name for name in SHOTS if name.startswith("screen-")}
    for name in shown:
        assert (root / "docs" / "screens" / name).is_file(), name
    for view in ("lobby", "activity", "wall", "cloud", "results", "vote-hidden", "highlight", "themes", "blank"):
        assert f"screen-{view}.png" in shown, view
