"""Role redefinition: "From → To" shifts for the roles in a relational service.

A participant picks a role (the worker, the person who uses the service, the manager,
family), writes what it does today ("checks if I'm allowed help") and what it should do
in a service built around the person ("helps me find what I can do"), and may say what
stops the shift (configurable categories; the plain defaults include the person's own
barriers: confidence, trust, fear of losing support) and, as important, what would help
and who can make it happen (me, my team, management, politicians, rules and law).
Results are split by the role of who proposed each shift, after the ``min_group`` rule.
"""

from __future__ import annotations

from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, Catalogue, Chart, ChoiceField, Form, Heading, Invalid, Item, Option,
    OptionError, Paragraph, ReportPart, Table, TextField, role_groups, stacked_bars, widest_gap,
)

T = Catalogue(__package__)

SENSIBLE_ROLES = ("Front-line professional", "Service user", "Manager")
#: The built-in barrier categories and the group each belongs to.
BARRIERS = {
    "rules": "structure", "targets": "structure", "time": "structure", "money": "structure",
    "staff_changes": "structure", "habits": "culture",
    "confidence": "personal", "trust": "personal", "fear_of_losing_support": "personal",
}
WHO = ("me", "my_team", "management", "politicians", "rules_and_law")
#: Roles whose plain name in the form comes from the catalogue ("The worker", …).
NAMED_ROLES = ("Service user", "Family or peer", "Front-line professional", "Manager")


def roles_to_redefine(options, session_roles) -> list[str]:
    """The ``roles`` option, or else the session's roles without "Other", or else
    front-line professional, service user and manager."""
    if options["roles"]:
        return list(options["roles"])
    from_session = [r for r in session_roles if r.strip().lower() != "other"]
    return from_session or list(SENSIBLE_ROLES)


def barrier_key(value) -> str:
    """A built-in barrier's key, or an agenda's own barrier (text or table by language)
    as the key it is stored under (its English or first text)."""
    from facilitation_kit import text

    return value if isinstance(value, str) else text(value, "en", "en")


class RoleRedefinition(ActivityType):
    name = "role_redefinition"
    title = "Role redefinition"
    catalogue = T
    description = ('"From → To" shifts for each role in a relational service, with what stops '
                   "each shift and what would help (and who can make it happen), split by who "
                   "proposed it.")
    default_prompt = ("What does this role do today? What should it do in a service built around "
                      "the person?")
    options = (
        Option("roles", "strings", default=[],
               help="The roles whose shifts are collected. Empty: the session's participant "
                    "roles (without \"Other\")."),
        Option("ask_barriers", "boolean", default=True,
               help="Ask what stops each shift, with a note."),
        Option("barriers", "strings", default=list(BARRIERS), translatable=True,
               help="The barrier choices: built-in keys (" + ", ".join(BARRIERS) + ") and/or "
                    "your own texts (each may be a table by language)."),
        Option("ask_enablers", "boolean", default=True,
               help="Ask what would help and who can make it happen."),
        Option("max_length", "integer", default=200, min=10, max=1000,
               help="Longest From or To text, in characters."),
    )

    def check_options(self, options, roles):
        values = options["roles"]
        if len(set(values)) != len(values):
            raise OptionError("roles", "lists the same role twice")
        if any(not r.strip() or len(r) > 60 for r in values):
            raise OptionError("roles", "each role needs a name of 1 to 60 characters")
        keys = [barrier_key(b) for b in options["barriers"]]
        if len(set(keys)) != len(keys):
            raise OptionError("barriers", "lists the same barrier twice")
        if any(not k.strip() or len(k) > 80 for k in keys):
            raise OptionError("barriers", "each barrier needs a text of 1 to 80 characters")

    def _role_label(self, lang, role):
        return T.t(lang, "role_redefinition.role." + role) if role in NAMED_ROLES else role

    def _barriers(self, activity, lang=None) -> list[tuple[str, str]]:
        lang = lang or activity.lang
        out = []
        for b in activity.options["barriers"]:
            key = barrier_key(b)
            label = (T.t(lang, "role_redefinition.barrier." + key) if isinstance(b, str) and key in BARRIERS
                     else activity.text(b))
            out.append((key, label))
        return out

    def form(self, activity):
        o, lang = activity.options, activity.lang
        k = "role_redefinition."
        fields = [
            ChoiceField("role", label=T.t(lang, k + "role_label"),
                        options=[(r, self._role_label(lang, r)) for r in roles_to_redefine(o, activity.roles)]),
            TextField("from_text", label=T.t(lang, k + "from_label"), max_length=o["max_length"],
                      help=T.t(lang, k + "from_help")),
            TextField("to_text", label=T.t(lang, k + "to_label"), max_length=o["max_length"],
                      help=T.t(lang, k + "to_help")),
        ]
        if o["ask_barriers"]:
            fields += [
                ChoiceField("barriers", label=T.t(lang, k + "barriers_label"), required=False, multiple=True,
                            options=self._barriers(activity)),
                TextField("note", label=T.t(lang, k + "note_label"), required=False,
                          max_length=500, multiline=True),
            ]
        if o["ask_enablers"]:
            fields += [
                TextField("helps", label=T.t(lang, k + "helps_label"), required=False, max_length=500,
                          multiline=True),
                ChoiceField("who", label=T.t(lang, k + "who_label"), required=False, multiple=True,
                            options=[(w, T.t(lang, k + "who." + w)) for w in WHO]),
            ]
        return Form(fields)

    def validate(self, activity, data):
        if data["from_text"].casefold() == data["to_text"].casefold():
            raise Invalid({"to_text": T.t(activity.lang, "role_redefinition.err_same")})
        return None

    def summarise(self, activity, contributions):
        lang = activity.lang
        groups = role_groups(activity, contributions)
        contributors = groups.order
        shifts = [self._shift(c, groups) for c in contributions]
        listed = roles_to_redefine(activity.options, activity.roles)
        redefined = listed + sorted({s["role"] for s in shifts} - set(listed))
        barriers = [key for key, _ in self._barriers(activity, lang)]
        labels = dict(self._barriers(activity, lang))
        for s in shifts:  # the agenda's order, not the order they were ticked in
            s["barriers"].sort(key=lambda b: barriers.index(b) if b in barriers else len(barriers))

        def counts(mine, key, values):
            return {v: {"total": sum(v in s[key] for s in mine),
                        "by_role": {r: n for r in contributors
                                    if (n := sum(v in s[key] for s in mine if s["contributor_role"] == r))}}
                    for v in values}

        per_role = []
        for role in redefined:
            mine = [s for s in shifts if s["role"] == role]
            if not mine:
                continue
            by_contributor = Counter(s["contributor_role"] for s in mine)
            per_role.append({
                "role": role, "label": self._role_label(lang, role), "count": len(mine),
                "by_contributor": {r: by_contributor[r] for r in contributors if by_contributor[r]},
                "barriers": counts(mine, "barriers", barriers),
                "who": counts(mine, "who", WHO),
                "no_barrier_named": sum(not s["barriers"] for s in mine),
                "shifts": mine})
        by_contributor = Counter(s["contributor_role"] for s in shifts)
        return {
            "count": len(shifts),
            "participants": len({c["participant"] for c in contributions}),
            "contributor_roles": contributors,
            "by_role": {r: by_contributor[r] for r in contributors},
            "barrier_labels": labels,
            "barrier_groups": {b: BARRIERS.get(b, "other") for b in barriers},
            "barriers": counts(shifts, "barriers", barriers),
            "who_labels": {w: T.t(lang, "role_redefinition.who." + w) for w in WHO},
            "who": counts(shifts, "who", WHO),
            "roles": per_role,
        }

    @staticmethod
    def _shift(c, groups=None):
        data = c["data"]
        return {"id": f"{c['participant']}:{c['id']}", "role": data["role"], "from": data["from_text"],
                "to": data["to_text"], "barriers": list(data.get("barriers", [])),
                "note": data.get("note", ""), "helps": data.get("helps", ""), "who": list(data.get("who", [])),
                "contributor_role": groups.of(c) if groups is not None else c.get("role")}

    def items(self, activity, contributions):
        lang = activity.language
        labels = dict(self._barriers(activity, lang))
        out = []
        for c in contributions:
            s = self._shift(c)
            detail = ", ".join(labels.get(b, b) for b in s["barriers"])
            out.append(Item(id=s["id"], label=f"{self._role_label(lang, s['role'])}: {s['from']} → {s['to']}"[:160],
                            detail=T.t(lang, "role_redefinition.stopped_by", barriers=detail) if detail else ""))
        return out

    def report(self, activity, results, contributions):
        lang = activity.lang
        k = "role_redefinition."
        if not results["count"]:
            return [Paragraph(T.t(lang, k + "none"))]
        contributors = results["contributor_roles"]
        labels, who_labels = results["barrier_labels"], results["who_labels"]
        named = sorted(((v["total"], b) for b, v in results["barriers"].items() if v["total"]), reverse=True)
        helpers = sorted(((v["total"], w) for w, v in results["who"].items() if v["total"]), reverse=True)
        text = T.t(lang, k + "summary", count=results["count"], people=results["participants"])
        if named:
            text += " " + T.t(lang, k + "most_named", barriers=", ".join(f"{labels[b]} ({n})" for n, b in named[:3]))
        if helpers:
            text += " " + T.t(lang, k + "who_most", who=", ".join(f"{who_labels[w]} ({n})" for n, w in helpers[:3]))
        blocks = [Paragraph(text)]
        unit = T.t(lang, k + "mentions")
        if activity.options["ask_barriers"] and named:
            rows = [(f"{r['label']}: {labels[b]}", r["barriers"][b]["by_role"])
                    for r in results["roles"] for b in labels if r["barriers"][b]["total"]]
            blocks.append(Chart(
                stacked_bars(T.t(lang, k + "chart_title"), rows, contributors, unit=unit, lang=lang),
                alt="; ".join(f"{r['label']}: " + ", ".join(f"{labels[b]} {r['barriers'][b]['total']}"
                                                           for b in labels if r["barriers"][b]["total"])
                              for r in results["roles"] if any(v["total"] for v in r["barriers"].values())),
                caption=T.t(lang, k + "chart_caption")))
        if activity.options["ask_enablers"] and helpers:
            blocks.append(Table([T.t(lang, k + "who_col"), T.t(lang, k + "mentions_col")] + contributors,
                                [[who_labels[w], n] + [results["who"][w]["by_role"].get(r, 0) for r in contributors]
                                 for n, w in helpers], caption=T.t(lang, k + "who_caption")))
        blocks.append(Table(
            [T.t(lang, k + "role_col"), T.t(lang, k + "shifts_col"), T.t(lang, k + "none_named_col"),
             T.t(lang, k + "proposed_by")],
            [[r["label"], r["count"], r["no_barrier_named"],
              ", ".join(f"{name}: {v}" for name, v in r["by_contributor"].items())]
             for r in results["roles"]], caption=T.t(lang, k + "per_role_caption")))
        shifts = []  # every shift once, in the appendix (it replaces the generic table)
        for r in results["roles"]:
            shifts.append(Heading(r["label"], level=4))
            shifts.append(Table([T.t(lang, k + "from_col"), T.t(lang, k + "to_col"), T.t(lang, k + "stops_col"),
                                 T.t(lang, k + "note_col"), T.t(lang, k + "helps_col"), T.t(lang, k + "proposed_by")],
                                [[s["from"], s["to"], ", ".join(labels.get(b, b) for b in s["barriers"]) or "–",
                                  s["note"], " ".join(filter(None, [s["helps"], ("(" + ", ".join(
                                      who_labels[w] for w in s["who"] if w in who_labels) + ")") if s["who"] else ""]))
                                  or "–", s["contributor_role"] or "–"] for s in r["shifts"]]))
        blocks.append(ReportPart("appendix", tuple(shifts)))
        return blocks

    def findings(self, activity, results):
        """Per barrier: the two role groups that name it in the largest and smallest
        share of the shifts they proposed."""
        out = []
        proposed = results["by_role"]
        labels = results["barrier_labels"]
        for b, v in results["barriers"].items():
            if not v["total"]:
                continue
            gap = widest_gap({r: v["by_role"].get(r, 0) / n for r, n in proposed.items() if n})
            if gap is None:
                continue
            high, a, low, c = gap
            out.append({"text": T.t(activity.lang, "role_redefinition.finding", item=labels.get(b, b), role_a=high,
                                    a=round(100 * a), role_b=low, b=round(100 * c)),
                        "size": round(a - c, 3), "item": labels.get(b, b), "roles": [high, low],
                        "values": [round(a, 2), round(c, 2)]})
        return out


    def screen(self, activity, contributions):
        """The room's screen: the newest proposed shifts, one quote each."""
        from facilitation_kit import Paragraph, Quote

        lang = activity.lang
        if not contributions:
            return [Paragraph(T.t(lang, "role_redefinition.none"))]
        return [Paragraph(T.t(lang, "role_redefinition.proposed", count=len(contributions)))] + [
            Quote(f"{self._role_label(lang, s['role'])}: {s['from']} → {s['to']}", c["role"])
            for c in contributions[-8:][::-1] for s in [self._shift(c)]]


@hookimpl
def register_activities(register):
    register(RoleRedefinition())
