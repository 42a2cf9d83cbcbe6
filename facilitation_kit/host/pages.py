"""The three pages the host serves (the participant page, the room's screen, the
facilitator's remote), each declared once in :data:`PAGES`: its path, title, stylesheet,
scripts and robots. The ``<head>`` they share is written once, in :func:`head`; each
page's own body is a plain file, ``web/NAME.body.html``. :func:`assemble` puts a page
together; the server does it once at start and serves the bytes from memory (no build
step, nothing done per request)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path


@dataclass(frozen=True)
class Page:
    path: str                  # the URL path it is served at
    name: str                  # served as this file too (``/static/NAME``); its body is NAME.body.html
    title: str                 # the first title; the page's script sets it in the reader's language
    stylesheet: str            # under /static/
    scripts: tuple[str, ...]   # under /static/, deferred, in this order
    robots: str | None = None  # ``<meta name="robots">``
    color_scheme: bool = False  # ``<meta name="color-scheme" content="light dark">``

    @property
    def body_file(self) -> str:
        return self.name.removesuffix(".html") + ".body.html"


PAGES: tuple[Page, ...] = (
    Page("/", "index.html", "Workshop", "app.css",
         ("util.js", "state.js", "i18n.js", "connection.js", "fields.js", "screens.js", "app.js"),
         color_scheme=True),
    Page("/screen", "screen.html", "Workshop", "screen.css", ("linkpage.js", "screen.js"), robots="noindex"),
    Page("/remote", "remote.html", "Remote", "remote.css", ("linkpage.js", "remote.js"), robots="noindex"),
)

BY_PATH = {page.path: page for page in PAGES}


def head(page: Page) -> str:
    """The document's start up to ``</head>``: the same for every page but its values."""
    lines = ['<!doctype html>', '<html lang="en" dir="ltr">', '<head>', '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if page.color_scheme:
        lines.append('<meta name="color-scheme" content="light dark">')
    lines.append('<meta name="referrer" content="no-referrer">')
    if page.robots:
        lines.append(f'<meta name="robots" content="{escape(page.robots)}">')
    lines += [f"<title>{escape(page.title)}</title>", '<link rel="icon" href="data:,">',
              f'<link rel="stylesheet" href="/static/{escape(page.stylesheet)}">']
    lines += [f'<script src="/static/{escape(name)}" defer></script>' for name in page.scripts]
    lines.append("</head>")
    return "\n".join(lines) + "\n"


def assemble(page: Page, body: bytes) -> bytes:
    """The whole page: :func:`head`, the body file's text (``<body>`` … ``</body>``), ``</html>``."""
    return head(page).encode("utf-8") + body.rstrip(b"\n") + b"\n</html>\n"


def read_page(page: Page, web_dir: Path) -> bytes:
    """The page assembled from ``web_dir``'s body file, as the server serves it."""
    return assemble(page, (Path(web_dir) / page.body_file).read_bytes())
