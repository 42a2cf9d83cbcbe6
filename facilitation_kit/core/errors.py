"""Errors a participant or the facilitator can cause: each has a protocol error code."""

from __future__ import annotations

from typing import Any


class WorkshopError(Exception):
    """Something a participant or the facilitator asked for cannot be done."""

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None):
        self.code, self.message, self.fields = code, message, fields
        super().__init__(f"{code}: {message}")

    def to_frame(self) -> dict[str, Any]:
        frame = {"type": "error", "code": self.code, "message": self.message}
        if self.fields:
            frame["fields"] = self.fields
        return frame
