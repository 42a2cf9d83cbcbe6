"""QR codes for the join link, drawn with half-block characters (two modules per cell).

Encoding is done by segno, a well-kept pure-Python QR encoder.
"""

from __future__ import annotations

import segno

_HALF = {(False, False): " ", (True, False): "\u2580", (False, True): "\u2584", (True, True): "\u2588"}


def qr_matrix(data: str, border: int = 2) -> list[list[bool]]:
    """Rows of modules, True = dark, with a quiet-zone ``border``."""
    return [[bool(v) for v in row]
            for row in segno.make(data, error="m").matrix_iter(scale=1, border=border)]


def qr_text(data: str, border: int = 2, *, dark_terminal: bool = False) -> str:
    """The QR code as text. Blocks draw *dark* modules, so show it dark-on-light (the TUI
    widget fixes the colours); ``dark_terminal=True`` inverts it for printing on a
    terminal with light text on a dark background."""
    rows = qr_matrix(data, border)
    if dark_terminal:
        rows = [[not v for v in row] for row in rows]
    if len(rows) % 2:
        rows.append([dark_terminal] * len(rows[0]))
    return "\n".join("".join(_HALF[top, bottom] for top, bottom in zip(upper, lower))
                     for upper, lower in zip(rows[::2], rows[1::2]))


def qr_svg_data_uri(data: str, border: int = 4) -> str:
    """The QR code as an SVG ``data:`` URI (black on white, whatever the page's colours),
    for the room's screen page to show as an image. Made by segno on the host: the page
    needs no QR library."""
    return segno.make(data, error="m").svg_data_uri(scale=10, border=border, dark="#000000",
                                                     light="#ffffff", title="QR code")
