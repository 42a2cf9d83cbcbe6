"""The command line, run as a user would: real subprocesses, real files, real sockets."""

import asyncio
import fcntl
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facilitation_kit.testing import Facilitator, Phone

from tests.faults.helpers import CLI, ROOT, Served
from tests.faults.helpers import run_cli as run
from tests.conftest import EARLIER_AGENDA  # they answer its first activity, an open question


def test_python_dash_m_and_help():
    result = run("--help")
    assert result.returncode == 0
    for command in ("run", "serve", "sessions", "export", "plugins", "check"):
        assert command in result.stdout


async def test_serve_headless_info_file_sigterm_and_export(tmp_path):
    served = Served(tmp_path, agenda=EARLIER_AGENDA)
    info = served.info
    assert set(info) == {"url", "room", "facilitator_token", "session_id", "data_file", "port", "screen_url"}
    assert info["url"] == f"http://127.0.0.1:{info['port']}/?room={info['room']}"
    assert info["screen_url"].startswith(f"http://127.0.0.1:{info['port']}/screen#token=")
    assert Path(info["data_file"]).exists()
    facilitator = await Facilitator.connect(served.ws, info["facilitator_token"])
    phone = await Phone.connect(served.ws + "/ws", info["room"])
    assert (await phone.hello(name="Ana", role="Service user"))["type"] == "welcome"
    assert (await facilitator.send_command("open"))["type"] == "ok"
    await phone.expect("activity")
    ack = await phone.submit({"answer": "A <b>relational</b> service"})
    assert ack["type"] == "ack"
    # the facilitator's note for the report: stored, then in every export
    note = await facilitator.send_command("note", activity="opening", text="We heard: time matters\x00")
    assert note["type"] == "ok" and note["note"]["text"] == "We heard: time matters"
    assert (await facilitator.send_command("note", activity="nope", text="x"))["code"] == "unknown_activity"
    assert (await facilitator.send_command("note", activity="opening"))["code"] == "bad_message"

    # export while it runs
    result = await asyncio.to_thread(run, "export", info["session_id"], "--data-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert [c["data"] for c in export["contributions"]] == [{"answer": "A <b>relational</b> service"}]
    assert export["contributions"][0]["role"] == "Service user"
    assert export["participants"][0]["name"] is None  # anonymised by default
    assert "token" not in json.dumps(export["participants"])

    await phone.close()
    await facilitator.close()
    code, out, err = served.stop()  # SIGTERM
    assert code == 0, err
    assert "join:" in out and info["room"] in out and "stopped" in out
    assert "Traceback" not in err

    result = run("sessions", "--data-dir", tmp_path)
    assert info["session_id"] in result.stdout and "1 contributions" in result.stdout.replace("  ", " ")
    named = json.loads(run("export", info["session_id"], "--names", "--data-dir", tmp_path).stdout)
    assert named["participants"][0]["name"] == "Ana"
    csv_out = tmp_path / "out.csv"
    result = run("export", info["session_id"], "--format", "csv", "-o", csv_out, "--data-dir", tmp_path)
    assert result.returncode == 0 and "data.answer" in csv_out.read_text().splitlines()[0]
    for fmt in ("md", "html"):
        result = run("export", info["session_id"], "--format", fmt, "--data-dir", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "relational" in result.stdout and "We heard: time matters" in result.stdout
        assert "<b>relational</b>" not in result.stdout  # participant text is escaped
    assert export["notes"][0]["text"] == "We heard: time matters"
    # the report in Finnish, and as a Word file (written to a file, never to the terminal)
    result = run("export", info["session_id"], "--format", "md", "--lang", "fi", "--data-dir", tmp_path)
    assert result.returncode == 0 and "### Ketkä osallistuivat" in result.stdout
    assert run("export", info["session_id"], "--format", "docx", "--data-dir", tmp_path).returncode != 0
    docx_out = tmp_path / "report.docx"
    result = run("export", info["session_id"], "--format", "docx", "-o", docx_out, "--data-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    from docx import Document

    words = [p.text for p in Document(str(docx_out)).paragraphs]
    assert "Who took part" in words and "We heard: time matters" in words


async def test_kill_9_then_resume_keeps_every_acked_contribution(tmp_path):
    served = Served(tmp_path, agenda=EARLIER_AGENDA)
    info = served.info
    facilitator = await Facilitator.connect(served.ws, info["facilitator_token"])
    await facilitator.send_command("open")
    phones = [await Phone.connect(served.ws + "/ws", info["room"]) for _ in range(3)]
    acked = {}
    for i, phone in enumerate(phones):
        await phone.hello(role="Manager")
        for n in range(5):
            ack = await phone.submit({"answer": f"phone {i} idea {n}"}, id=f"{i}-{n}")
            assert ack["type"] == "ack"
            acked[(phone.id, ack["id"])] = ack["contribution"]
    tokens = [p.token for p in phones]
    served.proc.kill()  # kill -9: no shutdown, no final checkpoint
    served.proc.wait(timeout=10)

    resumed = Served(tmp_path, "--resume", info["session_id"])
    assert resumed.info["session_id"] == info["session_id"]
    assert resumed.info["room"] == info["room"]  # phones keep their link
    again = await Phone.connect(resumed.ws + "/ws", info["room"])
    welcome = await again.hello(token=tokens[0])
    assert welcome["type"] == "welcome" and welcome["activity"]["state"] == "open"
    assert len(welcome["mine"]) == 5
    # the phone resends one it never saw acked: no duplicate
    ack = await again.submit({"answer": "phone 0 idea 4"}, id="0-4")
    assert ack["contribution"] == acked[(again.id, "0-4")]
    await again.close()
    resumed.stop()
    export = json.loads(run("export", info["session_id"], "--data-dir", tmp_path).stdout)
    stored = {(c["participant"], c["id"]): c for c in export["contributions"]}
    assert set(stored) == set(acked)
    for key, contribution in acked.items():
        assert {k: stored[key][k] for k in contribution} == contribution


def test_agenda_errors_are_one_line_naming_file_line_activity_field(tmp_path):
    agenda = tmp_path / "bad.toml"
    agenda.write_text('title = "T"\n\n[[activity]]\nid = "a"\nplugin = "open_question"\n'
                      'max_lenght = 5\n', encoding="utf-8")
    result = run("check", agenda)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{agenda}:6: activity 'a': field 'max_lenght': open_question has no option" in result.stderr
    assert "max_length" in result.stderr  # the allowed options are listed

    agenda.write_text('title = "T"\n[[activity]]\nid = "a"\nplugin = "open_question"\n'
                      'max_length = "long"\n', encoding="utf-8")
    result = run("serve", "--headless", agenda, "--data-dir", tmp_path)
    assert result.returncode == 2
    assert f"{agenda}:5: activity 'a': field 'max_length': open_question: must be a whole number" in result.stderr

    agenda.write_text('title = "T"\n[[activity]\n', encoding="utf-8")
    result = run("check", agenda)
    assert result.returncode == 2 and f"{agenda}:2: not valid TOML" in result.stderr

    result = run("check", tmp_path / "missing.toml")
    assert result.returncode == 2 and "no such agenda file" in result.stderr


def test_unknown_session_lists_known_ones(tmp_path):
    (tmp_path / "sessions").mkdir()
    result = run("export", "nope", "--data-dir", tmp_path)
    assert result.returncode == 2
    assert "no session 'nope'" in result.stderr and "known sessions: none yet" in result.stderr
    result = run("serve", "--headless", "--resume", "nope", "--port", "0", "--data-dir", tmp_path)
    assert result.returncode == 2 and "no session 'nope'" in result.stderr


def test_port_in_use_suggests_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run("serve", "--headless", "--host", "127.0.0.1", "--port", port, "--data-dir", tmp_path)
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_data_dir_says_which_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("serve", "--headless", "--port", "0", "--data-dir", blocker / "data")
    assert result.returncode == 2
    assert str(blocker / "data") in result.stderr and "Traceback" not in result.stderr


def test_plugins_lists_builtins_with_all():
    assert json.loads(run("plugins").stdout) == [] or all(
        not p["builtin"] for p in json.loads(run("plugins").stdout))
    listed = {p["name"]: p for p in json.loads(run("plugins", "--all").stdout)}
    assert {"open_question", "value_mapping", "role_redefinition", "ethical_compass", "dot_vote"} <= set(listed)
    assert listed["open_question"]["package"] == "facilitation-kit"
    assert listed["open_question"]["activities"] == ["open_question"]


def test_a_host_started_by_run_stops_when_its_parent_is_killed(tmp_path):
    """`run` starts the host as a child; if the terminal app is killed -9, the host must not
    stay behind holding the session lock and the port: it stops cleanly, and resumes."""
    info = tmp_path / "info.json"
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         "subprocess.Popen(sys.argv[1:])\n"
         "time.sleep(120)\n",
         *CLI, "serve", "--headless", "--stop-with-parent", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(tmp_path), "--info-file", str(info)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    session_id = json.loads(info.read_text())["session_id"]
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the orphan lets go of the session lock
        lock = tmp_path / "sessions" / f"{session_id}.lock"
        with open(lock, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.2)
    else:
        raise AssertionError("the orphaned host kept the session open")
    resumed = Served(tmp_path, "--resume", session_id)
    assert resumed.info["session_id"] == session_id
    assert resumed.stop()[0] == 0


def test_limit_flags_take_their_defaults_from_the_limits_and_refuse_bad_values(tmp_path):
    """The connection limits are declared once (host.assembly.LIMIT_FLAGS): --help shows
    the defaults of Limits, and a value out of range is named with what is allowed."""
    from facilitation_kit.host.assembly import LIMIT_FLAGS
    from facilitation_kit.host.server import Limits

    shown = " ".join(run("serve", "--help").stdout.split())
    for limit in LIMIT_FLAGS:
        assert f"{limit.flag} " in shown and f"(default {getattr(Limits(), limit.name):g}" in shown
    agenda = tmp_path / "a.toml"
    agenda.write_text('title = "T"\n[[activity]]\nid = "a"\nplugin = "open_question"\n', encoding="utf-8")
    result = run("serve", "--headless", agenda, "--data-dir", tmp_path, "--per-address", "-1")
    assert result.returncode == 2 and "--per-address must be 0 or more, not -1" in result.stderr
    result = run("serve", "--headless", agenda, "--data-dir", tmp_path, "--max-unjoined", "0")
    assert result.returncode == 2 and "--max-unjoined must be more than 0, not 0" in result.stderr
    assert "Traceback" not in result.stderr
