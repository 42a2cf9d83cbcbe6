"""Stories (Most Significant Change): a time the service made a real difference, or let
you down.

Each story says what happened, what changed and why it matters, and whether its author
lets us quote it (without a name). A story its author did not allow to be quoted never
appears word for word outside the facilitator's record (the journal and the JSON and CSV
exports): not on the room's screen, not in the report, not as the label of an item
offered to a later activity (there it is "Story 3"), and not when the facilitator puts
it on the screen (:meth:`Story.public_data`).

With ``from = "<this activity's id>"`` a dot vote picks the most significant story;
its ``note = true`` asks "why this one?".
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, ChoiceField, Form, Heading, Item, NO_ROLE, Option, Paragraph, Quote,
    Table, TextField, role_groups,
)

from ._shared import catalogue

T = catalogue("story")
K = "story."
TEXTS = ("happened", "changed", "matters")
KINDS = ("helped", "let_down")
YES, NO = "yes", "no"
LABEL_CHARS = 80


def quotable(contribution) -> bool:
    """Whether the author allowed the story to be quoted (without a name)."""
    return (contribution.get("data") or {}).get("quote") == YES


class Story(ActivityType):
    name = "story"
    title = "Stories (Most Significant Change)"
    catalogue = T
    description = ("Participants tell of a time the service made a real difference, or let them down: "
                   "what happened, what changed, why it matters, and whether it may be quoted. "
                   "Stories that may not be quoted stay in the facilitator's record.")
    default_prompt = "Tell us about a time the service made a real difference, or let you down."
    max_contributions = 5
    options = (
        Option("max_length", "integer", default=1000, min=50, max=5000,
               help="Longest answer to each question, in characters."),
        Option("ask_kind", "boolean", default=True,
               help='Ask whether the story is about the service helping or letting the person down.'),
        Option("offer", "string", default="all", choices=["all", "quotable"],
               help='Which stories a later activity (a vote with from) gets: "all" (those not to be '
                    'quoted as "Story 3", without their words) or only "quotable" ones.'),
    )

    def form(self, activity):
        lang, o = activity.lang, activity.options
        fields = [TextField("happened", label=T.t(lang, K + "happened"), help=T.t(lang, K + "happened_help"),
                            max_length=o["max_length"], multiline=True),
                  TextField("changed", label=T.t(lang, K + "changed"), required=False,
                            max_length=o["max_length"], multiline=True),
                  TextField("matters", label=T.t(lang, K + "matters"), required=False,
                            max_length=o["max_length"], multiline=True)]
        if o["ask_kind"]:
            fields.append(ChoiceField("kind", label=T.t(lang, K + "kind"), required=False,
                                      options=T.pairs(lang, KINDS, K + "kind.")))
        fields.append(ChoiceField("quote", label=T.t(lang, K + "quote"), help=T.t(lang, K + "quote_help"),
                                  options=T.pairs(lang, (YES, NO), K + "quote.")))
        return Form(fields)

    # -- what leaves the facilitator's record -----------------------------------------
    def public_data(self, activity, contribution):
        data = dict(contribution.get("data") or {})
        if not quotable(contribution):  # one sentence in place of all its words
            for name in TEXTS:
                data.pop(name, None)
            data["happened"] = T.t(activity.lang, K + "withheld")
        return data

    def _numbered(self, contributions):
        return [(n, c) for n, c in enumerate(contributions, start=1)]

    def story_text(self, lang, data) -> str:
        """A quotable story's words, each answer after its short label."""
        return "\n".join(T.t(lang, K + name + "_short") + " " + data[name] for name in TEXTS if data.get(name))

    # -- results ----------------------------------------------------------------------
    def summarise(self, activity, contributions):
        groups = role_groups(activity, contributions)
        roles = groups.order
        stories = []
        kinds = {k: 0 for k in (*KINDS, "not_said")}
        by_role = {r: 0 for r in roles}
        kinds_by_role = {r: {k: 0 for k in kinds} for r in roles}
        for n, c in self._numbered(contributions):
            kind = c["data"].get("kind") or "not_said"
            kinds[kind] = kinds.get(kind, 0) + 1
            group = groups.of(c)
            if group is not None:
                by_role[group] += 1
                kinds_by_role[group][kind] = kinds_by_role[group].get(kind, 0) + 1
            entry = {"number": n, "id": f"{c['participant']}:{c['id']}", "quotable": quotable(c),
                     "kind": kind, "role": group}
            if entry["quotable"]:  # the words of a story only where its author allowed it
                entry.update({name: c["data"][name] for name in TEXTS if c["data"].get(name)})
            stories.append(entry)
        return {"count": len(stories), "participants": len({c["participant"] for c in contributions}),
                "quotable": sum(s["quotable"] for s in stories),
                "withheld": sum(not s["quotable"] for s in stories), "roles": roles, "by_role": by_role,
                "kinds": kinds, "kinds_by_role": kinds_by_role, "stories": stories}

    def label(self, lang, story) -> str:
        """An item's label: "Story 3: the first words" if quotable, else only "Story 3"."""
        number = T.t(lang, K + "number", number=story["number"])
        if not story["quotable"]:
            return number
        words = " ".join(story["happened"].split())
        if len(words) > LABEL_CHARS:
            words = words[:LABEL_CHARS - 1].rstrip() + "…"
        return f"{number}: {words}"

    def items(self, activity, contributions):
        lang = activity.language
        results = self.summarise(activity, contributions)
        offered = [s for s in results["stories"] if s["quotable"] or activity.options["offer"] == "all"]
        return [Item(id=s["id"], label=self.label(lang, s),
                     detail="" if s["quotable"] else T.t(lang, K + "not_quoted_detail"))
                for s in offered]

    def report(self, activity, results, contributions):
        lang = activity.lang
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "none"))]
        blocks = [Paragraph(T.t(lang, K + "count", count=results["count"]) + " "
                            + T.t(lang, K + "quotable_count", count=results["quotable"]))]
        if activity.options["ask_kind"]:
            kinds = [k for k in (*KINDS, "not_said") if results["kinds"].get(k)]
            head = [T.t(lang, "role")] + [T.t(lang, K + "kind_col." + k) for k in kinds]
            rows = [[T.t(lang, "everyone")] + [results["kinds"][k] for k in kinds]]
            if len(results["roles"]) > 1:
                rows += [[r] + [results["kinds_by_role"][r].get(k, 0) for k in kinds] for r in results["roles"]]
            blocks.append(Table(head, rows, caption=T.t(lang, K + "kinds_caption")))
        shown = [s for s in results["stories"] if s["quotable"]]
        if shown:
            blocks.append(Heading(T.t(lang, K + "quotes_heading"), level=4))
            blocks += [Quote(T.t(lang, K + "number", number=s["number"]) + "\n" + self.story_text(lang, s), s["role"])
                       for s in shown]
        withheld = [s for s in results["stories"] if not s["quotable"]]
        if withheld:
            names = ", ".join(T.t(lang, K + "number", number=s["number"]) for s in withheld)
            blocks.append(Paragraph(T.t(lang, K + "withheld_list", count=len(withheld), stories=names)))
        return blocks

    def screen(self, activity, contributions):
        """The room's screen: how many stories, and the newest that may be quoted."""
        lang = activity.lang
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "none_yet"))]
        blocks = [Paragraph(T.t(lang, K + "count", count=results["count"]) + " "
                            + T.t(lang, K + "quotable_count", count=results["quotable"]))]
        shown = [s for s in results["stories"] if s["quotable"]][-8:][::-1]
        blocks += [Quote(self.label(lang, {**s, "quotable": False}) + "\n" + self.story_text(lang, s),
                         s["role"] if s["role"] != NO_ROLE else None)
                   for s in shown]
        return blocks


@hookimpl
def register_activities(register):
    register(Story())
