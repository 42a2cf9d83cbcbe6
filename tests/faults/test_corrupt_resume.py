"""A damaged session file on --resume: a clear message naming the file, everything
recoverable recovered, the damaged file kept, and never a silent empty session."""

from __future__ import annotations

import os

import pytest

from facilitation_kit.testing import Phone

from .helpers import Served, StartFailed, stored_contributions

IDEAS = 30


async def _recorded_session(data_dir, agenda_file, *, kill: bool) -> tuple[Served, dict]:
    served = Served(data_dir, agenda=agenda_file)
    phone = await Phone.connect(served.ws + "/ws", served.info["room"])
    await phone.hello(role="Manager")
    acked = {}
    for i in range(IDEAS):
        ack = await phone.submit({"answer": f"idea {i}"}, id=f"c{i:02d}", activity="ideas")
        assert ack["type"] == "ack"
        acked[(phone.id, ack["id"])] = ack["contribution"]
    await phone.close()
    if kill:
        served.kill9()  # the journal holds the acks
    else:
        assert served.stop()[0] == 0  # the checkpoint holds the acks, the journal is empty
    return served, acked


def _paths(data_dir, session_id):
    base = data_dir / "sessions"
    return base / f"{session_id}.json", base / f"{session_id}.journal"


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "garbage-in-the-middle"])
async def test_damaged_checkpoint_recovers_what_is_readable(tmp_path, agenda_file, damage):
    data_dir = tmp_path / "data"
    served, acked = await _recorded_session(data_dir, agenda_file, kill=False)
    checkpoint, _ = _paths(data_dir, served.session_id)
    raw = checkpoint.read_bytes()
    cut = int(len(raw) * 0.7)
    if damage == "truncated":
        checkpoint.write_bytes(raw[:cut])
    else:
        checkpoint.write_bytes(raw[:cut] + b"\x00\xff#garbage#" + raw[cut + 11:])

    resumed = Served(data_dir, "--resume", served.session_id)
    code, out, err = resumed.stop()
    assert code == 0, err
    recovered = [line for line in out.splitlines() if line.startswith("recovered:")]
    assert recovered and str(checkpoint) in recovered[0] and "damaged" in recovered[0]
    kept = list(checkpoint.parent.glob(checkpoint.name + ".damaged-*"))
    assert kept and kept[0].read_bytes()[:cut] == raw[:cut]  # the damaged file is kept as it was
    stored = stored_contributions(data_dir, served.session_id)
    assert stored, "never a silent empty session"
    for key, contribution in stored.items():
        assert acked[key] == contribution  # what came back is what was acked, unaltered
    # everything before the damage came back: the records are in the file in order
    readable = raw[:cut].decode("utf-8", "replace")
    before = [key for key in acked if f'"_key":"{key[0]}/{key[1]}"' in readable]
    assert set(before[:-1]) <= set(stored)


@pytest.mark.slow
async def test_damaged_journal_line_and_torn_tail_after_kill(tmp_path, agenda_file):
    data_dir = tmp_path / "data"
    served, acked = await _recorded_session(data_dir, agenda_file, kill=True)
    _, journal = _paths(data_dir, served.session_id)
    lines = journal.read_bytes().split(b"\n")
    victim = len(lines) // 2
    lines[victim] = lines[victim].replace(b"idea", b"IDEA", 1)  # fails its CRC
    journal.write_bytes(b"\n".join(lines) + b'3a1b {"seq": 99999, "ops": [["put"')  # torn tail

    resumed = Served(data_dir, "--resume", served.session_id)
    code, out, err = resumed.stop()
    assert code == 0, err
    recovered = [line for line in out.splitlines() if line.startswith("recovered:")]
    assert any(f"{journal}:{victim + 1}: damaged line" in line for line in recovered), out
    assert any("unfinished last write" in line for line in recovered), out
    stored = stored_contributions(data_dir, served.session_id)
    lost = set(acked) - set(stored)
    assert len(lost) <= 1  # only the damaged line's contribution
    for key in stored:
        assert stored[key] == acked[key]
    assert list(journal.parent.glob(journal.name + ".damaged-*"))


@pytest.mark.slow
async def test_unreadable_session_refuses_to_resume_and_changes_nothing(tmp_path, agenda_file):
    data_dir = tmp_path / "data"
    served, _ = await _recorded_session(data_dir, agenda_file, kill=False)
    checkpoint, journal = _paths(data_dir, served.session_id)
    checkpoint.write_bytes(b'{"_meta":{"1":{"seq":3')  # nothing but a fragment
    before = {p.name: p.read_bytes() for p in checkpoint.parent.iterdir() if p.is_file()}

    with pytest.raises(StartFailed) as failed:
        Served(data_dir, "--resume", served.session_id)
    assert failed.value.code == 2
    message = failed.value.err.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert str(checkpoint) in message and "cannot resume" in message
    after = {p.name: p.read_bytes() for p in checkpoint.parent.iterdir() if p.is_file()}
    assert after == before  # nothing moved, rewritten or emptied
    assert os.path.getsize(checkpoint) > 0
