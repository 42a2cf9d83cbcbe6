"""Workshop agenda files (TOML): loading and validation.

An agenda names the workshop, the roles participants can pick, and the ordered
activities, each with its plugin and that plugin's options. Validation checks every
activity against what its plugin declares and reports the first problem as an
:class:`AgendaError` that names the file, the line (when it can be found), the
activity and the field. The format is documented in ``docs/agenda.md``.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from . import i18n
from .activity import RESERVED_OPTION_NAMES, ActivityType, OptionError, resolve_options
from .caller import PluginCaller, PluginFailure
from .plugins import PluginHost

__all__ = ["Agenda", "AgendaActivity", "AgendaError", "load_agenda", "parse_agenda",
           "DEFAULT_ROLES", "STEP_KINDS", "parse_duration", "recorded_agenda_json"]

DEFAULT_ROLES = ("Service user", "Family or peer", "Front-line professional", "Manager", "Other")

SESSION_KEYS = {"title", "description", "language", "roles", "anonymous", "participant_cap",
                "min_group", "activity", "screen_roles", "consent", "service", "follow_up"}
#: Session texts of the report's first page (each text, or a table by language).
REPORT_TEXT_KEYS = ("service", "follow_up")
COMMON_KEYS = set(RESERVED_OPTION_NAMES)
#: Seconds a plugin's ``check_options`` may take while an agenda is checked.
CHECK_TIMEOUT = 10.0
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
#: Facilitator-only steps: an ``[[activity]]`` with ``kind`` and no ``plugin``. They show
#: the whole session in the agenda, collect no contributions and run no plugin code
#: (docs/agenda.md "Steps that collect no answers").
STEP_KINDS = ("break", "input")
#: The keys a step takes (``until`` only on a break).
STEP_KEYS = {"id", "kind", "title", "prompt", "notes", "timebox", "auto_open", "until"}
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class AgendaError(ValueError):
    """A problem in an agenda file, with where it is."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 activity: str | None = None, field: str | None = None):
        self.file, self.line, self.activity, self.field = file, line, activity, field
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.file or "<agenda>"
        if self.line:
            where += f":{self.line}"
        parts = [where]
        if self.activity:
            parts.append(f"activity {self.activity!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + ": " + self.reason


@dataclass(frozen=True)
class AgendaActivity:
    id: str
    plugin: str
    title: str
    prompt: str
    options: Mapping[str, Any]
    timebox: int | None = None
    auto_open: bool = False
    close_at_end: bool = False
    #: Start with approve-before-showing on (the facilitator can turn it off).
    moderated: bool = False
    notes: str = ""
    source: str | None = None
    #: With ``from``: the items are the source's confirmed themes (docs/themes.md), not
    #: what its plugin ranks.
    from_themes: bool = False
    max_contributions: int | None = None  # per participant; None: the plugin's or the host's
    #: With ``from``: take only the first ``top`` of the source's ranked items.
    top: int | None = None
    #: With ``from``: take only items of these kinds (e.g. value cards that are "missed").
    from_kinds: tuple[str, ...] = ()
    #: ``title``, ``prompt`` and ``notes`` as given when given as a table by language.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    #: ``"activity"`` (a plugin's), or a facilitator-only step of :data:`STEP_KINDS`
    #: (``plugin`` is then ``""``).
    kind: str = "activity"
    #: A break's end as the room's clock says it, ``"HH:MM"`` (agenda key ``until``).
    until: str | None = None

    @property
    def collects(self) -> bool:
        """Whether participants send contributions here (False for a break or an input)."""
        return self.kind == "activity"

    def text(self, key: str, lang: str | None, fallback: str = "en") -> str:
        """``title``, ``prompt`` or ``notes`` in ``lang`` (see :func:`i18n.text`)."""
        return i18n.text(self.texts.get(key, getattr(self, key)), lang, fallback)

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "plugin": self.plugin, "title": self.title, "prompt": self.prompt,
               "timebox": self.timebox, "auto_open": self.auto_open,
               "close_at_end": self.close_at_end, "notes": self.notes, "from": self.source}
        if not self.collects:
            out["kind"] = self.kind
            if self.until:
                out["until"] = self.until
        if self.moderated:
            out["moderated"] = True
        if self.top is not None:
            out["top"] = self.top
        if self.from_kinds:
            out["from_kinds"] = list(self.from_kinds)
        if self.from_themes:
            out["from_themes"] = True
        out["options"] = dict(self.options)
        if self.texts:
            out["texts"] = {k: dict(v) for k, v in self.texts.items()}
        return out


@dataclass(frozen=True)
class Agenda:
    title: str
    activities: tuple[AgendaActivity, ...]
    roles: tuple[str, ...] = DEFAULT_ROLES
    language: str = "en"
    anonymous: bool = True
    participant_cap: int = 1000
    description: str = ""
    #: The room's screen shows roles only when this is on, and then only for roles that
    #: at least ``min_group`` participants contributed from (docs/screen.md).
    screen_roles: bool = False
    path: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    min_group: int = 3
    #: Each role's label by language (from a table in ``roles``, or the kit's plain
    #: words for the default role names); the role itself is its name in ``language``.
    role_texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    #: ``title`` and ``description`` as given when given as a table by language.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    #: The ``[consent]`` table: ``{"text": {lang: text} (empty: the kit's default),
    #: "required": bool}``, or None (no consent asked at join).
    consent: Mapping[str, Any] | None = None

    def consent_text(self, lang: str | None) -> str:
        """The consent text for a phone in ``lang``: the agenda's, else the kit's default."""
        if self.consent is None:
            return ""
        own = self.consent.get("text") or {}
        if own:
            return i18n.text(own, lang, self.language)
        return i18n.KIT.t(lang or self.language, "consent.default", min_group=self.min_group)
    #: The service the workshop is about (the report's first page).
    service: str = ""
    #: When and how participants will hear back (the report's first page).
    follow_up: str = ""

    def role_label(self, role: str, lang: str | None) -> str:
        """How a phone in ``lang`` shows a role."""
        table = self.role_texts.get(role)
        return i18n.text(table, lang, self.language) if table else role

    def role_labels(self, lang: str | None) -> list[str]:
        return [self.role_label(r, lang) for r in self.roles]

    def role_named(self, value: str) -> str | None:
        """The role a phone means by ``value``: a role's name or any of its labels."""
        if value in self.roles:
            return value
        for role, table in self.role_texts.items():
            if value in table.values():
                return role
        return None

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {a.id: i for i, a in enumerate(self.activities)}  # ids are unique (checked)

    def activity(self, activity_id: str) -> AgendaActivity | None:
        i = self._positions.get(activity_id)
        return None if i is None else self.activities[i]

    def index(self, activity_id: str) -> int:
        return self._positions[activity_id]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description, "language": self.language,
                "service": self.service, "follow_up": self.follow_up,
                "roles": list(self.roles), "anonymous": self.anonymous,
                "participant_cap": self.participant_cap, "min_group": self.min_group,
                "consent": None if self.consent is None else {"text": dict(self.consent.get("text") or {}),
                                                              "required": self.consent["required"]},
                "path": self.path,
                "activities": [a.to_json() for a in self.activities],
                # for a report in another language (docs/report.md)
                "texts": {k: dict(v) for k, v in self.texts.items()},
                "role_texts": {k: dict(v) for k, v in self.role_texts.items()}}


def parse_duration(value: Any) -> int:
    """``300``, ``"5m"``, ``"90s"``, ``"1m30s"`` or ``"1h"`` to seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be more than 0 seconds")
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*", value)
        if m and any(m.groups()):
            h, mi, s = (int(g or 0) for g in m.groups())
            total = h * 3600 + mi * 60 + s
            if total > 0:
                return total
    raise ValueError('must be seconds (e.g. 300) or a duration like "5m", "90s", "1m30s"')


def load_agenda(path: str | Path, plugins: PluginHost) -> Agenda:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgendaError("no such agenda file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgendaError(f"cannot read it: {exc}", file=str(path)) from None
    return parse_agenda(text, plugins, path=str(path))


def parse_agenda(text: str, plugins: PluginHost, *, path: str | None = None) -> Agenda:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise AgendaError(f"not valid TOML: {reason}", file=path,
                          line=int(m.group(1)) if m else None) from None
    return agenda_from_dict(data, plugins, path=path, text=text)


def agenda_from_dict(data: Mapping[str, Any], plugins: PluginHost, *, path: str | None = None,
                     text: str | None = None) -> Agenda:
    lines = _LineFinder(text)

    def fail(message, *, activity=None, index=None, field=None):
        line = lines.find(index, field) if field else lines.find(index, "id") if index is not None else None
        if field and line is None and index is not None:
            line = lines.block_start(index)
        raise AgendaError(message, file=path, line=line, activity=activity, field=field)

    for key in data:
        if key not in SESSION_KEYS:
            fail(f"unknown setting; allowed: {', '.join(sorted(SESSION_KEYS))}", field=key)
    language = data.get("language", "en")
    if not isinstance(language, str) or not _LANG.match(language):
        fail('must be a language code such as "en" or "fi"', field="language")
    session_texts = {k: dict(data[k]) for k in ("title", "description", *REPORT_TEXT_KEYS)
                     if isinstance(data.get(k), dict) and i18n.is_text(data[k])}
    title = i18n.text(data.get("title"), language, language) if i18n.is_text(data.get("title")) else None
    if not isinstance(title, str) or not title.strip():
        fail("the workshop needs a title (text, or a table of texts by language)", field="title")
    raw_roles = data.get("roles", list(DEFAULT_ROLES))
    if (not isinstance(raw_roles, list) or not raw_roles or not all(i18n.is_text(r) for r in raw_roles)
            or not all(i18n.text(r, language, language).strip() and len(i18n.text(r, language, language)) <= 60
                       for r in raw_roles)):
        fail("must be a list of role names (text, or a table of texts by language; at most 60 "
             "characters each)", field="roles")
    roles = [i18n.text(r, language, language) for r in raw_roles]
    if len(set(roles)) != len(roles):
        fail("a role is listed twice", field="roles")
    role_texts: dict[str, dict[str, str]] = {}
    for raw, role in zip(raw_roles, roles):
        if isinstance(raw, dict):
            role_texts[role] = dict(raw)
        elif role in DEFAULT_ROLES:
            role_texts[role] = {code: i18n.KIT.t(code, "role." + role) for code in i18n.LANGUAGES}
    min_group = data.get("min_group", 3)
    if isinstance(min_group, bool) or not isinstance(min_group, int) or not 1 <= min_group <= 50:
        fail("must be a whole number from 1 to 50 (1 shows every role group, however small)",
             field="min_group")
    def session_fail(message, field):
        fail(message, field=field)
    anonymous = _flag(data, "anonymous", True, session_fail)
    cap = data.get("participant_cap", 1000)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 100_000:
        fail("must be a whole number from 1 to 100000", field="participant_cap")
    description = data.get("description", "")
    if not i18n.is_text(description) and description != "":
        fail("must be text", field="description")
    screen_roles = _flag(data, "screen_roles", False, session_fail)
    description = i18n.text(description, language, language)
    consent = None
    if "consent" in data:
        raw_consent = data["consent"]
        if not isinstance(raw_consent, dict):
            fail('must be a table: [consent] with text = "..." (optional) and required = true or false',
                 field="consent")
        unknown = sorted(set(raw_consent) - {"text", "required"})
        if unknown:
            fail(f"unknown setting {unknown[0]!r}; allowed: required, text", field="consent")
        consent_text = raw_consent.get("text", "")
        if not i18n.is_text(consent_text) and consent_text != "":
            fail("text must be text, or a table of texts by language", field="consent")
        required = raw_consent.get("required", True)
        if not isinstance(required, bool):
            fail("required must be true or false", field="consent")
        consent = {"text": i18n.texts(consent_text) if consent_text else {}, "required": required}
        if consent["text"] == {"": consent_text}:
            consent["text"] = {language: consent_text}
    report_texts = {}
    for key in REPORT_TEXT_KEYS:
        value = data.get(key, "")
        if value != "" and not i18n.is_text(value):
            fail("must be text, or a table of texts by language", field=key)
        report_texts[key] = i18n.text(value, language, language).strip() if value != "" else ""
        if len(report_texts[key]) > 1000:
            fail("must be at most 1000 characters", field=key)
    raw_activities = data.get("activity")
    if not isinstance(raw_activities, list) or not raw_activities:
        fail("the agenda needs at least one [[activity]]", field="activity")

    activities: list[AgendaActivity] = []
    seen: set[str] = set()
    steps: set[str] = set()  # ids of the steps that collect no answers
    caller = PluginCaller(timeout=CHECK_TIMEOUT)
    for index, raw in enumerate(raw_activities):
        if not isinstance(raw, dict):
            fail("each activity must be a table ([[activity]])", index=index, field="activity")
        act_id = raw.get("id")
        label = act_id if isinstance(act_id, str) else f"#{index + 1}"
        if not isinstance(act_id, str) or not _ID.match(act_id):
            fail("needs an id: letters, digits, - and _ (at most 64)", activity=label, index=index,
                 field="id")
        if act_id in seen:
            fail("this id is used by an earlier activity", activity=label, index=index, field="id")
        seen.add(act_id)
        if "plugin" not in raw and "kind" in raw:
            activities.append(_step(raw, act_id, language, lambda message, field: fail(
                message, activity=label, index=index, field=field)))
            steps.add(act_id)
            continue
        plugin_name = raw.get("plugin")
        if not isinstance(plugin_name, str):
            fail("names no plugin (e.g. plugin = \"open_question\"); a step that collects no answers "
                 "has kind = \"break\" or kind = \"input\" instead", activity=label, index=index,
                 field="plugin")
        registered = plugins.activity_type(plugin_name)
        if registered is None:
            known = ", ".join(sorted(plugins.activity_types)) or "none"
            broken = [str(p) for p in plugins.problems_of(plugin_name) if p.level == "error"]
            extra = f" ({broken[0]})" if broken else ""
            fail(f"no activity plugin {plugin_name!r} is installed{extra}; installed: {known} "
                 f"(facilitation-kit plugins --why {plugin_name} says where it looked)",
                 activity=label, index=index, field="plugin")
        atype: ActivityType = registered.activity_type
        declared = {o.name: o for o in atype.options}
        options: dict[str, Any] = {}
        for key, value in raw.items():
            if key in COMMON_KEYS:
                continue
            option = declared.get(key)
            if option is None and key == "kind" and value in STEP_KINDS:
                fail(f"a {value} step has no plugin: remove plugin = {plugin_name!r} (or the kind)",
                     activity=label, index=index, field="plugin")
            if option is None:
                allowed = sorted(COMMON_KEYS | set(declared))
                fail(f"{plugin_name} has no option {key!r}; allowed: {', '.join(allowed)}",
                     activity=label, index=index, field=key)
            try:
                options[key] = option.check(value)
            except OptionError as exc:
                fail(f"{plugin_name}: {exc}", activity=label, index=index, field=key)
        for name, option in declared.items():
            if name not in options and option.required:
                fail(f"{plugin_name} needs the option {name!r}" + (f" ({option.help})" if option.help else ""),
                     activity=label, index=index, field=name)
        try:
            options = resolve_options(atype.options, options)
        except OptionError as exc:
            fail(f"{plugin_name}: option {exc.option!r}: {exc} (a bug in the plugin's option "
                 "default, not in the agenda)", activity=label, index=index, field="plugin")
        common = {}
        texts = {}
        for key in ("title", "prompt", "notes"):
            value = raw.get(key, "")
            if not i18n.is_text(value) and value != "":
                fail("must be text, or a table of texts by language (e.g. { en = \"...\", fi = \"...\" })",
                     activity=label, index=index, field=key)
            if isinstance(value, dict):
                texts[key] = {k: v.strip() for k, v in value.items()}
            common[key] = i18n.text(value, language, language)
        def activity_fail(message, field, label=label, index=index):
            fail(message, activity=label, index=index, field=field)
        for key in ("auto_open", "close_at_end", "moderated"):
            common[key] = _flag(raw, key, False, activity_fail)
        timebox = None
        if "timebox" in raw:
            try:
                timebox = parse_duration(raw["timebox"])
            except ValueError as exc:
                fail(str(exc), activity=label, index=index, field="timebox")
        max_contributions = raw.get("max_contributions")
        if max_contributions is not None and (not isinstance(max_contributions, int) or isinstance(
                max_contributions, bool) or not 1 <= max_contributions <= 100_000):
            fail("must be a whole number from 1 to 100000", activity=label, index=index,
                 field="max_contributions")
        source = raw.get("from")
        if source is not None:
            if not atype.accepts_items:
                fail(f"{plugin_name} does not take items from another activity", activity=label,
                     index=index, field="from")
            if not isinstance(source, str) or source not in seen - {act_id}:
                fail("must name an earlier activity's id" + (f" ({source!r} is not one)" if isinstance(source, str) else ""),
                     activity=label, index=index, field="from")
            if source in steps:
                fail(f"{source!r} is a step that collects no answers: it has no items to take",
                     activity=label, index=index, field="from")
        top = raw.get("top")
        from_kinds: tuple[str, ...] = ()
        if top is not None:
            if source is None:
                fail('needs "from" (the activity whose top items to take)', activity=label, index=index,
                     field="top")
            if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 100:
                fail("must be a whole number from 1 to 100 (how many of the source's top items to take)",
                     activity=label, index=index, field="top")
        if "from_kinds" in raw:
            kinds = raw["from_kinds"]
            if source is None:
                fail('needs "from" (the activity whose items to filter)', activity=label, index=index,
                     field="from_kinds")
            offered = next((a.options.get("kinds") for a in activities if a.id == source), None)
            if not isinstance(offered, (list, tuple)):
                fail(f"{source!r} offers no kinds to filter by (from_kinds works with a value_mapping)",
                     activity=label, index=index, field="from_kinds")
            if (not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds)
                    or len(set(kinds)) != len(kinds)):
                fail("must be a list of kinds, e.g. [\"missed\", \"destroyed\"]", activity=label,
                     index=index, field="from_kinds")
            unknown = [k for k in kinds if k not in offered]
            if unknown:
                fail(f"{unknown[0]!r} is not one of {source!r}'s kinds ({', '.join(offered)})",
                     activity=label, index=index, field="from_kinds")
            from_kinds = tuple(kinds)
        from_themes = _flag(raw, "from_themes", False, activity_fail)
        if from_themes and source is None:
            fail('takes the themes of the activity named in "from": add from = "<its id>"',
                 activity=label, index=index, field="from_themes")
        if from_themes and (top is not None or from_kinds):
            fail("takes every confirmed theme: top and from_kinds apply to the source's own items, "
                 "not to its themes; remove them or from_themes", activity=label, index=index,
                 field="top" if top is not None else "from_kinds")
        # `source` is an opt-in argument: passed only to implementations that accept it.
        extra_kw = {"source": source} if "source" in inspect.signature(atype.check_options).parameters else {}
        try:
            caller.call_sync(atype.name, f"{plugin_name}.check_options", atype.check_options,
                             options, roles, **extra_kw)
        except OptionError as exc:
            fail(f"{plugin_name}: {exc}", activity=label, index=index, field=exc.option)
        except PluginFailure as exc:  # a plugin's own check failed or hung: say so, don't crash
            error = exc.__cause__
            why = f"{type(error).__name__}: {error}" if error is not None else str(exc)
            fail(f"{plugin_name} could not check its options: {why}",
                 activity=label, index=index, field="plugin")
        catalogue = getattr(atype, "catalogue", None)
        for key in ("title", "prompt"):  # the plugin's own title and default prompt, translated
            names = [f"{plugin_name}.default_{key}", f"default_{key}"]
            name = next((n for n in names if catalogue is not None and catalogue.has("en", n)), None)
            if not common[key].strip() and name is not None:
                texts[key] = {code: catalogue.t(code, name) for code in catalogue.languages()}
                common[key] = i18n.text(texts[key], language, language)
        activities.append(AgendaActivity(
            id=act_id, plugin=plugin_name,
            title=common["title"].strip() or atype.title or plugin_name,
            prompt=common["prompt"].strip() or atype.default_prompt,
            options=options, timebox=timebox, auto_open=common["auto_open"], moderated=common["moderated"],
            close_at_end=common["close_at_end"], notes=common["notes"].strip(), source=source,
            from_themes=from_themes,
            max_contributions=max_contributions, texts=texts, top=top, from_kinds=from_kinds))

    return Agenda(title=title.strip(), activities=tuple(activities), roles=tuple(roles),
                  language=language, anonymous=anonymous, participant_cap=cap,
                  description=description.strip(), path=path, source=dict(data),
                  screen_roles=screen_roles, min_group=min_group, role_texts=role_texts,
                  texts=session_texts, consent=consent, **report_texts)


def _flag(table: Mapping[str, Any], key: str, default: bool, fail) -> bool:
    """A true-or-false setting of the agenda; ``fail(message, field)`` names its line."""
    value = table.get(key, default)
    if not isinstance(value, bool):
        fail("must be true or false", key)
    return value


def _step(raw: Mapping[str, Any], act_id: str, language: str, fail) -> AgendaActivity:
    """A facilitator-only step (``kind = "break"`` or ``"input"``, no plugin); ``fail(message,
    field)`` raises the AgendaError that names the file and line."""
    kind = raw["kind"]
    if kind not in STEP_KINDS:
        fail(f"must be one of {', '.join(STEP_KINDS)} (a step that collects no answers), or give a "
             "plugin instead (e.g. plugin = \"open_question\")", "kind")
    allowed = STEP_KEYS - ({"until"} if kind != "break" else set())
    for key in raw:
        if key not in allowed:
            fail(f"a {kind} step collects no answers and takes no {key!r}; allowed: "
                 f"{', '.join(sorted(allowed))}", key)
    texts: dict[str, dict[str, str]] = {}
    common: dict[str, str] = {}
    for key in ("title", "prompt", "notes"):
        value = raw.get(key, "")
        if not i18n.is_text(value) and value != "":
            fail("must be text, or a table of texts by language (e.g. { en = \"...\", fi = \"...\" })", key)
        if isinstance(value, dict):
            texts[key] = {k: v.strip() for k, v in value.items()}
        common[key] = i18n.text(value, language, language).strip()
    if not common["title"]:  # the kit's own word for the step, in every language
        texts["title"] = {code: i18n.KIT.t(code, f"step.{kind}") for code in i18n.LANGUAGES}
        common["title"] = i18n.text(texts["title"], language, language)
    auto_open = _flag(raw, "auto_open", False, fail)
    timebox = None
    if "timebox" in raw:
        try:
            timebox = parse_duration(raw["timebox"])
        except ValueError as exc:
            fail(str(exc), "timebox")
    until = raw.get("until")
    if until is not None:
        m = _CLOCK.match(until) if isinstance(until, str) else None
        if m is None:
            fail('must be a time of day as the room\'s clock shows it, e.g. "11:20"', "until")
        until = f"{int(m.group(1)):02d}:{m.group(2)}"
    return AgendaActivity(id=act_id, plugin="", title=common["title"], prompt=common["prompt"],
                          options={}, timebox=timebox, auto_open=auto_open, notes=common["notes"],
                          texts=texts, kind=kind, until=until)


def recorded_agenda_json(data: Mapping[str, Any], plugins: PluginHost | None = None, *,
                         path: str | None = None) -> dict[str, Any]:
    """The :meth:`Agenda.to_json` form of a recorded session's stored agenda, built
    without checking it against the plugins: so that a session is exported whole on a
    machine where a plugin it used is missing (:func:`agenda_from_dict` refuses such an
    agenda). Options are as written; a title or prompt left out comes from the plugin
    where it is installed. Values of the wrong kind become empty ones."""
    def text(value: Any) -> str:
        return value.strip() if isinstance(value, str) else ""

    roles = data.get("roles", list(DEFAULT_ROLES))
    roles = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else list(DEFAULT_ROLES)
    activities = []
    raw_activities = data.get("activity") if isinstance(data.get("activity"), list) else []
    for raw in raw_activities:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        plugin = raw.get("plugin") if isinstance(raw.get("plugin"), str) else ""
        kind = raw.get("kind") if not plugin and raw.get("kind") in STEP_KINDS else None
        registered = plugins.activity_type(plugin) if plugins is not None and plugin else None
        atype = registered.activity_type if registered is not None else None
        try:
            timebox = parse_duration(raw["timebox"]) if "timebox" in raw else None
        except ValueError:
            timebox = None
        activities.append({
            "id": raw["id"], "plugin": plugin,
            "title": text(raw.get("title")) or (atype.title if atype else "") or raw["id"],
            "prompt": text(raw.get("prompt")) or (atype.default_prompt if atype else ""),
            "timebox": timebox, "auto_open": raw.get("auto_open") is True,
            "close_at_end": raw.get("close_at_end") is True, "notes": text(raw.get("notes")),
            "from": raw.get("from") if isinstance(raw.get("from"), str) else None,
            "options": {k: v for k, v in raw.items() if k not in COMMON_KEYS | ({"kind", "until"} if kind else set())},
            **({"kind": kind} if kind else {}),
            **({"until": raw["until"]} if kind and isinstance(raw.get("until"), str) else {})})
    language = data.get("language")
    return {"title": text(data.get("title")), "description": text(data.get("description")),
            "language": language if isinstance(language, str) else "en", "roles": roles,
            "anonymous": data.get("anonymous", True) is not False,
            "participant_cap": data.get("participant_cap", 1000), "path": path,
            "activities": activities}


class _LineFinder:
    """Finds the line of ``key = …`` inside the n-th ``[[activity]]`` block of the text."""

    _HEADER = re.compile(r"^\s*\[\[\s*activity\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str | None):
        self.lines = text.splitlines() if text else []
        self.starts = [i for i, line in enumerate(self.lines) if self._HEADER.match(line)]

    def block_start(self, index: int | None) -> int | None:
        if index is None or index >= len(self.starts):
            return None
        return self.starts[index] + 1

    def find(self, index: int | None, key: str | None) -> int | None:
        if not self.lines or key is None:
            return None
        if index is None:
            rng = range(0, self.starts[0] if self.starts else len(self.lines))
        elif index < len(self.starts):
            start = self.starts[index]
            end = next((i for i in range(start + 1, len(self.lines)) if self._TABLE.match(self.lines[i])),
                       len(self.lines))
            rng = range(start, end)
        else:
            return None
        pattern = re.compile(rf'^\s*("?){re.escape(key)}\1\s*=')
        for i in rng:
            if pattern.match(self.lines[i]):
                return i + 1
        return None
