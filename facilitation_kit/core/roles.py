"""Roles: what "no role" is called, and the helpers activities share to split results by role."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .activity import ActivityInfo

__all__ = ["NO_ROLE", "role_of", "role_order", "mean", "latest_per_participant", "submitted_role"]

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


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean rounded to two decimals, ``None`` for no values."""
    values = list(values)
    return round(sum(values) / len(values), 2) if values else None


def latest_per_participant(contributions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each participant's last contribution (by ``created_at``, then by position), in
    the order of those last contributions."""
    last: dict[Any, tuple[int, Mapping[str, Any]]] = {}
    for index, c in enumerate(contributions):
        key = c.get("participant")
        if key not in last or str(c.get("created_at") or "") >= str(last[key][1].get("created_at") or ""):
            last[key] = (index, c)
    return [c for _, c in sorted(last.values(), key=lambda pair: (str(pair[1].get("created_at") or ""), pair[0]))]
