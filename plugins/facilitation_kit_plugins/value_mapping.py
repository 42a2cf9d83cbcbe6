"""Value mapping: participants post value cards about the service under redesign.

Each card says what kind of value it is (an output we count today, an outcome that
matters to the person, value missed or destroyed, an opportunity), optionally which
stakeholder it concerns, and optionally how important it is and how well the service
supports it today (1-5). A card rated important (4 or 5) but badly supported (1 or 2)
is "important but badly supported": a redesign opportunity, flagged in the results.
"""

from __future__ import annotations

from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, BulletList, Chart, ChoiceField, Form, Heading, Invalid, Item,
    Option, OptionError, Paragraph, ScaleField, Table, TextField, importance_support_map,
    mean, role_of, role_order, stacked_bars,
)

KINDS = {
    "output": "Output we count today",
    "outcome": "Outcome that matters to the person",
    "missed": "Value missed or destroyed",
    "opportunity": "Opportunity",
}
STAKEHOLDERS = ("Service user", "Informal network", "Front-line professional", "Manager",
                "Third sector", "Community")
NO_STAKEHOLDER = "Not said"
#: "Important but badly supported": importance at least this …
IMPORTANT_AT_LEAST = 4
#: … and support at most this.
SUPPORTED_AT_MOST = 2


def is_gap(importance: int | None, support: int | None) -> bool:
    """The rule for "important but badly supported" (a redesign opportunity)."""
    return (importance is not None and support is not None
            and importance >= IMPORTANT_AT_LEAST and support <= SUPPORTED_AT_MOST)


class ValueMapping(ActivityType):
    name = "value_mapping"
    title = "Value mapping"
    description = ("Participants post value cards: outputs counted today, outcomes that matter "
                   "to the person, value missed, opportunities; optionally rated for importance "
                   "and support. Shows where important things are badly supported, by role.")
    default_prompt = "What value does this service create, count, miss or destroy, and for whom?"
    options = (
        Option("kinds", "strings", default=list(KINDS), choices=list(KINDS), min=1,
               help="Which kinds of card participants can post: output, outcome, missed, opportunity."),
        Option("stakeholders", "strings", default=list(STAKEHOLDERS),
               help="Who a card can concern; an empty list leaves the question out."),
        Option("ratings", "boolean", default=True,
               help="Ask how important each card is and how well the service supports it today (1-5)."),
        Option("max_length", "integer", default=280, min=20, max=2000,
               help="Longest card text, in characters."),
    )

    def check_options(self, options, roles):
        for name in ("kinds", "stakeholders"):
            values = options[name]
            if len(set(values)) != len(values):
                raise OptionError(name, "lists the same entry twice")
        for s in options["stakeholders"]:
            if not s.strip() or len(s) > 60:
                raise OptionError("stakeholders", "each stakeholder needs a name of 1 to 60 characters")

    def form(self, activity):
        o = activity.options
        fields = [
            TextField("text", label="Your value card", max_length=o["max_length"], multiline=True,
                      help="One value per card, in your own words."),
            ChoiceField("kind", label="What kind of value is it?",
                        options=[(k, KINDS[k]) for k in o["kinds"]]),
        ]
        if o["stakeholders"]:
            fields.append(ChoiceField("stakeholder", label="Who does it concern most?", required=False,
                                      options=[(s, s) for s in o["stakeholders"]]))
        if o["ratings"]:
            fields += [
                ScaleField("importance", label="How important is it?", required=False,
                           min=1, max=5, min_label="Not important", max_label="Very important"),
                ScaleField("support", label="How well does the service support it today?",
                           required=False, min=1, max=5, min_label="Not at all", max_label="Very well"),
            ]
        return Form(fields)

    def validate(self, activity, data):
        if ("importance" in data) != ("support" in data):
            missing = "support" if "importance" in data else "importance"
            raise Invalid({missing: "rate both importance and support, or neither"})
        return None

    def summarise(self, activity, contributions):
        roles = role_order(activity, contributions)
        kinds = [k for k in KINDS if k in activity.options["kinds"]]
        cards = [self._card(c) for c in contributions]
        stakeholders = list(activity.options["stakeholders"])
        if any(card["stakeholder"] == NO_STAKEHOLDER for card in cards):
            stakeholders.append(NO_STAKEHOLDER)

        def by_role(subset):
            counts = Counter(card["role"] for card in subset)
            return {r: counts[r] for r in roles if counts[r]}

        grouped = []
        for kind in kinds:
            for stakeholder in stakeholders:
                subset = [card for card in cards if card["kind"] == kind and card["stakeholder"] == stakeholder]
                if subset:
                    grouped.append({"kind": kind, "kind_label": KINDS[kind], "stakeholder": stakeholder,
                                    "count": len(subset), "by_role": by_role(subset),
                                    "cards": [card["id"] for card in subset]})
        rated = [card for card in cards if card["importance"] is not None]
        points = Counter((card["importance"], card["support"], card["role"]) for card in rated)
        outputs_vs_outcomes = []
        for role in roles + ["All"]:
            mine = [card for card in cards if role == "All" or card["role"] == role]
            out_n = sum(card["kind"] == "output" for card in mine)
            outcome_n = sum(card["kind"] == "outcome" for card in mine)
            outputs_vs_outcomes.append({
                "role": role, "outputs": out_n, "outcomes": outcome_n,
                "outcome_share": round(outcome_n / (out_n + outcome_n), 2) if out_n + outcome_n else None})
        return {
            "count": len(cards),
            "participants": len({c["participant"] for c in contributions}),
            "roles": roles,
            "by_role": by_role(cards),
            "kinds": [{"kind": k, "label": KINDS[k], "count": sum(card["kind"] == k for card in cards),
                       "by_role": by_role([card for card in cards if card["kind"] == k])} for k in kinds],
            "stakeholders": [{"stakeholder": s, "count": sum(card["stakeholder"] == s for card in cards),
                              "by_role": by_role([card for card in cards if card["stakeholder"] == s])}
                             for s in stakeholders],
            "grouped": grouped,
            "outputs_vs_outcomes": outputs_vs_outcomes,
            "map": {
                "rule": {"importance_at_least": IMPORTANT_AT_LEAST, "support_at_most": SUPPORTED_AT_MOST},
                "rated": len(rated),
                "points": [{"importance": i, "support": s, "role": r, "count": n}
                           for (i, s, r), n in sorted(points.items(), key=lambda kv: (-kv[0][0], kv[0][1], roles.index(kv[0][2])))],
                "by_role": {r: {"rated": len(sub), "importance": mean(c["importance"] for c in sub),
                                "support": mean(c["support"] for c in sub),
                                "gaps": sum(c["gap"] for c in sub)}
                            for r in roles if (sub := [c for c in rated if c["role"] == r])},
                "gaps": [card["id"] for card in rated if card["gap"]],
            },
            "cards": cards,
        }

    @staticmethod
    def _card(c):
        data = c["data"]
        importance, support = data.get("importance"), data.get("support")
        return {"id": f"{c['participant']}:{c['id']}", "text": data["text"], "kind": data["kind"],
                "stakeholder": data.get("stakeholder") or NO_STAKEHOLDER,
                "importance": importance, "support": support, "gap": is_gap(importance, support),
                "role": role_of(c)}

    def items(self, activity, contributions):
        out = []
        for c in contributions:
            card = self._card(c)
            detail = KINDS[card["kind"]]
            if card["stakeholder"] != NO_STAKEHOLDER:
                detail += f" · {card['stakeholder']}"
            out.append(Item(id=card["id"], label=card["text"][:120], detail=detail))
        return out

    def report(self, activity, results, contributions):
        if not results["count"]:
            return [Paragraph("No value cards yet.")]
        roles = results["roles"]
        cards = {card["id"]: card for card in results["cards"]}
        blocks = [
            Paragraph(f"{results['count']} value cards from {results['participants']} participants."),
            Chart(stacked_bars("Value cards by kind and role",
                               [(k["label"], k["by_role"]) for k in results["kinds"]], roles, unit="cards"),
                  alt="Cards by kind: " + "; ".join(f"{k['label']}: {k['count']}" for k in results["kinds"]),
                  caption="Each bar is one kind of value; its parts show who posted the cards."),
            Heading("Outputs we count vs outcomes that matter", level=4),
            Table(["Role", "Outputs", "Outcomes", "Share of outcomes"],
                  [[row["role"], row["outputs"], row["outcomes"],
                    "–" if row["outcome_share"] is None else f"{round(row['outcome_share'] * 100)}%"]
                   for row in results["outputs_vs_outcomes"]],
                  caption="How many cards name outputs the service counts and how many name outcomes "
                          "that matter to the person, by the role of who wrote them."),
        ]
        outputs = [card["text"] for card in results["cards"] if card["kind"] == "output"]
        outcomes = [card["text"] for card in results["cards"] if card["kind"] == "outcome"]
        if outputs or outcomes:
            blocks.append(Table(["Outputs we count today", "Outcomes that matter to the person"],
                                [[outputs[i] if i < len(outputs) else "", outcomes[i] if i < len(outcomes) else ""]
                                 for i in range(max(len(outputs), len(outcomes)))]))
        blocks.append(Heading("Cards by kind and stakeholder", level=4))
        blocks.append(Table(["Kind", "Stakeholder", "Card", "Posted by"],
                            [[g["kind_label"], g["stakeholder"], cards[cid]["text"], cards[cid]["role"]]
                             for g in results["grouped"] for cid in g["cards"]]))
        m = results["map"]
        if m["rated"]:
            blocks.append(Heading("Importance and support", level=4))
            blocks.append(Chart(
                importance_support_map("Importance and support of the value cards",
                                       [(p["importance"], p["support"], p["role"], p["count"]) for p in m["points"]],
                                       roles, important_at_least=IMPORTANT_AT_LEAST,
                                       supported_at_most=SUPPORTED_AT_MOST),
                alt=f"{m['rated']} rated cards; {len(m['gaps'])} important but badly supported.",
                caption=f"Shaded corner: important (importance {IMPORTANT_AT_LEAST} or more) but badly "
                        f"supported (support {SUPPORTED_AT_MOST} or less). Marker shape and colour: the "
                        "role of who rated; the number: how many cards."))
            blocks.append(Table(["Role", "Rated cards", "Mean importance", "Mean support",
                                 "Important but badly supported"],
                                [[r, v["rated"], v["importance"], v["support"], v["gaps"]]
                                 for r, v in m["by_role"].items()]))
            if m["gaps"]:
                blocks.append(Paragraph("Important but badly supported (redesign opportunities):"))
                blocks.append(BulletList([
                    f"{cards[cid]['text']} (importance {cards[cid]['importance']}, support "
                    f"{cards[cid]['support']}; {cards[cid]['role']})" for cid in m["gaps"]]))
        return blocks


    def screen(self, activity, contributions):
        """The room's screen: cards by kind, and a wall of the newest cards."""
        from facilitation_kit import NO_ROLE, Chart, Paragraph, Quote, stacked_bars

        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph("No value cards yet.")]
        roles = results["roles"]
        if roles == [NO_ROLE]:
            rows, roles = [(k["label"], {"Cards": k["count"]}) for k in results["kinds"]], ["Cards"]
        else:
            rows = [(k["label"], k["by_role"]) for k in results["kinds"]]
        blocks = [Chart(stacked_bars("Value cards by kind", rows, roles, unit="cards"),
                        alt="; ".join(f"{k['label']}: {k['count']}" for k in results["kinds"]))]
        blocks += [Quote(c["data"]["text"], c["role"]) for c in contributions[-6:][::-1]]
        return blocks


@hookimpl
def register_activities(register):
    register(ValueMapping())
