"""A DataTable that only ever holds :class:`~rich.text.Text` cells and updates in place."""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey

__all__ = ["SafeTable", "StreamTable"]


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
        """Remove the row; the cursor stays on the row it was on (DataTable keeps its
        index, which would select the next row when one above it goes)."""
        if self._cells.pop(key, None) is not None:
            try:
                index = self.get_row_index(key)
            except RowDoesNotExist:
                return
            cursor = self.cursor_row
            self.remove_row(key)
            if 0 <= index < cursor:
                self.move_cursor(row=cursor - 1, scroll=False)

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


class StreamTable(SafeTable):
    """A :class:`SafeTable` for a stream of rows (the live contributions: 50 a second onto
    thousands). DataTable keys every one of its render caches on one counter that each
    added row bumps, and each new row changes its virtual size, which lays the whole
    screen out again: so every batch of new rows re-rendered every visible line and every
    widget (tens of ms on a busy laptop, and a key pressed meanwhile waits). Here

    * each line is cached by its own row (key, cells, index, cursor, hover, widths), so
      a batch of rows added below re-renders only the lines that show new rows;
    * growing taller (rows added) redraws the scroll bar, and the lines only if new rows
      are in the window, without a layout of the screen, unless the scroll bars appear
      or go or the columns widen;
    * the line index (one entry per row) grows by the new rows instead of being rebuilt.

    Every row is one line high (the cells are single-line :class:`~rich.text.Text`)."""

    _LINES_KEPT = 2000

    def __init__(self, columns: Sequence[tuple[str, str]], **kw):
        super().__init__(columns, **kw)
        self._row_lines: dict[tuple, Strip] = {}
        self._offsets: list[tuple[RowKey, int]] = []
        self._offsets_valid = False  # False after anything but rows added at the bottom
        self._growing: int | None = None  # while the size grows: the height before

    # -- the line index: rows are only ever added at the bottom, or the index is rebuilt --
    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        count = self.row_count
        offsets = self._offsets
        if not self._offsets_valid or len(offsets) > count:
            offsets = self._offsets = [(row.key, 0) for row in self.ordered_rows]
            self._offsets_valid = True
        elif len(offsets) < count:
            key_at = self._row_locations.get_key
            offsets.extend((key_at(i), 0) for i in range(len(offsets), count))
        return offsets

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None) -> RowKey:
        return super().add_row(*cells, height=1, key=key, label=label)

    def remove_row(self, row_key) -> None:
        self._offsets_valid = False
        self._row_lines.clear()  # the rows below moved up
        super().remove_row(row_key)

    def clear(self, columns: bool = False):
        self._offsets_valid = False
        self._row_lines.clear()
        return super().clear(columns)

    def sort(self, *args, **kw):  # the contributions are in arrival order; kept right anyway
        self._offsets_valid = False
        self._row_lines.clear()
        return super().sort(*args, **kw)

    def notify_style_update(self) -> None:
        self._row_lines.clear()
        super().notify_style_update()

    def _on_resize(self, event) -> None:
        self._row_lines.clear()
        super()._on_resize(event)

    # -- lines cached by row ------------------------------------------------------------
    def render_lines(self, crop):
        # what every line of this frame shares, found once (DataTable finds its style,
        # a walk up the DOM, for each line)
        self._frame = (self.rich_style, tuple(column.get_render_width(self) for column in self.ordered_columns))
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = getattr(self, "_frame", None)
        if frame is None or self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.header_height if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, frame[0])

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        try:
            row_key, _ = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        if row_key is self._header_row_key:
            index, content = -1, None
        else:
            index = self._row_locations.get(row_key)
            content = self._cells.get(row_key.value)
        frame = getattr(self, "_frame", None)
        widths = frame[1] if frame is not None else tuple(c.get_render_width(self) for c in self.ordered_columns)
        cursor, hover = self.cursor_coordinate, self.hover_coordinate
        by_cell = self.cursor_type != "row"
        key = (row_key, content, index, y if index == -1 else None, x1, x2, self.size.width, widths,
               cursor.row == index, hover.row == index, cursor.column if by_cell else None,
               hover.column if by_cell else None, base_style, self.cursor_type, self.show_cursor,
               self._show_hover_cursor, self._pseudo_class_state)
        strip = self._row_lines.get(key)
        if strip is None:
            if len(self._row_lines) >= self._LINES_KEPT:
                self._row_lines.clear()
            strip = self._row_lines[key] = super()._render_line(y, x1, x2, base_style)
        return strip

    # -- growing without a layout of the screen --------------------------------------------
    def _update_dimensions(self, new_rows) -> None:
        """DataTable's, for one-line Text cells: their width is their length (DataTable
        asks Rich to measure every cell, through the console's options each time)."""
        before = self.virtual_size
        rows = [key for key in new_rows if self._row_locations.get(key) is not None]
        other = []
        columns = self.ordered_columns
        for row_key in rows:
            cells = self._data[row_key]
            values = [cells.get(column.key) for column in columns]
            if self.rows[row_key].label is not None or not all(
                    isinstance(v, Text) and "\n" not in v.plain for v in values):
                other.append(row_key)
                continue
            for column, value in zip(columns, values):
                if value.cell_len > column.content_width:
                    column.content_width = value.cell_len
        self._growing = before.height
        try:
            super()._update_dimensions(other)  # the rest, and the virtual size
        finally:
            self._growing = None
        if self.virtual_size.width != before.width:
            self.refresh(layout=True)  # wider columns: the horizontal scroll bar may change

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False):
        growing = getattr(self, "_growing", None)
        if layout and growing is not None and self.is_mounted and self.container_size:
            bars = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
            self._scroll_update(self.virtual_size)  # the scroll bar, redrawn
            if bars == (self.show_horizontal_scrollbar, self.show_vertical_scrollbar):
                if growing > self.scroll_y + self.size.height and not regions:
                    return self  # the new rows are below the window: no line on screen changed
                layout = False  # only taller: the lines, not the screen
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
