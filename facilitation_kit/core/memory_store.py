"""A store that keeps a session in memory: the same interface as the durable store.

The engine needs only ``await store.write(ops)``, ``tables`` (the state as loaded) and
``close()``. :class:`MemoryStore` offers exactly that, applying the operations with the
same :func:`~facilitation_kit.core.ops.apply_ops` and refusing what JSON cannot hold just
as :class:`~facilitation_kit.host.store.Store` does, so engine rules can be tested in
milliseconds with no files; ``fail_with`` makes every write fail (a full disk) until it
is set back to None. The durable store has its own tests, and the host and fault suites
run the engine on it.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from .ops import Op, StoreError, apply_ops

__all__ = ["MemoryStore"]


class MemoryStore:
    def __init__(self, tables: dict[str, dict[str, Any]] | None = None):
        self.tables: dict[str, dict[str, Any]] = copy.deepcopy(tables or {})
        self.written: list[list[Op]] = []
        self.fail_with: str | None = None
        self.closed = False

    async def write(self, ops: list[Op]) -> None:
        if self.closed:
            raise StoreError("the store is closed")
        if self.fail_with is not None:
            raise StoreError(self.fail_with)
        try:
            # a stored operation is a JSON line: what would not survive that is refused
            ops = json.loads(json.dumps(ops, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise StoreError(f"not storable: {exc}") from None
        await asyncio.sleep(0)  # a real write yields to the loop too
        apply_ops(self.tables, [tuple(op) for op in ops])
        self.written.append(ops)

    def reopened(self) -> "MemoryStore":
        """The same session as a new host would load it (for resume tests)."""
        return MemoryStore(self.tables)

    def close(self) -> None:
        self.closed = True
