"""Dot vote: prioritise items with a few dots each.

The items come from an earlier activity (``from = "<activity id>"``, e.g. the value
cards or the role shifts; ``top = N`` takes only the top N of a ranked source), from the
``items`` option, or both. Each participant places ``dots`` dots, at most
``max_per_item`` on one item. Voting is silent: by default the results stay hidden until
the vote is closed. A participant may vote again; only their last vote counts.

So that the biggest group does not win by numbers alone, the results show each role's
top 3 side by side and a sentence naming where roles put different items first; with
``weighting = "equal_per_role"`` the ranking itself gives every role group the same
weight. Role groups smaller than the agenda's ``min_group`` are counted together.

With ``note = true`` the form also asks, optionally, "Why this one?" (``note_label``
changes the question); the report lists the answers of each person's last vote.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, Catalogue, Chart, Form, Heading, Item, Option, OptionError,
    Paragraph, Quote, Table, TextField, VoteField, latest_per_participant, role_groups, stacked_bars,
    widest_gap,
)

T = Catalogue(__package__)
TOP = 3


def item_id(text: str) -> str:
    """A stable id for an item written in the agenda (it survives reordering)."""
    return "i-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


class DotVote(ActivityType):
    name = "dot_vote"
    title = "Dot vote"
    catalogue = T
    description = ("Prioritise items from an earlier activity (or listed in the agenda) with a few "
                   "dots each; each role's top 3 side by side, optionally every role weighted "
                   "equally; hidden until the vote closes.")
    default_prompt = "Which of these matter most? Give your dots to them."
    accepts_items = True
    options = (
        Option("items", "strings", default=[], translatable=True,
               help='Items to vote on, besides any taken from an earlier activity with "from" '
                    "(each may be a table by language)."),
        Option("dots", "integer", default=5, min=1, max=20, help="Dots each participant places."),
        Option("max_per_item", "integer", default=lambda options: min(3, options["dots"]), min=1, max=20,
               help="The most dots one participant may put on one item (default: 3, or dots if fewer)."),
        Option("hide_results_until_closed", "boolean", default=True,
               help="Keep the results off the projector until the vote is closed (silent voting)."),
        Option("weighting", "string", default="dots", choices=["dots", "equal_per_role"],
               help='"dots": rank by all dots; "equal_per_role": every role group weighs the same.'),
        Option("note", "boolean", default=False,
               help='Also ask, optionally, why (default question: "Why this one?").'),
        Option("note_label", "string", default="", translatable=True,
               help="The question of the note (with note = true)."),
    )

    def check_options(self, options, roles, source=None):
        if options["max_per_item"] > options["dots"]:
            raise OptionError("max_per_item", f"must be at most dots ({options['dots']}), "
                                              f"not {options['max_per_item']}")
        keys = [_item_key(i) for i in options["items"]]
        if len(set(keys)) != len(keys):
            raise OptionError("items", "lists the same item twice")
        if any(not k.strip() or len(k) > 200 for k in keys):
            raise OptionError("items", "each item needs a text of 1 to 200 characters")
        if source is None and not keys:
            raise OptionError("items", 'a vote needs something to vote on: take the items of an '
                                       'earlier activity with from = "<its id>", or list items = [...]')

    def _items(self, activity) -> list[tuple[str, str]]:
        carried = [(i.id, i.label) for i in activity.items]
        return carried + [(item_id(_item_key(i, activity.language)), activity.text(i))
                          for i in activity.options["items"]]

    def form(self, activity):
        o, lang = activity.options, activity.lang
        fields = [VoteField("dots", label=T.t(lang, "dot_vote.label", count=o["dots"]),
                            help=T.t(lang, "dot_vote.help", count=o["max_per_item"]),
                            items=self._items(activity), dots=o["dots"], max_per_item=o["max_per_item"])]
        if o["note"]:
            fields.append(TextField("note", label=activity.text(o["note_label"]) or T.t(lang, "dot_vote.note_label"),
                                    required=False, max_length=500, multiline=True))
        return Form(fields)

    def extras(self, activity):
        return {"hide_results_until_closed": activity.options["hide_results_until_closed"]}

    def results_visible(self, activity):
        return activity.state == "closed" or not activity.options["hide_results_until_closed"]

    def summarise(self, activity, contributions):
        votes = latest_per_participant(contributions)
        groups = role_groups(activity, votes)
        roles = groups.order
        items = self._items(activity)
        totals = Counter()
        by_role: dict[str, Counter] = {i: Counter() for i, _ in items}
        role_dots = Counter()
        for vote in votes:
            group = groups.of(vote)
            for iid, dots in vote["data"]["dots"].items():
                if iid in by_role:
                    totals[iid] += dots
                    if group is not None:
                        by_role[iid][group] += dots
                        role_dots[group] += dots
        weighted = activity.options["weighting"] == "equal_per_role"
        # equal_per_role: each shown group's dots count as shares of 100 points
        score = {iid: (round(sum(100 * by_role[iid][r] / role_dots[r] for r in roles if role_dots[r])
                             / max(1, sum(1 for r in roles if role_dots[r])), 1)
                       if weighted else totals[iid]) for iid, _ in items}
        order = sorted(range(len(items)), key=lambda k: (-score[items[k][0]], -totals[items[k][0]], k))
        ranked, rank, previous = [], 0, None
        for position, k in enumerate(order, start=1):
            iid, label = items[k]
            if score[iid] != previous:
                rank, previous = position, score[iid]
            ranked.append({"id": iid, "label": label, "dots": totals[iid], "score": score[iid], "rank": rank,
                           "by_role": {r: by_role[iid][r] for r in roles if by_role[iid][r]}})
        top_by_role = {}
        for r in roles:
            mine = sorted((i for i in ranked if i["by_role"].get(r)), key=lambda i: (-i["by_role"][r], i["rank"]))
            top_by_role[r] = [{"id": i["id"], "label": i["label"], "dots": i["by_role"][r]} for i in mine[:TOP]]
        firsts = {r: top[0]["id"] for r, top in top_by_role.items() if top}
        voters = Counter(groups.of(v) for v in votes)
        return {
            "voters": len(votes),
            "submissions": len(contributions),
            "roles": roles,
            "voters_by_role": {r: voters[r] for r in roles},
            "dots_cast": sum(totals.values()),
            "dots_by_role": {r: role_dots[r] for r in roles},
            "dots_each": activity.options["dots"],
            "max_per_item": activity.options["max_per_item"],
            "weighting": activity.options["weighting"],
            "items": ranked,
            "top_by_role": top_by_role,
            "roles_agree": len(set(firsts.values())) <= 1,
            "notes": [{"text": v["data"]["note"], "role": groups.of(v),
                       "items": [label for iid, label in items if iid in v["data"]["dots"]]}
                      for v in votes if v["data"].get("note")],
        }

    def items(self, activity, contributions):
        """The items voted on, most dots (or score) first; each keeps the kind it was carried
        over with (so ``from_kinds`` works through a vote)."""
        results = self.summarise(activity, contributions)
        kinds = {i.id: i.kind for i in activity.items}
        return [Item(id=i["id"], label=i["label"], kind=kinds.get(i["id"], ""),
                     detail=T.t(activity.language, "dot_vote.detail", count=i["dots"], rank=i["rank"]))
                for i in results["items"]]

    def ranked_items(self, activity, contributions):
        """The results' ranking (``top = 3`` in a later activity takes the three most
        voted items; with ``weighting = "equal_per_role"`` the weighted ranking)."""
        return self.items(activity, contributions)

    def divergence(self, lang, results) -> str | None:
        """A sentence naming where role groups put different items first (or that they agree)."""
        tops = [(r, t[0]) for r, t in results["top_by_role"].items() if t]
        if len(tops) < 2:
            return None
        if results["roles_agree"]:
            return T.t(lang, "dot_vote.agree", item=tops[0][1]["label"])
        parts = [T.t(lang, "dot_vote.first", role=r, item=top["label"]) for r, top in tops]
        sentence = T.t(lang, "dot_vote.differ", parts="; ".join(parts))
        overall = results["items"][0] if results["items"] else None
        missing = [r for r, _ in tops if overall and not overall["by_role"].get(r)]
        if missing:
            sentence += " " + T.t(lang, "dot_vote.none_from", item=overall["label"], roles=", ".join(missing))
        return sentence

    def priorities(self, activity, results):
        """The ranked items with the dots each role group gave them (and the share of
        that group's dots)."""
        unit = T.t(activity.lang, "dot_vote.dots_unit")
        role_dots = results["dots_by_role"]
        return [{"label": i["label"], "rank": i["rank"], "total": i["dots"], "unit": unit,
                 "by_role": dict(i["by_role"]),
                 "share_by_role": {r: round(i["by_role"].get(r, 0) / role_dots[r], 2)
                                   for r in results["roles"] if role_dots.get(r)}}
                for i in results["items"] if i["dots"]]

    def findings(self, activity, results):
        """Per item, the two role groups whose share of their own dots on it differ most."""
        out = []
        role_dots = results["dots_by_role"]
        for i in results["items"]:
            shares = {r: i["by_role"].get(r, 0) / role_dots[r] for r in results["roles"] if role_dots.get(r)}
            gap = widest_gap(shares)
            if gap is None or not i["dots"]:
                continue
            high, a, low, b = gap
            out.append({"text": T.t(activity.lang, "dot_vote.finding", item=i["label"], role_a=high,
                                    a=round(100 * a), role_b=low, b=round(100 * b)),
                        "size": round(a - b, 3), "item": i["label"], "roles": [high, low],
                        "values": [round(a, 2), round(b, 2)]})
        return out

    def report(self, activity, results, contributions):
        lang = activity.lang
        if not results["items"]:
            return [Paragraph(T.t(lang, "dot_vote.nothing"))]
        roles = results["roles"]
        text = (T.t(lang, "dot_vote.voters", count=results["voters"]) + " "
                + T.t(lang, "dot_vote.dots_cast", count=results["dots_cast"], each=results["dots_each"],
                      max=results["max_per_item"]))
        if results["submissions"] > results["voters"]:
            text += " " + T.t(lang, "dot_vote.last_vote")
        if results["weighting"] == "equal_per_role":
            text += " " + T.t(lang, "dot_vote.weighted")
        blocks = [Paragraph(text)]
        sentence = self.divergence(lang, results)
        if sentence:
            blocks.append(Paragraph(sentence))
        dots_word = T.t(lang, "dot_vote.dots_unit")
        if results["voters"]:
            blocks.append(Chart(
                stacked_bars(T.t(lang, "dot_vote.chart_title"),
                             [(i["label"], i["by_role"]) for i in results["items"]], roles, unit=dots_word, lang=lang),
                alt="; ".join(T.t(lang, "dot_vote.alt_item", rank=i["rank"], item=i["label"], count=i["dots"])
                              for i in results["items"]),
                caption=T.t(lang, "dot_vote.chart_caption")))
        if results["voters"] and len(roles) > 1:
            blocks.append(Heading(T.t(lang, "dot_vote.top_heading"), level=4))
            width = max(len(t) for t in results["top_by_role"].values())
            blocks.append(Table(
                [T.t(lang, "dot_vote.place")] + roles,
                [[n + 1] + [(f"{t[n]['label']} ({t[n]['dots']})" if n < len(t) else "–")
                            for t in (results["top_by_role"][r] for r in roles)] for n in range(width)],
                caption=T.t(lang, "dot_vote.top_caption")))
        score = results["weighting"] == "equal_per_role"
        blocks.append(Table([T.t(lang, "dot_vote.rank"), T.t(lang, "dot_vote.item"), T.t(lang, "dot_vote.dots")]
                            + ([T.t(lang, "dot_vote.score")] if score else []) + roles,
                            [[i["rank"], i["label"], i["dots"]] + ([i["score"]] if score else [])
                             + [i["by_role"].get(r, 0) for r in roles] for i in results["items"]],
                            caption=T.t(lang, "dot_vote.table_caption")))
        if results.get("notes"):
            blocks.append(Heading(activity.text(activity.options["note_label"]) or T.t(lang, "dot_vote.note_label"),
                                  level=4))
            blocks += [Quote(f"{', '.join(n['items'])}: {n['text']}" if n["items"] else n["text"], n["role"])
                       for n in results["notes"]]
        return blocks


    def screen(self, activity, contributions):
        """The room's screen (only once the vote may be seen): dots per item, ranked."""
        from facilitation_kit import NO_ROLE

        lang, k = activity.lang, "dot_vote."
        results = self.summarise(activity, contributions)
        if not results["voters"]:
            return [Paragraph(T.t(lang, k + "none"))]
        items = results["items"][:10]
        roles = results["roles"]
        if roles == [NO_ROLE]:  # roles not shown on the screen: one series
            series = T.t(lang, k + "dots")
            title, rows, roles = T.t(lang, k + "screen_title"), [(i["label"], {series: i["dots"]}) for i in items], [series]
        else:
            title, rows = T.t(lang, k + "chart_title"), [(i["label"], i["by_role"]) for i in items]
        return [Chart(stacked_bars(title, rows, roles, unit=T.t(lang, k + "dots_unit"), lang=lang),
                      alt="; ".join(T.t(lang, k + "alt_dots", rank=i["rank"], item=i["label"], count=i["dots"])
                                    for i in items)),
                Paragraph(T.t(lang, k + "voters", count=results["voters"]))]


def _item_key(value, language: str = "en") -> str:
    """The text an agenda item's id is made from: the item itself, or from a table by
    language its text in the agenda's language (the same id on every phone)."""
    from facilitation_kit import text

    return text(value, language, language)


@hookimpl
def register_activities(register):
    register(DotVote())
