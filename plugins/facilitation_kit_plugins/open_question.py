"""Open question: everyone answers one question in their own words.

Used for the opening and closing rounds ("A time this service really helped you, or let
you down: what made the difference?") and any other question. Answers are counted by
role in the session's role order; role groups smaller than the agenda's ``min_group``
are counted together.
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, Catalogue, Form, Heading, Item, Option, Paragraph, Quote, Table,
    TextField, role_groups,
)

T = Catalogue(__package__)


class OpenQuestion(ActivityType):
    name = "open_question"
    title = "Open question"
    catalogue = T
    description = "Everyone answers one question in their own words; answers can be split by role."
    default_prompt = "What matters most to you here?"
    options = (
        Option("max_length", "integer", default=500, min=1, max=5000,
               help="Longest answer, in characters."),
        Option("multiline", "boolean", default=True, help="Allow line breaks in answers."),
        Option("label", "string", default="", translatable=True,
               help='Label of the answer box on phones (default: "Your answer" in the phone\'s language).'),
    )

    def form(self, activity):
        label = activity.text(activity.options["label"]) or T.t(activity.lang, "open_question.label")
        return Form([
            TextField("answer", label=label, max_length=activity.options["max_length"],
                      multiline=activity.options["multiline"]),
        ])

    def summarise(self, activity, contributions):
        groups = role_groups(activity, contributions)
        counts = {r: 0 for r in groups.order}
        for c in contributions:
            if groups.of(c) is not None:
                counts[groups.of(c)] += 1
        return {
            "count": len(contributions),
            "participants": len({c["participant"] for c in contributions}),
            "by_role": counts,
            "answers": [{"text": c["data"]["answer"], "role": groups.of(c)} for c in contributions],
        }

    def items(self, activity, contributions):
        return [Item(id=f"{c['participant']}:{c['id']}", label=c["data"]["answer"][:120])
                for c in contributions]

    def report(self, activity, results, contributions):
        lang = activity.lang
        blocks = [Paragraph(T.t(lang, "open_question.count", count=results["count"]))]
        if results["by_role"]:
            blocks.append(Table([T.t(lang, "role"), T.t(lang, "open_question.answers")],
                                [[r, n] for r, n in results["by_role"].items()],
                                caption=T.t(lang, "open_question.by_role")))
        blocks.append(Heading(T.t(lang, "open_question.answers"), level=4))
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
        if not words:
            return [Paragraph(T.t(activity.lang, "open_question.no_words"))]
        return [Chart(word_cloud(activity.title, words, lang=activity.lang), alt="; ".join(f"{w}: {n}" for w, n in words[:15])),
                Paragraph(T.t(activity.lang, "open_question.count", count=len(answers)))]


@hookimpl
def register_activities(register):
    register(OpenQuestion())
