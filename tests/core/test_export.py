"""JSON and CSV exports: what is in them, what never is, and a golden CSV."""

import csv
import io
import json
from pathlib import Path

from facilitation_kit.core.record import build_export
from facilitation_kit.report.export import to_csv, to_json

GOLDEN = Path(__file__).parent / "golden"

AGENDA = {"title": "T", "roles": ["Service user", "Manager"], "language": "en", "anonymous": True,
          "activities": [{"id": "values", "plugin": "value_mapping", "title": "Value mapping"},
                         {"id": "vote", "plugin": "dot_vote", "title": "Vote"}]}


def tables():
    contrib = lambda pid, cid, act, data, t, **kw: (f"{pid}/{cid}", {  # noqa: E731
        "id": cid, "participant": pid, "activity": act, "data": data,
        "created_at": f"2026-11-29T10:00:0{t}.000Z", **kw})
    rows = dict([
        contrib("p-1", "c1", "values", {"card": "Being listened to", "kind": "outcome",
                                        "importance": 5}, 1),
        contrib("p-2", "c1", "values", {"card": "=HYPERLINK(\"http://x\")", "kind": "output"}, 2),
        contrib("p-2", "c2", "values", {"card": "hidden one", "kind": "output"}, 3, hidden=True),
        contrib("p-1", "c9", "vote", {"votes": {"a": 2, "b": 1}}, 4),
    ])
    rows["p-1/c5"] = {"id": "c5", "participant": "p-1", "activity": "values", "withdrawn": True,
                      "created_at": "2026-11-29T10:00:05.000Z"}
    rows["p-3/c1"] = {"id": "c1", "participant": "p-3", "activity": "values", "data": {"card": "x"},
                      "created_at": "2026-11-29T10:00:06.000Z"}
    return {
        "session": {"session": {"id": "s1", "title": "T", "room": "ABCDEF", "created_at": "2026-11-29T09:00:00Z",
                                "current": "vote"}},
        "activities": {"values": {"state": "closed", "ends_at": None}, "vote": {"state": "open", "ends_at": None}},
        "participants": {
            "p-1": {"id": "p-1", "token_hash": "secret", "name": "Ana", "role": "Service user",
                    "lang": "fi", "joined_at": "2026-11-29T09:01:00Z"},
            "p-2": {"id": "p-2", "token_hash": "secret2", "name": None, "role": "Manager",
                    "lang": "en", "joined_at": "2026-11-29T09:02:00Z"},
            "p-3": {"id": "p-3", "erased": True},
        },
        "contributions": rows,
    }


def test_json_export_is_the_complete_record():
    export = build_export(tables(), AGENDA)
    assert export["format"] == "facilitation-kit/export" and export["version"] == 1
    assert set(export) == {"format", "version", "exported_at", "session", "agenda", "activities",
                           "participants", "contributions", "themes"}
    assert [c["id"] for c in export["contributions"]] == ["c1", "c1", "c2", "c9"]
    assert export["contributions"][2]["hidden"] is True  # hidden ones are in, marked
    assert all("withdrawn" not in c for c in export["contributions"])  # withdrawn ones are gone
    assert [p["id"] for p in export["participants"]] == ["p-1", "p-2"]  # erased ones are gone
    assert export["participants"][0] == {"id": "p-1", "name": "Ana", "role": "Service user",
                                         "lang": "fi", "joined_at": "2026-11-29T09:01:00Z"}
    assert "secret" not in to_json(export)
    assert export["contributions"][0]["role"] == "Service user"
    assert export["activities"] == [{"id": "values", "state": "closed", "ends_at": None},
                                    {"id": "vote", "state": "open", "ends_at": None}]
    assert json.loads(to_json(export)) == export


def test_anonymised_export_has_no_names():
    export = build_export(tables(), AGENDA, anonymise=True)
    assert all(p["name"] is None for p in export["participants"])
    assert "Ana" not in to_json(export)


def test_csv_golden():
    text = to_csv(build_export(tables(), AGENDA))
    golden = GOLDEN / "export.csv"
    if not golden.exists():  # regenerate by deleting the file; review it before committing
        golden.write_text(text, encoding="utf-8")
        raise AssertionError(f"{golden} was missing and has been written: review it and run again")
    assert text == golden.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[1]["data.card"].startswith("'=")  # no spreadsheet formula injection
    assert rows[3]["data.votes.a"] == "2"
    assert rows[2]["hidden"] == "yes"
