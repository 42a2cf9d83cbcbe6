"""A DataTable that only ever holds :class:`~rich.text.Text` cells and updates in place."""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

__all__ = ["SafeTable"]


class SafeTable(DataTable):
    """DataTable whose cells are Text (never markup strings), with :meth:`sync_rows` to
    change only the rows and cells that differ (a refresh costs per repaint, not per row)."""

    DEFAULT_CSS = """
    SafeTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[tuple[str, str]], **kw):
        kw.setdefault("cursor_type", "row")
        kw.setdefault("zebra_stripes", True)
        super().__init__(**kw)
        self._columns_spec = list(columns)
        self._cells: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        """The columns, added once: on mount, or by the first rows if they come sooner (a
        screen's own on_mount or an event can run before its tables' on_mount)."""
        if not self.columns:
            for key, label in self._columns_spec:
                self.add_column(Text(label), key=key)

    @staticmethod
    def _plain(cells: Sequence[Text]) -> tuple[str, ...]:
        return tuple(f"{c.plain}\x00{c.style}" for c in cells)

    def add_text_rows(self, rows: Iterable[tuple[str, Sequence[Text]]]) -> None:
        rows = [(k, list(cells)) for k, cells in rows if k not in self._cells]
        for key, cells in rows:
            self._cells[key] = self._plain(cells)
        self.add_rows_keyed(rows)

    def add_rows_keyed(self, rows: list[tuple[str, list[Text]]]) -> None:
        self._ensure_columns()
        for key, cells in rows:
            self.add_row(*cells, key=key)

    def set_row(self, key: str, cells: Sequence[Text]) -> None:
        """Add the row, or update the cells of it that changed."""
        plain = self._plain(cells)
        old = self._cells.get(key)
        if old is None:
            self._ensure_columns()
            self._cells[key] = plain
            self.add_row(*cells, key=key)
            return
        if old == plain:
            return
        self._cells[key] = plain
        for (column, _), value, before, now in zip(self._columns_spec, cells, old, plain):
            if before != now:
                self.update_cell(key, column, value, update_width=True)

    def drop_row(self, key: str) -> None:
        if self._cells.pop(key, None) is not None:
            try:
                self.remove_row(key)
            except RowDoesNotExist:
                pass

    def sync_rows(self, rows: Iterable[tuple[str, Sequence[Text]]]) -> None:
        """Make the table hold exactly ``rows`` (in order for new ones)."""
        seen = set()
        for key, cells in rows:
            seen.add(key)
            self.set_row(key, cells)
        for key in [k for k in self._cells if k not in seen]:
            self.drop_row(key)

    def clear_rows(self) -> None:
        self._cells.clear()
        self.clear(columns=False)

    def has_row(self, key: str) -> bool:
        return key in self._cells

    @property
    def row_count_kept(self) -> int:
        return len(self._cells)

    def selected_key(self) -> str | None:
        if not self._cells or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except Exception:
            return None
