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
    hookimpl, ActivityType, BulletList, Catalogue, Chart, ChoiceField, Form, Heading, Option,
    OptionError, Paragraph, ScaleField, Table, TextField, dont_know, dumbbell, mean,
    role_groups, widest_gap,
)

T = Catalogue(__package__)

#: The four parameters; their names and plain questions are in the catalogue
#: (``ethical_compass.<parameter>`` and ``ethical_compass.<parameter>_q``).
PARAMETERS = ("significance", "responsibilities", "resources", "participation")
WHOLE_SERVICE = "service"


def parameter_label(lang: str, p: str) -> str:
    return T.t(lang, f"ethical_compass.{p}")


class EthicalCompass(ActivityType):
    name = "ethical_compass"
    title = "Ethical compass check"
    catalogue = T
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
        Option("professional_label", "string", default="", translatable=True,
               help='The label of the scale\'s low end (default: "Mostly the professional", translated).'),
        Option("user_label", "string", default="", translatable=True,
               help='The label of the scale\'s high end (default: "Mostly the person", translated).'),
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
        from facilitation_kit import text

        for name in ("professional_label", "user_label"):
            value = options[name]
            if value == "":
                continue
            if not text(value, "en", "en").strip() or len(text(value, "en", "en")) > 60:
                raise OptionError(name, "needs a label of 1 to 60 characters")

    def _ends(self, activity, lang=None) -> tuple[str, str]:
        lang = lang or activity.lang
        o = activity.options
        low = (activity.text(o["professional_label"]) if o["professional_label"]
               else T.t(lang, "ethical_compass.low"))
        high = activity.text(o["user_label"]) if o["user_label"] else T.t(lang, "ethical_compass.high")
        return low, high

    def _subjects(self, activity, lang=None) -> list[tuple[str, str]]:
        subjects = [(i.id, i.label) for i in activity.items]
        if activity.options["include_service"]:
            subjects.append((WHOLE_SERVICE, T.t(lang or activity.lang, "ethical_compass.whole_service")))
        return subjects

    def form(self, activity):
        o, lang = activity.options, activity.lang
        k = "ethical_compass."
        low, high = self._ends(activity)
        fields = []
        if activity.source:
            fields.append(ChoiceField("item", label=T.t(lang, k + "item_label"), options=self._subjects(activity)))
        for p in o["parameters"]:
            question = T.t(lang, k + p + "_q")
            for when in ("today", "desired"):
                fields.append(ScaleField(f"{p}_{when}", label=T.t(lang, k + when + "_label", question=question),
                                         help=T.t(lang, k + p + "_help"), min=1, max=o["points"],
                                         min_label=low, max_label=high, skip=T.t(lang, "dont_know")))
        fields.append(TextField("concern", label=T.t(lang, k + "concern_label"),
                                required=False, max_length=1000, multiline=True))
        return Form(fields)

    def summarise(self, activity, contributions):
        o = activity.options
        lang = activity.lang
        mid = (1 + o["points"]) / 2
        groups = role_groups(activity, contributions)
        roles = groups.order
        params = list(o["parameters"])
        low, high = self._ends(activity)

        def stats(subset, p):
            today = mean(c["data"][f"{p}_today"] for c in subset)
            desired = mean(c["data"][f"{p}_desired"] for c in subset)
            return {"count": len(subset), "today": today, "desired": desired,
                    "dont_know": dont_know(c["data"][f"{p}_{w}"] for c in subset for w in ("today", "desired")),
                    "gap": None if today is None or desired is None else round(desired - today, 2),
                    "imbalance": None if today is None else round(abs(today - mid), 2),
                    "leans": None if today is None else
                    ("balanced" if today == mid else "professional" if today < mid else "service user")}

        parameters = [{"parameter": p, "label": parameter_label(lang, p), **stats(contributions, p),
                       "by_role": {r: stats([c for c in contributions if groups.of(c) == r], p) for r in roles}}
                      for p in params]
        subjects = []
        if activity.source:
            labels = dict(self._subjects(activity))
            for sid in dict.fromkeys(c["data"]["item"] for c in contributions):
                mine = [c for c in contributions if c["data"]["item"] == sid]
                subjects.append({"id": sid, "label": labels.get(sid, sid), "count": len(mine),
                                 "parameters": [{"parameter": p, "label": parameter_label(lang, p), **stats(mine, p)}
                                                for p in params]})
        candidates = ([(s["id"], s["label"], p) for s in subjects for p in s["parameters"]] if subjects
                      else [(None, None, p) for p in parameters])
        candidates = [c for c in candidates if c[2]["count"] and c[2]["imbalance"] is not None]
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
            "by_role": {r: sum(groups.of(c) == r for c in contributions) for r in roles},
            "scale": {"min": 1, "max": o["points"], "balanced": mid, "min_label": low, "max_label": high},
            "parameters": parameters,
            "subjects": subjects,
            "flagged": flagged,
            "concerns": [{"text": c["data"]["concern"], "role": groups.of(c),
                          "subject": labels.get(c["data"]["item"], c["data"]["item"]) if activity.source else None}
                         for c in contributions if c["data"].get("concern")],
        }

    def findings(self, activity, results):
        """Per parameter, today and as wanted: the two role groups whose mean ratings
        differ most (the size is the gap as a share of the scale)."""
        scale = results["scale"]
        span = (scale["max"] - scale["min"]) or 1
        out = []
        for p in results["parameters"]:
            for when in ("today", "desired"):
                gap = widest_gap({r: s[when] for r, s in p["by_role"].items()})
                if gap is None:
                    continue
                high, a, low, b = gap
                out.append({"text": T.t(activity.lang, f"ethical_compass.finding_{when}", item=p["label"],
                                        role_a=high, a=f"{a:g}", role_b=low, b=f"{b:g}",
                                        min=scale["min"], low=scale["min_label"], max=scale["max"],
                                        high=scale["max_label"]),
                            "size": round((a - b) / span, 3), "item": p["label"], "roles": [high, low],
                            "values": [a, b]})
        return out

    def report(self, activity, results, contributions):
        lang = activity.lang
        k = "ethical_compass."
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        scale = results["scale"]
        everyone = T.t(lang, "everyone")
        blocks = [Paragraph(T.t(lang, k + "summary", count=results["count"], min=scale["min"],
                                low=scale["min_label"], max=scale["max"], high=scale["max_label"],
                                mid=f"{scale['balanced']:g}"))]
        dk = sum(p["dont_know"] for p in results["parameters"])
        if dk:
            blocks.append(Paragraph(T.t(lang, k + "dont_know", count=dk)))
        rows = []
        for p in results["parameters"]:
            rows.append((p["label"], everyone, p["today"], p["desired"]))
            if len(results["roles"]) > 1:
                rows += [(p["label"], r, s["today"], s["desired"]) for r, s in p["by_role"].items()]
        rows = [r for r in rows if r[2] is not None and r[3] is not None]
        today_w, wanted_w = T.t(lang, k + "today_col"), T.t(lang, k + "desired_col")
        if rows:
            blocks.append(Chart(
                dumbbell(T.t(lang, k + "chart_title"), rows, low=scale["min"], high=scale["max"],
                         low_label=scale["min_label"], high_label=scale["max_label"]),
                alt="; ".join(f"{p['label']}: {today_w} {p['today']}, {wanted_w} {p['desired']}"
                              for p in results["parameters"]),
                caption=T.t(lang, k + "chart_caption")))
        head = [T.t(lang, k + "parameter_col"), T.t(lang, "role"), T.t(lang, k + "ratings_col"), today_w, wanted_w,
                T.t(lang, k + "gap_col"), T.t(lang, "dont_know")]
        blocks.append(Table(
            head,
            [[p["label"], everyone, p["count"], p["today"], p["desired"], p["gap"], p["dont_know"]]
             for p in results["parameters"]]
            + [[p["label"], r, s["count"], s["today"], s["desired"], s["gap"], s["dont_know"]]
               for p in results["parameters"] for r, s in p["by_role"].items()],
            caption=T.t(lang, k + "table_caption")))
        if results["subjects"]:
            blocks.append(Heading(T.t(lang, k + "per_idea"), level=4))
            idea_rows = [(s["label"], p["label"], p["today"], p["desired"])
                         for s in results["subjects"] for p in s["parameters"]
                         if p["today"] is not None and p["desired"] is not None]
            if idea_rows:
                blocks.append(Chart(
                    dumbbell(T.t(lang, k + "chart_idea_title"), idea_rows,
                             low=scale["min"], high=scale["max"], low_label=scale["min_label"],
                             high_label=scale["max_label"]),
                    alt="; ".join(f"{s['label']}: {T.t(lang, k + 'ratings', count=s['count'])}"
                                  for s in results["subjects"])))
            blocks.append(Table([T.t(lang, k + "idea_col")] + head[:1] + head[2:],
                                [[s["label"], p["label"], p["count"], p["today"], p["desired"], p["gap"],
                                  p["dont_know"]] for s in results["subjects"] for p in s["parameters"]]))
        if results["flagged"]:
            blocks.append(Heading(T.t(lang, k + "flagged_heading"), level=4))
            blocks.append(BulletList([
                (f"{f['subject_label']}: " if f["subject_label"] else "")
                + T.t(lang, k + "leans." + ("balanced" if f["leans"] == "balanced" else
                                           "professional" if f["leans"] == "professional" else "person"),
                      label=f["label"], today=f["today"], far=f"{f['imbalance']:g}", desired=f["desired"])
                + (" " + T.t(lang, k + "largest") if f["largest"] else "") for f in results["flagged"]]))
        if results["concerns"]:
            blocks.append(Heading(T.t(lang, k + "concern_label"), level=4))
            blocks.append(Table([T.t(lang, k + "concern_col"), T.t(lang, "role")]
                                + ([T.t(lang, k + "idea_col")] if activity.source else []),
                                [[c["text"], c["role"] or "–"] + ([c["subject"]] if activity.source else [])
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
