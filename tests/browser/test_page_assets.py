"""Static checks of the participant page's files: no browser needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from facilitation_kit.host.pages import BY_PATH, read_page

WEB = Path(__file__).resolve().parents[2] / "facilitation_kit" / "web"
I18N = WEB / "i18n"
LANGUAGES = {"en", "fi", "sv", "nl", "es", "pl", "it", "de"}


def _index():
    return json.loads((I18N / "index.json").read_text("utf-8"))


def _html() -> str:
    """The page as the host serves it at /: assembled from host/pages.py's declaration
    and web/index.body.html by the function the server uses."""
    return read_page(BY_PATH["/"], WEB).decode("utf-8")


def _scripts() -> list[str]:
    """The page's scripts, in the order the page loads them (all from /static/)."""
    html = _html()
    names = re.findall(r'<script src="/static/([\w-]+\.js)" defer></script>', html)
    assert names and names[-1] == "app.js", names
    return names


def _js() -> str:
    return "\n".join((WEB / name).read_text("utf-8") for name in _scripts())


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_index_lists_every_language_file():
    index = _index()
    codes = [lang["code"] for lang in index["languages"]]
    assert set(codes) == LANGUAGES
    assert len(codes) == len(set(codes))
    assert index["default"] == "en"
    for lang in index["languages"]:
        assert (I18N / f"{lang['code']}.json").is_file(), lang
        assert lang["name"].strip(), lang
    # Every language file is listed: a translator adds the file and one line here.
    assert {p.stem for p in I18N.glob("*.json")} - {"index"} == set(codes)


@pytest.mark.parametrize("code", sorted(LANGUAGES - {"en"}))
def test_translation_is_complete_and_keeps_placeholders(code):
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    other = json.loads((I18N / f"{code}.json").read_text("utf-8"))
    assert set(other) == set(en), f"{code}: missing {set(en) - set(other)}, extra {set(other) - set(en)}"
    for key, text in en.items():
        assert isinstance(other[key], str) and other[key].strip(), (code, key)
        assert _placeholders(other[key]) == _placeholders(text), (code, key, other[key])
    assert other["_language"] == next(l["name"] for l in _index()["languages"] if l["code"] == code)


def test_every_key_the_page_uses_is_translated():
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    js = _js()
    html = _html()
    used = set(re.findall(r'\bt\("(\w+)"', js)) | set(re.findall(r'"@(\w+)"', js))
    used |= set(re.findall(r'data-i18n="(\w+)"', html))
    assert used, "no keys found: the pattern is out of date"
    assert used - set(en) == set()


def test_participant_text_never_goes_through_html_parsing():
    js = _js()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "setAttribute(\"on", ".style."):
        assert sink not in js, sink


def test_html_has_no_inline_script_or_style_and_no_other_origin():
    html = _html()
    assert re.findall(r"<script\b[^>]*>", html) == [f'<script src="/static/{name}" defer>' for name in _scripts()]
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son\w+=", html), "inline event handler"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "another origin"
    css = (WEB / "app.css").read_text("utf-8")
    assert "@import" not in css and "url(" not in css


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_page_weight_under_100_kb_in_every_language(code):
    files = [*(WEB / name for name in _scripts()), WEB / "app.css", I18N / "index.json", I18N / f"{code}.json"]
    total = len(_html().encode("utf-8")) + sum(p.stat().st_size for p in files)
    assert total < 100 * 1024, total


def test_every_script_is_loaded_and_keeps_to_the_one_namespace():
    # Each file is a strict-mode IIFE that shares only through window.FK (no other globals),
    # and every script in web/ is loaded by the participant page (screen.js belongs to the
    # screen page, remote.js to the remote page: pages of their own, which share linkpage.js).
    names = _scripts()
    assert len(names) == len(set(names))
    assert {p.name for p in WEB.glob("*.js")} - {"screen.js", "remote.js", "linkpage.js"} == set(names)
    for name in names:
        js = (WEB / name).read_text("utf-8")
        assert js.startswith("/* facilitation-kit participant page"), name
        assert '(function () {\n  "use strict";\n  var FK = window.FK = window.FK || {};\n' in js, name
        assert js.endswith("})();\n"), name
        assert js.count("(function () {\n  \"use strict\";") == 1, name
        assert set(re.findall(r"\bwindow\.(\w+)\s*=[^=]", js)) <= {"FK"}, name


async def test_each_page_is_served_as_assembled_and_its_body_file_is_not(tmp_path):
    # The host serves every page of host/pages.py at its path and by its name, from one
    # declared <head> and the page's body file; the body files themselves are not served.
    import asyncio
    import urllib.error
    import urllib.request

    from facilitation_kit.host.assembly import Host
    from facilitation_kit.host.pages import PAGES

    async with Host.start(None, data_dir=tmp_path, host="127.0.0.1", port=0) as host:
        def get(path):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{host.port}{path}", timeout=10) as r:
                    return r.status, dict(r.headers), r.read()
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers), e.read()

        for page in PAGES:
            expected = read_page(page, WEB)
            for path in (page.path, "/static/" + page.name):
                status, headers, body = await asyncio.to_thread(get, path)
                assert status == 200 and body == expected, path
                assert headers["Content-Type"] == "text/html; charset=utf-8"
                assert "default-src 'none'" in headers["Content-Security-Policy"], path
                assert headers["X-Frame-Options"] == "DENY", path
            html = expected.decode("utf-8")
            assert html.startswith('<!doctype html>\n<html lang="en" dir="ltr">\n<head>\n'), page
            assert html.count("<head>") == html.count("</head>") == html.count("<body>") == 1, page
            assert html.endswith("</body>\n</html>\n") and f"<title>{page.title}</title>" in html, page
            own = (WEB / page.body_file).read_text("utf-8")
            assert own.startswith("<body>") and "<head>" not in own and "<html" not in own, page.body_file
            status, _, _ = await asyncio.to_thread(get, "/static/" + page.body_file)
            assert status == 404, page.body_file
