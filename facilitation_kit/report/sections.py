"""The report's content, as sections of blocks: page one, one section per activity, the
appendix. Every format (HTML, Markdown, DOCX) is drawn from these; see docs/report.md.

- **Page one** (``summary``): purpose and context, who took part, the top priorities
  with each role's support, where views differ (the plugins' ``findings``, ranked by
  size), starred quotes (people who use the service first), the actions, how
  participants will hear back, and one line on consent and anonymity.
- **Per activity** (``activity``): the prompt, the facilitator's note, the themes, the
  plugin's results (charts and summary tables).
- **Appendix** (``appendix``): the agenda, the participants per role, and each
  activity's contributions, once each.

The frame's own words come from the report's catalogue (``report/locales``) in the
agenda's language, or in ``lang`` when asked for; dates are written with Babel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping, Sequence

from ..core import i18n
from ..core.activity import ActivityInfo
from ..core.blocks import Block, BulletList, Heading, Paragraph, Quote, ReportPart, Table
from ..core.forms import ChoiceField, Field, Form, MatrixField, VoteField
from ..core.roles import NO_ROLE, role_groups
from ..core.themes import export_text_fields, text_answers, text_field_names, theme_summary
from .results import PluginCallError, _call, contributions_for, session_results

__all__ = ["Section", "report_sections", "FINDING_AT_LEAST", "MAX_FINDINGS", "MAX_QUOTES",
           "T", "service_user_role"]

T = i18n.Catalogue("facilitation_kit.report")

#: A difference between roles reaches page one from this size (a share of the largest
#: difference possible: 0.2 is a fifth of a scale, e.g. 0.8 points on 1-5, 20 points in %).
FINDING_AT_LEAST = 0.2
#: The most differences, quotes, priorities and actions page one shows.
MAX_FINDINGS = 4
MAX_QUOTES = 5
MAX_PRIORITIES = 3
MAX_ACTIONS = 6


@dataclass
class Section:
    """One part of the report: ``kind`` is ``summary``, ``activity`` or ``appendix``
    (``extra`` for a plugin's own section); the first block is its heading."""

    kind: str
    id: str
    blocks: list[Block] = field(default_factory=list)


def service_user_role(roles: Sequence[str]) -> str | None:
    """The role of the people who use the service: "Service user" if the agenda has it,
    else the agenda's first role."""
    if "Service user" in roles:
        return "Service user"
    return roles[0] if roles else None


def _title(export: Mapping[str, Any], lang: str) -> str:
    agenda = export.get("agenda") or {}
    texts = agenda.get("texts") or {}
    if isinstance(texts.get("title"), dict):
        return i18n.text(texts["title"], lang, agenda.get("language") or "en")
    return ((export.get("session") or {}).get("title") or agenda.get("title")
            or T.t(lang, "title.fallback"))


def _agenda_text(export: Mapping[str, Any], key: str, lang: str) -> str:
    agenda = export.get("agenda") or {}
    texts = agenda.get("texts") or {}
    if isinstance(texts.get(key), dict):
        return i18n.text(texts[key], lang, agenda.get("language") or "en")
    return str(agenda.get(key) or "")


def human_date(value: Any, lang: str) -> str:
    """An ISO date or timestamp as a date in words in ``lang`` ("14 March 2025")."""
    text = str(value or "")[:10]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    try:
        from babel.dates import format_date
    except ImportError:  # pragma: no cover - babel is a dependency
        return day.isoformat()
    # English as written in Europe ("14 March 2025"), every other language as its own
    return format_date(day, format="long", locale="en_GB" if (lang or "en") == "en" else lang)


def report_sections(export: Mapping[str, Any], plugins, *, anonymise: bool = True,
                    lang: str | None = None) -> list[Section]:
    """The report's sections, in order."""
    agenda = export.get("agenda") or {}
    session = export.get("session") or {}
    language = session.get("language") or agenda.get("language") or "en"
    lang = i18n.base(lang or language) or "en"
    results = session_results(export, plugins, lang=lang if lang != i18n.base(language) else None)
    ctx = _Context(export, plugins, results, lang, anonymise)
    sections = [ctx.summary()]
    for spec in agenda.get("activities") or []:
        if not spec.get("kind"):  # a break or an input has no results section (only the outline)
            sections.append(ctx.activity(spec))
    sections += ctx.extra_sections()
    sections.append(ctx.appendix())
    return sections


class _Context:
    def __init__(self, export, plugins, results, lang, anonymise):
        self.export, self.plugins, self.results = export, plugins, results
        self.lang, self.anonymise = lang, anonymise
        self.agenda = export.get("agenda") or {}
        self.session = export.get("session") or {}
        self.roles = tuple(self.session.get("roles") or self.agenda.get("roles") or ())
        self.min_group = int(self.agenda.get("min_group") or 3)
        self.participants = export.get("participants") or []
        self.parts: dict[str, dict[str, list[Block]]] = {}  # activity -> section -> blocks
        self.extras = self._extra_blocks()
        for act_id, entry in results.items():
            self.parts[act_id] = _split(entry.get("blocks") or [])
        self.export = self._with_text_fields(export)

    def _with_text_fields(self, export):
        """The export, where a session recorded before its activities named their text
        fields gets them from the plugin's form if it is installed here (else the words
        rule falls back on its guess: core/themes.text_answers)."""
        activities, added = [], False
        for a in export.get("activities") or []:
            spec = next((s for s in self.agenda.get("activities") or [] if s.get("id") == a.get("id")), None)
            if spec is not None and export_text_fields(export, a.get("id")) is None:
                form = self._form(spec, self.results.get(spec["id"]) or {})
                if form is not None:
                    a, added = {**a, "text_fields": text_field_names(form)}, True
            activities.append(a)
        return {**export, "activities": activities} if added else export

    def t(self, key: str, **fmt: Any) -> str:
        return T.t(self.lang, key, **fmt)

    def _method(self) -> str:
        """How the workshop worked: the relational sentence, then one sentence for each
        activity type the agenda really had and the catalogue has words for
        (``method.plugin.<type>``, e.g. the ethical compass), in agenda order."""
        types = dict.fromkeys(spec.get("plugin") for spec in self.agenda.get("activities") or []
                              if not spec.get("kind"))  # a break or an input is no activity
        return " ".join([self.t("method.text")] + [self.t(f"method.plugin.{name}") for name in types
                                                     if name and T.has("en", f"method.plugin.{name}")])

    # -- page one ------------------------------------------------------------------
    def summary(self) -> Section:
        t = self.t
        blocks: list[Block] = [Heading(_title(self.export, self.lang), level=1)]
        facts = []
        when = self.session.get("created_at") or self.export.get("exported_at")
        if when:
            facts.append(t("purpose.date", date=human_date(when, self.lang)))
        service = _agenda_text(self.export, "service", self.lang)
        if service:
            facts.append(t("purpose.service", service=service))
        if facts:
            blocks.append(Paragraph(" · ".join(facts)))
        blocks.append(Heading(t("purpose.heading"), level=3))
        description = _agenda_text(self.export, "description", self.lang)
        blocks.append(Paragraph((description + "\n" if description else "") + self._method()))

        blocks.append(Heading(t("who.heading"), level=3))
        blocks.append(Paragraph(self._who()))

        blocks += self._priorities()

        blocks.append(Heading(t("differ.heading"), level=3))
        findings = self._findings()
        blocks.append(BulletList([f["text"] for f in findings]) if findings else Paragraph(t("differ.none")))

        quotes = self._quotes()
        if quotes:
            blocks.append(Heading(t("quotes.heading"), level=3))
            blocks += quotes

        blocks.append(Heading(t("actions.heading"), level=3))
        actions = self._actions()
        if actions:
            blocks.append(Table([t("actions.what"), t("actions.who"), t("actions.when")],
                                [[a["what"], a.get("who") or "–", a.get("when") or "–"] for a in actions[:MAX_ACTIONS]]))
        else:
            blocks.append(Paragraph(t("actions.none")))

        blocks.append(Heading(t("follow_up.heading"), level=3))
        blocks.append(Paragraph(_agenda_text(self.export, "follow_up", self.lang) or t("follow_up.missing")))

        more = [b for act in self.parts.values() for b in act["summary"]] + self.extras["summary"]
        if more:
            blocks.append(Heading(t("more.summary"), level=3))
            blocks += [_clamp(b, 4) for b in more]
        consent = ("consent.names" if not self.anonymise else
                   "consent.anonymous" if self.min_group > 1 else "consent.anonymous_all")
        blocks.append(Paragraph(t(consent, min=self.min_group)))
        return Section("summary", "summary", blocks)

    def _who(self) -> str:
        everyone = self._everyone()
        groups = role_groups(everyone, [{"participant": p.get("id"), "role": p.get("role")}
                                        for p in self.participants])
        total = len(self.participants)
        text = self.t("who.total", count=total)
        shown = [f"{r}: {groups.sizes[r]}" for r in groups.order]
        if shown and total:
            text += " " + "; ".join(shown) + "."
        user_role = service_user_role(self.roles)
        if user_role and total:
            users = sum(p.get("role") == user_role for p in self.participants)
            if users >= self.min_group:
                text += " " + self.t("who.users", count=users, share=round(100 * users / total))
            elif users:
                text += " " + self.t("who.few_users", min=self.min_group)
        consented = sum(1 for p in self.participants if p.get("consented_at"))
        if consented:
            text += " " + self.t("who.consented", count=consented)
        assisted = sum(1 for p in self.participants if p.get("assisted"))  # paper cards
        if assisted:
            text += " " + self.t("who.assisted", count=assisted)
        return text

    def _everyone(self) -> ActivityInfo:
        return ActivityInfo(id="", plugin="", title="", prompt="", options={}, roles=self.roles,
                            min_group=self.min_group)

    def _atype(self, spec):
        registered = self.plugins.activity_type(spec.get("plugin"))
        return registered.activity_type if registered is not None else None

    def _ready(self):
        """(spec, entry, activity type) of every activity whose results may be shown."""
        for spec in self.agenda.get("activities") or []:
            entry = self.results.get(spec["id"]) or {}
            atype = self._atype(spec)
            if atype is None or "summary" not in entry or not entry.get("visible"):
                continue
            yield spec, entry, atype

    def _priorities(self) -> list[Block]:
        t = self.t
        chosen = None
        for spec, entry, atype in self._ready():
            try:
                ranked = _call(atype.priorities, entry["info"], entry["summary"])
            except PluginCallError:
                continue
            if isinstance(ranked, list) and ranked and all(isinstance(r, dict) and "label" in r for r in ranked):
                chosen = (entry, ranked)
        blocks: list[Block] = [Heading(t("priorities.heading"), level=3)]
        if chosen is None:
            return blocks + [Paragraph(t("priorities.none"))]
        entry, ranked = chosen
        top = ranked[:MAX_PRIORITIES]
        roles = [r for r in entry["summary"].get("roles", []) if any(r in (p.get("by_role") or {}) for p in top)]
        if not roles:
            roles = list(dict.fromkeys(r for p in top for r in (p.get("by_role") or {})))
        unit = str(top[0].get("unit") or "")

        def cell(p, r):
            n = (p.get("by_role") or {}).get(r, 0)
            share = (p.get("share_by_role") or {}).get(r)
            return f"{_num(n)} ({round(100 * share)}%)" if isinstance(share, (int, float)) else _num(n)

        rows = [[f"{p.get('rank', n + 1)}. {p['label']}", f"{_num(p.get('total', 0))} {unit}".strip()]
                + [cell(p, r) for r in roles] for n, p in enumerate(top)]
        blocks.append(Paragraph(t("priorities.from", title=entry["title"])))
        blocks.append(Table([t("priorities.item"), t("priorities.total")] + roles, rows,
                            caption=t("priorities.caption", unit=unit) if roles else ""))
        return blocks

    def _findings(self) -> list[dict[str, Any]]:
        found = []
        for spec, entry, atype in self._ready():
            # checked by report.results (none while the room may not see the results)
            for f in entry.get("findings") or []:
                if (isinstance(f, dict) and isinstance(f.get("text"), str) and f["text"].strip()
                        and isinstance(f.get("size"), (int, float)) and not isinstance(f.get("size"), bool)
                        and f["size"] >= FINDING_AT_LEAST):
                    found.append({**f, "activity": spec["id"]})
        # each activity's largest difference first (so one activity does not fill the
        # list), then the others; by size within each round, agenda order among equals
        found.sort(key=lambda f: -float(f["size"]))
        seen: dict[str, int] = {}
        for f in found:
            f["round"] = seen.get(f["activity"], 0)
            seen[f["activity"]] = f["round"] + 1
        found.sort(key=lambda f: f["round"])
        return found[:MAX_FINDINGS]

    def _quotes(self) -> list[Block]:
        user_role = service_user_role(self.roles)
        starred = []
        for spec in self.agenda.get("activities") or []:
            entry = self.results.get(spec["id"]) or {}
            if "info" not in entry or not entry.get("visible"):
                continue
            fields = export_text_fields(self.export, spec["id"])
            groups = role_groups(entry["info"], entry.get("contributions") or [])
            marked = {(c.get("participant"), c.get("id")) for c in self.export.get("contributions") or []
                      if c.get("activity") == spec["id"] and c.get("starred") and not c.get("hidden")}
            for c in entry.get("contributions") or []:
                if (c.get("participant"), c.get("id")) not in marked:
                    continue
                if self._withheld(spec, entry, c, fields):
                    continue  # its plugin withholds its words (a story not to be quoted): never a quote
                words = text_answers(c.get("data"), fields)
                if words:
                    starred.append((" — ".join(words), groups.of(c), c))
        order = {r: i for i, r in enumerate(self.roles)}

        def rank(q):
            role = q[1]
            return (0 if role == user_role else 1, order.get(role, len(order)), str(q[2].get("created_at") or ""))

        starred.sort(key=rank)
        return [Quote(text, role) for text, role, _ in starred[:MAX_QUOTES]]

    def _actions(self) -> list[dict[str, str]]:
        out = []
        for spec, entry, atype in self._ready():
            try:
                values = _call(atype.actions, entry["info"], entry["summary"])
            except PluginCallError:
                values = None
            if not isinstance(values, list):
                values = None
            for a in values or []:
                if isinstance(a, dict) and str(a.get("what") or "").strip():
                    out.append({k: str(a.get(k) or "").strip() for k in ("what", "who", "when")})
        return out

    # -- one activity ----------------------------------------------------------------
    def activity(self, spec) -> Section:
        t = self.t
        act_id = spec["id"]
        entry = self.results[act_id]
        blocks: list[Block] = [Heading(entry["title"], level=2)]
        info = entry.get("info")
        if info is not None and info.prompt:
            blocks.append(Paragraph(info.prompt))
        note = next((n for n in self.export.get("notes") or [] if n.get("activity") == act_id), None)
        if note and str(note.get("text") or "").strip():
            blocks.append(Heading(t("activity.note"), level=3))
            blocks.append(Paragraph(str(note["text"])))
        # the confirmed themes (docs/themes.md): count by role after the min_group rule, and
        # the most representative quote; themes not yet confirmed stay the facilitator's
        fields = export_text_fields(self.export, act_id)
        withheld = {(c.get("participant"), c.get("id")) for c in entry.get("contributions") or []
                    if self._withheld(spec, entry, c, fields)}
        themes = theme_summary(self.export, act_id, tuple(self.roles), self.min_group, withheld=withheld)
        if themes and entry.get("visible", True):
            blocks.append(Heading(t("activity.themes"), level=3))
            blocks.append(Table([t("activity.col_theme"), t("activity.col_theme_count"),
                                 t("activity.col_theme_roles"), t("activity.col_theme_quote")],
                                [[th["label"], th["count"],
                                  ", ".join(f"{r}: {n}" for r, n in th["by_role"].items()) or "–", th["quote"] or "–"]
                                 for th in themes]))
        if "error" in entry:
            blocks.append(Paragraph(t("activity.error", error=entry["error"])))
        elif not entry["visible"]:
            blocks.append(Paragraph(t("activity.hidden")))
        else:
            blocks += [_clamp(b, 3) for b in self.parts[act_id]["activity"]]
        if entry.get("skipped"):
            blocks.append(Paragraph(t("activity.skipped", count=entry["skipped"])))
        return Section("activity", act_id, blocks)

    # -- extra sections ----------------------------------------------------------------
    def _extra_blocks(self) -> dict[str, list[Block]]:
        """What ``extra_report_sections`` hooks return, each implementation contained,
        split by the ReportPart they chose."""
        out: dict[str, list[Block]] = {"summary": [], "activity": [], "appendix": []}
        # hooks never see results the room may not see yet (a silent vote still open)
        summaries = {k: v.get("summary") for k, v in self.results.items()
                     if "summary" in v and v.get("visible")}
        hook = self.plugins.pm.hook.extra_report_sections
        for impl in reversed(hook.get_hookimpls()):
            kwargs = {k: v for k, v in (("workshop", None), ("results", summaries)) if k in impl.argnames}
            try:
                value = _call(lambda: impl.function(**kwargs))
                if value is None:
                    continue
                if not isinstance(value, (list, tuple)) or not all(isinstance(b, Block) for b in value):
                    raise PluginCallError("extra_report_sections must return a list of report blocks")
            except PluginCallError as exc:
                out["activity"].append(Paragraph(self.t("plugin.failed", plugin=impl.plugin_name, error=exc)))
                continue
            for where, blocks in _split(value).items():
                out[where] += blocks
        return out

    def extra_sections(self) -> list[Section]:
        if not self.extras["activity"]:
            return []
        return [Section("extra", "more", [Heading(self.t("more.heading"), level=2)]
                        + [_clamp(b, 3) for b in self.extras["activity"]])]

    # -- the appendix ------------------------------------------------------------------
    def appendix(self) -> Section:
        t = self.t
        blocks: list[Block] = [Heading(t("appendix.heading"), level=2), Paragraph(t("appendix.intro"))]
        blocks.append(Heading(t("appendix.agenda"), level=3))
        blocks.append(Table(["#", t("appendix.col_activity"), t("appendix.col_type"), t("appendix.col_timebox"),
                             t("appendix.col_state"), t("appendix.col_contributions")], [
            [n, self.results[spec["id"]]["title"],
             i18n.KIT.t(self.lang, "step." + spec["kind"]) if spec.get("kind") else self._type_title(spec.get("plugin")),
             self._minutes(spec.get("timebox")), self._state(self.results[spec["id"]]["state"]),
             "–" if spec.get("kind") else len(contributions_for(self.export, spec["id"]))]
            for n, spec in enumerate(self.agenda.get("activities") or [], start=1)]))
        blocks.append(Heading(t("appendix.participants"), level=3))
        groups = role_groups(self._everyone(), [{"participant": p.get("id"), "role": p.get("role")}
                                                for p in self.participants])
        blocks.append(Paragraph(t("who.total", count=len(self.participants))))
        blocks.append(Table([t("appendix.col_role"), t("appendix.col_participants")],
                            [[r, groups.sizes[r]] for r in groups.order]))
        names = {p.get("id"): p.get("name") for p in self.participants}
        for spec in self.agenda.get("activities") or []:
            blocks += self._raw(spec, names)
        blocks += [_clamp(b, 3) for b in self.extras["appendix"]]
        return Section("appendix", "appendix", blocks)

    def _raw(self, spec, names) -> list[Block]:
        entry = self.results[spec["id"]]
        if spec.get("kind"):
            return []  # a break or an input collects nothing
        if "error" not in entry and not entry["visible"]:
            return []  # a secret vote stays secret while open
        own = self.parts.get(spec["id"], {}).get("appendix") or []
        heading = Heading(self.t("appendix.activity", title=entry["title"]), level=3)
        if own and self.anonymise:
            return [heading] + [_clamp(b, 4) for b in own]
        contributions = entry.get("given") or contributions_for(self.export, spec["id"])
        if not contributions:
            return []
        form = self._form(spec, entry)
        fields = list(form.fields) if isinstance(form, Form) else []
        t = self.t
        columns = [t("appendix.col_role")] + ([] if self.anonymise else [t("appendix.col_name")])
        # without the plugin's form (not installed here, or failing): one column per stored field
        keys = [] if fields else sorted({str(k) for c in contributions if isinstance(c.get("data"), dict)
                                         for k in c["data"]})
        columns += [f.label for f in fields] if fields else keys or [t("appendix.col_contribution")]
        groups = role_groups(entry["info"], contributions) if "info" in entry else None
        rows = []
        for c in contributions:
            role = (groups.of(c) if groups is not None else c.get("role") or NO_ROLE) or "–"
            row = [role] + ([] if self.anonymise else [names.get(c.get("participant")) or t("appendix.no_name")])
            data = self._public(spec, entry, c)
            if fields:
                row += [_value(f, data.get(f.name)) for f in fields]
            elif keys:
                row += [_plain(data.get(k)) for k in keys]
            else:
                row.append(json.dumps(c.get("data"), ensure_ascii=False, sort_keys=True))
            rows.append(row)
        return [heading, Table(columns, rows)]

    def _public(self, spec, entry, contribution) -> dict[str, Any]:
        """What the plugin lets the report show of a contribution (``public_data``: e.g. a
        story its author did not allow to be quoted is not printed word for word)."""
        atype = self._atype(spec)
        data = contribution.get("data")
        if atype is not None and "info" in entry:
            try:
                data = _call(atype.public_data, entry["info"], contribution)
            except PluginCallError:
                data = {}
        return data if isinstance(data, dict) else {}

    def _withheld(self, spec, entry, contribution, fields: Sequence[str] | None) -> bool:
        """Whether the plugin withholds any of a contribution's words (``public_data``
        changes the answer of a text field, ``fields``; every text answer where the
        session did not record them): then it is never quoted."""
        data = contribution.get("data") if isinstance(contribution.get("data"), dict) else {}
        public = self._public(spec, entry, contribution)
        names = fields if fields is not None else [k for k, v in data.items() if isinstance(v, str)]
        return any(public.get(name) != data.get(name) for name in names)

    def _form(self, spec, entry) -> Form | None:
        atype = self._atype(spec)
        if atype is None or "info" not in entry:
            return None
        try:
            form = _call(atype.form, entry["info"])
        except PluginCallError:
            return None
        return form if isinstance(form, Form) else None

    def _type_title(self, name: str | None) -> str:
        registered = self.plugins.activity_type(name) if name else None
        if registered is None:
            return str(name)
        atype = registered.activity_type
        catalogue = getattr(atype, "catalogue", None)
        key = f"{atype.name}.default_title"
        if catalogue is not None and catalogue.has(self.lang, key):
            return catalogue.t(self.lang, key)
        return atype.title or str(name)

    def _minutes(self, seconds: Any) -> str:
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            return "–"
        m, s = divmod(seconds, 60)
        if not m:
            return self.t("appendix.seconds", s=s)
        return self.t("appendix.minutes", m=m) + (" " + self.t("appendix.seconds", s=s) if s else "")

    def _state(self, state: str) -> str:
        return self.t("state." + state) if state in ("pending", "open", "closed") else str(state)


def _split(blocks: Sequence[Block]) -> dict[str, list[Block]]:
    """A plugin's blocks by the part of the report they go to (not in a part: activity)."""
    out: dict[str, list[Block]] = {"summary": [], "activity": [], "appendix": []}
    for b in blocks:
        if isinstance(b, ReportPart):
            out[b.section] += list(b.blocks)
        else:
            out["activity"].append(b)
    return out


def _clamp(block: Block, lowest: int) -> Block:
    """Plugin headings sit under the section's heading (levels ``lowest`` to 6)."""
    if isinstance(block, Heading):
        return Heading(block.text, level=min(max(int(block.level), lowest), 6))
    return block


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _value(f: Field, value: Any) -> str:
    """A submitted value as words, using the form's labels."""
    if value is None:
        return ""
    if isinstance(f, ChoiceField):
        labels = dict(f.options)
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    if isinstance(f, VoteField) and isinstance(value, dict):
        labels = dict(f.items)
        return "; ".join(f"{labels.get(k, k)}: {v}" for k, v in value.items() if v)
    if isinstance(f, MatrixField) and isinstance(value, dict):
        rows, cols = dict(f.rows), dict(f.columns)
        return "; ".join(f"{rows.get(k, k)}: {cols.get(v, v)}" for k, v in value.items())
    return str(value)




def _plain(value: Any) -> str:
    """A stored value shown without its form: text as is, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
