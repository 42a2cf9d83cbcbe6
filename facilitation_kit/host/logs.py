"""Logging that cannot flood the facilitator's terminal.

Bad input from phones (refused handshakes, broken frames) and resource exhaustion
(asyncio logs every failed ``accept()``) can produce thousands of records a second.
:class:`RateLimitFilter` lets a few records of each kind through per window, then one
summary line; control characters are stripped so participant text in a message cannot
drive the terminal.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def private_opener(path, flags: int) -> int:
    """``open(..., opener=private_opener)``: the file is the owner's alone (0600), also
    when it existed before with wider permissions. Files under the data dir hold what
    participants wrote (sessions) or can (logs)."""
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        pass
    return fd


def open_private_log(path, mode: str = "a", **kw):
    """Open a log file under the data dir: the dir 0700, the file 0600 (logs can hold
    participant text and paths)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if path.parent.stat().st_mode & 0o077:
            path.parent.chmod(0o700)
    except OSError:
        pass
    return open(path, mode, opener=private_opener, **kw)


def strip_control(text: str) -> str:
    """Remove terminal control characters (C0 except tab/newline, DEL, C1)."""
    return _CONTROL.sub("", text)


class RateLimitFilter(logging.Filter):
    def __init__(self, per_window: int = 5, window: float = 10.0):
        super().__init__()
        self.per_window, self.window = per_window, window
        self._seen: dict[tuple[str, str], list] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        entry = self._seen.get(key)
        if entry is None or now - entry[0] > self.window:
            suppressed = entry[2] if entry else 0
            self._seen[key] = [now, 1, 0]
            if suppressed:
                record.msg = f"{record.msg} (and {suppressed} more like it suppressed)"
            return True
        entry[1] += 1
        if entry[1] <= self.per_window:
            return True
        entry[2] += 1
        return False


class SafeFormatter(logging.Formatter):
    """Formats without tracebacks for expected noise and without control characters."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return strip_control(text)


def setup_logging(level: int = logging.WARNING, stream=None, *, tracebacks: bool = False) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RateLimitFilter())
    if not tracebacks:
        handler.addFilter(_NoTraceback())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler


class _NoTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.msg}: {type(exc).__name__}: {exc}"
            record.exc_info = None
            record.exc_text = None
        return True


class _SessionFilter(logging.Filter):
    """Records of this session (``extra={"fk_session": id}``) or of no session in particular."""

    def __init__(self, session_id: str):
        super().__init__()
        self.session_id = session_id

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "fk_session", self.session_id) == self.session_id


def session_log_path(data_dir, session_id: str):
    """The session's log file: ``<data dir>/logs/<session id>.log``."""
    return Path(data_dir) / "logs" / f"{session_id}.log"


def open_session_log(path, session_id: str) -> logging.Handler:
    """Start the session's log file: warnings from everywhere, and every plugin
    traceback (the ``facilitation_kit.plugin_tracebacks`` logger, which nothing shows on a
    terminal). Close it with :func:`close_session_log`."""
    from ..core.caller import TRACEBACKS

    # like every file under the data dir: the dir 0700, the file 0600
    handler = logging.StreamHandler(open_private_log(path, "a", encoding="utf-8"))
    handler.setLevel(logging.WARNING)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_SessionFilter(session_id))
    TRACEBACKS.addHandler(handler)
    if TRACEBACKS.level == logging.NOTSET or TRACEBACKS.level > logging.WARNING:
        TRACEBACKS.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    return handler


def close_session_log(handler: logging.Handler) -> None:
    from ..core.caller import TRACEBACKS

    TRACEBACKS.removeHandler(handler)
    logging.getLogger().removeHandler(handler)
    handler.close()
    stream = getattr(handler, "stream", None)
    if stream is not None:
        stream.close()
