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
    paths = session_paths(tmp_path, "s1")
    assert len(paths["journal"].read_bytes().splitlines()) < 10
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
