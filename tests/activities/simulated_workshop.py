"""A scripted workshop with known answers, in the host's export shape.

Six participants (two service users, two front-line professionals, a manager, one who
gave no role) go through the earlier default CoSIE agenda (tests/agendas/earlier-default.toml:
its seven activities, kept as they were when these answers were written). Some of what they type is hostile:
HTML with a script, Rich markup, ANSI/OSC escapes, control characters, Markdown. The
expected numbers in the tests are worked out by hand from the answers below.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from facilitation_kit.core.agenda import load_agenda
from tests.conftest import EARLIER_AGENDA as AGENDA

SCRIPT = "<script>window.__pwned = 1; document.title = 'PWNED'</script>"
RICH = "[bold]Living[/bold] a normal life [@click=app.quit]x[/]"
ANSI = "Forms processed per week \x1b]2;PWNED\x07 \x1b[31mred\x1b[0m \x00\x08\x7f\x9b"
MARKDOWN = "| table | # heading `code` <b>bold</b> ![img](http://evil.example/x.png)"

PARTICIPANTS = [
    {"id": "p1", "name": "Aino", "role": "Service user"},
    {"id": "p2", "name": "<img src=x onerror=alert(1)>Bea", "role": "Service user"},
    {"id": "p3", "name": "Carl", "role": "Front-line professional"},
    {"id": "p4", "name": None, "role": "Front-line professional"},
    {"id": "p5", "name": "Eve", "role": "Manager"},
    {"id": "p6", "name": None, "role": None},
]
ROLE = {p["id"]: p["role"] for p in PARTICIPANTS}


def compass(*grids) -> dict:
    """Ethical compass answers: per parameter (significance, responsibilities, resources,
    participation) the person today, the person as it should be, the worker today, the
    worker as it should be."""
    rows = ("person_today", "person_wanted", "professional_today", "professional_wanted")
    params = ("significance", "responsibilities", "resources", "participation")
    return {p: {r: str(v) for r, v in zip(rows, grid)} for p, grid in zip(params, grids)}


# (participant, activity, client id, data) in the order they were sent.
CONTRIBUTIONS = [
    ("p1", "opening", "o1", {"answer": "We would ask first\nthen act"}),
    ("p4", "opening", "o1", {"answer": "<b>More time</b> for each person"}),
    # Value mapping
    ("p1", "values", "v1", {"text": f"Being listened to {SCRIPT}", "kind": "outcome",
                            "stakeholder": "Service user", "importance": 5, "support": 1}),
    ("p1", "values", "v2", {"text": "Number of meetings held", "kind": "output",
                            "stakeholder": "Manager", "importance": 2, "support": 5}),
    ("p2", "values", "v1", {"text": RICH, "kind": "outcome", "stakeholder": "Service user",
                            "importance": 5, "support": 2}),
    ("p3", "values", "v1", {"text": ANSI, "kind": "output", "stakeholder": "Front-line professional",
                            "importance": 3, "support": 4}),
    ("p3", "values", "v2", {"text": "Peer support groups", "kind": "idea", "stakeholder": "Family or peer"}),
    ("p4", "values", "v1", {"text": "Trust lost when staff change", "kind": "missed",
                            "stakeholder": "Service user", "importance": 4, "support": 2}),
    ("p5", "values", "v1", {"text": "Cases closed on time", "kind": "output", "importance": 4, "support": 4}),
    ("p6", "values", "v1", {"text": MARKDOWN, "kind": "outcome", "stakeholder": "Family or peer",
                            "importance": 4, "support": 3}),
    ("p5", "values", "v2", {"text": "HIDDEN CARD", "kind": "output"}),  # hidden by the facilitator
    # Role redefinition
    ("p1", "roles", "r1", {"role": "Front-line professional", "from_text": "Eligibility gatekeeper",
                           "to_text": "Enabler", "barriers": ["time"], "note": "Workload"}),
    ("p2", "roles", "r1", {"role": "Front-line professional", "from_text": "Problem fixer",
                           "to_text": "Finds the person's assets", "barriers": ["habits"]}),
    ("p3", "roles", "r1", {"role": "Front-line professional", "from_text": "Follows procedure",
                           "to_text": "Asks how can I make this possible?",
                           "barriers": ["staff_changes", "habits"], "note": "Fragmented teams; habits"}),
    ("p5", "roles", "r1", {"role": "Manager", "from_text": "The organisation's agenda",
                           "to_text": "The citizen's agenda", "barriers": ["habits"]}),
    ("p6", "roles", "r1", {"role": "Service user", "from_text": "Passive recipient",
                           "to_text": "Co-designer"}),
    # Ethical compass on the value cards: each parameter a grid, for the person and the
    # worker, today and as it should be ("dont_know" is "I don't know")
    ("p1", "compass", "e1", {"item": "p1:v1", **compass((1, 3, 3, 3), (2, 3, 3, 3), (1, 4, 3, 3), (1, 4, 4, 3)),
                             "participation_fairer": "Decisions are made without me"}),
    ("p3", "compass", "e1", {"item": "p1:v1", **compass((2, 3, 3, 3), (3, 3, 3, 3), (2, 3, 3, 3), (2, 3, 4, 3))}),
    ("p4", "compass", "e1", {"item": "service", **compass((3, 3, 3, 3), (2, 3, 4, 3), (3, 3, 3, 3), (2, 4, 4, 4)),
                             "responsibilities_fairer": "More time for dialogue"}),
    ("p5", "compass", "e1", {"item": "service", **compass((3, 3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3),
                                                           (3, 3, "dont_know", 3))}),
    # Dot vote on the role shifts: p1 votes twice, only the second vote counts
    ("p1", "priorities", "d1", {"dots": {"p1:r1": 3, "p2:r1": 2}}),
    ("p2", "priorities", "d1", {"dots": {"p6:r1": 2, "p2:r1": 3}}),
    ("p3", "priorities", "d1", {"dots": {"p1:r1": 3, "p3:r1": 2}}),
    ("p5", "priorities", "d1", {"dots": {"p5:r1": 3, "p1:r1": 1}}),
    ("p1", "priorities", "d2", {"dots": {"p6:r1": 3, "p1:r1": 2}}),
    # Closing round: Markdown that must stay text
    ("p2", "closing", "c1", {"answer": "# Not a heading\n> not a quote\n- not a list\n1. not a list"}),
]
HIDDEN = {("p5", "v2")}

STATES = {"opening": "closed", "learning": "pending", "values": "closed", "roles": "closed",
          "compass": "closed", "priorities": "closed", "closing": "open"}


def export(plugins) -> dict:
    """The export of the scripted workshop (a fresh copy each call)."""
    agenda = load_agenda(AGENDA, plugins)
    start = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc)
    contributions = []
    for n, (participant, activity, cid, data) in enumerate(CONTRIBUTIONS):
        c = {"id": cid, "participant": participant, "activity": activity, "data": copy.deepcopy(data),
             "created_at": (start + timedelta(minutes=10 + n)).isoformat(), "role": ROLE[participant]}
        if (participant, cid) in HIDDEN:
            c["hidden"] = True
        contributions.append(c)
    agenda_json = agenda.to_json()
    agenda_json["path"] = "sessions/relational-service.toml"
    # one or two people per role: show every role group (min_group is tested on its own)
    agenda_json["min_group"] = 1
    return {
        "format": "facilitation-kit/export", "version": 1, "exported_at": "2025-03-14T12:00:00+00:00",
        "session": {"id": "s-1", "title": agenda.title, "room": "ABCD", "created_at": start.isoformat(),
                    "language": "en", "roles": list(agenda.roles), "anonymous": True},
        "agenda": agenda_json,
        "activities": [{"id": a.id, "state": STATES[a.id], "ends_at": None} for a in agenda.activities],
        "participants": [{**p, "lang": "en", "joined_at": (start + timedelta(minutes=i)).isoformat()}
                         for i, p in enumerate(PARTICIPANTS)],
        "contributions": contributions,
    }
