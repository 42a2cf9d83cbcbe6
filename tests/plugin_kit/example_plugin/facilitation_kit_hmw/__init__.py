"""How might we …?: turn problems into questions that open up ideas.

Each participant finishes the sentence "How might we …" (e.g. "… make the first visit
less daunting?"). With ``from = "<activity id>"`` the questions answer the problems an
earlier activity produced (value cards, open answers); with ``themes`` they are tagged.
The questions are offered to later activities, so a dot vote can pick the ones to work
on. Results count the questions by role and theme, so the room sees whether service
users and professionals frame the problem alike.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, BulletList, Chart, ChoiceField, Form, Heading, Invalid,
    Item, NO_ROLE, Option, OptionError, Paragraph, Table, TextField, role_of,
    role_order, stacked_bars,
)

log = logging.getLogger("facilitation_kit_hmw")

STEM = "How might we"
_STEM = re.compile(r"^\s*how\s+might\s+we\b[\s.…]*", re.IGNORECASE)


class HowMightWe(ActivityType):
    name = "how_might_we"
    title = "How might we …?"
    description = ("Participants turn problems into 'How might we …?' questions, optionally "
                   "one per problem from an earlier activity; the questions can go on to a vote.")
    default_prompt = "Turn a problem you see into a question that opens up ideas."
    accepts_items = True
    options = (
        Option("themes", "strings", default=[],
               help="Themes a question can be tagged with; none: no theme field."),
        Option("max_length", "integer", default=200, min=20, max=1000,
               help="Longest question, in characters."),
        Option("focus", "string", default="person", choices=("person", "service", "both"),
               help="Whom the questions should be about; phones show it as a hint."),
    )

    def check_options(self, options, roles):
        themes = options["themes"]
        if len(set(themes)) != len(themes):
            raise OptionError("themes", "a theme is listed twice")

    def form(self, activity):
        fields = []
        if activity.items:
            fields.append(ChoiceField("problem", label="Which problem does it answer?", required=False,
                                      options=tuple((i.id, i.label) for i in activity.items)))
        fields.append(TextField("question", label=f"{STEM} …", max_length=activity.options["max_length"],
                                help="Finish the question, e.g. “make the first visit less daunting?”"))
        if activity.options["themes"]:
            fields.append(ChoiceField("theme", label="Theme", required=False,
                                      options=tuple((t, t) for t in activity.options["themes"])))
        return Form(fields)

    def validate(self, activity, data):
        # People often type the stem themselves: keep the question without it.
        rest = _STEM.sub("", data["question"]).strip()
        if len(rest.split()) < 3:
            raise Invalid({"question": "finish the question in at least three words"})
        if not rest.endswith("?"):
            rest += "?"
        return {**data, "question": rest}

    def extras(self, activity):
        return {"focus": activity.options["focus"]}

    def summarise(self, activity, contributions):
        problems = {i.id: i.label for i in activity.items}
        questions = [{"id": c["id"], "text": f"{STEM} {c['data']['question']}", "role": c["role"],
                      "theme": c["data"].get("theme"),
                      "problem": problems.get(c["data"].get("problem"))}
                     for c in contributions]
        roles = role_order(activity, contributions)
        by_role = Counter(role_of(c) for c in contributions)
        by_theme: dict[str, dict[str, int]] = {}
        for c in contributions:
            theme = c["data"].get("theme") or "No theme"
            row = by_theme.setdefault(theme, {})
            row[role_of(c)] = row.get(role_of(c), 0) + 1
        return {"count": len(questions), "roles": roles,
                "by_role": {r: by_role[r] for r in roles},
                "by_theme": by_theme, "questions": questions}

    def items(self, activity, contributions):
        return [Item(id=f"{c['participant']}:{c['id']}", label=f"{STEM} {c['data']['question']}"[:120],
                     detail=c["data"].get("theme") or "")
                for c in contributions]

    def report(self, activity, results, contributions):
        blocks = [Paragraph(f"{results['count']} questions.")]
        if results["by_role"]:
            blocks.append(Table(["Role", "Questions"], list(results["by_role"].items()),
                                caption="Questions by role"))
        if activity.options["themes"] and results["by_theme"]:
            rows = list(results["by_theme"].items())
            blocks.append(Chart(stacked_bars("Questions by theme and role", rows, results["roles"]),
                                alt="; ".join(f"{theme}: {sum(v.values())}" for theme, v in rows),
                                caption="Questions by theme, coloured by role"))
        grouped: dict[str, list[str]] = {}
        for q in results["questions"]:
            grouped.setdefault(q["problem"] or "", []).append(f"{q['text']} ({q['role'] or NO_ROLE})")
        for problem, texts in grouped.items():
            blocks.append(Heading(f"Problem: {problem}" if problem else "Questions", level=4))
            blocks.append(BulletList(texts))
        return blocks


@hookimpl
def register_activities(register):
    register(HowMightWe())


@hookimpl
def startup(workshop):
    ours = [a.id for a in workshop.agenda.activities if a.plugin == HowMightWe.name]
    log.info("how_might_we: %d activities in %r", len(ours), workshop.agenda.title)


@hookimpl
def contribution_stored(workshop, contribution, role):
    act = workshop.agenda.activity(contribution["activity"])
    if act is not None and act.plugin == HowMightWe.name:
        log.info("new question in %s from %s", act.id, role or NO_ROLE)


@hookimpl
def extra_report_sections(results):
    """One list of every question of the workshop, for the group to take forward."""
    questions = [q["text"] for summary in results.values() if isinstance(summary, dict)
                 for q in summary.get("questions", []) if isinstance(q, dict) and "text" in q]
    if not questions:
        return None
    return [Heading("Questions to take forward", level=2), BulletList(questions)]
