"""Journey mapping: touchpoints along the stages of a person's way through the service.

The stages come from the agenda (``stages``; default: first contact, assessment, plan,
support, leaving). Each touchpoint says which stage, what happened, how it felt (a face
scale from 1 "very bad" to 5 "very good" with a word at every point, and "I don't know")
and what mattered. The results show each stage's average feeling per role group, the
lowest-rated stage first, with a chart and the touchpoints' own words as quotes.
"""

from __future__ import annotations

import hashlib

from facilitation_kit import (
    hookimpl, ActivityType, Chart, ChoiceField, Form, Heading, Item, NO_ROLE, Option, OptionError,
    Paragraph, Quote, Table, TextField, role_groups, scale_averages, text,
)

from ._shared import catalogue, mean_cell as _cell, number as _num, stats_by_role, gap_in_role_order

T = catalogue("journey")
K = "journey."
DEFAULT_STAGES = ("first_contact", "assessment", "plan", "support", "leaving")
#: The face scale: a face and a word at every point (the words are in the catalogue).
FACES = ("😞", "🙁", "😐", "🙂", "😄")
DONT_KNOW = "dont_know"
POINTS = len(FACES)


def face_options(lang: str) -> list[tuple[str, str]]:
    """The choices of "How did it feel?": 1 to 5, a face and a word each, then "I don't know"."""
    return ([(str(n), f"{FACES[n - 1]} {T.t(lang, K + 'felt.' + str(n))}") for n in range(1, POINTS + 1)]
            + [(DONT_KNOW, T.t(lang, "dont_know"))])


def felt(contribution) -> int | None:
    """The feeling of a touchpoint as a number, or None for "I don't know"."""
    value = (contribution.get("data") or {}).get("felt")
    return int(value) if value and value != DONT_KNOW else None


def stage_id(value, language: str) -> str:
    return "s-" + hashlib.sha1(text(value, language, language).encode("utf-8")).hexdigest()[:10]


class Journey(ActivityType):
    name = "journey"
    title = "Journey map"
    catalogue = T
    description = ("Touchpoints along the stages of the service (first contact to leaving): what "
                   "happened, how it felt on a face scale with \"don't know\", what mattered; the "
                   "lowest-rated stage first, per role group, with quotes and a chart.")
    default_prompt = "Think of your way through the service. Tell us about one moment at a time."
    options = (
        Option("stages", "strings", default=[], translatable=True,
               help="The stages, in order (each may be a table by language). Default: first contact, "
                    "assessment, plan, support, leaving."),
        Option("max_length", "integer", default=500, min=20, max=2000,
               help="Longest answer to each question, in characters."),
        Option("min_difference", "number", default=1.0, min=0,
               help="A difference between two role groups on one stage this big or bigger is a "
                    "finding for the report's first page."),
    )

    def check_options(self, options, roles):
        keys = [text(s, "en", "en") for s in options["stages"]]
        if len(set(keys)) != len(keys):
            raise OptionError("stages", "lists the same stage twice")
        if any(not k.strip() or len(k) > 80 for k in keys):
            raise OptionError("stages", "each stage needs a name of 1 to 80 characters")
        if len(keys) > 12:
            raise OptionError("stages", f"{len(keys)} stages; at most 12")

    def stages(self, activity, lang=None) -> list[tuple[str, str]]:
        lang = lang or activity.lang
        given = activity.options["stages"]
        if not given:
            return [(s, T.t(lang, K + "stage." + s)) for s in DEFAULT_STAGES]
        return [(stage_id(s, activity.language), activity.text(s)) for s in given]

    def form(self, activity):
        lang, o = activity.lang, activity.options
        return Form([
            ChoiceField("stage", label=T.t(lang, K + "stage"), options=self.stages(activity)),
            TextField("happened", label=T.t(lang, K + "happened"), help=T.t(lang, K + "happened_help"),
                      max_length=o["max_length"], multiline=True),
            ChoiceField("felt", label=T.t(lang, K + "felt"), options=face_options(lang)),
            TextField("mattered", label=T.t(lang, K + "mattered"), required=False,
                      max_length=o["max_length"], multiline=True),
        ])

    # -- results ----------------------------------------------------------------------
    def summarise(self, activity, contributions):
        groups = role_groups(activity, contributions)
        roles = groups.order
        stages = []
        for position, (sid, label) in enumerate(self.stages(activity)):
            mine = [c for c in contributions if c["data"].get("stage") == sid]
            stats = stats_by_role(mine, groups, felt, activity.min_group)
            quotes = [{"text": c["data"]["happened"], "mattered": c["data"].get("mattered") or "",
                       "felt": felt(c), "role": groups.of(c)} for c in mine]
            quotes.sort(key=lambda q: (q["felt"] is None, q["felt"] or 0))
            stages.append({"id": sid, "label": label, "position": position, "touchpoints": len(mine),
                           "felt": stats, "quotes": quotes})
        ranked = sorted(stages, key=lambda s: (s["felt"]["mean"] is None, s["felt"]["mean"] or 0, s["position"]))
        differences = []
        for s in stages:
            gap = gap_in_role_order(s["felt"]["by_role"], roles)
            if gap and gap[2]:
                a, b, size = gap
                differences.append({"stage": s["id"], "stage_label": s["label"], "role_a": a,
                                    "a": s["felt"]["by_role"][a]["mean"], "role_b": b,
                                    "b": s["felt"]["by_role"][b]["mean"], "difference": size})
        differences.sort(key=lambda d: -d["difference"])
        return {"count": len(contributions), "participants": len({c["participant"] for c in contributions}),
                "roles": roles, "points": POINTS,
                "scale": [T.t(activity.lang, K + "felt." + str(n)) for n in range(1, POINTS + 1)],
                "stages": stages, "ranked": [s["id"] for s in ranked], "differences": differences}

    def _ranked(self, results):
        by_id = {s["id"]: s for s in results["stages"]}
        return [by_id[i] for i in results["ranked"]]

    def findings(self, activity, results):
        lang = activity.lang
        out = []
        rated = [s for s in self._ranked(results) if s["felt"]["mean"] is not None]
        if rated and rated[0]["felt"]["mean"] < 3:
            low = rated[0]
            out.append({"text": T.t(lang, K + "worst", stage=low["label"], mean=_num(low["felt"]["mean"]),
                                    count=low["touchpoints"]),
                        "size": round((3 - low["felt"]["mean"]) / (POINTS - 1), 3), "item": low["label"], "roles": []})
        for d in results["differences"]:
            if d["difference"] >= activity.options["min_difference"]:
                out.append({"text": T.t(lang, K + "difference", stage=d["stage_label"], role_a=d["role_a"],
                                        a=_num(d["a"]), role_b=d["role_b"], b=_num(d["b"])),
                            "size": round(d["difference"] / (POINTS - 1), 3), "item": d["stage_label"],
                            "roles": [d["role_a"], d["role_b"]]})
        out.sort(key=lambda f: -f["size"])
        return out

    def items(self, activity, contributions):
        lang = activity.language
        results = self.summarise(activity, contributions)
        return [Item(id=s["id"], label=s["label"],
                     detail=T.t(lang, K + "detail", mean=_num(s["felt"]["mean"]), count=s["touchpoints"]))
                for s in self._ranked(results) if s["touchpoints"]]

    def _chart(self, lang, results, roles):
        everyone = T.t(lang, "everyone")
        rows = [(s["label"], {everyone: s["felt"]["mean"], **{r: s["felt"]["by_role"][r]["mean"] for r in roles}})
                for s in self._ranked(results) if s["touchpoints"]]
        return Chart(scale_averages(T.t(lang, K + "chart_title"), rows, [everyone] + roles, low=1, high=POINTS,
                                    point_labels=results["scale"], lang=lang),
                     alt="; ".join(f"{label}: " + ", ".join(f"{k} {_num(v)}" for k, v in values.items() if v is not None)
                                   for label, values in rows),
                     caption=T.t(lang, K + "chart_caption"))

    def report(self, activity, results, contributions):
        lang = activity.lang
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "none"))]
        roles = results["roles"]
        blocks = [Paragraph(T.t(lang, K + "count", count=results["count"]) + " "
                            + T.t(lang, K + "people", count=results["participants"]))]
        ranked = self._ranked(results)
        rated = [s for s in ranked if s["felt"]["mean"] is not None]
        if rated:
            blocks.append(Paragraph(T.t(lang, K + "lowest", stage=rated[0]["label"], mean=_num(rated[0]["felt"]["mean"]))))
        if results["differences"]:
            d = results["differences"][0]
            blocks.append(Paragraph(T.t(lang, K + "difference", stage=d["stage_label"], role_a=d["role_a"],
                                        a=_num(d["a"]), role_b=d["role_b"], b=_num(d["b"]))))
        if rated:
            blocks.append(self._chart(lang, results, roles))
        everyone = T.t(lang, "everyone")
        blocks.append(Table(
            [T.t(lang, K + "stage_col"), T.t(lang, K + "touchpoints_col"), everyone] + roles + [T.t(lang, "dont_know")],
            [[s["label"], s["touchpoints"], _cell(s["felt"])] + [_cell(s["felt"]["by_role"][r]) for r in roles]
             + [s["felt"]["dont_know"]] for s in ranked],
            caption=T.t(lang, K + "table_caption")))
        for s in ranked:
            if not s["quotes"]:
                continue
            blocks.append(Heading(s["label"], level=4))
            blocks += [Quote(_quote_text(lang, q), q["role"]) for q in s["quotes"]]
        return blocks

    def screen(self, activity, contributions):
        """The room's screen: the stages, lowest-rated first (by role only where allowed)."""
        lang = activity.lang
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "none_yet"))]
        roles = [r for r in results["roles"] if r != NO_ROLE]
        blocks = [Paragraph(T.t(lang, K + "count", count=results["count"]))]
        if any(s["felt"]["mean"] is not None for s in results["stages"]):
            blocks.insert(0, self._chart(lang, results, roles))
        return blocks


def _quote_text(lang, q) -> str:
    parts = [q["text"]]
    if q["mattered"]:
        parts.append(T.t(lang, K + "mattered_short") + " " + q["mattered"])
    face = (FACES[q["felt"] - 1] + " " + T.t(lang, K + "felt." + str(q["felt"]))) if q["felt"] else T.t(lang, "dont_know")
    parts.append(T.t(lang, K + "felt_short") + " " + face)
    return "\n".join(parts)


@hookimpl
def register_activities(register):
    register(Journey())
