"""Ethical compass check: how are the four relational parameters shared out?

CoSIE's Ethical Compass asks about four relational parameters between the person who
uses the service and the professional: significance (what is at stake for each),
responsibilities (what each is expected to carry), resources (what each brings or is
given) and participation and influence (how much say each has). Each may be
symmetrically or asymmetrically distributed, and "resources can be low for both": so
this is not one line between "all with the professional" and "all with the person", and
balance is not the goal in itself.

Each parameter is one compact grid (a matrix field): four rows, *the person today*, *the
person as it should be*, *the worker today*, *the worker as it should be*, each rated
from 1 (very little) to ``points`` (a lot) or "I don't know"; then an optional "How
could it be fairer?". The results flag the **wanted change** (as it should be minus
today, for the person and for the worker) and the **disagreements between roles** (role
groups after the agenda's ``min_group`` whose averages differ), never the distance from
a middle.

With ``from = "<activity id>"`` (e.g. ``top = 3`` of a vote) the check runs on each idea
carried over: the form asks which one is being rated (the service as a whole can stay a
choice too).
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, BulletList, Catalogue, Chart, ChoiceField, Form, Heading, MatrixField,
    Option, OptionError, Paragraph, Table, TextField, dumbbell, mean, role_groups, widest_gap,
)

T = Catalogue(__package__)

#: The four parameters; their names, plain questions and help are in the catalogue
#: (``ethical_compass.<parameter>``, ``…_q``, ``…_help``).
PARAMETERS = ("significance", "responsibilities", "resources", "participation")
#: Whom each parameter is rated for, and when.
SIDES = ("person", "professional")
WHEN = ("today", "wanted")
ROWS = tuple(f"{side}_{when}" for side in SIDES for when in WHEN)
#: The matrix column of "I don't know" (never averaged).
DONT_KNOW = "dont_know"
WHOLE_SERVICE = "service"
#: The most "what stands out" sentences in the report (the rest are in its tables).
MAX_FLAGS = 8


def parameter_label(lang: str, p: str) -> str:
    return T.t(lang, f"ethical_compass.{p}")


def _number(value) -> int | None:
    """A stored grid answer as a number; "I don't know" (or nothing) is ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _signed(value: float) -> str:
    return f"{value:+g}"


class EthicalCompass(ActivityType):
    name = "ethical_compass"
    title = "Ethical compass check"
    catalogue = T
    description = ("Rate the four relational parameters (significance, responsibilities, resources, "
                   "participation and influence) for the person and for the professional, today and as "
                   "it should be; flags the wanted changes and where roles disagree.")
    default_prompt = ("Think of the person who uses the service and the worker. How much does each of "
                      "them have today? How much should they have?")
    accepts_items = True
    options = (
        Option("parameters", "strings", default=list(PARAMETERS), choices=list(PARAMETERS), min=1,
               help="Which parameters to rate: significance, responsibilities, resources, participation."),
        Option("points", "integer", default=5, min=3, max=7,
               help="Points on each scale, from very little (1) to a lot."),
        Option("include_service", "boolean", default=True,
               help='With "from": also offer "the service as a whole" as something to rate.'),
        Option("fairer", "boolean", default=True,
               help='Ask "How could it be fairer?" (optional) after each parameter.'),
        Option("flag_change", "number", default=1.0, min=0,
               help="Flag a wanted change (as it should be minus today) at least this large."),
        Option("flag_disagreement", "number", default=1.0, min=0,
               help="Flag a rating on which role groups' averages differ by at least this much."),
    )

    def check_options(self, options, roles):
        if len(set(options["parameters"])) != len(options["parameters"]):
            raise OptionError("parameters", "lists the same parameter twice")
        span = options["points"] - 1
        for name in ("flag_change", "flag_disagreement"):
            if options[name] > span:
                raise OptionError(name, f"must be at most {span} on a {options['points']}-point scale, "
                                        "or nothing can be flagged")

    def _subjects(self, activity, lang=None) -> list[tuple[str, str]]:
        subjects = [(i.id, i.label) for i in activity.items]
        if activity.options["include_service"]:
            subjects.append((WHOLE_SERVICE, T.t(lang or activity.lang, "ethical_compass.whole_service")))
        return subjects

    def form(self, activity):
        o, lang = activity.options, activity.lang
        k = "ethical_compass."
        columns = [(str(v), str(v)) for v in range(1, o["points"] + 1)] + [(DONT_KNOW, T.t(lang, "dont_know"))]
        rows = [(r, T.t(lang, k + "row." + r)) for r in ROWS]
        fields = []
        if activity.source:
            fields.append(ChoiceField("item", label=T.t(lang, k + "item_label"), options=self._subjects(activity)))
        for p in o["parameters"]:
            fields.append(MatrixField(p, label=T.t(lang, k + p + "_q"),
                                      help=T.t(lang, k + p + "_help", max=o["points"]),
                                      rows=rows, columns=columns,
                                      min_label=T.t(lang, k + "low"), max_label=T.t(lang, k + "high")))
            if o["fairer"]:
                fields.append(TextField(f"{p}_fairer", label=T.t(lang, k + "fairer_label"),
                                        required=False, max_length=500))
        return Form(fields)

    # --- results

    def _stats(self, subset, p) -> dict:
        """Per side: today's and the wanted average, the change, ratings and "don't know"."""
        out = {}
        for side in SIDES:
            values = {w: [_number((c["data"].get(p) or {}).get(f"{side}_{w}")) for c in subset] for w in WHEN}
            today, wanted = mean(values["today"]), mean(values["wanted"])
            out[side] = {"today": today, "wanted": wanted,
                         "change": None if today is None or wanted is None else round(wanted - today, 2),
                         "dont_know": sum(v is None for w in WHEN for v in values[w])}
        return {"count": len(subset), **out}

    def _parameters(self, activity, subset) -> list[dict]:
        lang = activity.lang
        groups = role_groups(activity, subset)
        return [{"parameter": p, "label": parameter_label(lang, p), **self._stats(subset, p),
                 "by_role": {r: self._stats([c for c in subset if groups.of(c) == r], p) for r in groups.order}}
                for p in activity.options["parameters"]]

    def _flags(self, activity, parameters, subject=None, subject_label=None) -> list[dict]:
        o = activity.options
        flags = []
        for p in parameters:
            for side in SIDES:
                change = p[side]["change"]
                if change is not None and change != 0 and abs(change) >= o["flag_change"]:
                    flags.append({"kind": "change", "subject": subject, "subject_label": subject_label,
                                  "parameter": p["parameter"], "label": p["label"], "side": side,
                                  "today": p[side]["today"], "wanted": p[side]["wanted"], "change": change,
                                  "size": abs(change)})
                for when in WHEN:
                    means = {r: s[side][when] for r, s in p["by_role"].items() if s[side][when] is not None}
                    if len(means) < 2:
                        continue
                    spread = round(max(means.values()) - min(means.values()), 2)
                    if spread > 0 and spread >= o["flag_disagreement"]:
                        flags.append({"kind": "disagreement", "subject": subject, "subject_label": subject_label,
                                      "parameter": p["parameter"], "label": p["label"], "side": side,
                                      "when": when, "by_role": means, "spread": spread, "size": spread})
        return flags

    def summarise(self, activity, contributions):
        o = activity.options
        groups = role_groups(activity, contributions)
        roles = groups.order
        parameters = self._parameters(activity, contributions)
        subjects = []
        if activity.source:
            labels = dict(self._subjects(activity))
            for sid in dict.fromkeys(c["data"]["item"] for c in contributions):
                mine = [c for c in contributions if c["data"]["item"] == sid]
                subjects.append({"id": sid, "label": labels.get(sid, sid), "count": len(mine),
                                 "parameters": self._parameters(activity, mine)})
        flagged = ([f for s in subjects for f in self._flags(activity, s["parameters"], s["id"], s["label"])]
                   if subjects else self._flags(activity, parameters))
        flagged.sort(key=lambda f: (-f["size"], f["kind"] != "change"))
        labels = dict(self._subjects(activity)) if activity.source else {}
        fairer = [{"parameter": p, "label": parameter_label(activity.lang, p), "text": c["data"][f"{p}_fairer"],
                   "role": groups.of(c),
                   "subject": labels.get(c["data"]["item"], c["data"]["item"]) if activity.source else None}
                  for p in o["parameters"] for c in contributions if c["data"].get(f"{p}_fairer")]
        return {
            "count": len(contributions),
            "roles": roles,
            "by_role": {r: sum(groups.of(c) == r for c in contributions) for r in roles},
            "scale": {"min": 1, "max": o["points"], "min_label": T.t(activity.lang, "ethical_compass.low"),
                      "max_label": T.t(activity.lang, "ethical_compass.high")},
            "parameters": parameters,
            "subjects": subjects,
            "flagged": flagged,
            "fairer": fairer,
        }

    # --- findings (the report's "where views differ")

    def findings(self, activity, results):
        """Per parameter, side (the person, the worker), today and as wanted: the two role
        groups whose mean ratings differ most (the size is the gap as a share of the scale)."""
        scale = results["scale"]
        span = (scale["max"] - scale["min"]) or 1
        lang = activity.lang
        out = []
        for p in results["parameters"]:
            for side in SIDES:
                item = T.t(lang, "ethical_compass.chart_group", label=p["label"],
                           side=T.t(lang, "ethical_compass.side." + side))
                for when in WHEN:
                    gap = widest_gap({r: s[side][when] for r, s in p["by_role"].items()})
                    if gap is None:
                        continue
                    high, a, low, b = gap
                    key = "ethical_compass.finding_today" if when == "today" else "ethical_compass.finding_desired"
                    out.append({"text": T.t(lang, key, item=item, role_a=high, a=f"{a:g}", role_b=low,
                                            b=f"{b:g}", min=scale["min"], low=scale["min_label"],
                                            max=scale["max"], high=scale["max_label"]),
                                "size": round((a - b) / span, 3), "item": item, "roles": [high, low],
                                "values": [a, b]})
        return out

    # --- report

    def flag_sentence(self, lang, f) -> str:
        k = "ethical_compass."
        side = T.t(lang, k + "side." + f["side"])
        start = f"{f['subject_label']}: " if f.get("subject_label") else ""
        if f["kind"] == "change":
            return start + T.t(lang, k + ("flag.more" if f["change"] > 0 else "flag.less"), label=f["label"],
                               side=side, today=f"{f['today']:g}", wanted=f"{f['wanted']:g}",
                               change=_signed(f["change"]))
        parts = "; ".join(T.t(lang, k + "flag.role", role=r, value=f"{v:g}") for r, v in f["by_role"].items())
        return start + T.t(lang, k + "flag.disagree." + f["when"], label=f["label"], side=side, parts=parts)

    def _rows(self, lang, parameters, with_roles) -> list[tuple]:
        everyone = T.t(lang, "everyone")
        rows = []
        for p in parameters:
            for side in SIDES:
                group = T.t(lang, "ethical_compass.chart_group", label=p["label"],
                            side=T.t(lang, "ethical_compass.side." + side))
                rows.append((group, everyone, p[side]["today"], p[side]["wanted"]))
                if with_roles:
                    rows += [(group, r, s[side]["today"], s[side]["wanted"]) for r, s in p["by_role"].items()]
        return [r for r in rows if r[2] is not None or r[3] is not None]

    def _chart(self, lang, title, rows, scale, alt):
        k = "ethical_compass."
        return Chart(dumbbell(title, rows, low=scale["min"], high=scale["max"], low_label=scale["min_label"],
                              high_label=scale["max_label"], today_label=T.t(lang, k + "today_col"),
                              desired_label=T.t(lang, k + "desired_col"), middle=False, lang=lang),
                     alt=alt, caption=T.t(lang, k + "chart_caption"))

    def _table_rows(self, lang, parameters, prefix=()) -> list[list]:
        everyone = T.t(lang, "everyone")
        out = []
        for p in parameters:
            for side in SIDES:
                who = T.t(lang, "ethical_compass.side." + side)
                s = p[side]
                out.append([*prefix, p["label"], who, everyone, p["count"], s["today"], s["wanted"], s["change"],
                            s["dont_know"]])
                for r, rs in p["by_role"].items():
                    out.append([*prefix, p["label"], who, r, rs["count"], rs[side]["today"], rs[side]["wanted"],
                                rs[side]["change"], rs[side]["dont_know"]])
        return out

    def report(self, activity, results, contributions):
        lang = activity.lang
        k = "ethical_compass."
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        scale = results["scale"]
        blocks = [Paragraph(T.t(lang, k + "summary", count=results["count"], min=scale["min"],
                                low=scale["min_label"], max=scale["max"], high=scale["max_label"]))]
        dk = sum(p[side]["dont_know"] for p in results["parameters"] for side in SIDES)
        if dk:
            blocks.append(Paragraph(T.t(lang, k + "dont_know", count=dk)))
        if results["flagged"]:
            blocks.append(Heading(T.t(lang, k + "flagged_heading"), level=4))
            blocks.append(BulletList([self.flag_sentence(lang, f) for f in results["flagged"][:MAX_FLAGS]]))
            if len(results["flagged"]) > MAX_FLAGS:
                blocks.append(Paragraph(T.t(lang, k + "flag.more_below", count=len(results["flagged"]) - MAX_FLAGS)))
        else:
            blocks.append(Paragraph(T.t(lang, k + "nothing_flagged")))
        with_roles = len(results["roles"]) > 1
        rows = self._rows(lang, results["parameters"], with_roles)
        today_w, wanted_w = T.t(lang, k + "today_col"), T.t(lang, k + "desired_col")
        if rows:
            blocks.append(self._chart(
                lang, T.t(lang, k + "chart_title"), rows, scale,
                "; ".join(f"{g}, {label}: {today_w} {'–' if t is None else f'{t:g}'}, "
                          f"{wanted_w} {'–' if w is None else f'{w:g}'}" for g, label, t, w in rows)))
        head = [T.t(lang, k + "parameter_col"), T.t(lang, k + "for_col"), T.t(lang, "role"),
                T.t(lang, k + "ratings_col"), today_w, wanted_w, T.t(lang, k + "change_col"), T.t(lang, "dont_know")]
        blocks.append(Table(head, self._table_rows(lang, results["parameters"]),
                            caption=T.t(lang, k + "table_caption")))
        if results["subjects"]:
            blocks.append(Heading(T.t(lang, k + "per_idea"), level=4))
            idea_rows = [(f"{s['label']} — {g}", label, t, w) for s in results["subjects"]
                         for g, label, t, w in self._rows(lang, s["parameters"], False)]
            if idea_rows:
                blocks.append(self._chart(
                    lang, T.t(lang, k + "chart_idea_title"), idea_rows, scale,
                    "; ".join(f"{s['label']}: {T.t(lang, k + 'ratings', count=s['count'])}"
                              for s in results["subjects"])))
            blocks.append(Table(
                [T.t(lang, k + "idea_col")] + head,
                [row for s in results["subjects"] for row in self._table_rows(lang, s["parameters"], (s["label"],))]))
        if results["fairer"]:
            blocks.append(Heading(T.t(lang, k + "fairer_label"), level=4))
            blocks.append(Table([T.t(lang, k + "parameter_col"), T.t(lang, k + "concern_col"), T.t(lang, "role")]
                                + ([T.t(lang, k + "idea_col")] if activity.source else []),
                                [[f["label"], f["text"], f["role"] or "–"] + ([f["subject"]] if activity.source else [])
                                 for f in results["fairer"]]))
        return blocks

    def screen(self, activity, contributions):
        """The room's screen: today and as it should be, for the person and for the worker,
        per parameter, for everyone (eight rows: read across a room, and one screen high),
        and what stands out, at most :data:`SCREEN_FLAGS` (where role groups differ only
        where the screen may show roles). The report has the rows by role."""
        from facilitation_kit import NO_ROLE

        lang = activity.lang
        k = "ethical_compass."
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        roles = [r for r in results["roles"] if r != NO_ROLE]
        rows = self._rows(lang, results["parameters"], False)
        blocks = [self._chart(lang, T.t(lang, k + "chart_title"), rows, results["scale"],
                              "; ".join(f"{g}, {label}: {t}, {w}" for g, label, t, w in rows))]
        if results["flagged"]:
            # two at most: the page must fit one screen (the report has them all)
            shown = [f for f in results["flagged"] if f["kind"] == "change" or roles][:SCREEN_FLAGS]
            if shown:
                blocks.append(BulletList([self.flag_sentence(lang, f) for f in shown]))
        return blocks


#: The most flags the room's screen shows under the chart (the first of the report's list).
SCREEN_FLAGS = 2


@hookimpl
def register_activities(register):
    register(EthicalCompass())
