"""Rate items: everyone rates the same short list on the same scales.

The items come from an earlier activity (``from = "<activity id>"``: a dot vote's ranked
items, the value cards, the stories, ...), from the ``items`` option, or both. Each item
is rated on every scale of the ``scales`` option (default: "How important is it?" and
"How well does the service do it today?"), each with "don't know". Only each person's
last answer counts.

The results show every item's average per role group, a chart per scale of where each
role group stands on it, and, in a sentence, the largest difference between two role
groups on the same item: what management must see is "same worker every time" rated 1.4
for support by the people who use the service and 4.2 by staff. A role group's average
is shown only when at least ``min_group`` of its people gave a number.
"""

from __future__ import annotations

from facilitation_kit import (
    hookimpl, ActivityType, Chart, Form, Item, NO_ROLE, Option, OptionError, Paragraph, ScaleField,
    Table, role_groups, latest_per_participant, scale_averages, text,
)

from ._shared import catalogue, mean_cell as _cell, number as _num, stats_by_role, gap_in_role_order
from .dot_vote import _item_key, item_id

T = catalogue("rate_items")
K = "rate_items."
#: The default scales: ids whose words are in the catalogue.
DEFAULT_SCALES = ("importance", "support")
SCALE_KEYS = {"id", "question", "name", "low", "high"}
MAX_ITEMS = 15


class RateItems(ActivityType):
    name = "rate_items"
    title = "Rate the same items"
    catalogue = T
    description = ("Everyone rates the same short list (from an earlier activity or the agenda) on "
                   "the same scales, with \"don't know\"; averages per role group, a chart per scale "
                   "and the largest difference between two roles in a sentence.")
    default_prompt = "Rate each of these, as you see it."
    accepts_items = True
    options = (
        Option("items", "strings", default=[], translatable=True,
               help='Items to rate, besides any taken from an earlier activity with "from" '
                    "(each may be a table by language)."),
        Option("scales", "tables", default=[],
               help='The scales, each a table: question (required), name (a short name for results), '
                    'low and high (the words at the ends), id; each text may be a table by language. '
                    'Default: "How important is it?" and "How well does the service do it today?".'),
        Option("points", "integer", default=5, min=3, max=7, help="Points on each scale (1 to points)."),
        Option("min_difference", "number", default=1.0, min=0,
               help="A difference between two role groups' averages this big or bigger is a finding "
                    "for the report's first page."),
        Option("hide_results_until_closed", "boolean", default=True,
               help="Keep the results off the room's screen until the activity is closed."),
    )

    def check_options(self, options, roles, source=None):
        keys = [_item_key(i) for i in options["items"]]
        if len(set(keys)) != len(keys):
            raise OptionError("items", "lists the same item twice")
        if any(not k.strip() or len(k) > 200 for k in keys):
            raise OptionError("items", "each item needs a text of 1 to 200 characters")
        if len(keys) > MAX_ITEMS:
            raise OptionError("items", f"lists {len(keys)} items; rating works for a short list "
                                       f"(at most {MAX_ITEMS})")
        if source is None and not keys:
            raise OptionError("items", 'nothing to rate: take the items of an earlier activity with '
                                       'from = "<its id>", or list items = [...]')
        ids = []
        for n, scale in enumerate(options["scales"], start=1):
            unknown = set(scale) - SCALE_KEYS
            if unknown:
                raise OptionError("scales", f"scale {n}: unknown key {sorted(unknown)[0]!r}; "
                                            f"use {', '.join(sorted(SCALE_KEYS))}")
            if "question" not in scale:
                raise OptionError("scales", f"scale {n} needs a question")
            for key in ("question", "name", "low", "high"):
                if key in scale:
                    value = scale[key]
                    if not (isinstance(value, str) or (isinstance(value, dict) and value
                                                       and all(isinstance(v, str) for v in value.values()))):
                        raise OptionError("scales", f"scale {n}: {key} must be text, or a table of texts "
                                                    "by language")
                    if not text(value, "en", "en").strip() or len(text(value, "en", "en")) > 200:
                        raise OptionError("scales", f"scale {n}: {key} needs a text of 1 to 200 characters")
            sid = scale.get("id", f"s{n}")
            if not isinstance(sid, str) or not sid.strip() or len(sid) > 40 or "/" in sid:
                raise OptionError("scales", f"scale {n}: id must be a short text without '/'")
            ids.append(sid)
        if len(set(ids)) != len(ids):
            raise OptionError("scales", "two scales have the same id")
        if len(ids) > 4:
            raise OptionError("scales", f"{len(ids)} scales; at most 4 (each item is rated on every one)")

    # -- what is rated, on what ------------------------------------------------------
    def _items(self, activity) -> list[tuple[str, str]]:
        carried = [(i.id, i.label) for i in activity.items]
        return carried + [(item_id(_item_key(i, activity.language)), activity.text(i))
                          for i in activity.options["items"]]

    def _scales(self, activity, lang=None) -> list[dict]:
        lang = lang or activity.lang
        given = activity.options["scales"]
        if not given:
            return [{"id": s, "question": T.t(lang, K + s + ".question"), "name": T.t(lang, K + s + ".name"),
                     "low": T.t(lang, K + s + ".low"), "high": T.t(lang, K + s + ".high")}
                    for s in DEFAULT_SCALES]
        out = []
        for n, s in enumerate(given, start=1):
            question = activity.text(s["question"])
            out.append({"id": s.get("id", f"s{n}"), "question": question,
                        "name": activity.text(s["name"]) if s.get("name") else question,
                        "low": activity.text(s["low"]) if s.get("low") else T.t(lang, K + "low"),
                        "high": activity.text(s["high"]) if s.get("high") else T.t(lang, K + "high")})
        return out

    @staticmethod
    def field_name(item: str, scale: str) -> str:
        return f"{item}/{scale}"

    def form(self, activity):
        lang, points = activity.lang, activity.options["points"]
        return Form([ScaleField(self.field_name(iid, s["id"]),
                                label=T.t(lang, K + "field", item=label, question=s["question"]),
                                min=1, max=points, min_label=s["low"], max_label=s["high"],
                                skip=T.t(lang, "dont_know"))
                     for iid, label in self._items(activity) for s in self._scales(activity)])

    def results_visible(self, activity):
        return activity.state == "closed" or not activity.options["hide_results_until_closed"]

    # -- results ----------------------------------------------------------------------
    def summarise(self, activity, contributions):
        answers = latest_per_participant(contributions)
        groups = role_groups(activity, answers)
        roles = groups.order
        scales = self._scales(activity)
        limit = activity.min_group
        items = []
        for iid, label in self._items(activity):
            per_scale = {}
            for s in scales:
                name = self.field_name(iid, s["id"])
                per_scale[s["id"]] = stats_by_role(answers, groups, lambda c, n=name: c["data"].get(n), limit,
                                                   has=lambda c, n=name: n in c["data"])
            items.append({"id": iid, "label": label, "scales": per_scale})
        differences = []
        for item in items:
            for s in scales:
                gap = gap_in_role_order(item["scales"][s["id"]]["by_role"], roles)
                if gap is None or not gap[2]:
                    continue
                a, b, size = gap
                by_role = item["scales"][s["id"]]["by_role"]
                differences.append({"item": item["id"], "item_label": item["label"], "scale": s["id"],
                                    "scale_name": s["name"], "role_a": a, "a": by_role[a]["mean"],
                                    "role_b": b, "b": by_role[b]["mean"], "difference": size})
        differences.sort(key=lambda d: -d["difference"])
        count = {r: 0 for r in roles}
        for c in answers:
            if groups.of(c) is not None:
                count[groups.of(c)] += 1
        return {"count": len(answers), "submissions": len(contributions), "roles": roles,
                "by_role": count, "points": activity.options["points"], "scales": scales,
                "items": items, "differences": differences,
                "largest": differences[0] if differences else None}

    def difference_sentence(self, lang, results, d, largest=False) -> str:
        return T.t(lang, K + ("largest" if largest else "difference"), item=d["item_label"], scale=d["scale_name"],
                   role_a=d["role_a"], a=_num(d["a"]), role_b=d["role_b"], b=_num(d["b"]),
                   max=results["points"])

    def findings(self, activity, results):
        lang = activity.lang
        span = max(results["points"] - 1, 1)
        out = [{"text": self.difference_sentence(lang, results, d), "size": round(d["difference"] / span, 3),
                "item": d["item_label"], "roles": [d["role_a"], d["role_b"]]}
               for d in results["differences"] if d["difference"] >= activity.options["min_difference"]]
        ids = [s["id"] for s in results["scales"]]
        if ids[:2] == list(DEFAULT_SCALES):  # important, but done badly today
            high = results["points"] - 1
            for item in results["items"]:
                imp, sup = item["scales"]["importance"]["mean"], item["scales"]["support"]["mean"]
                if imp is not None and sup is not None and imp >= high and sup <= 1 + span / 4:
                    out.append({"text": T.t(lang, K + "gap", item=item["label"], importance=_num(imp),
                                            support=_num(sup), max=results["points"]),
                                "size": round((imp - sup) / span, 3), "item": item["label"], "roles": []})
        out.sort(key=lambda f: -f["size"])
        return out

    def items(self, activity, contributions):
        results = self.summarise(activity, contributions)
        first = results["scales"][0]["id"]
        ranked = sorted(results["items"], key=lambda i: (i["scales"][first]["mean"] is None,
                                                          -(i["scales"][first]["mean"] or 0)))
        lang = activity.language
        return [Item(id=i["id"], label=i["label"],
                     detail="; ".join(f"{s['name']}: {_num(i['scales'][s['id']]['mean'])}"
                                      for s in results["scales"] if i["scales"][s["id"]]["mean"] is not None)
                     or T.t(lang, K + "not_rated"))
                for i in ranked]

    def _charts(self, lang, results, roles, everyone, title_key="chart_title"):
        blocks = []
        points = results["points"]
        for s in results["scales"]:
            rows = [(i["label"], {everyone: i["scales"][s["id"]]["mean"],
                                  **{r: i["scales"][s["id"]]["by_role"][r]["mean"] for r in roles}})
                    for i in results["items"]]
            ends = [s["low"]] + [""] * (points - 2) + [s["high"]]
            blocks.append(Chart(
                scale_averages(T.t(lang, K + title_key, question=s["question"]), rows, [everyone] + roles,
                               low=1, high=points, point_labels=ends, lang=lang),
                alt="; ".join(f"{label}: " + ", ".join(f"{k} {_num(v)}" for k, v in values.items() if v is not None)
                              for label, values in rows),
                caption=T.t(lang, K + "chart_caption", min_group=results.get("min_group", 3))))
        return blocks

    def report(self, activity, results, contributions):
        lang = activity.lang
        if not results["items"]:
            return [Paragraph(T.t(lang, K + "nothing"))]
        roles = results["roles"]
        everyone = T.t(lang, "everyone")
        text_ = T.t(lang, K + "count", count=results["count"]) + " " + T.t(lang, K + "items", count=len(results["items"]))
        if results["submissions"] > results["count"]:
            text_ += " " + T.t(lang, K + "last_answer")
        blocks = [Paragraph(text_)]
        if results["largest"]:
            blocks.append(Paragraph(self.difference_sentence(lang, results, results["largest"], largest=True)))
        elif len(roles) > 1 and results["count"]:
            blocks.append(Paragraph(T.t(lang, K + "alike")))
        if results["count"]:
            blocks += self._charts(lang, {**results, "min_group": activity.min_group}, roles, everyone)
        dk = T.t(lang, "dont_know")
        for s in results["scales"]:
            rows = []
            for i in results["items"]:
                st = i["scales"][s["id"]]
                rows.append([i["label"], _cell(st)] + [_cell(st["by_role"][r]) for r in roles] + [st["dont_know"]])
            blocks.append(Table([T.t(lang, K + "item"), everyone] + roles + [dk], rows,
                                caption=T.t(lang, K + "table_caption", question=s["question"], max=results["points"])))
        others = [d for d in results["differences"][1:4] if d["difference"] >= activity.options["min_difference"]]
        if others:
            from facilitation_kit import BulletList, Heading
            blocks.append(Heading(T.t(lang, K + "more_differences"), level=4))
            blocks.append(BulletList([self.difference_sentence(lang, results, d) for d in others]))
        return blocks

    def screen(self, activity, contributions):
        """The room's screen (once results may be seen): each scale's chart, by role only
        where the screen may show roles."""
        lang = activity.lang
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, K + "no_answers"))]
        roles = [r for r in results["roles"] if r != NO_ROLE]
        blocks = self._charts(lang, {**results, "min_group": activity.min_group}, roles, T.t(lang, "everyone"))
        blocks.append(Paragraph(T.t(lang, K + "count", count=results["count"])))
        return blocks


@hookimpl
def register_activities(register):
    register(RateItems())
