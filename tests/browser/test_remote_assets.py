"""Static checks of the facilitator's remote page (web/remote.*) and how it is served
(no browser needed): every word in all eight languages, no HTML parsing of host text,
nothing from another origin, a strict CSP."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from pathlib import Path

from facilitation_kit.host.assembly import Host
from facilitation_kit.host.pages import BY_PATH, read_page

WEB = Path(__file__).resolve().parents[2] / "facilitation_kit" / "web"
I18N = WEB / "remote-i18n"
LANGUAGES = {"en", "fi", "sv", "nl", "es", "pl", "it", "de"}


def _html() -> str:
    """The page as the host serves it at /remote: assembled from host/pages.py's
    declaration and web/remote.body.html by the function the server uses."""
    return read_page(BY_PATH["/remote"], WEB).decode("utf-8")


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
    assert len({json.loads((I18N / f"{c}.json").read_text("utf-8"))["next"] for c in LANGUAGES}) == 8


def test_every_word_the_page_uses_is_translated():
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    js = (WEB / "remote.js").read_text("utf-8")
    used = set(re.findall(r'\bt\("(\w+)"\)', js)) | set(re.findall(r'\bt\("(\w+)",', js))
    used |= set(re.findall(r'data-i18n="(\w+)"', _html()))
    used |= {f"conn_{s}" for s in ("connecting", "reconnecting", "on", "off")}
    used |= {f"state_{s}" for s in ("pending", "open", "closed")} | {"approve", "hide"}
    assert len(used) > 30
    assert used - set(en) == set() and set(en) - used == set()


def test_host_text_never_goes_through_html_parsing():
    js = (WEB / "remote.js").read_text("utf-8") + (WEB / "linkpage.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"on", ".style.", "localStorage"):
        assert sink not in js, sink
    html = _html()
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/linkpage.js" defer>',
                                                      '<script src="/static/remote.js" defer>']
    assert "<style" not in html and " style=" not in html and not re.search(r"\son\w+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    css = (WEB / "remote.css").read_text("utf-8")
    assert "@import" not in css and "url(" not in css


def test_page_weight_under_60_kb():
    files = [WEB / "linkpage.js", WEB / "remote.js", WEB / "remote.css", *I18N.glob("*.json")]
    assert len(_html().encode("utf-8")) + sum(p.stat().st_size for p in files) < 60 * 1024


async def test_remote_page_is_served_with_a_strict_csp(tmp_path):
    async with Host.start(None, data_dir=tmp_path, host="127.0.0.1", port=0) as host:
        def get(path):
            with urllib.request.urlopen(f"http://127.0.0.1:{host.port}{path}", timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()

        status, headers, body = await asyncio.to_thread(get, "/remote")
        _, _, words = await asyncio.to_thread(get, "/static/remote-i18n/fi.json")
    assert status == 200 and "/static/remote.js" in body
    assert json.loads(words)["next"] == "Seuraava"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
