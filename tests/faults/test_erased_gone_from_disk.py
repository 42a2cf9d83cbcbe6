"""Erased and withdrawn text leaves the disk (issue 11, item 6).

A real ``serve --headless`` with real files: after a facilitator's ``erase`` and a
phone's ``withdraw``, within a few seconds no file under the data dir holds the removed
text or the erased participant's name, not the journal, the checkpoint, or a
``*.damaged-*`` copy kept by an earlier recovery; what others said is still there.
"""

from __future__ import annotations

import pytest

from facilitation_kit.testing import Facilitator, Phone

from .helpers import Served, wait_for

NAME = "Zebediah Quillfeather"
ERASED = ["Erased-secret-one: my neighbour's diagnosis", "Erased-secret-two: the address of the shelter"]
WITHDRAWN = "Withdrawn-secret: I said too much about my brother"
KEPT = "Kept-idea: more time to talk"


def _files_holding(data_dir, texts) -> list[str]:
    found = []
    for path in data_dir.rglob("*"):
        try:
            raw = path.read_bytes() if path.is_file() else b""
        except FileNotFoundError:  # a temporary file renamed meanwhile: its content is in the new name
            found.append(f"{path.name}: (renamed while read; look again)")
            continue
        found += [f"{path.name}: {t}" for t in texts if t.encode() in raw]
    return found


async def _join(served: Served, **kw) -> Phone:
    phone = await Phone.connect(served.ws + "/ws", served.info["room"])
    assert (await phone.hello(**kw))["type"] == "welcome"
    return phone


@pytest.mark.slow
async def test_erase_and_withdraw_leave_no_text_in_any_file(tmp_path, agenda_file):
    data_dir = tmp_path / "data"
    served = Served(data_dir, agenda=agenda_file)
    session = served.session_id
    erased = await _join(served, name=NAME, role="Service user")
    token, pid = erased.token, erased.id
    other = await _join(served, name="Other person", role="Manager")
    for i, text in enumerate(ERASED[:1]):
        assert (await erased.submit({"answer": text}, id=f"e{i}", activity="ideas"))["type"] == "ack"
    assert (await other.submit({"answer": KEPT}, id="k1", activity="ideas"))["type"] == "ack"
    assert (await other.submit({"answer": "Kept-idea two"}, id="k2", activity="ideas"))["type"] == "ack"
    served.kill9()  # leave the journal as it is

    # damage one line of the other participant: resuming keeps a *.damaged-* copy of the
    # whole journal, which also holds the secret, the name and the kept idea
    journal = data_dir / "sessions" / f"{session}.journal"
    raw = journal.read_bytes()
    assert raw.count(b"Kept-idea two") == 1
    journal.write_bytes(raw.replace(b"Kept-idea two", b"Kept-IDEA two"))
    served = Served(data_dir, "--resume", session)
    assert list(journal.parent.glob("*.damaged-*"))
    erased = await _join(served, token=token)
    assert erased.id == pid
    assert (await erased.submit({"answer": ERASED[1]}, id="e1", activity="ideas"))["type"] == "ack"
    other = await _join(served, name="Third person")
    assert (await other.submit({"answer": WITHDRAWN}, id="w1", activity="ideas"))["type"] == "ack"
    assert _files_holding(data_dir, [*ERASED, NAME, WITHDRAWN])  # on disk until removed

    fac = await Facilitator.connect(served.ws, served.info["facilitator_token"])
    reply = await fac.send_command("erase", participant=pid)
    assert reply["type"] == "ok" and reply["erased"] == 2, reply
    assert (await other.withdraw("w1")).get("withdrawn") is True

    def gone() -> bool:
        return not _files_holding(data_dir, [*ERASED, NAME, WITHDRAWN])
    try:
        await wait_for(gone, timeout=5)
    except AssertionError:
        raise AssertionError(f"still on disk: {_files_holding(data_dir, [*ERASED, NAME, WITHDRAWN])}") from None
    assert not list(journal.parent.glob("*.damaged-*"))
    assert _files_holding(data_dir, [KEPT])  # what others said stays
    await fac.close()
    await other.close()
    code, _, err = served.stop()
    assert code == 0, err
    assert gone()
