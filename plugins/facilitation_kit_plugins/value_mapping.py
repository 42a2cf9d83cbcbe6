"""Value mapping: participants post value cards about the service under redesign.

Each card says, if the writer knows, what kind of value it is (value created today,
something the service counts or checks, an outcome that matters to the person, value
missed, value destroyed, an idea; the kinds are configurable and the question can be
skipped), optionally who it matters to most (the session's roles, in plain words), and
optionally how important it is and how well the service supports it today (1-5, or
"don't know"). A card rated important (4 or 5) but badly supported (1 or 2) is flagged as
"important but badly supported". Role groups smaller than ``min_group`` are counted
together. The facilitator classifies (or re-classifies) a card from the TUI: the
facilitator action "Classify the card".
"""

from __future__ import annotations

from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, BulletList, Catalogue, Chart, ChoiceField, FacilitatorAction, Form, Heading, Invalid,
    Item, Option, OptionError, Paragraph, ScaleField, Table, TextField, importance_support_map,
    mean, role_groups, stacked_bars, widest_gap,
)

T = Catalogue(__package__)

KINDS = ("created", "output", "outcome", "missed", "destroyed", "idea")
NOT_SAID = "not_said"
#: Roles whose plain name as a stakeholder comes from the catalogue.
NAMED_ROLES = ("Service user", "Family or peer", "Front-line professional", "Manager")
NO_STAKEHOLDER = "Not said"
#: "Important but badly supported": importance at least this …
IMPORTANT_AT_LEAST = 4
#: … and support at most this.
SUPPORTED_AT_MOST = 2


def is_gap(importance: int | None, support: int | None) -> bool:
    """The rule for "important but badly supported" (a redesign opportunity)."""
    return (importance is not None and support is not None
            and importance >= IMPORTANT_AT_LEAST and support <= SUPPORTED_AT_MOST)


def kind_label(lang: str, kind: str) -> str:
    return T.t(lang, "value_mapping.kind." + kind)


class ValueMapping(ActivityType):
    name = "value_mapping"
    title = "Value mapping"
    catalogue = T
    description = ("Participants post value cards: value created today, what the service counts, "
                   "outcomes that matter to the person, value missed, value destroyed, ideas; "
                   "optionally rated for importance and support, with \"don't know\".")
    default_prompt = "What does this service give people? What does it count? What goes wrong?"
    options = (
        Option("kinds", "strings", default=list(KINDS), choices=list(KINDS), min=1,
               help="Which kinds of card participants can choose: " + ", ".join(KINDS) + "."),
        Option("ask_kind", "boolean", default=True,
               help="Ask what kind of value a card is (participants may skip it; the facilitator "
                    "can classify it later)."),
        Option("stakeholders", "strings", default=[], translatable=True,
               help="Who a card can matter to. Empty: the session's roles (without \"Other\")."),
        Option("ask_stakeholder", "boolean", default=True, help="Ask who a card matters to most."),
        Option("ratings", "boolean", default=True,
               help="Ask how important each card is and how well the service supports it today (1-5)."),
        Option("max_length", "integer", default=280, min=20, max=2000,
               help="Longest card text, in characters."),
    )

    def check_options(self, options, roles):
        if len(set(options["kinds"])) != len(options["kinds"]):
            raise OptionError("kinds", "lists the same entry twice")
        keys = [self._key(s) for s in options["stakeholders"]]
        if len(set(keys)) != len(keys):
            raise OptionError("stakeholders", "lists the same entry twice")
        for s in keys:
            if not s.strip() or len(s) > 60:
                raise OptionError("stakeholders", "each stakeholder needs a name of 1 to 60 characters")

    @staticmethod
    def _key(value) -> str:
        from facilitation_kit import text

        return value if isinstance(value, str) else text(value, "en", "en")

    def _stakeholders(self, activity, lang=None) -> list[tuple[str, str]]:
        lang = lang or activity.lang
        given = activity.options["stakeholders"]
        if given:
            return [(self._key(s), activity.text(s)) for s in given]
        roles = [r for r in activity.roles if r.strip().lower() != "other"]
        return [(r, T.t(lang, "value_mapping.stakeholder." + r) if r in NAMED_ROLES else r) for r in roles]

    def form(self, activity):
        o, lang = activity.options, activity.lang
        k = "value_mapping."
        dont_know = T.t(lang, "dont_know")
        fields = [TextField("text", label=T.t(lang, k + "text_label"), max_length=o["max_length"],
                            multiline=True, help=T.t(lang, k + "text_help"))]
        if o["ask_kind"]:
            fields.append(ChoiceField("kind", label=T.t(lang, k + "kind_label"), required=False,
                                      help=T.t(lang, k + "kind_help"),
                                      options=[(kind, kind_label(lang, kind)) for kind in o["kinds"]]))
        stakeholders = self._stakeholders(activity)
        if o["ask_stakeholder"] and stakeholders:
            fields.append(ChoiceField("stakeholder", label=T.t(lang, k + "stakeholder_label"), required=False,
                                      options=stakeholders))
        if o["ratings"]:
            fields += [
                ScaleField("importance", label=T.t(lang, k + "importance_label"), required=False,
                           min=1, max=5, min_label=T.t(lang, k + "importance_min"),
                           max_label=T.t(lang, k + "importance_max"), skip=dont_know),
                ScaleField("support", label=T.t(lang, k + "support_label"), required=False, min=1, max=5,
                           min_label=T.t(lang, k + "support_min"), max_label=T.t(lang, k + "support_max"),
                           skip=dont_know),
            ]
        return Form(fields)

    def validate(self, activity, data):
        if ("importance" in data) != ("support" in data):
            missing = "support" if "importance" in data else "importance"
            raise Invalid({missing: T.t(activity.lang, "value_mapping.err_both")})
        return None

    def facilitator_actions(self, activity):
        """"Classify the card": the facilitator gives a card its kind (or another one, or
        takes it away), from the TUI; results and the report then count the card under
        it. Offered when the form asks for the kind (``ask_kind``)."""
        if not activity.options["ask_kind"]:
            return []
        lang = activity.lang
        kinds = list(activity.options["kinds"])  # in the form's order
        return [FacilitatorAction("classify", T.t(lang, "value_mapping.action_classify"),
                                  choices=[(kind, kind_label(lang, kind)) for kind in kinds + [NOT_SAID]],
                                  help=T.t(lang, "value_mapping.action_classify_help"))]

    def run_facilitator_action(self, activity, action_id, contribution, value):
        if action_id != "classify" or contribution is None:
            return None
        data = {k: v for k, v in contribution["data"].items() if k != "kind"}
        if value != NOT_SAID:
            data["kind"] = value
        return data

    def summarise(self, activity, contributions):
        lang = activity.lang
        groups = role_groups(activity, contributions)
        roles = groups.order
        kinds = [k for k in KINDS if k in activity.options["kinds"]]
        cards = [self._card(c, groups) for c in contributions]
        if any(card["kind"] == NOT_SAID for card in cards):
            kinds.append(NOT_SAID)
        names = dict(self._stakeholders(activity, lang))
        stakeholders = list(names)
        stakeholders += sorted({card["stakeholder"] for card in cards} - set(stakeholders) - {NO_STAKEHOLDER})
        if any(card["stakeholder"] == NO_STAKEHOLDER for card in cards):
            stakeholders.append(NO_STAKEHOLDER)
        names[NO_STAKEHOLDER] = T.t(lang, "value_mapping.not_said")

        def by_role(subset):
            counts = Counter(card["role"] for card in subset)
            return {r: counts[r] for r in roles if counts[r]}

        grouped = []
        for kind in kinds:
            for stakeholder in stakeholders:
                subset = [card for card in cards if card["kind"] == kind and card["stakeholder"] == stakeholder]
                if subset:
                    grouped.append({"kind": kind, "kind_label": kind_label(lang, kind), "stakeholder": stakeholder,
                                    "stakeholder_label": names.get(stakeholder, stakeholder),
                                    "count": len(subset), "by_role": by_role(subset),
                                    "cards": [card["id"] for card in subset]})
        rated = [card for card in cards if card["importance"] is not None and card["support"] is not None]
        points = Counter((card["importance"], card["support"], card["role"]) for card in rated if card["role"])
        outputs_vs_outcomes = []
        everyone = T.t(lang, "everyone")
        for role in roles + [everyone]:
            mine = [card for card in cards if role == everyone or card["role"] == role]
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
            "kinds": [{"kind": k, "label": kind_label(lang, k), "count": sum(card["kind"] == k for card in cards),
                       "by_role": by_role([card for card in cards if card["kind"] == k])} for k in kinds],
            "stakeholders": [{"stakeholder": s, "label": names.get(s, s),
                              "count": sum(card["stakeholder"] == s for card in cards),
                              "by_role": by_role([card for card in cards if card["stakeholder"] == s])}
                             for s in stakeholders],
            "grouped": grouped,
            "outputs_vs_outcomes": outputs_vs_outcomes,
            "dont_know": {"importance": sum(c["importance_skipped"] for c in cards),
                          "support": sum(c["support_skipped"] for c in cards)},
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
    def _card(c, groups=None):
        data = c["data"]
        importance, support = data.get("importance"), data.get("support")
        return {"id": f"{c['participant']}:{c['id']}", "text": data["text"], "kind": data.get("kind") or NOT_SAID,
                "stakeholder": data.get("stakeholder") or NO_STAKEHOLDER,
                "importance": importance, "support": support, "gap": is_gap(importance, support),
                "importance_skipped": "importance" in data and importance is None,
                "support_skipped": "support" in data and support is None,
                "role": groups.of(c) if groups is not None else c.get("role")}

    def items(self, activity, contributions):
        lang = activity.language
        names = dict(self._stakeholders(activity, lang))
        out = []
        for c in contributions:
            card = self._card(c)
            detail = kind_label(lang, card["kind"])
            if card["stakeholder"] != NO_STAKEHOLDER:
                detail += f" · {names.get(card['stakeholder'], card['stakeholder'])}"
            out.append(Item(id=card["id"], label=card["text"][:120], detail=detail, kind=card["kind"]))
        return out

    def findings(self, activity, results):
        """Where role groups' cards differ: mean importance and support of their rated
        cards (1-5), and the share of their output and outcome cards that are outcomes."""
        lang, k = activity.lang, "value_mapping."
        out = []
        by_role = results["map"]["by_role"]
        for what in ("support", "importance"):
            gap = widest_gap({r: v[what] for r, v in by_role.items()})
            if gap is not None:
                high, a, low, b = gap
                out.append({"text": T.t(lang, k + "finding_" + what, role_a=high, a=f"{a:g}", role_b=low, b=f"{b:g}"),
                            "size": round((a - b) / 4, 3), "item": what, "roles": [high, low], "values": [a, b]})
        everyone = T.t(lang, "everyone")
        gap = widest_gap({row["role"]: row["outcome_share"] for row in results["outputs_vs_outcomes"]
                          if row["role"] != everyone})
        if gap is not None:
            high, a, low, b = gap
            out.append({"text": T.t(lang, k + "finding_outcomes", role_a=high, a=round(100 * a), role_b=low,
                                    b=round(100 * b)),
                        "size": round(a - b, 3), "item": "outcomes", "roles": [high, low], "values": [a, b]})
        return out

    def report(self, activity, results, contributions):
        lang = activity.lang
        k = "value_mapping."
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        roles = results["roles"]
        cards = {card["id"]: card for card in results["cards"]}
        unit = T.t(lang, k + "cards_unit")
        blocks = [
            Paragraph(T.t(lang, k + "summary", count=results["count"], people=results["participants"])),
            Chart(stacked_bars(T.t(lang, k + "chart_title"),
                               [(kd["label"], kd["by_role"]) for kd in results["kinds"]], roles, unit=unit, lang=lang),
                  alt="; ".join(f"{kd['label']}: {kd['count']}" for kd in results["kinds"]),
                  caption=T.t(lang, k + "chart_caption")),
            Heading(T.t(lang, k + "outputs_heading"), level=4),
            Table([T.t(lang, "role"), T.t(lang, k + "outputs_col"), T.t(lang, k + "outcomes_col"),
                   T.t(lang, k + "share_col")],
                  [[row["role"], row["outputs"], row["outcomes"],
                    "–" if row["outcome_share"] is None else f"{round(row['outcome_share'] * 100)}%"]
                   for row in results["outputs_vs_outcomes"]],
                  caption=T.t(lang, k + "outputs_caption")),
        ]
        m = results["map"]
        if m["rated"]:
            blocks.append(Heading(T.t(lang, k + "map_heading"), level=4))
            blocks.append(Chart(
                importance_support_map(T.t(lang, k + "map_title"),
                                       [(p["importance"], p["support"], p["role"], p["count"]) for p in m["points"]],
                                       roles, important_at_least=IMPORTANT_AT_LEAST,
                                       supported_at_most=SUPPORTED_AT_MOST, lang=lang),
                alt=T.t(lang, k + "map_alt", count=m["rated"], gaps=len(m["gaps"])),
                caption=T.t(lang, k + "map_caption", imp=IMPORTANT_AT_LEAST, sup=SUPPORTED_AT_MOST)))
            blocks.append(Table([T.t(lang, "role"), T.t(lang, k + "rated_col"), T.t(lang, k + "mean_importance"),
                                 T.t(lang, k + "mean_support"), T.t(lang, k + "gap_col")],
                                [[r, v["rated"], v["importance"], v["support"], v["gaps"]]
                                 for r, v in m["by_role"].items()]))
            skipped = results["dont_know"]
            if skipped["importance"] or skipped["support"]:
                blocks.append(Paragraph(T.t(lang, k + "dont_know", imp=skipped["importance"], sup=skipped["support"])))
            if m["gaps"]:
                blocks.append(Paragraph(T.t(lang, k + "gaps_heading")))
                blocks.append(BulletList([
                    T.t(lang, k + "gap_item", text=cards[cid]["text"], imp=cards[cid]["importance"],
                        sup=cards[cid]["support"], role=cards[cid]["role"] or "–") for cid in m["gaps"]]))
        return blocks


    def screen(self, activity, contributions):
        """The room's screen: cards by kind, and a wall of the newest cards."""
        from facilitation_kit import NO_ROLE, Chart, Paragraph, Quote, stacked_bars

        lang, k = activity.lang, "value_mapping."
        results = self.summarise(activity, contributions)
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        roles = results["roles"]
        if roles == [NO_ROLE]:
            series = T.t(lang, k + "cards")
            title, roles = T.t(lang, k + "screen_title"), [series]
            rows = [(kd["label"], {series: kd["count"]}) for kd in results["kinds"]]
        else:
            title, rows = T.t(lang, k + "chart_title"), [(kd["label"], kd["by_role"]) for kd in results["kinds"]]
        blocks = [Chart(stacked_bars(title, rows, roles, unit=T.t(lang, k + "cards_unit"), lang=lang),
                        alt="; ".join(f"{kd['label']}: {kd['count']}" for kd in results["kinds"]))]
        blocks += [Quote(c["data"]["text"], c["role"]) for c in contributions[-6:][::-1]]
        return blocks


@hookimpl
def register_activities(register):
    register(ValueMapping())
