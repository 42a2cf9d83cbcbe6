"""Actions with owners: what will be done, by whom, by when, with what support, and how
the participants will hear back.

With ``from = "<activity id>"`` (the top priorities of a dot vote, the lowest stages of a
journey, ...) each action says which priority it is for, and the results name the
priorities nobody has taken on yet. The results list the commitments; the report's
first page lists them too (``facilitation_kit.report.actions.actions_of``) and
``facilitation-kit export --format actions-csv`` writes them for follow-up.
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, ChoiceField, Form, Option, Paragraph, Table, TextField, role_groups,
)

from ._shared import catalogue

T = catalogue("actions")
K = "actions."
OTHER = "other"
#: The fields of an action, in the order of the form and of every table and CSV.
FIELDS = ("what", "who", "by_when", "support", "hear_back")


class Actions(ActivityType):
    name = "actions"
    title = "Actions with owners"
    catalogue = T
    description = ("Commitments: what will be done, who does it (a role or a name), by when, what "
                   "support is needed and how participants will hear back; for the top priorities "
                   "of an earlier activity (from). Listed on the report's first page and as a CSV.")
    default_prompt = "What will we do next? Who will do it, and by when?"
    accepts_items = True
    options = (
        Option("max_length", "integer", default=300, min=20, max=2000,
               help="Longest answer to each question, in characters."),
        Option("other_priority", "boolean", default=True,
               help='With "from": also offer "something else" besides the priorities carried over.'),
    )

    def form(self, activity):
        lang, o = activity.lang, activity.options
        fields = []
        if activity.source:
            options = [(i.id, i.label) for i in activity.items]
            if o["other_priority"] or not options:
                options.append((OTHER, T.t(lang, K + "other")))
            fields.append(ChoiceField("priority", label=T.t(lang, K + "priority"), options=options))
        for name in FIELDS:
            fields.append(TextField(name, label=T.t(lang, K + name), help=T.t(lang, K + name + "_help"),
                                    required=name != "support",
                                    max_length=80 if name == "by_when" else o["max_length"],
                                    multiline=name not in ("who", "by_when")))
        return Form(fields)

    def summarise(self, activity, contributions):
        lang = activity.lang
        groups = role_groups(activity, contributions)
        labels = {i.id: i.label for i in activity.items}
        labels[OTHER] = T.t(lang, K + "other")
        actions = []
        for n, c in enumerate(contributions, start=1):
            d = c["data"]
            priority = d.get("priority")
            actions.append({"number": n, "priority": priority,
                            "priority_label": labels.get(priority, priority) if priority else "",
                            **{name: d.get(name) or "" for name in FIELDS},
                            "role": groups.of(c), "created_at": c.get("created_at")})
        taken = {a["priority"] for a in actions}
        return {"count": len(actions), "roles": groups.order, "actions": actions,
                "priorities": [{"id": i.id, "label": i.label, "actions": sum(a["priority"] == i.id for a in actions)}
                               for i in activity.items],
                "without_owner": [i.label for i in activity.items if i.id not in taken]}

    def columns(self, lang, with_priority: bool) -> list[str]:
        return (["#"] + ([T.t(lang, K + "priority_col")] if with_priority else [])
                + [T.t(lang, K + name + "_col") for name in FIELDS])

    def rows(self, results, with_priority: bool) -> list[list]:
        return [[a["number"]] + ([a["priority_label"]] if with_priority else []) + [a[name] or "–" for name in FIELDS]
                for a in results["actions"]]

    def actions(self, activity, results):
        """The report's "What happens now": what, who and by when, as written."""
        return [{"what": a["what"], "who": a["who"], "when": a["by_when"]} for a in results["actions"]]

    def report(self, activity, results, contributions):
        lang = activity.lang
        if not results["count"]:
            blocks = [Paragraph(T.t(lang, K + "none"))]
        else:
            with_priority = bool(activity.source)
            blocks = [Paragraph(T.t(lang, K + "count", count=results["count"])),
                      Table(self.columns(lang, with_priority), self.rows(results, with_priority),
                            caption=T.t(lang, K + "table_caption"))]
        if results["without_owner"]:
            blocks.append(Paragraph(T.t(lang, K + "without_owner", count=len(results["without_owner"]),
                                        priorities="; ".join(results["without_owner"]))))
        return blocks

    def screen(self, activity, contributions):
        """The room's screen: the commitments so far (what, who, by when)."""
        lang = activity.lang
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "none_yet"))]
        return [Table([T.t(lang, K + n + "_col") for n in ("what", "who", "by_when", "hear_back")],
                      [[a["what"], a["who"], a["by_when"], a["hear_back"]] for a in results["actions"][-10:]]),
                Paragraph(T.t(lang, K + "count", count=results["count"]))]


@hookimpl
def register_activities(register):
    register(Actions())
