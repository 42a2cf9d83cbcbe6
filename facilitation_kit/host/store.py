"""Durable storage of workshop sessions: an append-only journal checkpointed into TinyDB.

This is the only module that imports TinyDB.

Each recorded session lives in ``<data dir>/sessions/`` as

``<id>.json``
    The TinyDB checkpoint: every table as of the journal sequence number it records.
``<id>.journal``
    JSON lines written since that checkpoint. Each line is one batch of operations
    with a sequence number and a CRC. A write is acknowledged only after its line is
    written and ``fsync``-ed, so an acked operation survives ``kill -9`` and power loss.
``<id>.lock``
    Held (``flock``) by the one host that has the session open.

Writes from the event loop go to one writer thread, which commits everything queued in
one ``write`` + ``fsync`` (group commit): the cost of an ack does not grow with the
number of contributions already stored, and disk I/O never blocks the event loop.
The checkpoint is rewritten atomically (temporary file, ``fsync``, ``os.replace``) when
the session closes, when the journal grows large, and on resume; a crash at any
moment leaves either the old or the new checkpoint, and replaying the journal over it
gives the same state.

A torn last journal line (a crash mid-write) is ignored: it was never acked. A damaged
line elsewhere, or a damaged checkpoint, is reported with the file and line, the bad
file is kept beside it, and everything readable is recovered.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import shutil
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from .logs import private_opener
from ..core.ops import TABLES, Op, StoreError, apply_ops, delete, put

__all__ = ["Store", "StoreError", "StoreLocked", "Op", "put", "delete", "session_paths",
           "list_sessions", "read_session", "Recovery"]

CHECKPOINT_EVERY = 20_000  # journal operations between automatic checkpoints
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

class StoreLocked(StoreError):
    """Another host has this session open."""


@dataclass
class Recovery:
    """What was wrong with the files when a session was loaded, and what was kept."""

    problems: list[str] = field(default_factory=list)
    moved_aside: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.problems)


def session_paths(data_dir: Path, session_id: str) -> dict[str, Path]:
    base = Path(data_dir) / "sessions"
    return {"dir": base, "checkpoint": base / f"{session_id}.json",
            "journal": base / f"{session_id}.journal", "lock": base / f"{session_id}.lock"}


class _AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file atomically on write (temp + fsync + rename)."""

    def __init__(self, path: str, **_: Any):
        self.path = Path(path)

    def read(self):
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        return json.loads(text)

    def write(self, data):
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        with open(tmp, "w", encoding="utf-8", opener=private_opener) as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    def close(self):
        pass


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _encode_line(seq: int, ops: list[Op]) -> bytes:
    body = json.dumps({"seq": seq, "ops": ops}, ensure_ascii=False, separators=(",", ":"))
    crc = zlib.crc32(body.encode("utf-8"))
    return f"{crc:08x} {body}\n".encode("utf-8")


def _decode_line(raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8")
    crc, _, body = text.partition(" ")
    if int(crc, 16) != zlib.crc32(body.encode("utf-8")):
        raise ValueError("checksum mismatch")
    return json.loads(body)


def _salvage_checkpoint(text: str) -> tuple[dict[str, dict[str, Any]], int, int]:
    """The records readable in a damaged checkpoint, read in order up to the first damage
    (a truncated file keeps everything before the cut). Returns (tables, seq, characters
    read)."""
    decode = json.JSONDecoder().raw_decode
    space = re.compile(r"[ \t\n\r]*")
    tables: dict[str, dict[str, Any]] = {t: {} for t in TABLES}
    seq, good = 0, 0

    def expect(pos: int, char: str) -> int:
        pos = space.match(text, pos).end()
        if text[pos:pos + 1] != char:
            raise ValueError(f"expected {char!r} at {pos}")
        return space.match(text, pos + 1).end()

    try:
        pos = expect(0, "{")
        while text[pos:pos + 1] != "}":
            name, pos = decode(text, pos)
            pos = expect(pos, ":")
            pos = expect(pos, "{")
            while text[pos:pos + 1] != "}":
                _, pos = decode(text, pos)  # the TinyDB document id
                doc, pos = decode(text, expect(pos, ":"))
                if name == "_meta" and isinstance(doc, dict):
                    seq = int(doc.get("seq", 0))
                elif name in tables and isinstance(doc, dict) and isinstance(doc.get("_key"), str):
                    doc = dict(doc)
                    tables[name][doc.pop("_key")] = doc
                good = pos
                pos = space.match(text, pos).end()
                if text[pos:pos + 1] == ",":
                    pos = space.match(text, pos + 1).end()
            pos = expect(pos, "}")
            if text[pos:pos + 1] == ",":
                pos = space.match(text, pos + 1).end()
    except (ValueError, TypeError, IndexError):
        pass
    return tables, seq, good


def _load(paths: dict[str, Path], recovery: Recovery, *, repair: bool,
          require: str | None = None) -> tuple[dict, int, int]:
    """Read checkpoint + journal. Returns (tables, last seq, journal bytes that are good).

    With ``require``, a session whose table of that name cannot be read at all raises
    StoreError before anything is repaired (moved aside or rewritten)."""
    tables: dict[str, dict[str, Any]] = {t: {} for t in TABLES}
    seq = 0
    cp_damaged = False
    cp = paths["checkpoint"]
    jp = paths["journal"]
    # The journal is read before the checkpoint: if a running host checkpoints (and
    # empties its journal) in between, the newer checkpoint covers what was read.
    data = jp.read_bytes() if jp.exists() else None
    if cp.exists():
        try:
            db = TinyDB(str(cp), storage=_AtomicJSONStorage)
            meta = db.table("_meta").get(doc_id=1) or {}
            seq = int(meta.get("seq", 0))
            for name in TABLES:
                for doc in db.table(name).all():
                    doc = dict(doc)
                    key = doc.pop("_key")
                    tables[name][key] = doc
            db.close()
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            text = cp.read_bytes().decode("utf-8", "replace")
            tables, seq, read = _salvage_checkpoint(text)
            count = sum(len(rows) for name, rows in tables.items())
            recovery.problems.append(
                f"{cp}: the checkpoint is damaged ({exc}); recovered the {count} records readable "
                f"before character {read} of {len(text)}, and what the journal holds")
            cp_damaged = True
    good = 0
    damaged_lines: list[int] = []
    if data is not None:
        offset = 0
        lineno = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            lineno += 1
            if end == -1:  # torn last write: never acknowledged
                recovery.problems.append(
                    f"{jp}:{lineno}: an unfinished last write was dropped (it had not been acknowledged)")
                break
            raw = data[offset:end]
            offset = end + 1
            try:
                entry = _decode_line(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                damaged_lines.append(lineno)
                recovery.problems.append(f"{jp}:{lineno}: damaged line skipped ({exc})")
                continue
            good = offset
            if entry["seq"] <= seq:
                continue
            apply_ops(tables, entry["ops"])
            seq = entry["seq"]
    if require is not None and not tables.get(require):
        raise StoreError(f"{cp}: cannot resume: no {require} record could be read from it or from "
                         f"{jp.name} ({'; '.join(recovery.problems) or 'both are empty'}); "
                         "nothing was changed")
    if repair and cp_damaged:
        aside = cp.with_name(cp.name + f".damaged-{int(time.time())}")
        with open(cp, "rb") as src, open(aside, "wb", opener=private_opener) as dst:
            shutil.copyfileobj(src, dst)  # the new checkpoint replaces the damaged one atomically
        recovery.moved_aside.append(str(aside))
    if repair and data is not None and (damaged_lines or good < len(data)):
        aside = jp.with_name(jp.name + f".damaged-{int(time.time())}")
        with open(aside, "wb", opener=private_opener) as fh:
            fh.write(data)
        recovery.moved_aside.append(str(aside))
    return tables, seq, good


def _write_checkpoint(path: Path, tables: dict[str, dict[str, Any]], seq: int) -> None:
    tmp_target = path.with_name(path.name + ".new")
    if tmp_target.exists():
        tmp_target.unlink()
    db = TinyDB(str(tmp_target), storage=_AtomicJSONStorage)
    # One storage write per table: TinyDB rewrites the file on every insert call.
    db.table("_meta").insert({"seq": seq, "saved_at": time.time()})
    for name in TABLES:
        rows = [{"_key": key, **doc} for key, doc in tables.get(name, {}).items()]
        if rows:
            db.table(name).insert_multiple(rows)
    db.close()
    os.replace(tmp_target, path)
    _fsync_dir(path.parent)


class Store:
    """One open session's storage. Open with :meth:`create` or :meth:`open`.

    ``tables`` is the state as loaded; afterwards the owner keeps its own state and
    sends changes through :meth:`write`.
    """

    def __init__(self, paths: dict[str, Path], tables: dict, seq: int, lock_fd: int,
                 recovery: Recovery, journal_offset: int):
        self.paths = paths
        self.tables = tables
        self.recovery = recovery
        self._seq = seq
        self._lock_fd = lock_fd
        self._mirror = {t: dict(rows) for t, rows in tables.items()}  # the writer thread's copy
        self._since_checkpoint = 0
        self._queue: list[tuple[list[Op], asyncio.Future, asyncio.AbstractEventLoop]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._failed: str | None = None
        # Unbuffered: a write that fails (disk full) must leave nothing behind in a
        # user-space buffer that a later, successful write would flush after all.
        self._journal = open(paths["journal"], "ab", buffering=0, opener=private_opener)
        if journal_offset is not None and self._journal.tell() != journal_offset:
            self._journal.truncate(journal_offset)
            self._journal.seek(journal_offset)
        self._thread = threading.Thread(target=self._run, name="facilitation-kit-store", daemon=True)
        self._thread.start()
        self.writes = 0
        self.fsyncs = 0

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def create(cls, data_dir: Path, session_id: str) -> "Store":
        paths = session_paths(data_dir, session_id)
        _ensure_dir(paths["dir"])
        if paths["checkpoint"].exists() or paths["journal"].exists():
            raise StoreError(f"{paths['checkpoint']}: a session with this id already exists")
        lock_fd = _lock(paths["lock"])
        try:
            _write_checkpoint(paths["checkpoint"], {}, 0)
        except OSError as exc:
            os.close(lock_fd)
            raise StoreError(f"cannot write {paths['checkpoint']}: {exc.strerror or exc}") from None
        return cls(paths, {t: {} for t in TABLES}, 0, lock_fd, Recovery(), 0)

    @classmethod
    def open(cls, data_dir: Path, session_id: str, *, require: str | None = None) -> "Store":
        """Open a recorded session; ``require`` names a table that must not come out
        empty (the host requires "session"), else StoreError and nothing is changed."""
        paths = session_paths(data_dir, session_id)
        if not _SESSION_ID.match(session_id) or not (
                paths["checkpoint"].exists() or paths["journal"].exists()):
            raise KeyError(session_id)
        lock_fd = _lock(paths["lock"])
        try:
            recovery = Recovery()
            tables, seq, good = _load(paths, recovery, repair=True, require=require)
            # Fold the journal into a fresh checkpoint so this run starts clean.
            _write_checkpoint(paths["checkpoint"], tables, seq)
            with open(paths["journal"], "wb", opener=private_opener) as fh:
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            os.close(lock_fd)
            raise StoreError(f"cannot open {paths['checkpoint']}: {exc.strerror or exc}") from None
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(paths, tables, seq, lock_fd, recovery, 0)

    # -- writing ---------------------------------------------------------------------
    async def write(self, ops: list[Op]) -> None:
        """Store ``ops`` durably; returns once they are fsynced. Raises StoreError."""
        _check_json(ops)
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cond:
            if self._closing:
                raise StoreError("the store is closed")
            self._queue.append((ops, fut, loop))
            self._cond.notify()
        await fut

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                batch, self._queue = self._queue, []
                if not batch and self._closing:
                    return
            try:
                self._commit(batch)
            except Exception as exc:  # never die: a dead writer would hang every later write
                error = StoreError(f"cannot write {self.paths['journal']}: {type(exc).__name__}: {exc}")
                for _, fut, loop in batch:
                    loop.call_soon_threadsafe(_settle, fut, error)

    def _commit(self, batch) -> None:
        fd = self._journal.fileno()
        start = os.fstat(fd).st_size
        seq = self._seq
        lines = []
        for ops, _, _ in batch:
            seq += 1
            lines.append(_encode_line(seq, ops))
        error: Exception | None = None
        try:
            pending = memoryview(b"".join(lines))
            while pending:  # a write to a nearly full disk may be partial
                pending = pending[os.write(fd, pending):]
            os.fsync(fd)
            self.fsyncs += 1
        except OSError as exc:
            error = StoreError(f"cannot write {self.paths['journal']}: {exc.strerror or exc}")
            try:  # leave no partial line behind that a later line would follow
                os.ftruncate(fd, start)
            except OSError:
                pass
        if error is None:
            self._seq = seq
            for ops, _, _ in batch:
                apply_ops(self._mirror, ops)
            self.writes += len(batch)
            self._since_checkpoint += len(batch)
            self._failed = None
        else:
            self._failed = str(error)
        for _, fut, loop in batch:
            loop.call_soon_threadsafe(_settle, fut, error)
        if error is None and self._since_checkpoint >= CHECKPOINT_EVERY:
            self._checkpoint()

    def _checkpoint(self) -> None:
        try:
            _write_checkpoint(self.paths["checkpoint"], self._mirror, self._seq)
            self._journal.seek(0)
            self._journal.truncate(0)
            os.fsync(self._journal.fileno())
            self._since_checkpoint = 0
        except OSError:
            pass  # the journal still holds everything; try again later

    @property
    def failing(self) -> str | None:
        """The last write error, or None once writes succeed again."""
        return self._failed

    def close(self) -> None:
        """Flush what is queued, write a final checkpoint, release the lock."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify()
        self._thread.join()
        if self._failed is None:
            self._checkpoint()
        self._journal.close()
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            os.close(self._lock_fd)


def _settle(fut: asyncio.Future, error: Exception | None) -> None:
    if fut.done():
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)


def _check_json(ops: list[Op]) -> None:
    """Reject values JSON cannot hold before anything is written."""
    try:
        # encode too: a lone surrogate passes json.dumps but not UTF-8, and the writer
        # thread would fail on it after the fact
        json.dumps(ops, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"not storable: {exc}") from None


def _ensure_dir(path: Path) -> None:
    """The sessions dir and the data dir above it: 0700 (the owner's alone)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StoreError(f"the data directory {path} is not writable")
    private_dir(path.parent)


def private_dir(path: Path) -> None:
    """Make a data dir the owner's alone (0700) where we may; a dir we do not own (say
    ``--data-dir /tmp``) is left as it is: the sessions dir inside it is 0700 anyway."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(0o700)
    except OSError:
        pass


def _lock(path: Path) -> int:
    try:
        fd = private_opener(path, os.O_RDWR | os.O_CREAT)
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreLocked(f"{path}: another facilitation-kit host has this session open") from None
    return fd


def list_sessions(data_dir: Path) -> list[dict[str, Any]]:
    """Every recorded session in a data dir (read-only), newest first."""
    base = Path(data_dir) / "sessions"
    ids = sorted({p.name.rsplit(".", 1)[0] for p in base.glob("*.json")}
                 | {p.name.rsplit(".", 1)[0] for p in base.glob("*.journal")}) if base.is_dir() else []
    out = []
    for sid in ids:
        if not _SESSION_ID.match(sid):
            continue
        try:
            tables, _ = read_session(data_dir, sid)
        except Exception as exc:
            out.append({"id": sid, "error": str(exc)})
            continue
        doc = tables["session"].get("session", {})
        out.append({"id": sid, "title": doc.get("title"), "created_at": doc.get("created_at"),
                    "participants": len(tables["participants"]),
                    "contributions": sum(1 for c in tables["contributions"].values()
                                         if not c.get("withdrawn"))})
    out.sort(key=lambda s: s.get("created_at") or "", reverse=True)
    return out


def read_session(data_dir: Path, session_id: str) -> tuple[dict[str, dict[str, Any]], Recovery]:
    """Read a session without locking it (it may be running): checkpoint + journal."""
    paths = session_paths(data_dir, session_id)
    if not _SESSION_ID.match(session_id) or not (
            paths["checkpoint"].exists() or paths["journal"].exists()):
        raise KeyError(session_id)
    recovery = Recovery()
    tables, _, _ = _load(paths, recovery, repair=False)
    return tables, recovery
