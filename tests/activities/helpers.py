"""Small helpers: agendas from TOML snippets, ActivityInfo as the host builds it, and
contributions from simulated participants."""

from __future__ import annotations

from facilitation_kit.core.activity import ActivityInfo, Item
from facilitation_kit.core.agenda import parse_agenda
from facilitation_kit.report.results import activity_info

HEADER = 'title = "Test workshop"\n'


def agenda(plugins, *activities: str, roles: list[str] | None = None):
    """Parse an agenda made of ``[[activity]]`` snippets."""
    text = HEADER
    if roles is not None:
        text += "roles = [" + ", ".join(f'"{r}"' for r in roles) + "]\n"
    text += "".join("\n[[activity]]\n" + a.strip() + "\n" for a in activities)
    return parse_agenda(text, plugins, path="test.toml")


def info(plugins, snippet: str, *, items: tuple[Item, ...] = (), state: str = "closed",
         roles: list[str] | None = None, before: tuple[str, ...] = (), min_group: int = 1,
         language: str = "en") -> ActivityInfo:
    """The ActivityInfo of the last activity of an agenda, options checked and filled in.
    ``min_group`` is 1 here (every role group shown) unless a test checks the rule."""
    parsed = agenda(plugins, *before, snippet, roles=roles)
    return activity_info(parsed.activities[-1].to_json(), roles=parsed.roles, items=items, state=state,
                         min_group=min_group, language=language)


class Room:
    """Simulated participants; ``say`` makes the contribution dict plugins receive,
    after the activity's form has checked and cleaned the data (as the host does)."""

    def __init__(self, atype, activity: ActivityInfo):
        self.atype, self.activity, self.contributions, self._n = atype, activity, [], 0

    def say(self, participant: str, role: str | None, data: dict, cid: str | None = None) -> dict:
        cleaned = self.atype.form(self.activity).validate(data)
        replaced = self.atype.validate(self.activity, cleaned)
        self._n += 1
        c = {"id": cid or f"c{self._n}", "participant": participant, "activity": self.activity.id,
             "data": replaced if replaced is not None else cleaned,
             "created_at": f"2025-03-14T10:{self._n:02d}:00+00:00", "role": role}
        self.contributions.append(c)
        return c

    def summary(self) -> dict:
        return self.atype.summarise(self.activity, self.contributions)

    def report(self):
        return self.atype.report(self.activity, self.summary(), self.contributions)
