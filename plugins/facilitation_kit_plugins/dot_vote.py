"""Dot vote: prioritise items with a few dots each.

The items come from an earlier activity (``from = "<activity id>"``, e.g. the value
cards or the role shifts), from the ``items`` option, or both. Each participant places
``dots`` dots, at most ``max_per_item`` on one item. Voting is silent: by default the
results stay hidden until the vote is closed. A participant may vote again; only their
last vote counts. The results show the dots per item, ranked, coloured by role.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, Chart, Form, Item, Option, OptionError, Paragraph, Table,
    VoteField, latest_per_participant, role_of, role_order, stacked_bars,
)


def item_id(text: str) -> str:
    """A stable id for an item written in the agenda (it survives reordering)."""
    return "i-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


class DotVote(ActivityType):
    name = "dot_vote"
    title = "Dot vote"
    description = ("Prioritise items from an earlier activity (or listed in the agenda) with a few "
                   "dots each; results ranked and coloured by role, hidden until the vote closes.")
    default_prompt = "Which of these should we take to management first? Place your dots."
    accepts_items = True
    options = (
        Option("items", "strings", default=[],
               help='Items to vote on, besides any taken from an earlier activity with "from".'),
        Option("dots", "integer", default=5, min=1, max=20, help="Dots each participant places."),
        Option("max_per_item", "integer", default=lambda options: min(3, options["dots"]), min=1, max=20,
               help="The most dots one participant may put on one item (default: 3, or dots if fewer)."),
        Option("hide_results_until_closed", "boolean", default=True,
               help="Keep the results off the projector until the vote is closed (silent voting)."),
    )

    def check_options(self, options, roles, source=None):
        if options["max_per_item"] > options["dots"]:
            raise OptionError("max_per_item", f"must be at most dots ({options['dots']}), "
                                              f"not {options['max_per_item']}")
        items = options["items"]
        if len(set(items)) != len(items):
            raise OptionError("items", "lists the same item twice")
        if any(not i.strip() or len(i) > 200 for i in items):
            raise OptionError("items", "each item needs a text of 1 to 200 characters")
        if source is None and not items:
            raise OptionError("items", 'a vote needs something to vote on: take the items of an '
                                       'earlier activity with from = "<its id>", or list items = [...]')

    def _items(self, activity) -> list[tuple[str, str]]:
        carried = [(i.id, i.label) for i in activity.items]
        return carried + [(item_id(text), text) for text in activity.options["items"]]

    def form(self, activity):
        o = activity.options
        return Form([VoteField("dots", label=f"Place your {o['dots']} dots (at most {o['max_per_item']} on one)",
                               items=self._items(activity), dots=o["dots"], max_per_item=o["max_per_item"])])

    def extras(self, activity):
        return {"hide_results_until_closed": activity.options["hide_results_until_closed"]}

    def results_visible(self, activity):
        return activity.state == "closed" or not activity.options["hide_results_until_closed"]

    def summarise(self, activity, contributions):
        votes = latest_per_participant(contributions)
        roles = role_order(activity, votes)
        items = self._items(activity)
        totals = Counter()
        by_role: dict[str, Counter] = {i: Counter() for i, _ in items}
        for vote in votes:
            for iid, dots in vote["data"]["dots"].items():
                if iid in by_role:
                    totals[iid] += dots
                    by_role[iid][role_of(vote)] += dots
        order = sorted(range(len(items)), key=lambda k: (-totals[items[k][0]], k))
        ranked, rank, previous = [], 0, None
        for position, k in enumerate(order, start=1):
            iid, label = items[k]
            if totals[iid] != previous:
                rank, previous = position, totals[iid]
            ranked.append({"id": iid, "label": label, "dots": totals[iid], "rank": rank,
                           "by_role": {r: by_role[iid][r] for r in roles if by_role[iid][r]}})
        voters = Counter(role_of(v) for v in votes)
        return {
            "voters": len(votes),
            "submissions": len(contributions),
            "roles": roles,
            "voters_by_role": {r: voters[r] for r in roles},
            "dots_cast": sum(totals.values()),
            "dots_by_role": {r: sum(by_role[i][r] for i in by_role) for r in roles},
            "dots_each": activity.options["dots"],
            "max_per_item": activity.options["max_per_item"],
            "items": ranked,
        }

    def items(self, activity, contributions):
        results = self.summarise(activity, contributions)
        return [Item(id=i["id"], label=i["label"], detail=f"{i['dots']} dots, rank {i['rank']}")
                for i in results["items"]]

    def report(self, activity, results, contributions):
        if not results["items"]:
            return [Paragraph('Nothing to vote on: give the vote items with "from" or the "items" option.')]
        roles = results["roles"]
        blocks = [Paragraph(
            f"{results['voters']} participants placed {results['dots_cast']} dots "
            f"({results['dots_each']} each, at most {results['max_per_item']} on one item)."
            + (" Only each participant's last vote counts." if results["submissions"] > results["voters"] else ""))]
        if results["voters"]:
            blocks.append(Chart(
                stacked_bars("Dots per item, coloured by role",
                             [(i["label"], i["by_role"]) for i in results["items"]], roles, unit="dots"),
                alt="; ".join(f"{i['rank']}. {i['label']}: {i['dots']} dots" for i in results["items"]),
                caption="Items in ranked order; each bar's parts show the roles of who placed the dots."))
        blocks.append(Table(["Rank", "Item", "Dots"] + roles,
                            [[i["rank"], i["label"], i["dots"]] + [i["by_role"].get(r, 0) for r in roles]
                             for i in results["items"]],
                            caption="Dots per item, by the role of who placed them"))
        return blocks


    def screen(self, activity, contributions):
        """The room's screen (only once the vote may be seen): dots per item, ranked."""
        from facilitation_kit import NO_ROLE, Chart, Paragraph, stacked_bars

        results = self.summarise(activity, contributions)
        if not results["voters"]:
            return [Paragraph("No votes yet.")]
        items = results["items"][:10]
        roles = results["roles"]
        if roles == [NO_ROLE]:  # roles not shown on the screen: one series
            rows, roles = [(i["label"], {"Dots": i["dots"]}) for i in items], ["Dots"]
        else:
            rows = [(i["label"], i["by_role"]) for i in items]
        return [Chart(stacked_bars("Dots per item", rows, roles, unit="dots"),
                      alt="; ".join(f"{i['rank']}. {i['label']}: {i['dots']} dots" for i in items)),
                Paragraph(f"{results['voters']} people voted.")]


@hookimpl
def register_activities(register):
    register(DotVote())
