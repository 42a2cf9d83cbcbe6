"""Ethical compass check: is the relationship between service user and professional fair?

CoSIE's Ethical Compass asks about four relational parameters: significance (what is at
stake for each), responsibilities (what each is expected to carry), resources (what
each brings or is given) and participation and influence (how much choice each has).
Participants rate each parameter as it is today and as they want it, on a scale from
"held by the professional" to "held by the service user" (the middle is balanced), and
say whether this is what we want and how it could be improved.

With ``from = "<activity id>"`` the check runs on each idea or card carried over: the
form asks which one is being rated (the service as a whole can stay a choice too).
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, BulletList, Chart, ChoiceField, Form, Heading, Option,
    OptionError, Paragraph, ScaleField, Table, TextField, dumbbell, mean, role_of,
    role_order,
)

PARAMETERS = {
    "significance": ("Significance", "What is at stake for each?"),
    "responsibilities": ("Responsibilities", "What is each expected to carry?"),
    "resources": ("Resources", "What is each expected to bring, or given? Are all seen as capable?"),
    "participation": ("Participation and influence", "How much choice does each have, given dependencies and power?"),
}
WHOLE_SERVICE = "service"
WHOLE_SERVICE_LABEL = "The service as a whole"


class EthicalCompass(ActivityType):
    name = "ethical_compass"
    title = "Ethical compass check"
    description = ("Rate the four relational parameters (significance, responsibilities, resources, "
                   "participation and influence) today and as wanted, for the whole service or for "
                   "each idea carried over; shows the gaps by role and flags the largest imbalances.")
    default_prompt = ("Between the people who use the service and the professionals: where does each "
                      "of these lie today, and where do we want it? Is this what we want?")
    accepts_items = True
    options = (
        Option("parameters", "strings", default=list(PARAMETERS), choices=list(PARAMETERS), min=1,
               help="Which parameters to rate: significance, responsibilities, resources, participation."),
        Option("points", "integer", default=5, min=3, max=9,
               help="Points on each scale; odd, so that the middle point means balanced."),
        Option("professional_label", "string", default="Held by the professional",
               help="The label of the scale's low end."),
        Option("user_label", "string", default="Held by the service user",
               help="The label of the scale's high end."),
        Option("include_service", "boolean", default=True,
               help='With "from": also offer "the service as a whole" as something to rate.'),
        Option("flag_imbalance", "number", default=1.0, min=0,
               help="Flag a parameter when today's mean is at least this far from the balanced middle."),
    )

    def check_options(self, options, roles):
        if options["points"] % 2 == 0:
            raise OptionError("points", f"must be odd so that the scale has a balanced middle, not {options['points']}")
        if len(set(options["parameters"])) != len(options["parameters"]):
            raise OptionError("parameters", "lists the same parameter twice")
        half = (options["points"] - 1) / 2
        if options["flag_imbalance"] > half:
            raise OptionError("flag_imbalance", f"must be at most {half:g} on a {options['points']}-point "
                                                "scale, or nothing can be flagged")
        for name in ("professional_label", "user_label"):
            if not options[name].strip() or len(options[name]) > 60:
                raise OptionError(name, "needs a label of 1 to 60 characters")

    def _subjects(self, activity) -> list[tuple[str, str]]:
        subjects = [(i.id, i.label) for i in activity.items]
        if activity.options["include_service"]:
            subjects.append((WHOLE_SERVICE, WHOLE_SERVICE_LABEL))
        return subjects

    def form(self, activity):
        o = activity.options
        fields = []
        if activity.source:
            fields.append(ChoiceField("item", label="Which idea are you rating?", options=self._subjects(activity)))
        for p in o["parameters"]:
            label, question = PARAMETERS[p]
            for when, words in (("today", "today"), ("desired", "as we want it")):
                fields.append(ScaleField(f"{p}_{when}", label=f"{label} {words}", help=question,
                                         min=1, max=o["points"], min_label=o["professional_label"],
                                         max_label=o["user_label"]))
        fields.append(TextField("concern", label="Is this what we want? How could it be improved?",
                                required=False, max_length=1000, multiline=True))
        return Form(fields)

    def summarise(self, activity, contributions):
        o = activity.options
        mid = (1 + o["points"]) / 2
        roles = role_order(activity, contributions)
        params = list(o["parameters"])

        def stats(subset, p):
            today = mean(c["data"][f"{p}_today"] for c in subset)
            desired = mean(c["data"][f"{p}_desired"] for c in subset)
            return {"count": len(subset), "today": today, "desired": desired,
                    "gap": None if today is None else round(desired - today, 2),
                    "imbalance": None if today is None else round(abs(today - mid), 2),
                    "leans": None if today is None else
                    ("balanced" if today == mid else "professional" if today < mid else "service user")}

        parameters = [{"parameter": p, "label": PARAMETERS[p][0], **stats(contributions, p),
                       "by_role": {r: stats([c for c in contributions if role_of(c) == r], p) for r in roles}}
                      for p in params]
        subjects = []
        if activity.source:
            labels = dict(self._subjects(activity))
            for sid in dict.fromkeys(c["data"]["item"] for c in contributions):
                mine = [c for c in contributions if c["data"]["item"] == sid]
                subjects.append({"id": sid, "label": labels.get(sid, sid), "count": len(mine),
                                 "parameters": [{"parameter": p, "label": PARAMETERS[p][0], **stats(mine, p)}
                                                for p in params]})
        candidates = ([(s["id"], s["label"], p) for s in subjects for p in s["parameters"]] if subjects
                      else [(None, None, p) for p in parameters])
        candidates = [c for c in candidates if c[2]["count"]]
        largest = max((p["imbalance"] for *_, p in candidates), default=0)
        flagged = [{"subject": sid, "subject_label": label, "parameter": p["parameter"], "label": p["label"],
                    "today": p["today"], "desired": p["desired"], "imbalance": p["imbalance"],
                    "leans": p["leans"], "largest": p["imbalance"] == largest}
                   for sid, label, p in candidates
                   if p["imbalance"] > 0 and (p["imbalance"] >= o["flag_imbalance"] or p["imbalance"] == largest)]
        flagged.sort(key=lambda f: -f["imbalance"])
        labels = dict(self._subjects(activity)) if activity.source else {}
        return {
            "count": len(contributions),
            "roles": roles,
            "by_role": {r: sum(role_of(c) == r for c in contributions) for r in roles},
            "scale": {"min": 1, "max": o["points"], "balanced": mid,
                      "min_label": o["professional_label"], "max_label": o["user_label"]},
            "parameters": parameters,
            "subjects": subjects,
            "flagged": flagged,
            "concerns": [{"text": c["data"]["concern"], "role": role_of(c),
                          "subject": labels.get(c["data"]["item"], c["data"]["item"]) if activity.source else None}
                         for c in contributions if c["data"].get("concern")],
        }

    def report(self, activity, results, contributions):
        if not results["count"]:
            return [Paragraph("No ratings yet.")]
        scale = results["scale"]
        blocks = [Paragraph(
            f"{results['count']} ratings. Scale {scale['min']} ({scale['min_label']}) to {scale['max']} "
            f"({scale['max_label']}); {scale['balanced']:g} is balanced. The gap is desired minus today: "
            f"positive moves towards the service user.")]
        rows = []
        for p in results["parameters"]:
            rows.append((p["label"], "Everyone", p["today"], p["desired"]))
            if len(results["roles"]) > 1:
                rows += [(p["label"], r, s["today"], s["desired"]) for r, s in p["by_role"].items()]
        blocks.append(Chart(
            dumbbell("Today and as we want it, by role", rows, low=scale["min"], high=scale["max"],
                     low_label=scale["min_label"], high_label=scale["max_label"]),
            alt="; ".join(f"{p['label']}: today {p['today']}, desired {p['desired']}" for p in results["parameters"]),
            caption="Circle: today; square: as we want it. The dashed line is the balanced middle."))
        blocks.append(Table(
            ["Parameter", "Role", "Ratings", "Today", "Desired", "Gap"],
            [[p["label"], "Everyone", p["count"], p["today"], p["desired"], p["gap"]] for p in results["parameters"]]
            + [[p["label"], r, s["count"], s["today"], s["desired"], s["gap"]]
               for p in results["parameters"] for r, s in p["by_role"].items()],
            caption="Means per parameter"))
        if results["subjects"]:
            blocks.append(Heading("Per idea", level=4))
            blocks.append(Chart(
                dumbbell("Today and as we want it, per idea",
                         [(s["label"], p["label"], p["today"], p["desired"])
                          for s in results["subjects"] for p in s["parameters"]],
                         low=scale["min"], high=scale["max"], low_label=scale["min_label"],
                         high_label=scale["max_label"]),
                alt="; ".join(f"{s['label']}: {s['count']} ratings" for s in results["subjects"])))
            blocks.append(Table(["Idea", "Parameter", "Ratings", "Today", "Desired", "Gap"],
                                [[s["label"], p["label"], p["count"], p["today"], p["desired"], p["gap"]]
                                 for s in results["subjects"] for p in s["parameters"]]))
        if results["flagged"]:
            blocks.append(Heading("Largest imbalances", level=4))
            blocks.append(BulletList([
                (f"{f['subject_label']}: " if f["subject_label"] else "")
                + f"{f['label']} leans to the {f['leans']} today (mean {f['today']}, "
                  f"{f['imbalance']:g} from balanced; desired {f['desired']})"
                + (" — the largest" if f["largest"] else "") for f in results["flagged"]]))
        if results["concerns"]:
            blocks.append(Heading("Is this what we want? How could it be improved?", level=4))
            blocks.append(Table(["Concern", "Role"] + (["Idea"] if activity.source else []),
                                [[c["text"], c["role"]] + ([c["subject"]] if activity.source else [])
                                 for c in results["concerns"]]))
        return blocks


    def screen(self, activity, contributions):
        """The room's screen: today and as we want it, per parameter (by role only where
        the screen may show roles)."""
        from facilitation_kit import NO_ROLE, Chart, Paragraph, dumbbell

        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph("No ratings yet.")]
        scale = results["scale"]
        roles = [r for r in results["roles"] if r != NO_ROLE]
        rows = []
        for p in results["parameters"]:
            rows.append((p["label"], "Everyone", p["today"], p["desired"]))
            rows += [(p["label"], r, p["by_role"][r]["today"], p["by_role"][r]["desired"]) for r in roles]
        return [Chart(dumbbell("Today and as we want it", rows, low=scale["min"], high=scale["max"],
                               low_label=scale["min_label"], high_label=scale["max_label"]),
                      alt="; ".join(f"{p['label']}: today {p['today']}, desired {p['desired']}"
                                    for p in results["parameters"]),
                      caption="Circle: today; square: as we want it.")]


@hookimpl
def register_activities(register):
    register(EthicalCompass())
