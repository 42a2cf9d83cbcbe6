"""Hostile contribution text: Rich markup, terminal escapes, HTML/script, bidi overrides,
spreadsheet formulas, thousands of emoji. Stored as typed after the documented
normalisation (forms.clean_text), and inert in every export."""

from __future__ import annotations

import csv
import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation_kit.report.export import to_csv, to_json
from facilitation_kit.core.forms import clean_text

PAYLOADS = [
    "[bold red]shout[/] [/bold] [/] [b [@click=app.quit]click me[/] [link=http://x]y[/link] \\[x]",
    "before\x1b]2;PWNED-TITLE\x1b\\after \x1b[31mRED\x1b[0m \x1b]52;c;SGVsbG8=\x07 \x1b[6n \x1bc \x9b31m DEL\x7f",
    "<script>alert(1)</script><img src=x onerror=alert(2)>\"><svg onload=alert(3)> javascript:alert(4)",
    "</script><script>alert(5)</script> <!-- --> ]]> {{7*7}} ${7*7}",
    "\u202egnp.exe\u202c \u2066isolated\u2069 abc\u202d and \u200dzero\u200bwidth",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "line one\r\nline two\rline three\ttabbed\x00nul",
    "😀" * 4000,  # 16,000 bytes of text: just under the 16 KiB frame limit
    "👩‍👩‍👧‍👦🇫🇮" * 300,
]


async def _submit_utf8(phone, cid: str, text: str) -> dict:
    """Submit as a phone's page does: UTF-8 JSON, not ASCII escapes (an emoji is 4 bytes
    on the wire, not 12)."""
    await phone.send(json.dumps({"type": "submit", "id": cid, "activity": "ideas",
                                 "data": {"answer": text}}, ensure_ascii=False))
    return await phone._reply(cid)


async def test_hostile_text_is_stored_normalised_and_inert_in_exports(live_host):
    host, ledger = live_host
    phone = await host.phone(role="Manager")
    for i, text in enumerate(PAYLOADS):
        ack = ledger.record(await _submit_utf8(phone, f"hostile-{i}", text))
        assert ack["type"] == "ack", (i, ack)
        assert ack["contribution"]["data"]["answer"] == clean_text(text, multiline=True)
    stored = {c["id"]: c["data"]["answer"] for c in host.workshop.contributions("ideas")}
    for i, text in enumerate(PAYLOADS):
        value = stored[f"hostile-{i}"]
        assert value == clean_text(text, multiline=True)
        assert not any(ch in value for ch in "\x1b\x9b\x07\x00\x7f\r\u202e\u202d\u2066\u2069")
    assert stored["hostile-0"] == PAYLOADS[0]  # markup is text: kept character for character
    assert stored["hostile-2"] == PAYLOADS[2]  # so is HTML

    export = host.export()
    as_json = to_json(export)
    assert json.loads(as_json)["contributions"]  # the record keeps everything, as data
    assert any(c["data"]["answer"] == PAYLOADS[0] for c in json.loads(as_json)["contributions"])
    as_csv = to_csv(export)
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value  # no formulas
    html = host.report("html")
    md = host.report("md")
    for out in (as_json, as_csv, html, md):
        assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(1)" in html
    # Markdown escapes them with backslashes: no tag is left that a renderer would run
    assert not re.search(r"(?<!\\)<(script|img|svg|/script)", md)
    assert "\\<script\\>alert(1)" in md
    await phone.close()


async def test_ten_thousand_emoji_are_too_large_and_nothing_is_stored(live_host):
    host, ledger = live_host
    phone = await host.phone(role="Manager")
    await phone.send(json.dumps({"type": "submit", "id": "emoji-flood", "activity": "ideas",
                                 "data": {"answer": "😀" * 10_000}}, ensure_ascii=False))
    reply = await phone.expect("error")  # not parsed, so without the frame's id
    assert reply["code"] == "too_large" and "id" not in reply
    reply = await phone.submit({"answer": "x" * 5001}, id="too-long", activity="ideas")
    assert reply["type"] == "error" and reply["code"] == "invalid" and "answer" in reply["fields"]
    assert all(c["id"] not in ("emoji-flood", "too-long") for c in host.workshop.contributions("ideas"))
    await phone.close()


hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])
                       | st.sampled_from(list("\x1b\x9b\x07\x00\x7f\r\n\t\u202e\u2066[]</>=+@")),
                       min_size=1, max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(hostile_text, min_size=1, max_size=5))
def test_any_text_round_trips_through_a_live_host(threaded_host, texts):
    host = threaded_host.host

    async def run():
        phone = await host.phone(role="Manager")
        try:
            out = []
            for text in texts:
                out.append(await phone.submit({"answer": text}, activity="ideas"))
            return out
        finally:
            await phone.close()
    replies = threaded_host.call(run)
    for text, reply in zip(texts, replies):
        expected = clean_text(text, multiline=True)
        if not expected:
            assert reply["type"] == "error" and reply["code"] == "invalid"  # empty after cleaning
        else:
            assert reply["type"] == "ack", reply
            assert reply["contribution"]["data"]["answer"] == expected


LINKY = [
    "go to https://evil.example/login?next=%2F now",
    "HTTP://EVIL.EXAMPLE and ftp://files.evil.example/x",
    "www.evil.example is better",
    "(www.evil.example) *www.evil.example* _www.evil.example_",
    "write to boss@evil.example or mailto:boss@evil.example",
    "just evil.example or sub.evil.co.uk",
    "xmpp:someone@evil.example",
]


async def test_markdown_reports_make_no_link_of_participant_text(live_host):
    """Issue 11 item 15: bare URLs, www. and e-mail addresses become no link in any
    Markdown renderer (checked with markdown-it's GFM-like mode and linkify)."""
    from markdown_it import MarkdownIt

    host, ledger = live_host
    phone = await host.phone(role="Manager")
    for i, text in enumerate(LINKY):
        ack = ledger.record(await _submit_utf8(phone, f"linky-{i}", text))
        assert ack["type"] == "ack", ack
    md = host.report("md")
    rendered = MarkdownIt("gfm-like", {"linkify": True}).enable("linkify").render(md)
    assert "<a " not in rendered, [line for line in rendered.splitlines() if "<a " in line][:5]
    # shown as typed once rendered
    for text in LINKY:
        assert text.replace("&", "&amp;") in rendered.replace("&amp;", "&amp;"), text
    # and ordinary numbers and abbreviations stay readable in the source
    assert md_text_plain("pi is 3.14, e.g. this") == "pi is 3.14, e.g. this"
    await phone.close()


def md_text_plain(text: str) -> str:
    from facilitation_kit.report.render import md_text

    return md_text(text)
