"""The journalled store: durability, group commit, recovery, locking."""

import asyncio
import json
import os

import pytest

from facilitation_kit.host.store import (Store, StoreError, StoreLocked, delete, list_sessions, put,
                                    read_session, session_paths)


def doc(n):
    return {"id": f"c{n}", "participant": "p", "activity": "a", "data": {"answer": f"text {n}"},
            "created_at": "2026-01-01T00:00:00.000Z"}


async def test_write_close_reopen(tmp_path):
    store = Store.create(tmp_path, "s1")
    await store.write([put("session", "session", {"id": "s1", "title": "T"})])
    await store.write([put("contributions", "p/c1", doc(1)), put("contributions", "p/c2", doc(2))])
    await store.write([delete("contributions", "p/c1")])
    store.close()
    store = Store.open(tmp_path, "s1")
    assert store.tables["session"]["session"]["title"] == "T"
    assert list(store.tables["contributions"]) == ["p/c2"]
    assert not store.recovery
    store.close()


async def test_acked_writes_survive_without_close(tmp_path):
    """What a kill -9 leaves: journal lines, no final checkpoint. Reading replays them."""
    store = Store.create(tmp_path, "s1")
    for n in range(50):
        await store.write([put("contributions", f"p/c{n}", doc(n))])
    # no close(): simulate the process dying right after the acks
    tables, recovery = read_session(tmp_path, "s1")
    assert len(tables["contributions"]) == 50 and not recovery
    store._journal.close()  # release without the final checkpoint
    os.close(store._lock_fd)


async def test_group_commit_batches_concurrent_writes(tmp_path):
    store = Store.create(tmp_path, "s1")
    await asyncio.gather(*(store.write([put("contributions", f"p/c{n}", doc(n))]) for n in range(200)))
    assert store.writes == 200
    assert store.fsyncs < 200  # many acks share one fsync
    store.close()
    assert len(read_session(tmp_path, "s1")[0]["contributions"]) == 200


async def test_torn_last_line_is_dropped_and_reported(tmp_path):
    store = Store.create(tmp_path, "s1")
    await store.write([put("contributions", "p/c1", doc(1))])
    store._journal.close()
    os.close(store._lock_fd)
    journal = session_paths(tmp_path, "s1")["journal"]
    with open(journal, "ab") as fh:
        fh.write(b'1234abcd {"seq": 2, "ops": [["put", "contr')  # a crash mid-write
    store = Store.open(tmp_path, "s1")
    assert list(store.tables["contributions"]) == ["p/c1"]
    assert any("unfinished last write" in p for p in store.recovery.problems)
    store.close()


async def test_damaged_middle_line_skipped_rest_recovered(tmp_path):
    store = Store.create(tmp_path, "s1")
    for n in range(3):
        await store.write([put("contributions", f"p/c{n}", doc(n))])
    store._journal.close()
    os.close(store._lock_fd)
    journal = session_paths(tmp_path, "s1")["journal"]
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"text 1", b"text X")  # checksum no longer matches
    journal.write_bytes(b"".join(lines))
    store = Store.open(tmp_path, "s1")
    assert sorted(store.tables["contributions"]) == ["p/c0", "p/c2"]
    problem = next(p for p in store.recovery.problems if "damaged line" in p)
    assert f"{journal}:2" in problem
    assert store.recovery.moved_aside and os.path.exists(store.recovery.moved_aside[0])
    store.close()


async def test_damaged_checkpoint_recovers_journal_and_keeps_the_bad_file(tmp_path):
    store = Store.create(tmp_path, "s1")
    await store.write([put("contributions", "p/c1", doc(1))])
    store._journal.close()
    os.close(store._lock_fd)
    checkpoint = session_paths(tmp_path, "s1")["checkpoint"]
    checkpoint.write_text('{"_meta": {"1": {"seq": 0}}, "contributions": {"1": ', encoding="utf-8")
    store = Store.open(tmp_path, "s1")
    assert list(store.tables["contributions"]) == ["p/c1"]
    assert any(str(checkpoint) in p and "damaged" in p for p in store.recovery.problems)
    assert any(".damaged-" in p for p in store.recovery.moved_aside)
    store.close()


async def test_second_host_cannot_open_the_same_session(tmp_path):
    store = Store.create(tmp_path, "s1")
    with pytest.raises(StoreLocked, match="another facilitation-kit host"):
        Store.open(tmp_path, "s1")
    store.close()
    Store.open(tmp_path, "s1").close()


async def test_unserialisable_value_rejected_before_any_write(tmp_path):
    store = Store.create(tmp_path, "s1")
    await store.write([put("contributions", "p/c1", doc(1))])
    with pytest.raises(StoreError, match="not storable"):
        await store.write([put("contributions", "p/c2", {"data": {1, 2}})])
    with pytest.raises(StoreError, match="not storable"):
        await store.write([put("contributions", "p/c3", {"x": float("nan")})])
    store.close()
    assert list(read_session(tmp_path, "s1")[0]["contributions"]) == ["p/c1"]


async def test_checkpoint_folds_journal(tmp_path, monkeypatch):
    import facilitation_kit.host.store as store_module

    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 10)
    store = Store.create(tmp_path, "s1")
    for n in range(25):
        await store.write([put("contributions", f"p/c{n}", doc(n))])
        assert store.wait_checkpoint(30)
    paths = session_paths(tmp_path, "s1")
    assert store.checkpoints == 2  # after the 10th and the 20th write
    assert len(paths["journal"].read_bytes().splitlines()) == 5 and not paths["previous"].exists()
    assert len(read_session(tmp_path, "s1")[0]["contributions"]) == 25
    store.close()
    checkpoint = json.loads(paths["checkpoint"].read_text())
    assert len(checkpoint["contributions"]) == 25 and paths["journal"].read_bytes() == b""


async def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        if os.access(target, os.W_OK):  # root ignores permissions: use a file in the way
            target.chmod(0o700)
            (target / "sessions").write_text("not a directory")
        with pytest.raises(StoreError) as info:
            Store.create(target, "s1")
        assert str(target) in str(info.value)
    finally:
        target.chmod(0o700)


async def test_list_sessions(tmp_path):
    assert list_sessions(tmp_path) == []
    store = Store.create(tmp_path, "s1")
    await store.write([put("session", "session", {"id": "s1", "title": "First", "created_at": "2026"}),
                       put("participants", "p", {"id": "p"}),
                       put("contributions", "p/c1", doc(1)),
                       put("contributions", "p/c2", {**doc(2), "withdrawn": True})])
    store.close()
    assert list_sessions(tmp_path) == [{"id": "s1", "title": "First", "created_at": "2026",
                                        "participants": 1, "contributions": 1}]


# -- journal rotation: the files a crash can leave at each point of a checkpoint --------
from facilitation_kit.host.store import _encode_line, _write_checkpoint  # noqa: E402


def _lines(first, last, **extra):
    return b"".join(_encode_line(n, [put("contributions", f"p/c{n}", doc(n))]) for n in range(first, last + 1))


def _session(tmp_path, *, checkpoint_seq, previous=None, journal=None, extra_rows=()):
    """Files as a host leaves them, written by hand: a checkpoint holding c1..c<seq>, a
    previous journal and a journal with the given bytes (None: the file is absent)."""
    paths = session_paths(tmp_path, "s1")
    paths["dir"].mkdir(parents=True, exist_ok=True)
    tables = {"session": {"session": {"id": "s1"}},
              "contributions": {f"p/c{n}": doc(n) for n in range(1, checkpoint_seq + 1)}}
    _write_checkpoint(paths["checkpoint"], tables, checkpoint_seq)
    for name, data in (("previous", previous), ("journal", journal)):
        if data is not None:
            paths[name].write_bytes(data)
    return paths


def _reopen_all(tmp_path, expected):
    tables, recovery = read_session(tmp_path, "s1")  # what an export reads
    assert sorted(tables["contributions"]) == expected
    store = Store.open(tmp_path, "s1")
    assert sorted(store.tables["contributions"]) == expected
    assert store.wait_checkpoint(30)
    paths = store.paths
    assert not paths["previous"].exists() and not paths["next"].exists()
    store.close()
    again = Store.open(tmp_path, "s1")
    assert sorted(again.tables["contributions"]) == expected and not again.recovery
    again.close()
    return recovery


def _keys(*ns):
    return sorted(f"p/c{n}" for n in ns)


async def test_crash_after_rotation_before_the_checkpoint(tmp_path):
    """Journal rotated (1..5 in the previous journal), new writes 6..8, old checkpoint."""
    _session(tmp_path, checkpoint_seq=0, previous=_lines(1, 5), journal=_lines(6, 8))
    _reopen_all(tmp_path, _keys(*range(1, 9)))


async def test_crash_between_the_two_renames_of_a_rotation(tmp_path):
    """The journal was renamed to the previous one; the new journal is still .next."""
    paths = _session(tmp_path, checkpoint_seq=0, previous=_lines(1, 5))
    paths["next"].write_bytes(b"")
    _reopen_all(tmp_path, _keys(*range(1, 6)))


async def test_crash_after_the_checkpoint_before_the_previous_journal_is_deleted(tmp_path):
    """The new checkpoint (seq 5) is in place, the previous journal still there: its lines
    are not applied twice; a delete in the newer journal is not undone by them."""
    journal = _lines(6, 7) + _encode_line(8, [delete("contributions", "p/c2")])
    _session(tmp_path, checkpoint_seq=5, previous=_lines(1, 5), journal=journal)
    _reopen_all(tmp_path, _keys(1, 3, 4, 5, 6, 7))


async def test_crash_mid_checkpoint_write_leaves_the_old_checkpoint(tmp_path):
    """A half-written checkpoint (.json.new) is ignored; the old one + journals count."""
    paths = _session(tmp_path, checkpoint_seq=2, previous=_lines(3, 5), journal=_lines(6, 6))
    paths["checkpoint"].with_name(paths["checkpoint"].name + ".new").write_bytes(b'{"_meta": {"1": {"seq": 9')
    _reopen_all(tmp_path, _keys(*range(1, 7)))


async def test_torn_tail_of_the_journal_while_a_previous_journal_exists(tmp_path):
    torn = _lines(6, 7) + _lines(8, 8)[:-20]
    _session(tmp_path, checkpoint_seq=0, previous=_lines(1, 5), journal=torn)
    recovery = _reopen_all(tmp_path, _keys(*range(1, 8)))
    assert any("unfinished last write" in p for p in recovery.problems)


async def test_writes_go_on_while_the_checkpoint_is_written(tmp_path):
    """A checkpoint rotates the journal and writes from a snapshot on its own thread;
    writes made meanwhile land in the new journal and survive without a close."""
    store = Store.create(tmp_path, "s1")
    for n in range(300):
        await store.write([put("contributions", f"p/c{n}", doc(n))])
    store.compact()
    for n in range(300, 400):
        await store.write([put("contributions", f"p/c{n}", doc(n))])
    assert store.wait_checkpoint(30) and store.compactions == 1
    paths = store.paths
    cp = json.loads(paths["checkpoint"].read_text())
    assert 300 <= len(cp["contributions"]) <= 400  # the snapshot: what was written when it began
    tables, _ = read_session(tmp_path, "s1")
    assert len(tables["contributions"]) == 400
    store._journal.close()  # die here: no final checkpoint
    os.close(store._lock_fd)
    store = Store.open(tmp_path, "s1")
    assert len(store.tables["contributions"]) == 400
    store.close()


async def test_compaction_leaves_no_removed_text_in_any_file(tmp_path):
    """After a delete (erase) or a tombstone (withdraw) and compact(), no file of the
    session holds the text, including a *.damaged-* copy from an earlier recovery."""
    store = Store.create(tmp_path, "s1")
    secret = {**doc(1), "data": {"answer": "my neighbour's secret diagnosis"}}
    await store.write([put("contributions", "p/c1", secret), put("contributions", "p/c2", doc(2))])
    store._journal.close()
    os.close(store._lock_fd)
    journal = session_paths(tmp_path, "s1")["journal"]
    journal.write_bytes(journal.read_bytes() + b"garbage\n")  # a damaged line: a copy is kept
    store = Store.open(tmp_path, "s1")
    assert store.recovery.moved_aside
    await store.write([delete("contributions", "p/c1")])
    store.compact()
    assert store.wait_checkpoint(30)
    for path in store.paths["dir"].iterdir():
        assert b"secret diagnosis" not in path.read_bytes(), path
    assert sorted(read_session(tmp_path, "s1")[0]["contributions"]) == ["p/c2"]
    store.close()
    for path in store.paths["dir"].iterdir():
        assert b"secret diagnosis" not in path.read_bytes(), path


def test_a_checkpoint_of_many_rows_is_tinydbs_format(tmp_path):
    """The checkpoint is written row by row as bytes, in chunks (no merged dict per row):
    TinyDB itself reads it back, every row in order with its ``_key``, across chunk
    boundaries, for empty rows and rows with non-string keys inside too."""
    from tinydb import TinyDB

    rows = {f"p{i}/c{i}": ({**doc(i), "data": {"answer": f"idea {i} – é", 7: "int key"}} if i % 9 else {})
            for i in range(1, 1203)}
    tables = {"session": {"session": {"id": "s1"}}, "contributions": rows}
    path = tmp_path / "cp.json"
    _write_checkpoint(path, tables, 42)
    with TinyDB(path, access_mode="r") as db:
        got = db.table("contributions").all()
        assert [d.doc_id for d in got] == list(range(1, 1203))
        assert [d["_key"] for d in got] == list(rows)
        assert got[0] == {"_key": "p1/c1", **rows["p1/c1"], "data": {"answer": "idea 1 – é", "7": "int key"}}
        assert got[8] == {"_key": "p9/c9"}  # an empty row
        assert db.table("_meta").get(doc_id=1)["seq"] == 42
