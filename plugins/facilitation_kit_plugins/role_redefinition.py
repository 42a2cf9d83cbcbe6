"""Role redefinition: "From → To" shifts for the roles in a relational service.

A participant picks a role (front-line professional, service user, manager, …), writes
what it does today ("eligibility gatekeeper") and what it should do in a relational
service ("enabler"), and may name what stops the shift: structural barriers (workload,
fragmented teams, staff turnover) and/or cultural ones (morale, professional habits,
openness to learning), with a note.
"""

from __future__ import annotations

from collections import Counter

from facilitation_kit import (
    hookimpl, ActivityType, Chart, ChoiceField, Form, Heading, Invalid, Item, Option,
    OptionError, Paragraph, Table, TextField, role_of, role_order, stacked_bars,
)

SENSIBLE_ROLES = ("Front-line professional", "Service user", "Manager")
BARRIERS = {
    "structural": "Structural (workload, fragmented teams, staff turnover)",
    "cultural": "Cultural (morale, professional habits, openness to learning)",
}


def roles_to_redefine(options, session_roles) -> list[str]:
    """The ``roles`` option, or else the session's roles without "Other", or else
    front-line professional, service user and manager."""
    if options["roles"]:
        return list(options["roles"])
    from_session = [r for r in session_roles if r.strip().lower() != "other"]
    return from_session or list(SENSIBLE_ROLES)


class RoleRedefinition(ActivityType):
    name = "role_redefinition"
    title = "Role redefinition"
    description = ('"From → To" shifts for each role in a relational service, with what stops '
                   "each shift (structural or cultural barriers), split by who proposed it.")
    default_prompt = ("What does this role do today, and what should it do in a service built "
                      "around what matters to the person?")
    options = (
        Option("roles", "strings", default=[],
               help="The roles whose shifts are collected. Empty: the session's participant "
                    "roles (without \"Other\")."),
        Option("ask_barriers", "boolean", default=True,
               help="Ask what stops each shift (structural / cultural) and for a note."),
        Option("max_length", "integer", default=200, min=10, max=1000,
               help="Longest From or To text, in characters."),
    )

    def check_options(self, options, roles):
        values = options["roles"]
        if len(set(values)) != len(values):
            raise OptionError("roles", "lists the same role twice")
        if any(not r.strip() or len(r) > 60 for r in values):
            raise OptionError("roles", "each role needs a name of 1 to 60 characters")

    def form(self, activity):
        o = activity.options
        fields = [
            ChoiceField("role", label="Which role?",
                        options=[(r, r) for r in roles_to_redefine(o, activity.roles)]),
            TextField("from_text", label="From: what the role does today", max_length=o["max_length"],
                      help="e.g. eligibility gatekeeper; follows procedure"),
            TextField("to_text", label="To: what it should do in a relational service",
                      max_length=o["max_length"],
                      help='e.g. enabler; asks "how can I make this possible?"'),
        ]
        if o["ask_barriers"]:
            fields += [
                ChoiceField("barriers", label="What stops it?", required=False, multiple=True,
                            options=list(BARRIERS.items())),
                TextField("note", label="A note on what stops it (optional)", required=False,
                          max_length=500, multiline=True),
            ]
        return Form(fields)

    def validate(self, activity, data):
        if data["from_text"].casefold() == data["to_text"].casefold():
            raise Invalid({"to_text": "say how the role should change: To is the same as From"})
        return None

    def summarise(self, activity, contributions):
        contributors = role_order(activity, contributions)
        shifts = [self._shift(c) for c in contributions]
        listed = roles_to_redefine(activity.options, activity.roles)
        redefined = listed + sorted({s["role"] for s in shifts} - set(listed))
        per_role = []
        for role in redefined:
            mine = [s for s in shifts if s["role"] == role]
            if not mine:
                continue
            by_contributor = Counter(s["contributor_role"] for s in mine)
            barriers = {
                b: {"total": sum(b in s["barriers"] for s in mine),
                    "by_role": {r: n for r in contributors
                                if (n := sum(b in s["barriers"] for s in mine if s["contributor_role"] == r))}}
                for b in BARRIERS}
            per_role.append({
                "role": role, "count": len(mine),
                "by_contributor": {r: by_contributor[r] for r in contributors if by_contributor[r]},
                "barriers": barriers,
                "no_barrier_named": sum(not s["barriers"] for s in mine),
                "shifts": mine})
        by_contributor = Counter(s["contributor_role"] for s in shifts)
        return {
            "count": len(shifts),
            "participants": len({c["participant"] for c in contributions}),
            "contributor_roles": contributors,
            "by_role": {r: by_contributor[r] for r in contributors},
            "barriers": {b: {"total": sum(b in s["barriers"] for s in shifts),
                             "by_role": {r: n for r in contributors
                                         if (n := sum(b in s["barriers"] for s in shifts
                                                      if s["contributor_role"] == r))}}
                         for b in BARRIERS},
            "roles": per_role,
        }

    @staticmethod
    def _shift(c):
        data = c["data"]
        return {"id": f"{c['participant']}:{c['id']}", "role": data["role"], "from": data["from_text"],
                "to": data["to_text"], "barriers": [b for b in BARRIERS if b in data.get("barriers", [])],
                "note": data.get("note", ""), "contributor_role": role_of(c)}

    def items(self, activity, contributions):
        out = []
        for c in contributions:
            s = self._shift(c)
            detail = ", ".join(b for b in s["barriers"]) or ""
            out.append(Item(id=s["id"], label=f"{s['role']}: {s['from']} → {s['to']}"[:160],
                            detail=f"stopped by: {detail}" if detail else ""))
        return out

    def report(self, activity, results, contributions):
        if not results["count"]:
            return [Paragraph("No shifts proposed yet.")]
        contributors = results["contributor_roles"]
        blocks = [
            Paragraph(f"{results['count']} shifts from {results['participants']} participants; "
                      f"structural barriers named {results['barriers']['structural']['total']} times, "
                      f"cultural {results['barriers']['cultural']['total']} times."),
        ]
        if activity.options["ask_barriers"]:
            rows = [(f"{r['role']}: {b}", r["barriers"][b]["by_role"]) for r in results["roles"] for b in BARRIERS]
            blocks.append(Chart(
                stacked_bars("What stops the shifts, by role", rows, contributors, unit="mentions"),
                alt="; ".join(f"{r['role']}: structural {r['barriers']['structural']['total']}, "
                              f"cultural {r['barriers']['cultural']['total']}" for r in results["roles"]),
                caption="Each bar counts how often a barrier was named for a role's shifts; "
                        "its parts show the role of who named it."))
        blocks.append(Table(
            ["Role", "Shifts", "Structural", "Cultural", "None named", "Proposed by"],
            [[r["role"], r["count"], r["barriers"]["structural"]["total"], r["barriers"]["cultural"]["total"],
              r["no_barrier_named"], ", ".join(f"{k}: {v}" for k, v in r["by_contributor"].items())]
             for r in results["roles"]], caption="Barriers per role"))
        for r in results["roles"]:
            blocks.append(Heading(r["role"], level=4))
            blocks.append(Table(["From", "To", "What stops it", "Note", "Proposed by"],
                                [[s["from"], s["to"], ", ".join(s["barriers"]) or "–", s["note"],
                                  s["contributor_role"]] for s in r["shifts"]]))
        return blocks


    def screen(self, activity, contributions):
        """The room's screen: the newest proposed shifts, one quote each."""
        from facilitation_kit import Paragraph, Quote

        if not contributions:
            return [Paragraph("No shifts proposed yet.")]
        return [Paragraph(f"{len(contributions)} shifts proposed.")] + [
            Quote(f"{s['role']}: {s['from']} → {s['to']}", c["role"])
            for c in contributions[-8:][::-1] for s in [self._shift(c)]]


@hookimpl
def register_activities(register):
    register(RoleRedefinition())
