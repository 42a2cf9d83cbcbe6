"""A contribution keeps the role its author had when it was submitted (issue 11 item 16):
changing role later changes only new contributions, in the results, the exports, the
facilitator's events and after a resume. A real host on loopback with real files."""

from __future__ import annotations

import csv
import io

from facilitation_kit.host.store import read_session
from facilitation_kit.report.export import to_csv
from facilitation_kit.testing import start_test_host


async def test_changing_role_later_changes_only_new_contributions(tmp_path, agenda_path):
    # one person per role: min_group = 1 so that the split by role shows them
    agenda_path.write_text("min_group = 1\n" + agenda_path.read_text(encoding="utf-8"), encoding="utf-8")
    data_dir = tmp_path / "data"
    async with start_test_host(agenda_path, data_dir=data_dir) as host:
        session_id = host.host.session_id
        phone = await host.phone(role="Service user")
        before = await phone.submit({"answer": "said as a service user"}, activity="ideas")
        await phone.send({"type": "profile", "role": "Manager"})
        assert (await phone.expect("profile"))["participant"]["role"] == "Manager"
        after = await phone.submit({"answer": "said as a manager"}, activity="ideas")
        roles = {c["data"]["answer"]: c["role"] for c in host.workshop.contributions("ideas")}
        assert roles == {"said as a service user": "Service user", "said as a manager": "Manager"}
        events = [e for e in host.facilitator.events if e["type"] == "contribution"]
        while len(events) < 2:
            frame = await host.facilitator.recv()
            if frame["type"] == "contribution":
                events.append(frame)
        assert {e["contribution"]["id"]: e["role"] for e in events} == {
            before["id"]: "Service user", after["id"]: "Manager"}
        summary = await host.summary("ideas")
        assert summary["by_role"] == {"Manager": 1, "Service user": 1}
        export = host.export()
        assert {c["id"]: c["role"] for c in export["contributions"]} == {
            before["id"]: "Service user", after["id"]: "Manager"}
        rows = list(csv.DictReader(io.StringIO(to_csv(export))))
        assert {r["contribution"]: r["role"] for r in rows} == {
            before["id"]: "Service user", after["id"]: "Manager"}
    tables, _ = read_session(data_dir, session_id)
    assert {c["id"]: c["role"] for c in tables["contributions"].values()} == {
        before["id"]: "Service user", after["id"]: "Manager"}
    async with start_test_host(agenda_path, data_dir=data_dir, resume=session_id) as host:
        roles = {c["id"]: c["role"] for c in host.workshop.contributions("ideas")}
        assert roles == {before["id"]: "Service user", after["id"]: "Manager"}
        assert "Service user" in host.report("md")
