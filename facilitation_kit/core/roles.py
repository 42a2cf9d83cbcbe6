"""Roles: what "no role" is called, and the helpers activities share to split results by role."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .activity import ActivityInfo

__all__ = ["NO_ROLE", "OTHER_ROLES", "RoleGroups", "role_groups", "role_of", "role_order", "mean",
           "dont_know", "latest_per_participant", "submitted_role"]

#: How a contribution without a role is counted and shown: the one spelling everywhere.
NO_ROLE = "No role given"


def role_of(contribution: Mapping[str, Any]) -> str:
    """The contributor's role, or :data:`NO_ROLE`."""
    return contribution.get("role") or NO_ROLE


def submitted_role(doc: Mapping[str, Any], current: str | None) -> str | None:
    """The role a stored contribution was made in: the author's role when it was
    submitted, stored with it (``role``). A later change of role changes only new
    contributions. Rows stored before the role was kept with them fall back to the
    author's ``current`` role."""
    return doc["role"] if "role" in doc else current


def role_order(activity: ActivityInfo, contributions: Iterable[Mapping[str, Any]]) -> list[str]:
    """Roles to split results by: the session's roles in their order (only those that
    contributed), then any other role seen, then :data:`NO_ROLE` if anyone had none."""
    seen = {role_of(c) for c in contributions}
    out = [r for r in activity.roles if r in seen]
    out += sorted(r for r in seen if r not in out and r != NO_ROLE)
    if NO_ROLE in seen:
        out.append(NO_ROLE)
    return out


def mean(values: Iterable[float | None]) -> float | None:
    """Arithmetic mean rounded to two decimals, ``None`` for no values. ``None`` values
    ("don't know" on a scale with ``skip``) are left out, never averaged."""
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def dont_know(values: Iterable[Any]) -> int:
    """How many of ``values`` are ``None`` ("don't know")."""
    return sum(v is None for v in values)


def latest_per_participant(contributions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each participant's last contribution (by ``created_at``, then by position), in
    the order of those last contributions."""
    last: dict[Any, tuple[int, Mapping[str, Any]]] = {}
    for index, c in enumerate(contributions):
        key = c.get("participant")
        if key not in last or str(c.get("created_at") or "") >= str(last[key][1].get("created_at") or ""):
            last[key] = (index, c)
    return [c for _, c in sorted(last.values(), key=lambda pair: (str(pair[1].get("created_at") or ""), pair[0]))]


#: The group that role groups smaller than ``min_group`` are counted together in.
OTHER_ROLES = "Other roles"


class RoleGroups:
    """The role groups a result may show, after the ``min_group`` rule.

    A role with fewer than ``min_group`` participants (in the contributions given) is
    counted together with the other small roles as :data:`OTHER_ROLES`; if that group is
    still smaller than ``min_group`` it is left out of every split (:meth:`of` gives
    ``None``), so a lone participant's role never appears next to what they wrote.
    Totals still count everyone.
    """

    def __init__(self, order: list[str], mapping: dict[str, str | None], sizes: dict[str, int]):
        #: The groups to show, in the session's role order, then OTHER_ROLES.
        self.order = order
        self.mapping = mapping
        #: Participants per shown group.
        self.sizes = sizes

    def of(self, contribution: Mapping[str, Any]) -> str | None:
        """The group a contribution is shown under, or ``None`` (left out of splits)."""
        return self.mapping.get(role_of(contribution))

    def group(self, role: str | None) -> str | None:
        return self.mapping.get(role or NO_ROLE)

    @property
    def hidden(self) -> bool:
        """Whether any contribution is left out of the splits."""
        return any(v is None for v in self.mapping.values())


def role_groups(activity: ActivityInfo, contributions: Iterable[Mapping[str, Any]],
                min_group: int | None = None) -> RoleGroups:
    """The one rule for small role groups (the agenda's ``min_group``, default 3), used
    by every built-in activity and the report: see :class:`RoleGroups`."""
    contributions = list(contributions)
    limit = activity.min_group if min_group is None else min_group
    people: dict[str, set] = {}
    for c in contributions:
        people.setdefault(role_of(c), set()).add(c.get("participant"))
    roles = role_order(activity, contributions)
    big = [r for r in roles if len(people[r]) >= limit]
    small = [r for r in roles if r not in big]
    others = set().union(*(people[r] for r in small)) if small else set()
    mapping: dict[str, str | None] = {r: r for r in big}
    order = list(big)
    sizes = {r: len(people[r]) for r in big}
    if small:
        keep = len(others) >= limit
        for r in small:
            mapping[r] = OTHER_ROLES if keep else None
        if keep:
            order.append(OTHER_ROLES)
            sizes[OTHER_ROLES] = len(others)
    return RoleGroups(order, mapping, sizes)
