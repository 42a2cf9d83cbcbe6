"""The activity contract: what an activity plugin declares and how the host calls it.

An *activity type* (e.g. value mapping) is a subclass of :class:`ActivityType` that a
plugin registers through the ``register_activities(register)`` hook. An *activity* is
one step of a workshop agenda that uses a type with its own options; the host hands the
type an :class:`ActivityInfo` describing that step whenever it asks for something.

Every method may return an awaitable instead of a value. The host calls them off the
event loop with a timeout, so a plugin that raises, hangs or returns garbage costs its
own activity an error, never the workshop.
"""

from __future__ import annotations

import hashlib
import dataclasses
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping, Sequence

from .blocks import Block
from .forms import Form
from . import i18n

__all__ = ["Option", "OptionError", "ActivityInfo", "ActivityType", "Item", "FacilitatorAction",
           "RESERVED_OPTION_NAMES", "resolve_options", "option_problems", "opaque_item"]

#: Keys the agenda itself uses for every activity: no plugin option may take these names.
RESERVED_OPTION_NAMES = frozenset({"id", "plugin", "title", "prompt", "timebox", "auto_open",
                                   "close_at_end", "notes", "from", "top", "from_kinds", "from_themes",
                                   "max_contributions", "moderated"})


class OptionError(ValueError):
    """An agenda option has a bad value; ``option`` names it."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(message)


_KINDS = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "strings": (list,),
    "table": (dict,),
    "tables": (list,),
}


@dataclass(frozen=True)
class Option:
    """An option an activity type accepts in the agenda.

    ``kind`` is one of ``string``, ``integer``, ``number``, ``boolean``, ``strings``
    (a list of strings), ``table`` or ``tables`` (a list of tables). ``choices`` limits a
    ``string`` (or every entry of ``strings``) to the listed values. ``translatable``
    lets a ``string`` (or each entry of ``strings``) also be a table by language
    (``label = { en = "Your idea", fi = "Ideasi" }``); the plugin resolves it for a phone
    with :meth:`ActivityInfo.text`.

    ``default`` is the value used when the agenda does not set the option, or a function
    of the other options (``default=lambda options: min(3, options["dots"])``) when the
    default depends on them: it gets the activity's other options (what the agenda set,
    plain defaults filled in) and its result is checked like a value from the agenda.
    """

    name: str
    kind: str = "string"
    default: Any = None
    required: bool = False
    help: str = ""
    choices: Sequence[str] | None = None
    min: float | None = None
    max: float | None = None
    translatable: bool = False

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"option {self.name!r}: unknown kind {self.kind!r}")

    @property
    def computed_default(self) -> bool:
        """Whether the default is a function of the other options."""
        return callable(self.default)

    def describe(self) -> dict[str, Any]:
        out = {"name": self.name, "kind": self.kind, "required": self.required,
               "default": None if self.computed_default else self.default, "help": self.help}
        if self.computed_default:
            out["default_depends_on_other_options"] = True
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out

    def check(self, value: Any) -> Any:
        """Return ``value`` if it fits this option, else raise :class:`OptionError`."""
        types = _KINDS[self.kind]
        if self.translatable and self.kind == "string" and isinstance(value, dict):
            if not i18n.is_text(value):
                raise OptionError(self.name, "must be text, or a table of texts by language")
            return value
        if self.translatable and self.kind == "strings" and isinstance(value, list):
            if not all(i18n.is_text(v) for v in value):
                raise OptionError(self.name, "must be a list of texts (each may be a table by language)")
            if self.min is not None and len(value) < self.min:
                raise OptionError(self.name, f"needs at least {self.min:g} entries")
            return value
        bad_bool = isinstance(value, bool) and self.kind in ("integer", "number")
        if bad_bool or not isinstance(value, types):
            raise OptionError(self.name, f"must be {_kind_words(self.kind)}, not {_type_words(value)}")
        if self.kind == "strings":
            if not all(isinstance(v, str) for v in value):
                raise OptionError(self.name, "must be a list of strings")
            values = value
        elif self.kind == "tables":
            if not all(isinstance(v, dict) for v in value):
                raise OptionError(self.name, "must be a list of tables")
            values = []
        elif self.kind == "string":
            values = [value]
        else:
            values = []
        if self.choices is not None:
            for v in values:
                if v not in self.choices:
                    raise OptionError(self.name, f"{v!r} is not allowed; allowed: "
                                      + ", ".join(map(str, self.choices)))
        if self.kind in ("integer", "number"):
            if self.min is not None and value < self.min:
                raise OptionError(self.name, f"must be at least {self.min}, not {value}")
            if self.max is not None and value > self.max:
                raise OptionError(self.name, f"must be at most {self.max}, not {value}")
        if self.kind in ("strings", "tables") and self.min is not None and len(value) < self.min:
            raise OptionError(self.name, f"needs at least {self.min:g} entries")
        return value


def option_problems(options: Any) -> list[str]:
    """What is wrong with an activity type's declared ``options`` (checked when the plugin
    registers it): not Options, repeated or reserved names, defaults that do not fit."""
    problems = []
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        return [f"options must be a list or tuple of Option(...), not {type(options).__name__}"]
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, Option):
            problems.append(f"options must be Option(...) instances, not {type(option).__name__} "
                            f"{option!r:.60}")
            continue
        if option.name in RESERVED_OPTION_NAMES:
            problems.append(f"option {option.name!r} has a name the agenda uses for every activity "
                            f"(reserved: {', '.join(sorted(RESERVED_OPTION_NAMES))}): the agenda could "
                            "never set it; rename it")
        elif option.name in seen:
            problems.append(f"option {option.name!r} is declared twice")
        seen.add(option.name)
        if option.default is not None and not option.computed_default and not option.required:
            try:
                option.check(option.default)
            except OptionError as exc:
                problems.append(f"option {option.name!r}: its default {option.default!r} does not "
                                f"fit kind {option.kind!r}: {exc}")
    return problems


def resolve_options(declared: Sequence[Option], given: Mapping[str, Any]) -> dict[str, Any]:
    """The options an activity runs with: ``given`` (checked values from the agenda) plus
    every other declared option's default; a default that is a function of the other
    options is called with them (read-only) and its result checked. Raises
    :class:`OptionError` naming the option when a computed default does not fit."""
    options = dict(given)
    computed = []
    for option in declared:
        if option.name in options:
            continue
        if option.computed_default:
            computed.append(option)
        else:
            options[option.name] = option.default
    for option in computed:
        try:
            value = option.default(MappingProxyType(dict(options)))
        except Exception as exc:
            raise OptionError(option.name, f"its default could not be worked out from the other "
                              f"options: {type(exc).__name__}: {exc}") from None
        try:
            options[option.name] = option.check(value)
        except OptionError as exc:
            raise OptionError(option.name, f"its default worked out as {value!r}, which does not "
                              f"fit: {exc}") from None
    return options


def _kind_words(kind: str) -> str:
    return {"string": "text", "integer": "a whole number", "number": "a number",
            "boolean": "true or false", "strings": "a list of text", "table": "a table",
            "tables": "a list of tables"}[kind]


def _type_words(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a whole number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Item:
    """Something an activity offers to later ones (``from = "<activity id>"``)."""

    id: str
    label: str
    detail: str = ""
    #: What sort of item it is, for ``from_kinds`` (e.g. a value card's kind: ``"missed"``).
    kind: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"id": self.id, "label": self.label}
        if self.detail:
            out["detail"] = self.detail
        if self.kind:
            out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class FacilitatorAction:
    """Something the facilitator can do from the TUI in an activity of this type, offered
    by :meth:`ActivityType.facilitator_actions` (docs/plugin_hooks.md, "Facilitator
    actions"), e.g. "Classify" a value card.

    ``id`` names it for :meth:`ActivityType.run_facilitator_action`; ``label`` is what the
    facilitator reads (in ``activity.lang``). ``applies_to`` is ``"contribution"`` (the
    contribution selected in the Activity tab) or ``"activity"``. The facilitator then
    gives a value: one of ``choices`` (``(value, label)`` pairs) when there are any, else
    a free text when ``text`` is true (at most ``max_length`` characters), else none
    (``None``). ``help`` is one optional sentence shown under the label.
    """

    id: str
    label: str
    applies_to: str = "contribution"
    choices: Sequence[tuple[str, str]] = ()
    text: bool = False
    max_length: int = 500
    help: str = ""

    def problems(self) -> list[str]:
        """What is wrong with it (checked each time the host asks the plugin for its actions)."""
        out = []
        if not isinstance(self.id, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,60}", self.id):
            out.append(f"action id {self.id!r} must be 1 to 60 letters, digits or _ . : -")
        if not isinstance(self.label, str) or not self.label.strip():
            out.append(f"action {self.id!r} needs a label")
        if self.applies_to not in ("contribution", "activity"):
            out.append(f"action {self.id!r}: applies_to must be 'contribution' or 'activity', "
                       f"not {self.applies_to!r}")
        pairs = list(self.choices) if isinstance(self.choices, (list, tuple)) else None
        if pairs is None or not all(isinstance(p, (list, tuple)) and len(p) == 2
                                    and all(isinstance(x, str) for x in p) for p in pairs):
            return out + [f"action {self.id!r}: choices must be (value, label) pairs of text"]
        values = [p[0] for p in pairs]
        if len(set(values)) != len(values):
            out.append(f"action {self.id!r} lists the same choice twice")
        return out

    @property
    def value_kind(self) -> str:
        """What the facilitator gives: ``"choice"``, ``"text"`` or ``"none"``."""
        return "choice" if self.choices else "text" if self.text else "none"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "applies_to": self.applies_to,
                               "value": self.value_kind}
        if self.choices:
            out["choices"] = [{"value": v, "label": lbl} for v, lbl in self.choices]
        if self.value_kind == "text":
            out["max_length"] = self.max_length
        if self.help:
            out["help"] = self.help
        return out


def opaque_item(item: Item, salt: str) -> Item:
    """An item as the activity that takes it (``from``), and so every phone, sees it: its
    id replaced by a hash (salted with the session id). A source plugin's ``items()`` may
    name a contribution by its author's participant id and client id; neither reaches
    other phones. The same source id gives the same hash, in the live host and in a
    report made later, so what a later activity stored maps back to the item's label."""
    if _OPAQUE.match(item.id):  # handed on again (a vote's ranking of hashed items): as it is
        return item
    digest = hashlib.sha256(f"{salt}\x00{item.id}".encode("utf-8", "surrogatepass")).hexdigest()
    return dataclasses.replace(item, id="i-" + digest[:20])


_OPAQUE = re.compile(r"^i-[0-9a-f]{20}$")


@dataclass(frozen=True)
class ActivityInfo:
    """One agenda step as the plugin sees it. Read-only.

    ``options`` holds every declared option, defaults filled in. ``items`` are the
    items of the activity named in ``from`` (empty without ``from``). ``roles`` are the
    participant roles the session offers.

    ``lang`` is the language to build texts in: the phone's language when the host builds
    a participant's form (``form``, ``extras``, ``validate``), else the agenda's
    ``language`` (results and the report). ``title``, ``prompt`` and ``notes`` are already
    in that language; a translatable option is resolved with :meth:`text`.
    """

    id: str
    plugin: str
    title: str
    prompt: str
    options: Mapping[str, Any]
    roles: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    source: str | None = None
    notes: str = ""
    language: str = "en"
    state: str = "pending"
    lang: str = ""
    min_group: int = 3

    def __post_init__(self):
        if not self.lang:
            object.__setattr__(self, "lang", i18n.base(self.language) or "en")

    def text(self, value: Any) -> str:
        """A string, or a table by language resolved for :attr:`lang` (then the agenda's
        language, then English)."""
        return i18n.text(value, self.lang, self.language)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "plugin": self.plugin, "title": self.title, "prompt": self.prompt,
                "options": dict(self.options), "roles": list(self.roles),
                "items": [i.to_json() for i in self.items], "source": self.source,
                "notes": self.notes, "language": self.language, "state": self.state,
                "min_group": self.min_group, "lang": self.lang}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ActivityInfo":
        return cls(id=data["id"], plugin=data["plugin"], title=data["title"], prompt=data["prompt"],
                   options=dict(data.get("options") or {}), roles=tuple(data.get("roles") or ()),
                   items=tuple(Item(i["id"], i["label"], i.get("detail", "")) for i in data.get("items") or ()),
                   source=data.get("source"), notes=data.get("notes") or "",
                   language=data.get("language") or "en", state=data.get("state") or "pending",
                   min_group=data.get("min_group", 3), lang=data.get("lang") or "")


class ActivityType:
    """Base class for activity types. Subclass it, set the class attributes, override
    the methods you need, and register an instance from ``register_activities``.

    Every method receives the :class:`ActivityInfo` of the agenda step. Contributions
    are passed as dictionaries: the protocol's CONTRIBUTION (``id``, ``participant``,
    ``activity``, ``data``, ``created_at``) plus the contributor's ``role`` (or
    ``None``); hidden and withdrawn ones are never passed.
    """

    #: The value of ``plugin`` in an agenda, e.g. ``"value_mapping"``. Unique.
    name: ClassVar[str] = ""
    #: What facilitators call it, e.g. "Value mapping".
    title: ClassVar[str] = ""
    #: One or two sentences for ``facilitation-kit plugins`` and the docs.
    description: ClassVar[str] = ""
    #: The options it accepts in the agenda, besides the common ones
    #: (``id``, ``title``, ``prompt``, ``timebox``, ``auto_open``, ``close_at_end``,
    #: ``notes``, ``from``, ``max_contributions``).
    options: ClassVar[Sequence[Option]] = ()
    #: Whether it can take items from an earlier activity (``from = "id"``).
    accepts_items: ClassVar[bool] = False
    #: The prompt used when the agenda gives none.
    default_prompt: ClassVar[str] = ""
    #: Most contributions one participant may store in one activity of this type (None:
    #: the host's, 200). The agenda's ``max_contributions`` overrides it per activity.
    max_contributions: ClassVar[int | None] = None

    def check_options(self, options: Mapping[str, Any], roles: Sequence[str]) -> None:
        """Cross-option checks at agenda load; raise :class:`OptionError` naming the option."""

    def form(self, activity: ActivityInfo) -> Form:
        """The form participants fill in for this step."""
        raise NotImplementedError(
            f"{type(self).__name__} has no form(): define `def form(self, activity): "
            "return fk.Form([...])` listing the fields participants fill in")

    def validate(self, activity: ActivityInfo, data: dict[str, Any]) -> dict[str, Any] | None:
        """Checks beyond the form's own (already passed); raise
        :class:`~facilitation_kit.core.forms.Invalid`. May return a replacement ``data``."""
        return None

    def extras(self, activity: ActivityInfo) -> dict[str, Any]:
        """Extra keys for the protocol's ACTIVITY object (hints for phones)."""
        return {}

    def summarise(self, activity: ActivityInfo, contributions: list[dict[str, Any]]) -> dict[str, Any]:
        """The results as JSON-able data (counts, splits by role, …)."""
        return {"count": len(contributions)}

    def items(self, activity: ActivityInfo, contributions: list[dict[str, Any]]) -> list[Item]:
        """What later activities may take from this one with ``from``."""
        return []

    def ranked_items(self, activity: ActivityInfo, contributions: list[dict[str, Any]]) -> list[Item]:
        """The items in the order of this activity's results, best first: a later
        activity's ``top = N`` takes the first N (e.g. a dot vote's most-voted items).
        Without it the kit uses :meth:`items` in their own order."""
        return self.items(activity, contributions)

    def report(self, activity: ActivityInfo, results: dict[str, Any],
               contributions: list[dict[str, Any]]) -> list[Block]:
        """The report section for this step, as blocks (headings, tables, charts, …)."""
        return []

    def findings(self, activity: ActivityInfo, results: dict[str, Any]) -> list[dict[str, Any]]:
        """Where role groups differ on the same item, for the report's "Where views
        differ" (docs/plugin_hooks.md). ``results`` is what :meth:`summarise` returned.
        Each finding is a dict: ``text`` (one plain sentence in ``activity.lang`` naming
        the item and both role groups with their figures), ``size`` (the difference as a
        share of the largest difference possible, 0 to 1: one point on a 1-5 scale is
        0.25, 40 percentage points is 0.4) and optionally ``item``, ``roles`` (the two
        groups) and ``values`` (their two figures). Use only the role groups of
        ``role_groups`` (the ``min_group`` rule). The report ranks every activity's
        findings by size. Default: none."""
        return []

    def priorities(self, activity: ActivityInfo, results: dict[str, Any]) -> list[dict[str, Any]]:
        """The ranked outcome of a vote or ranking, best first, for the report's "Top
        priorities" (the last activity of the agenda that gives any): dicts with
        ``label``, ``rank``, ``total`` (a number), ``unit`` (e.g. "dots", in
        ``activity.lang``), ``by_role`` (role group -> number) and optionally
        ``share_by_role`` (role group -> share 0 to 1 of what that group gave in all).
        Default: none (not a vote)."""
        return []

    def actions(self, activity: ActivityInfo, results: dict[str, Any]) -> list[dict[str, Any]]:
        """The actions agreed in this step, for the report's "What happens now": dicts
        with ``what`` and optionally ``who`` and ``when`` (texts as written). Default:
        none."""
        return []

    def facilitator_actions(self, activity: ActivityInfo) -> list[FacilitatorAction]:
        """What the facilitator can do in this step from the TUI (the Activity tab's ``.``
        key, or the ``facilitator_actions`` command): :class:`FacilitatorAction` s with
        labels in ``activity.lang``. Default: none."""
        return []

    def run_facilitator_action(self, activity: ActivityInfo, action_id: str,
                               contribution: dict[str, Any] | None, value: Any) -> dict[str, Any] | None:
        """Do one of :meth:`facilitator_actions`: ``action_id`` names it, ``contribution``
        is the one it applies to (as elsewhere, with ``role``; hidden ones too, marked
        ``hidden``) or ``None`` for an activity's action, ``value`` what the facilitator
        gave (a choice's value, a text, or ``None``; already checked against the action).
        Return the contribution's new ``data`` (it is checked like a submission: the form,
        then :meth:`validate`; then stored, marked ``edited_by_facilitator``, keeping its
        author) or ``None`` to change nothing. Raise
        :class:`~facilitation_kit.core.forms.Invalid` to refuse with a reason. Runs on the
        host only, through the plugin caller. Default: nothing."""
        return None

    def results_visible(self, activity: ActivityInfo) -> bool:
        """Whether results may be shown on the projector now (e.g. a secret vote: only
        once closed)."""
        return True

    def screen(self, activity: ActivityInfo, contributions: list[dict[str, Any]]) -> list[Block] | None:
        """What the room's screen shows of this step, as blocks (headings, paragraphs,
        quotes, tables, :class:`~facilitation_kit.core.blocks.Chart` SVG charts), or
        ``None`` for no view (the screen then shows the prompt, the timer and how many
        answered). Called only while :meth:`results_visible` is true. ``contributions``
        are the approved, visible ones; their ``role`` is ``None`` unless the agenda lets
        the screen show roles (``screen_roles``) and enough people share that role
        (the agenda's ``min_group``). See docs/screen.md."""
        return None

    def public_data(self, activity: ActivityInfo, contribution: dict[str, Any]) -> dict[str, Any]:
        """A contribution's ``data`` as it may be shown outside the facilitator's record:
        on the room's screen (a highlighted contribution) and in the report's table of
        contributions. The JSON and CSV exports (the record itself) keep everything.
        Return a copy with what may not be shown replaced (e.g. a story its author did
        not allow to be quoted). Default: the data unchanged."""
        return contribution.get("data")


def source_method(atype: ActivityType, top: int | None) -> str:
    """The method that gives a source's items for a later activity: ``ranked_items`` when
    ``top`` is asked for and the plugin defines its own ranking, else ``items``."""
    if top is not None and type(atype).ranked_items is not ActivityType.ranked_items:
        return "ranked_items"
    return "items"


def select_items(items: Sequence[Item], top: int | None = None, kinds: Sequence[str] = ()) -> list[Item]:
    """The items a later activity takes (``from`` with ``from_kinds`` and ``top``): those of
    the given kinds (all without ``kinds``), then the first ``top`` of them."""
    out = [i for i in items if not kinds or i.kind in kinds]
    return out[:top] if top is not None else out
