"""A realistic workshop for the report's golden files: 18 people, plain words, several
roles, and a clear disagreement between the people who use the service and the staff.

Seven people who use the service, two family members (fewer than ``min_group`` = 3:
counted together, and then left out of every split), six front-line professionals and
three managers redesign an employment support service. People who use the service rate
how well the service supports what matters at about 1.6 of 5, staff at 4; in the vote
they put "The same worker every time" first while staff put "Fewer forms" first. The
facilitator starred six contributions, grouped two themes, wrote two notes; the group
agreed three actions in an actions activity (a small activity type registered here,
through the plugin hook, like any third-party plugin).
"""

from __future__ import annotations

import copy
import tomllib
from datetime import datetime, timedelta, timezone

from facilitation_kit import ActivityType, Form, Paragraph, Table, TextField, hookimpl
from facilitation_kit.core.agenda import agenda_from_dict

AGENDA = '''
title = "Employment support that works for people"
description = "People who use the service, their families and staff looked together at what the service counts and what really matters."
service = "Employment support, City of Riverton"
follow_up = "We send this report to everyone who left an e-mail address by 28 March. On 10 April management answers each action at the open meeting in the library."
language = "en"
min_group = 3
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "opening"
plugin = "open_question"
title = "A time the service helped, or let you down"
prompt = "Think of a time this service really helped you, or let you down. What made the difference?"

[[activity]]
id = "values"
plugin = "value_mapping"
title = "What the service counts, and what matters"
prompt = "Write one card each time: something the service counts, something that matters in a person's life, or something that goes wrong."

[[activity]]
id = "roles"
plugin = "role_redefinition"
title = "How our roles should change"
prompt = "Pick a role. What does it do today? What should it do in a service built around the person?"
roles = ["Front-line professional", "Manager", "Service user"]

[[activity]]
id = "compass"
plugin = "ethical_compass"
title = "Is the relationship fair?"
prompt = "Between the person and the worker: how is it today, and how do we want it?"

[[activity]]
id = "priorities"
plugin = "dot_vote"
title = "What we take to management"
prompt = "Give your dots to what should change first."
dots = 5
max_per_item = 3
items = ["The same worker every time", "Letters in plain language", "A talk before any sanction", "Fewer forms for staff", "Time for home visits"]

[[activity]]
id = "actions"
plugin = "test_actions"
title = "Who does what, by when"
prompt = "Write one action: what, who, by when."
'''


class Actions(ActivityType):
    """Actions with an owner and a date (a stand-in for a real actions plugin): it
    answers the report's ``actions()`` hook."""

    name = "test_actions"
    title = "Actions"

    def form(self, activity):
        return Form([TextField("what", label="What will be done?", max_length=200),
                     TextField("who", label="Who will do it?", max_length=100),
                     TextField("when", label="By when?", max_length=60)])

    def summarise(self, activity, contributions):
        return {"count": len(contributions),
                "actions": [{k: c["data"][k] for k in ("what", "who", "when")} for c in contributions]}

    def actions(self, activity, results):
        return results["actions"]

    def report(self, activity, results, contributions):
        return [Paragraph(f"{results['count']} actions."),
                Table(["What", "Who", "By when"], [[a["what"], a["who"], a["when"]] for a in results["actions"]])]


class ActionsPlugin:
    @hookimpl
    def register_activities(self, register):
        register(Actions())


def plugins_with_actions():
    from facilitation_kit.core.plugins import load_plugins

    return load_plugins(extra=[("test_actions", ActionsPlugin())])


SU, FAM, STAFF, MAN = "Service user", "Family or peer", "Front-line professional", "Manager"
PEOPLE = ([(f"u{i}", SU) for i in range(1, 8)] + [("f1", FAM), ("f2", FAM)]
          + [(f"w{i}", STAFF) for i in range(1, 7)] + [(f"m{i}", MAN) for i in range(1, 4)])
ROLE = dict(PEOPLE)


def card(text, kind, importance, support):
    return {"text": text, "kind": kind, "importance": importance, "support": support}


def compass(sig, res, part, resp=(3, 3)):
    """Ethical compass v2 answers: each parameter rated for the person (as given: today,
    wanted) and for the worker (the mirror image: what the person lacks, the worker holds)."""
    def grid(today, wanted):
        return {"person_today": str(today), "person_wanted": str(wanted),
                "professional_today": str(6 - today), "professional_wanted": str(6 - wanted)}
    return {"significance": grid(*sig), "responsibilities": grid(*resp), "resources": grid(*res),
            "participation": grid(*part)}


def vote(**dots):
    names = {"same": "The same worker every time", "letters": "Letters in plain language",
             "talk": "A talk before any sanction", "forms": "Fewer forms for staff", "visits": "Time for home visits"}
    from facilitation_kit_plugins.dot_vote import item_id

    return {"dots": {item_id(names[k]): n for k, n in dots.items()}}


# (participant, activity, client id, data)
CONTRIBUTIONS = [
    ("u1", "opening", "o1", {"answer": "My worker changed three times in a year. Each time I had to tell my whole story again."}),
    ("u2", "opening", "o1", {"answer": "One worker called me back when she said she would. That made me trust her."}),
    ("u3", "opening", "o1", {"answer": "I got a letter about a sanction that I could not understand."}),
    ("w1", "opening", "o1", {"answer": "When I had time to visit people at home, things moved."}),
    ("w2", "opening", "o1", {"answer": "We spend more time on forms than with people."}),
    ("m1", "opening", "o1", {"answer": "A weekly drop-in that one team tried worked well."}),
    ("f1", "opening", "o1", {"answer": "My son was asked the same questions by four different people."}),
    # value cards
    ("u1", "values", "v1", card("The same worker every time", "outcome", 5, 1)),
    ("u2", "values", "v1", card("Being listened to before decisions are made", "outcome", 5, 1)),
    ("u3", "values", "v1", card("Letters I can understand", "outcome", 4, 1)),
    ("u4", "values", "v1", card("Sanctions when I miss a meeting because of my kids", "destroyed", 5, 1)),
    ("u5", "values", "v1", card("Help to find work that fits my health", "outcome", 4, 2)),
    ("u6", "values", "v1", card("Number of meetings held", "output", 2, 3)),
    ("u7", "values", "v1", card("Feeling that someone is on my side", "outcome", 5, 2)),
    ("w1", "values", "v1", card("Meetings held on time", "output", 3, 4)),
    ("w2", "values", "v1", card("A written plan for every person", "output", 3, 4)),
    ("w3", "values", "v1", card("The same worker every time", "outcome", 4, 4)),
    ("w4", "values", "v1", card("Referrals to other services", "output", 3, 4)),
    ("w5", "values", "v1", card("Time to talk", "outcome", 4, 3)),
    ("w6", "values", "v1", card("Forms processed within two weeks", "output", 3, 5)),
    ("m1", "values", "v1", card("Cases closed on time", "output", 4, 4)),
    ("m2", "values", "v1", card("Fewer complaints", "outcome", 3, 4)),
    ("m3", "values", "v1", card("Staff who stay", "created", 4, 3)),
    ("f1", "values", "v1", card("Being asked what matters to the family", "missed", 4, 1)),
    ("w6", "values", "v2", card("test card, please ignore", "idea", 1, 1)),  # hidden by the facilitator
    # role shifts
    ("u1", "roles", "r1", {"role": STAFF, "from_text": "Checks if I am allowed help", "to_text": "Helps me find what I can do",
                           "barriers": ["rules", "targets"]}),
    ("u2", "roles", "r1", {"role": STAFF, "from_text": "Reads out the rules", "to_text": "Asks what I need",
                           "barriers": ["targets"]}),
    ("u4", "roles", "r1", {"role": STAFF, "from_text": "Sends letters", "to_text": "Calls me first",
                           "barriers": ["rules"]}),
    ("u5", "roles", "r1", {"role": SU, "from_text": "Waits to be told what to do", "to_text": "Says what I want to try",
                           "barriers": ["confidence", "fear_of_losing_support"]}),
    ("w1", "roles", "r1", {"role": STAFF, "from_text": "Fills in forms", "to_text": "Spends time with people",
                           "barriers": ["time"], "helps": "Fewer forms", "who": ["management"]}),
    ("w2", "roles", "r1", {"role": STAFF, "from_text": "Follows procedure", "to_text": "Asks how can I make this possible",
                           "barriers": ["time", "staff_changes"], "who": ["management"]}),
    ("w4", "roles", "r1", {"role": MAN, "from_text": "Counts cases closed", "to_text": "Asks what changed for people",
                           "barriers": ["time"], "who": ["politicians"]}),
    ("m1", "roles", "r1", {"role": MAN, "from_text": "Sets targets", "to_text": "Gives teams time",
                           "barriers": ["money"], "who": ["politicians"]}),
    ("m2", "roles", "r1", {"role": STAFF, "from_text": "Works alone", "to_text": "Works with the family",
                           "barriers": ["habits"]}),
    ("m3", "roles", "r1", {"role": MAN, "from_text": "Reads reports", "to_text": "Listens to people who use the service",
                           "barriers": ["habits"]}),
    # the ethical compass on the service as a whole: who gets to decide?
    ("u1", "compass", "e1", compass((2, 3), (2, 3), (1, 3))),
    ("u2", "compass", "e1", compass((2, 3), (1, 3), (1, 4))),
    ("u3", "compass", "e1", compass((1, 3), (2, 3), (2, 3))),
    ("u4", "compass", "e1", compass((2, 3), (2, 4), (1, 3))),
    ("w1", "compass", "e1", compass((3, 3), (3, 3), (3, 4))),
    ("w2", "compass", "e1", compass((3, 3), (3, 3), (4, 4))),
    ("w3", "compass", "e1", compass((3, 3), (2, 3), (3, 3))),
    ("m1", "compass", "e1", compass((3, 3), (3, 3), (4, 4))),
    ("m2", "compass", "e1", compass((3, 3), (3, 3), (3, 3))),
    ("m3", "compass", "e1", compass((3, 3), (3, 3), (3, 4))),
    # the vote
    ("u1", "priorities", "d1", vote(same=3, talk=2)),
    ("u2", "priorities", "d1", vote(same=3, letters=2)),
    ("u3", "priorities", "d1", vote(letters=3, talk=2)),
    ("u4", "priorities", "d1", vote(talk=3, same=2)),
    ("u5", "priorities", "d1", vote(same=3, talk=2)),
    ("w1", "priorities", "d1", vote(forms=3, visits=2)),
    ("w2", "priorities", "d1", vote(forms=3, visits=2)),
    ("w3", "priorities", "d1", vote(forms=2, same=3)),
    ("w4", "priorities", "d1", vote(visits=3, forms=2)),
    ("m1", "priorities", "d1", vote(forms=3, same=2)),
    ("m2", "priorities", "d1", vote(forms=3, letters=2)),
    ("m3", "priorities", "d1", vote(visits=3, forms=2)),
    ("f1", "priorities", "d1", vote(same=3, talk=2)),
    # actions
    ("m1", "actions", "a1", {"what": "Give each person one named worker, in the north team first",
                             "who": "Head of the north team", "when": "1 May"}),
    ("w1", "actions", "a1", {"what": "Rewrite the sanction letter with people who use the service",
                             "who": "Two workers and two service users", "when": "15 May"}),
    ("m2", "actions", "a1", {"what": "Cut the intake form to one page", "who": "Service manager", "when": "June"}),
]
HIDDEN = {("w6", "v2")}
STARRED = {("u1", "o1"), ("u3", "o1"), ("f1", "o1"), ("w2", "o1"), ("u4", "v1"), ("u1", "v1")}
NOT_CONSENTED = {"f2"}

THEMES = [
    {"id": "t1", "activity": "values", "label": "The same worker every time",
     "contributions": [["u1", "v1"], ["w3", "v1"], ["m3", "v1"]], "confirmed": True},
    {"id": "t2", "activity": "values", "label": "Letters and forms",
     "contributions": [["u3", "v1"], ["w6", "v1"]], "confirmed": False},
]
NOTES = {
    "values": "People who use the service rated how well the service supports what matters far lower than staff did. "
              "We agreed that \"the same worker every time\" is the first thing to test.",
    "priorities": "People who use the service put the same worker first; staff put fewer forms first. "
                  "We agreed to take both to management, the same worker first.",
}


def tables(plugins=None) -> tuple[dict, object]:
    """The session's stored tables and its agenda, as a host would have them."""
    plugins = plugins or plugins_with_actions()
    agenda = agenda_from_dict(tomllib.loads(AGENDA), plugins, path="sessions/riverton.toml")
    start = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc)

    def at(minutes):
        return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    participants = {}
    for n, (pid, role) in enumerate(PEOPLE):
        doc = {"id": pid, "name": f"Person {n + 1}", "role": role, "lang": "en", "joined_at": at(n / 10)}
        if pid not in NOT_CONSENTED:
            doc["consented_at"] = at(2 + n / 10)
        participants[pid] = doc
    contributions = {}
    for n, (pid, activity, cid, data) in enumerate(CONTRIBUTIONS):
        doc = {"id": cid, "participant": pid, "activity": activity, "data": copy.deepcopy(data),
               "created_at": at(10 + n)}
        if (pid, cid) in HIDDEN:
            doc["hidden"] = True
        if (pid, cid) in STARRED:
            doc["starred"] = True
        contributions[f"{pid}/{cid}"] = doc
    session = {"id": "riverton-1", "room": "RVT123", "title": agenda.title, "created_at": at(0),
               "agenda": {"source": tomllib.loads(AGENDA), "path": agenda.path}, "current": "actions"}
    activities = {a.id: {"id": a.id, "state": "closed", "ends_at": None} for a in agenda.activities}
    themes = {t["id"]: {**t, "created_at": at(60)} for t in THEMES}
    notes = {k: {"activity": k, "text": v, "updated_at": at(90)} for k, v in NOTES.items()}
    return ({"session": {"session": session}, "activities": activities, "participants": participants,
             "contributions": contributions, "themes": themes, "notes": notes}, agenda)


def export(plugins=None) -> dict:
    """The JSON export of the workshop (built by the kit's own build_export)."""
    from facilitation_kit.core.record import build_export

    data, agenda = tables(plugins)
    out = build_export(data, agenda)
    out["exported_at"] = "2025-03-14T12:00:00.000Z"
    return out
