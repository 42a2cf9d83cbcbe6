"""Helpers the rating activities share (rate_items, journey): averages per role group
under the small-group rule, and one plugin catalogue per activity."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from facilitation_kit import Catalogue, RoleGroups, mean, widest_gap


def catalogue(name: str) -> Catalogue:
    """The catalogue of one activity: ``locales/<name>/<lang>.json`` in this package."""
    return Catalogue(__package__, folder=f"locales/{name}")


def rating_stats(values: Iterable[Any], min_group: int) -> dict[str, Any]:
    """``{"mean", "count", "dont_know", "too_few"}`` of answers on a scale (``None`` is
    "don't know"). The mean is left out (``None``, ``too_few``) when fewer than
    ``min_group`` people gave a number: a role group's mean of one or two ratings would
    show what those people said."""
    values = list(values)
    numbers = [v for v in values if v is not None]
    too_few = len(numbers) < min_group
    return {"mean": None if too_few else mean(numbers), "count": len(numbers),
            "dont_know": len(values) - len(numbers), "too_few": too_few and bool(numbers)}


def stats_by_role(contributions: Iterable[Mapping[str, Any]], groups: RoleGroups,
                  value: Callable[[Mapping[str, Any]], Any], min_group: int,
                  has: Callable[[Mapping[str, Any]], bool] = lambda c: True) -> dict[str, Any]:
    """Everyone's :func:`rating_stats` (the mean of everyone is shown from one rating on)
    and each shown role group's, for the contributions where ``has`` holds."""
    chosen = [c for c in contributions if has(c)]
    everyone = rating_stats((value(c) for c in chosen), 1)
    return {**everyone, "by_role": {r: rating_stats((value(c) for c in chosen if groups.of(c) == r), min_group)
                                    for r in groups.order}}


def gap_in_role_order(by_role: Mapping[str, Mapping[str, Any]], order: list[str]) -> tuple[str, str, float] | None:
    """:func:`facilitation_kit.widest_gap` (the one rule for the two role groups furthest
    apart) over the groups' means, told in role order: ``(first group, second group,
    size)``, or None with fewer than two means."""
    gap = widest_gap({r: by_role[r]["mean"] for r in order if by_role.get(r, {}).get("mean") is not None})
    if gap is None:
        return None
    high, high_value, low, low_value = gap
    first, second = sorted((high, low), key=order.index)
    return first, second, round(abs(high_value - low_value), 2)


def number(value) -> str:
    """A figure as the tables show it: whole numbers plain, others with one decimal."""
    if value is None:
        return "–"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def mean_cell(stats) -> str:
    """A table cell for a group's mean: the figure, "…" where too few gave a number."""
    if stats["mean"] is not None:
        return number(stats["mean"])
    return "…" if stats.get("too_few") else "–"
