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
import contextlib
import fcntl
import glob
import json
import logging
import os
import re
import shutil
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import orjson
from tinydb.storages import Storage

from .logs import private_opener
from ..core.ops import TABLES, Op, StoreError, apply_ops, delete, put

__all__ = ["Store", "StoreError", "StoreLocked", "Op", "put", "delete", "session_paths",
           "list_sessions", "read_session", "Recovery"]

log = logging.getLogger("facilitation_kit.host.store")

# Journal lines between automatic checkpoints: CHECKPOINT_EVERY, or half the number of
# rows if that is more (a checkpoint costs in proportion to the session's size, so this
# keeps its cost per write bounded; resuming replays at most that many lines, ~0.15 s
# for 50,000 here).
CHECKPOINT_EVERY = 50_000
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
            "journal": base / f"{session_id}.journal",
            "previous": base / f"{session_id}.journal.previous",  # rotated out, checkpoint under way
            "next": base / f"{session_id}.journal.next",  # a rotation's new journal, briefly
            "lock": base / f"{session_id}.lock"}


class _AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file atomically on write (temp + fsync + rename).

    Reading parses the file once (orjson); the store reads the tables from it directly
    instead of through ``TinyDB.table()``, which would parse the whole file once per table.
    """

    def __init__(self, path: str, **_: Any):
        self.path = Path(path)

    def read(self):
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        return orjson.loads(raw)

    def write(self, data):
        _replace_file(self.path, orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))

    def close(self):
        pass


_SYNC_EVERY = 512 * 1024


def _replace_file(path: Path, payload: bytes | Iterable[bytes]) -> None:
    """Write ``payload`` to ``path`` atomically: ``<path>.new``, fsync, rename, fsync dir."""
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=0) as fh:
            if isinstance(payload, (bytes, bytearray)):
                payload = [payload]
            unsynced = 0
            for part in payload:
                fh.write(part)
                unsynced += len(part)
                if unsynced >= _SYNC_EVERY:
                    # A big file's dirty pages would make the journal's next fsync wait for
                    # them (ext4 commits them together): write them out a bit at a time.
                    os.fdatasync(fd)
                    unsynced = 0
            os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.replace(tmp, path)
    _fsync_dir(path.parent)


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


_JSON_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _encode_ops(ops: list[Op]) -> bytes:
    """The operations as compact UTF-8 JSON, or StoreError if JSON cannot hold them
    (checked before anything is written). orjson where it gives the same bytes as the
    standard library would; the standard library where orjson differs: orjson writes NaN
    and infinities as ``null`` (the standard library, with ``allow_nan=False``, refuses
    them, and so do we) and refuses integers beyond 64 bits (which JSON can hold)."""
    try:
        out = orjson.dumps(ops, option=_JSON_OPTS)
        if b"null" not in out:
            return out
    except TypeError:  # orjson.JSONEncodeError: decide with the standard library below
        pass
    try:
        # encode too: a lone surrogate passes json.dumps but not UTF-8
        return json.dumps(ops, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"not storable: {exc}") from None


def _encode_line(seq: int, ops: list[Op] | bytes) -> bytes:
    data = ops if isinstance(ops, bytes) else _encode_ops(ops)
    body = b'{"seq":%d,"ops":%s}' % (seq, data)
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _decode_line(raw: bytes) -> dict[str, Any]:
    crc, _, body = raw.partition(b" ")
    if len(crc) != 8 or int(crc, 16) != zlib.crc32(body):
        raise ValueError("checksum mismatch")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body.decode("utf-8"))  # what orjson refuses but JSON allows (big integers)


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


def _read_journal(path: Path, data: bytes, tables: dict, seq: int, recovery: Recovery,
                  damaged: list[int]) -> tuple[int, int]:
    """Replay the lines of one journal file newer than ``seq``; returns (seq, good bytes)."""
    good = 0
    offset = 0
    lineno = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        lineno += 1
        if end == -1:  # torn last write: never acknowledged
            recovery.problems.append(
                f"{path}:{lineno}: an unfinished last write was dropped (it had not been acknowledged)")
            break
        raw = data[offset:end]
        offset = end + 1
        try:
            entry = _decode_line(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            damaged.append(lineno)
            recovery.problems.append(f"{path}:{lineno}: damaged line skipped ({exc})")
            continue
        good = offset
        if entry["seq"] <= seq:
            continue
        apply_ops(tables, entry["ops"])
        seq = entry["seq"]
    return seq, good


def _read_checkpoint(cp: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """The tables and sequence number of a checkpoint (TinyDB's format: table → doc id →
    document, each document with its ``_key``). Raises ValueError & co. if damaged."""
    tables: dict[str, dict[str, Any]] = {t: {} for t in TABLES}
    data = _AtomicJSONStorage(str(cp)).read() or {}
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    meta = (data.get("_meta") or {}).get("1") or {}
    seq = int(meta.get("seq", 0))
    for name in TABLES:
        rows = tables[name]
        for doc in (data.get(name) or {}).values():
            key = doc.pop("_key")
            rows[key] = doc
    return tables, seq


def _load(paths: dict[str, Path], recovery: Recovery, *, repair: bool,
          require: str | None = None) -> tuple[dict, int, bool]:
    """Read checkpoint + the previous journal (if a checkpoint was under way) + the
    journal. Returns (tables, last seq, whether the checkpoint was damaged).

    With ``require``, a session whose table of that name cannot be read at all raises
    StoreError before anything is repaired (moved aside or rewritten)."""
    seq = 0
    cp_damaged = False
    cp, jp, op = paths["checkpoint"], paths["journal"], paths["previous"]
    # Read order: journal, previous journal, checkpoint. A running host may rotate (the
    # journal becomes the previous one), then checkpoint and delete the previous journal
    # while this reads; in every interleaving what was read is covered by a later file.
    data = jp.read_bytes() if jp.exists() else None
    old = op.read_bytes() if op.exists() else None
    if cp.exists():
        try:
            tables, seq = _read_checkpoint(cp)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            text = cp.read_bytes().decode("utf-8", "replace")
            tables, seq, read = _salvage_checkpoint(text)
            count = sum(len(rows) for name, rows in tables.items())
            recovery.problems.append(
                f"{cp}: the checkpoint is damaged ({exc}); recovered the {count} records readable "
                f"before character {read} of {len(text)}, and what the journal holds")
            cp_damaged = True
    else:
        tables = {t: {} for t in TABLES}
    damaged: dict[Path, tuple[bytes, list[int], int]] = {}
    for path, content in ((op, old), (jp, data)):
        if content is None:
            continue
        lines: list[int] = []
        seq, good = _read_journal(path, content, tables, seq, recovery, lines)
        if lines or good < len(content):
            damaged[path] = (content, lines, good)
    if require is not None and not tables.get(require):
        raise StoreError(f"{cp}: cannot resume: no {require} record could be read from it or from "
                         f"{jp.name} ({'; '.join(recovery.problems) or 'both are empty'}); "
                         "nothing was changed")
    if repair and cp_damaged:
        aside = cp.with_name(cp.name + f".damaged-{int(time.time())}")
        with open(cp, "rb") as src, open(aside, "wb", opener=private_opener) as dst:
            shutil.copyfileobj(src, dst)  # the new checkpoint replaces the damaged one atomically
        recovery.moved_aside.append(str(aside))
    if repair:
        for path, (content, _, _) in damaged.items():
            aside = jp.with_name(path.name + f".damaged-{int(time.time())}")
            with open(aside, "wb", opener=private_opener) as fh:
                fh.write(content)
            recovery.moved_aside.append(str(aside))
    return tables, seq, cp_damaged


_CHUNK = 500  # rows per joined write (about 1 ms of JSON here): the checkpoint thread lets go of
# the interpreter lock at each write, so the event loop waits at most about that long


def _row(n: int, key: str, doc: dict[str, Any]) -> bytes:
    """``"n":{"_key":key,...doc}`` (TinyDB's row) as bytes, without building the merged
    dict: the checkpoint thread makes no new containers per row, so writing 50,000 rows
    does not set off full collections of the garbage collector (each stops the loop)."""
    if not doc or "_key" in doc:
        return b'"%d":%s' % (n, orjson.dumps({"_key": key, **doc}, option=orjson.OPT_NON_STR_KEYS))
    return b'"%d":{"_key":%s,%s' % (n, orjson.dumps(key), orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)[1:])


def _checkpoint_parts(tables: dict[str, dict[str, Any]], seq: int) -> Iterable[bytes]:
    """A checkpoint in TinyDB's format (doc ids from 1 in each table), as byte chunks."""
    yield b'{"_meta":' + orjson.dumps({"1": {"seq": seq, "saved_at": time.time()}})
    for name in TABLES:
        rows = tables.get(name) or {}
        if not rows:
            continue
        yield b',"' + name.encode() + b'":{'
        part: list[bytes] = []
        for n, (key, doc) in enumerate(rows.items(), 1):
            part.append(_row(n, key, doc))
            if len(part) == _CHUNK:
                yield (b"," if n > _CHUNK else b"") + b",".join(part)
                part = []
        if part:
            yield (b"," if len(rows) > len(part) else b"") + b",".join(part)
        yield b"}"
    yield b"}"


def _write_checkpoint(path: Path, tables: dict[str, dict[str, Any]], seq: int) -> None:
    _replace_file(path, _checkpoint_parts(tables, seq))


class Store:
    """One open session's storage. Open with :meth:`create` or :meth:`open`.

    ``tables`` is the state as loaded; afterwards the owner keeps its own state and
    sends changes through :meth:`write`.

    Threads: the caller's event loop (``write`` encodes and queues), the writer thread
    (journal lines, ``fsync``, settling the futures, rotating the journal), and, while a
    checkpoint is being written, a checkpoint thread that writes it from a snapshot.
    """

    def __init__(self, paths: dict[str, Path], tables: dict, seq: int, lock_fd: int,
                 recovery: Recovery):
        self.paths = paths
        self.tables = tables
        self.recovery = recovery
        self._seq = seq
        self._lock_fd = lock_fd
        self._mirror = {t: dict(rows) for t, rows in tables.items()}  # the writer thread's copy
        self._since_checkpoint = 0
        self._queue: list[tuple[list[Op], bytes, asyncio.Future, asyncio.AbstractEventLoop]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._failed: str | None = None
        self._checkpointer: threading.Thread | None = None  # a checkpoint being written
        self._starting = False  # the writer thread is rotating the journal for a checkpoint
        self._compact_at: float | None = None  # when a requested compaction is due
        self._compact_retry = False
        self._last_compaction = 0.0
        self._scrub = False
        self._checkpoint_due = False
        self.checkpoints = 0
        self.compactions = 0
        self.last_checkpoint_s = 0.0
        # Unbuffered: a write that fails (disk full) must leave nothing behind in a
        # user-space buffer that a later, successful write would flush after all.
        self._journal = open(paths["journal"], "ab", buffering=0, opener=private_opener)
        self._thread = threading.Thread(target=self._run, name="facilitation-kit-store", daemon=True)
        self.writes = 0
        self.fsyncs = 0
        self._thread.start()

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def create(cls, data_dir: Path, session_id: str) -> "Store":
        paths = session_paths(data_dir, session_id)
        _ensure_dir(paths["dir"])
        if paths["checkpoint"].exists() or paths["journal"].exists() or paths["previous"].exists():
            raise StoreError(f"{paths['checkpoint']}: a session with this id already exists")
        lock_fd = _lock(paths["lock"])
        try:
            _write_checkpoint(paths["checkpoint"], {}, 0)
        except OSError as exc:
            os.close(lock_fd)
            raise StoreError(f"cannot write {paths['checkpoint']}: {exc.strerror or exc}") from None
        return cls(paths, {t: {} for t in TABLES}, 0, lock_fd, Recovery())

    @classmethod
    def open(cls, data_dir: Path, session_id: str, *, require: str | None = None) -> "Store":
        """Open a recorded session; ``require`` names a table that must not come out
        empty (the host requires "session"), else StoreError and nothing is changed.

        What the journal holds is folded into a fresh checkpoint on the checkpoint
        thread after opening (the journal is rotated first), so a resume does not wait
        for the checkpoint to be rewritten."""
        paths = session_paths(data_dir, session_id)
        if not _SESSION_ID.match(session_id) or not (
                paths["checkpoint"].exists() or paths["journal"].exists() or paths["previous"].exists()):
            raise KeyError(session_id)
        lock_fd = _lock(paths["lock"])
        try:
            recovery = Recovery()
            tables, seq, cp_damaged = _load(paths, recovery, repair=True, require=require)
            jp, op = paths["journal"], paths["previous"]
            with contextlib.suppress(FileNotFoundError):
                paths["next"].unlink()  # a rotation that died between its two renames
            journal_has = jp.exists() and jp.stat().st_size > 0
            if op.exists() and journal_has:
                # died while a checkpoint was being written, after more writes: fold now
                _write_checkpoint(paths["checkpoint"], tables, seq)
                _empty(jp)
                op.unlink()
                _fsync_dir(paths["dir"])
                pending = False
            elif journal_has:
                _rotate_files(paths).close()
                pending = True
            else:
                pending = op.exists() or cp_damaged
        except OSError as exc:
            os.close(lock_fd)
            raise StoreError(f"cannot open {paths['checkpoint']}: {exc.strerror or exc}") from None
        except BaseException:
            os.close(lock_fd)
            raise
        store = cls(paths, tables, seq, lock_fd, recovery)
        if pending:
            with store._cond:
                store._checkpoint_due = True  # the writer thread starts it
                store._cond.notify()
        return store

    # -- writing ---------------------------------------------------------------------
    async def write(self, ops: list[Op]) -> None:
        """Store ``ops`` durably; returns once they are fsynced. Raises StoreError."""
        data = _encode_ops(ops)  # also the check that JSON can hold them, before anything is written
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cond:
            if self._closing:
                raise StoreError("the store is closed")
            self._queue.append((ops, data, fut, loop))
            self._cond.notify()
        await fut

    def compact(self) -> None:
        """Rewrite the checkpoint and start an empty journal soon (within about a second,
        off the ack path), and delete the session's ``*.damaged-*`` copies: after an
        erase or a withdrawal, no file of the session keeps the removed text."""
        with self._cond:
            if self._closing:
                return
            self._scrub = True
            if self._compact_at is None:
                self._compact_at = max(time.monotonic(), self._last_compaction + COMPACT_MIN_INTERVAL)
            self._cond.notify()

    def _due(self) -> float | None:
        """Seconds until a checkpoint should start (0: now), or None: nothing due. Called
        with the condition held."""
        if self._checkpointer is not None or self._starting or self._failed is not None:
            return None
        if self._checkpoint_due or self._since_checkpoint >= max(
                CHECKPOINT_EVERY, sum(map(len, self._mirror.values())) // 2):
            return 0.0
        if self._compact_at is not None:
            return max(0.0, self._compact_at - time.monotonic())
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    due = self._due()
                    if due == 0.0:
                        break
                    self._cond.wait(due)
                batch, self._queue = self._queue, []
                if not batch and self._closing:
                    return
            if batch:
                try:
                    self._commit(batch)
                except Exception as exc:  # never die: a dead writer would hang every later write
                    error = StoreError(f"cannot write {self.paths['journal']}: {type(exc).__name__}: {exc}")
                    _settle_batch(batch, error)
            with self._cond:
                start = self._due() == 0.0 and not self._closing
                if start:  # what the checkpoint is for, taken under the lock; the rest outside it
                    compact = self._compact_at is not None
                    scrub = self._scrub and compact
                    self._scrub = self._scrub and not compact
                    self._since_checkpoint = 0
                    self._compact_at = None
                    self._checkpoint_due = False
                    self._starting = True
            if start:
                self._start_checkpoint(compact=compact, scrub=scrub)

    def _commit(self, batch) -> None:
        fd = self._journal.fileno()
        start = os.fstat(fd).st_size
        seq = self._seq
        lines = []
        for _, data, _, _ in batch:
            seq += 1
            lines.append(_encode_line(seq, data))
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
            for ops, _, _, _ in batch:
                apply_ops(self._mirror, ops)
            self.writes += len(batch)
            self._since_checkpoint += len(batch)
            if self._failed is not None or self._compact_retry:
                with self._cond:
                    if self._compact_retry and self._compact_at is None:
                        self._compact_at = time.monotonic()
                    self._compact_retry = False
            self._failed = None
        else:
            self._failed = str(error)
        _settle_batch(batch, error)  # one wake-up of each waiting loop for the whole batch

    # -- checkpoints -----------------------------------------------------------------
    def _start_checkpoint(self, *, compact: bool, scrub: bool) -> None:
        """Rotate the journal (unless a previous checkpoint left the previous journal
        behind) and write the checkpoint of a snapshot on a thread of its own. Called by
        the writer thread between commits, *without* the condition's lock: the rotation's
        renames and directory ``fsync`` can take tens of milliseconds on a busy disk, and
        every :meth:`write` on the event loop takes that lock (only this thread changes
        the journal and the mirror, so they need no lock here)."""
        thread = None
        try:
            if not self.paths["previous"].exists():
                new = _rotate_files(self.paths)
                old, self._journal = self._journal, new
                old.close()
        except OSError as exc:
            log.warning("cannot rotate %s (%s); the journal keeps everything, trying again later",
                        self.paths["journal"], exc.strerror or exc)
        else:
            snapshot = {t: dict(rows) for t, rows in self._mirror.items()}
            thread = threading.Thread(target=self._checkpoint_job, args=(snapshot, self._seq, compact, scrub),
                                      name="facilitation-kit-checkpoint", daemon=True)
        with self._cond:
            self._starting = False
            if thread is None:
                self._compact_retry = self._compact_retry or compact
                self._scrub = self._scrub or scrub
            else:
                self._checkpointer = thread
                thread.start()
            self._cond.notify_all()

    def _checkpoint_job(self, snapshot: dict, seq: int, compact: bool, scrub: bool) -> None:
        started = time.monotonic()
        ok = False
        try:
            _write_checkpoint(self.paths["checkpoint"], snapshot, seq)
            with contextlib.suppress(FileNotFoundError):
                self.paths["previous"].unlink()  # the checkpoint covers all of it
            _fsync_dir(self.paths["dir"])
            if scrub:
                _scrub_copies(self.paths)
            ok = True
        except OSError as exc:
            log.warning("cannot write the checkpoint %s (%s); the journal keeps everything, trying again later",
                        self.paths["checkpoint"], exc.strerror or exc)
        with self._cond:
            self._checkpointer = None
            self.last_checkpoint_s = time.monotonic() - started
            if ok:
                self.checkpoints += 1
                if compact:
                    self.compactions += 1
                    self._last_compaction = time.monotonic()
            else:
                self._compact_retry = self._compact_retry or compact
                self._scrub = self._scrub or scrub
            self._cond.notify_all()

    def wait_checkpoint(self, timeout: float | None = None) -> bool:
        """Wait until no checkpoint is being written and none is due (tests, benchmarks)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (self._checkpointer is not None or self._starting or self._compact_at is not None
                   or self._checkpoint_due):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is None else min(left, 0.05))
        return True

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
        writing = self._checkpointer
        if writing is not None:
            writing.join()
        if self._failed is None:
            try:
                _write_checkpoint(self.paths["checkpoint"], self._mirror, self._seq)
                _empty(self.paths["journal"])
                with contextlib.suppress(FileNotFoundError):
                    self.paths["previous"].unlink()
                _fsync_dir(self.paths["dir"])
                if self._scrub:
                    _scrub_copies(self.paths)
            except OSError:
                pass  # the journal still holds everything
        self._journal.close()
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            os.close(self._lock_fd)


COMPACT_MIN_INTERVAL = 1.0  # seconds between compactions (erase/withdraw bursts share one)


def _empty(path: Path) -> None:
    with open(path, "wb", opener=private_opener) as fh:
        fh.flush()
        os.fsync(fh.fileno())


def _rotate_files(paths: dict[str, Path]):
    """``<id>.journal`` becomes ``<id>.journal.previous`` and a new, empty journal takes
    its place; returns the new journal opened for appending. A crash at any point leaves
    a journal, a previous journal or both, which loading reads in that order."""
    nxt = paths["next"]
    fd = os.open(nxt, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    fh = open(fd, "ab", buffering=0)
    try:
        os.replace(paths["journal"], paths["previous"])
        try:
            os.replace(nxt, paths["journal"])
        except OSError:
            os.replace(paths["previous"], paths["journal"])
            raise
        _fsync_dir(paths["dir"])
    except BaseException:
        fh.close()
        with contextlib.suppress(OSError):
            nxt.unlink()
        raise
    return fh


def _scrub_copies(paths: dict[str, Path]) -> None:
    """Delete the session's ``*.damaged-*`` copies and leftovers of interrupted writes.

    A damaged copy is what could not be read when the session was loaded; what could be
    read is in the checkpoint. The kit cannot tell which part of an unreadable file
    belonged to an erased participant or a withdrawn contribution, so after an erase or a
    withdrawal the copies go (docs/architecture.md, "Durability")."""
    stem = paths["checkpoint"].stem
    for path in paths["dir"].glob(f"{glob.escape(stem)}.*"):
        name = path.name[len(stem):]
        if ".damaged-" in name or name in (".json.new", ".json.tmp", ".journal.next"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    _fsync_dir(paths["dir"])


def _settle_batch(batch, error: Exception | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
    for item in batch:
        by_loop.setdefault(item[-1], []).append(item[-2])
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, futures, error)
        except RuntimeError:  # that loop is closed: nobody waits any more
            pass


def _settle_all(futures: list[asyncio.Future], error: Exception | None) -> None:
    for fut in futures:
        if fut.done():
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)


def _check_json(ops: list[Op]) -> None:
    """Reject values JSON cannot hold before anything is written."""
    _encode_ops(ops)


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
