"""The disk fills up under a running host, then space returns.

The data dir is on a small tmpfs mounted for the test (as root), so the host meets a
real ENOSPC; where mounting is not permitted, the host's RLIMIT_FSIZE is lowered
instead (prlimit), which makes its writes fail with EFBIG through the same code path.

What must hold: no ack for what was not stored; participants get ``unavailable``; the
facilitator channel gets a ``storage`` event (and another when writing works again);
nothing already stored is damaged; writes work again when space returns.
"""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import uuid
from pathlib import Path

import pytest

from facilitation_kit.testing import Facilitator, Phone

from .helpers import Served, stored_contributions


class Disk:
    """Fill and free the file system under ``root`` (a tmpfs, or FSIZE limits)."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.tmpfs = False
        if not os.environ.get("FACILITATION_KIT_TEST_NO_TMPFS"):  # to exercise the fallback
            result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(root)],
                                    capture_output=True, text=True)
            self.tmpfs = result.returncode == 0
        self.pid: int | None = None
        self.filler = root / "filler"

    def fill(self) -> None:
        if self.tmpfs:
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                for size in (1 << 16, 1 << 12, 1 << 8, 1):
                    while True:
                        try:
                            os.write(fd, b"\0" * size)
                        except OSError as exc:
                            assert exc.errno == errno.ENOSPC
                            break
            finally:
                os.close(fd)
        else:  # every file the host writes may not grow past its current size
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (self._largest(), resource.RLIM_INFINITY))

    def free(self) -> None:
        if self.tmpfs:
            self.filler.unlink()
        elif os.path.exists(f"/proc/{self.pid}"):  # a stopped host needs no more room
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def _largest(self) -> int:
        return max(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def close(self) -> None:
        if self.tmpfs:
            subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


@pytest.fixture
def disk(tmp_path):
    d = Disk(tmp_path / "fs")
    yield d
    d.close()


async def _submit(phone: Phone, text: str, cid: str | None = None) -> dict:
    return await phone.submit({"answer": text}, id=cid or str(uuid.uuid4()), activity="ideas")


@pytest.mark.slow
async def test_disk_full_then_space_returns(tmp_path, agenda_file, disk):
    data_dir = disk.root / "data"
    served = Served(data_dir, agenda=agenda_file, info_dir=tmp_path / "info")
    disk.pid = served.proc.pid
    facilitator = await Facilitator.connect(served.ws, served.info["facilitator_token"])
    ana = await Phone.connect(served.ws + "/ws", served.info["room"])
    await ana.hello(role="Manager")
    acked: dict[str, dict] = {}
    for i in range(5):
        ack = await _submit(ana, f"before the disk filled {i} " + "x" * 200)
        assert ack["type"] == "ack"
        acked[ack["id"]] = ack["contribution"]

    disk.fill()
    # a page may still have room: submit until the first refusal (bounded)
    refused = None
    for i in range(200):
        cid = f"while-full-{i}"
        reply = await _submit(ana, f"while the disk is full {i} " + "y" * 400, cid)
        if reply["type"] == "error":
            refused = reply
            break
        acked[reply["id"]] = reply["contribution"]
    assert refused is not None, "the disk never filled"
    assert refused["code"] == "unavailable" and refused["id"] == cid
    event = await facilitator.expect("storage")
    assert event["ok"] is False and event["message"]

    # the journal's last page may still hold a small line: use it up with tiny ones
    for k in range(100):
        tiny = await _submit(ana, "z", f"tiny-{k}")
        if tiny["type"] == "error":
            assert tiny["code"] == "unavailable"
            break
        acked[tiny["id"]] = tiny["contribution"]
    else:
        raise AssertionError("tiny submissions never ran out of space")

    # while full: more refusals, no ack; a new participant cannot be stored either
    again = await _submit(ana, f"while the disk is full {i} " + "y" * 400, cid)  # the outbox resends
    assert again["type"] == "error" and again["code"] == "unavailable"
    first_acked = next(iter(acked))
    withdrawn = await ana.withdraw(first_acked)
    assert withdrawn["type"] == "error" and withdrawn["code"] == "unavailable"
    newcomer = await Phone.connect(served.ws + "/ws", served.info["room"])
    hello = await newcomer.hello(role="Manager")
    assert hello["type"] == "error" and hello["code"] == "unavailable"
    sync = await ana.sync()  # the host still serves what needs no disk
    assert {c["id"] for c in sync["mine"]} == set(acked)

    disk.free()
    ack = await _submit(ana, f"while the disk is full {i} " + "y" * 400, cid)  # the outbox resends it
    assert ack["type"] == "ack"
    acked[cid] = ack["contribution"]
    event = await facilitator.expect("storage")
    assert event["ok"] is True
    hello = await newcomer.hello(role="Manager")
    assert hello["type"] == "welcome"
    ack = await _submit(newcomer, "after space returned")
    assert ack["type"] == "ack"

    # full again at shutdown: the final checkpoint cannot be written, the journal holds all
    disk.fill()
    for phone in (ana, newcomer):
        await phone.close()
    await facilitator.close()
    code, out, err = served.stop()
    assert code == 0, err
    disk.free()

    stored = stored_contributions(data_dir, served.session_id)
    mine = {cid: c for (pid, cid), c in stored.items() if pid == ana.id}
    assert mine == acked  # exactly the acked ones, unaltered; nothing refused was stored
    assert len(stored) == len(acked) + 1

    resumed = Served(data_dir, "--resume", served.session_id, info_dir=tmp_path / "info")
    code, out, err = resumed.stop()
    assert code == 0, err
    assert "damaged" not in out
    assert stored_contributions(data_dir, served.session_id) == stored
