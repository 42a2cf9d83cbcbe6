"""Open question: everyone answers one question in their own words.

Used for the CoSIE reflection rounds ("What would a relational approach imply for how
this service is provided and managed?") and any opening or closing question.
"""

from __future__ import annotations

from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, Form, Heading, Item, Option, Paragraph, Quote, Table, TextField,
)


class OpenQuestion(ActivityType):
    name = "open_question"
    title = "Open question"
    description = "Everyone answers one question in their own words; answers can be split by role."
    default_prompt = "What matters most to you here?"
    options = (
        Option("max_length", "integer", default=500, min=1, max=5000,
               help="Longest answer, in characters."),
        Option("multiline", "boolean", default=True, help="Allow line breaks in answers."),
        Option("label", "string", default="Your answer", help="Label of the answer box on phones."),
    )

    def form(self, activity):
        return Form([
            TextField("answer", label=activity.options["label"],
                      max_length=activity.options["max_length"],
                      multiline=activity.options["multiline"]),
        ])

    def summarise(self, activity, contributions):
        by_role = Counter(c["role"] or "no role given" for c in contributions)
        return {
            "count": len(contributions),
            "by_role": dict(sorted(by_role.items())),
            "answers": [{"text": c["data"]["answer"], "role": c["role"]} for c in contributions],
        }

    def items(self, activity, contributions):
        return [Item(id=f"{c['participant']}:{c['id']}", label=c["data"]["answer"][:120])
                for c in contributions]

    def report(self, activity, results, contributions):
        blocks = [Paragraph(f"{results['count']} answers.")]
        if results["by_role"]:
            blocks.append(Table(["Role", "Answers"], [[r, n] for r, n in results["by_role"].items()],
                                caption="Answers by role"))
        blocks.append(Heading("Answers", level=4))
        blocks.extend(Quote(a["text"], a["role"]) for a in results["answers"])
        return blocks


    def screen(self, activity, contributions):
        """The room's screen: while open, a wall of the newest approved answers; once
        closed, a word cloud of all of them (stop words of the eight languages removed)."""
        from facilitation_kit import Chart, Quote, word_cloud, word_counts

        answers = [c["data"]["answer"] for c in contributions]
        if activity.state != "closed":
            return [Quote(c["data"]["answer"], c["role"]) for c in contributions[-12:][::-1]]
        words = word_counts(answers, top=40)
        return [Chart(word_cloud(activity.title, words),
                      alt="; ".join(f"{w}: {n}" for w, n in words[:15]) or "No words yet.")]


@hookimpl
def register_activities(register):
    register(OpenQuestion())
