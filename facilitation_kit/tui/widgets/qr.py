"""The join link as a scannable QR code, and the room code in large letters."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ...host.qr import qr_text

__all__ = ["QRCode", "BigCode", "big_text"]

# Dark modules on a light background whatever the theme: phones' scanners expect it.
QR_STYLE = "#000000 on #ffffff"


class QRCode(Static):
    """A QR code drawn with half blocks, two modules per character cell."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
        padding: 1 2;
        background: #ffffff;
        color: #000000;
    }
    """

    data: reactive[str] = reactive("", always_update=True)

    def __init__(self, data: str = "", *, border: int = 2, **kw):
        super().__init__(**kw)
        self.border = border
        self.set_reactive(QRCode.data, data)

    def on_mount(self) -> None:
        self._draw()

    def watch_data(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(Text(qr_text(self.data, border=self.border), style=QR_STYLE) if self.data else Text(""))


# A 5x5 pixel font for room codes (the room alphabet has no 0/O and no 1/I, but a
# resumed session from another version might, so they are drawn too).
_FONT = {
    "A": (".###.", "#...#", "#####", "#...#", "#...#"), "B": ("####.", "#...#", "####.", "#...#", "####."),
    "C": (".####", "#....", "#....", "#....", ".####"), "D": ("####.", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "####.", "#....", "#####"), "F": ("#####", "#....", "####.", "#....", "#...."),
    "G": (".####", "#....", "#..##", "#...#", ".####"), "H": ("#...#", "#...#", "#####", "#...#", "#...#"),
    "I": (".###.", "..#..", "..#..", "..#..", ".###."), "J": ("..###", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "###..", "#..#.", "#...#"), "L": ("#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#...#", "#...#"), "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", ".###."), "P": ("####.", "#...#", "####.", "#....", "#...."),
    "Q": (".###.", "#...#", "#.#.#", "#..#.", ".##.#"), "R": ("####.", "#...#", "####.", "#..#.", "#...#"),
    "S": (".####", "#....", ".###.", "....#", "####."), "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", ".###."), "V": ("#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#.#.#", "##.##", "#...#"), "X": ("#...#", ".#.#.", "..#..", ".#.#.", "#...#"),
    "Y": ("#...#", ".#.#.", "..#..", "..#..", "..#.."), "Z": ("#####", "...#.", "..#..", ".#...", "#####"),
    "0": (".###.", "#..##", "#.#.#", "##..#", ".###."), "1": ("..#..", ".##..", "..#..", "..#..", ".###."),
    "2": ("####.", "....#", ".###.", "#....", "#####"), "3": ("####.", "....#", ".###.", "....#", "####."),
    "4": ("#..#.", "#..#.", "#####", "...#.", "...#."), "5": ("#####", "#....", "####.", "....#", "####."),
    "6": (".###.", "#....", "####.", "#...#", ".###."), "7": ("#####", "....#", "...#.", "..#..", "..#.."),
    "8": (".###.", "#...#", ".###.", "#...#", ".###."), "9": (".###.", "#...#", ".####", "....#", ".###."),
    " ": (".....",) * 5,
}
_HALF = {(False, False): " ", (True, False): "\u2580", (False, True): "\u2584", (True, True): "\u2588"}


def big_text(text: str) -> str:
    """``text`` in 5x5 pixel letters drawn with half blocks (3 lines high)."""
    rows = [[] for _ in range(6)]
    for i, ch in enumerate(text.upper()):
        glyph = _FONT.get(ch, ("#####", "#...#", "#...#", "#...#", "#####"))
        for y in range(6):
            line = glyph[y] if y < 5 else "....."
            rows[y].extend(c == "#" for c in line)
            if i < len(text) - 1:
                rows[y].append(False)
    return "\n".join("".join(_HALF[t, b] for t, b in zip(rows[y], rows[y + 1])) for y in (0, 2, 4))


class BigCode(Static):
    """The room code in large letters (and, for screen readers and copy-paste, as text
    in the widget's tooltip)."""

    DEFAULT_CSS = """
    BigCode {
        width: auto;
        height: auto;
        color: $text;
        text-style: bold;
    }
    """

    code: reactive[str] = reactive("", always_update=True)

    def watch_code(self, code: str) -> None:
        self.update(Text(big_text(code)))
        self.tooltip = f"Room code {code}"
