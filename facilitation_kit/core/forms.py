"""Declarative forms that phones render without plugin-specific JavaScript.

A plugin describes what a participant fills in as a :class:`Form` of fields; the host
sends ``form.to_json()`` to phones (the ``FORM`` of the wire protocol) and checks every
submission with :meth:`Form.validate` before the plugin sees it. Field kinds and their
keys are those of protocol version 1: ``text``, ``choice``, ``scale``, ``vote``,
``matrix``.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Sequence

__all__ = [
    "Invalid",
    "Field",
    "TextField",
    "ChoiceField",
    "ScaleField",
    "VoteField",
    "MatrixField",
    "Form",
    "clean_text",
]


class Invalid(Exception):
    """A submission does not fit its form: ``fields`` maps field names to a reason."""

    def __init__(self, fields: Mapping[str, str], message: str | None = None):
        self.fields = dict(fields)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in self.fields.items()))


# Bidi overrides and isolates can make a contribution display differently from how it
# was typed (e.g. reversing a word on the projector); they are removed on the way in.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


#: Most non-starters (combining marks) in a row, as in Unicode's stream-safe text format
#: (UAX #15, section 13): after 30, U+034F COMBINING GRAPHEME JOINER is inserted. This
#: bounds the cost of normalisation: canonical reordering of a run of marks is quadratic
#: in its length (8,000 marks in one 16 KiB frame cost about 100 ms of NFC).
MAX_NON_STARTERS = 30
_CGJ = "\u034f"


@functools.lru_cache(maxsize=1)
def _non_starter_run() -> re.Pattern:
    """A run of MAX_NON_STARTERS non-starters followed by one more. Built on first use
    from this Python's Unicode database (combining marks lie in U+0300..U+1FFFF)."""
    ranges, start = [], None
    for cp in range(0x300, 0x20001):
        if unicodedata.combining(chr(cp)):
            if start is None:
                start = cp
        elif start is not None:
            ranges.append((start, cp - 1))
            start = None
    cls = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return re.compile(f"[{cls}]{{{MAX_NON_STARTERS}}}(?=[{cls}])")


def stream_safe(value: str) -> str:
    """Insert U+034F (CGJ) after every run of MAX_NON_STARTERS non-starters (UAX #15's
    stream-safe format), so that no run is longer. Plain text is returned unchanged."""
    if value.isascii():
        return value
    return _non_starter_run().sub(lambda m: m.group() + _CGJ, value)


def clean_text(value: str, *, multiline: bool) -> str:
    """Normalise typed text: stream-safe (at most 30 combining marks in a row; see
    :func:`stream_safe`), then NFC; control characters removed (a tab becomes a space, a
    newline is kept in multiline fields and becomes a space elsewhere); bidi overrides
    removed; a lone surrogate becomes U+FFFD; surrounding whitespace trimmed."""
    if value.isascii() and value.isprintable():
        # most answers: no mark, surrogate, bidi or control character (all of them are
        # outside printable ASCII), so only the trimming applies; the full pass below took
        # 3 % of the host's CPU at saturation
        return value.strip()
    if _has_surrogates(value):
        value = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    value = unicodedata.normalize("NFC", stream_safe(value)).translate(_BIDI_CONTROLS)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    # one pass in C: the control characters (category Cc is exactly U+0000-001F and
    # U+007F-009F) removed, a tab a space, a newline kept or a space
    return value.translate(_MULTILINE if multiline else _SINGLE_LINE).strip()


_CONTROLS = {cp: None for cp in [*range(0x20), *range(0x7F, 0xA0)]}
_MULTILINE = {**_CONTROLS, ord("\t"): " ", ord("\n"): "\n"}
_SINGLE_LINE = {**_CONTROLS, ord("\t"): " ", ord("\n"): " "}


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pairs(owner: str, what: str, values: Any, first: str = "value") -> tuple[tuple[str, str], ...]:
    """A field's ``options``/``items``/``rows``/``columns`` as ``(value, label)`` pairs.

    Each entry may be a plain string (its own label), a ``(value, label)`` pair or a
    mapping with ``value`` (or ``id``) and ``label``; anything else is refused with a
    :class:`TypeError` saying which entry and what would fit."""
    example = f'{what}=["Yes", "No"] or {what}=[("yes", "Yes"), ("no", "No")]'
    if isinstance(values, (str, bytes)) or isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise TypeError(f"{owner}: {what} must be a list, e.g. {example}; not {type(values).__name__} "
                        f"{values!r:.60}")
    out = []
    for index, v in enumerate(values):
        if isinstance(v, str):
            out.append((v, v))
        elif isinstance(v, Mapping) and ("value" in v or "id" in v) and "label" in v:
            out.append((str(v.get("value", v.get("id"))), str(v["label"])))
        elif isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(x, (str, int)) for x in v):
            out.append((str(v[0]), str(v[1])))
        else:
            raise TypeError(f"{owner}: {what}[{index}] is {v!r:.60}; each entry must be a string (its "
                            f"own label) or a ({first}, label) pair, e.g. {example}")
    return tuple(out)


def _no_answer(value: Any) -> bool:
    """Nothing given for a field whose answer maps keys (items, rows) to values."""
    return value is None or value == {}


def _keyed(value: Any, pairs: tuple[tuple[str, str], ...], not_a_map: str, key: str):
    """The ``(key, value)`` entries of an answer that maps the field's ``pairs`` ids to
    values, each key checked; ``not_a_map`` is the reason when it is not a mapping."""
    if not isinstance(value, dict):
        raise ValueError(not_a_map)
    known = {i for i, _ in pairs}
    for k, v in value.items():
        if k not in known:
            raise ValueError(f"unknown {key} {k!r}")
        yield k, v


@dataclass(frozen=True)
class Field:
    """One field of a form. ``name`` is the key in a submission's ``data``."""

    kind: ClassVar[str] = ""
    #: Attributes given as choices (``["a", ("b", "B")]``) that are kept as ``(value,
    #: label)`` pairs, with the JSON key of the value (``value`` or ``id``).
    pairs: ClassVar[dict[str, str]] = {}
    name: str
    label: str
    required: bool = True
    help: str | None = None

    def __post_init__(self):
        for what, first in self.pairs.items():
            object.__setattr__(self, what, _pairs(f"{type(self).__name__} {self.name!r}", what,
                                                  getattr(self, what), first))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "label": self.label,
                               "required": self.required}
        if self.help:
            out["help"] = self.help
        for what, first in self.pairs.items():
            out[what] = [{first: v, "label": l} for v, l in getattr(self, what)]
        out.update(self._extra_json())
        return out

    def _extra_json(self) -> dict[str, Any]:
        return {}

    def is_empty(self, value: Any) -> bool:
        return value is None

    def clean(self, value: Any) -> Any:
        """Return the cleaned value, or raise ``ValueError`` with a reason a person can read."""
        raise NotImplementedError


@dataclass(frozen=True)
class TextField(Field):
    kind: ClassVar[str] = "text"
    max_length: int = 500
    multiline: bool = False

    def _extra_json(self):
        return {"max_length": self.max_length, "multiline": self.multiline}

    def is_empty(self, value):
        return value is None or (isinstance(value, str) and not value.strip())

    def clean(self, value):
        if not isinstance(value, str):
            raise ValueError("must be text")
        # Sizes before work: normalisation can shorten text (NFC composes up to four
        # code points into one), never by more, so a longer value cannot fit.
        if len(value) > 4 * self.max_length + 4:
            raise ValueError(f"at most {self.max_length} characters ({len(value)} given)")
        text = clean_text(value, multiline=self.multiline)
        if len(text) > self.max_length:
            raise ValueError(f"at most {self.max_length} characters ({len(text)} given)")
        return text


@dataclass(frozen=True)
class ChoiceField(Field):
    """One of ``options`` (radio buttons), or several with ``multiple`` (check boxes).
    Options are strings (their own labels) or ``(value, label)`` pairs."""

    kind: ClassVar[str] = "choice"
    pairs: ClassVar[dict[str, str]] = {"options": "value"}
    options: tuple[tuple[str, str], ...] = ()
    multiple: bool = False

    def _extra_json(self):
        return {"multiple": self.multiple}

    def is_empty(self, value):
        return value is None or (self.multiple and value == [])

    def clean(self, value):
        allowed = {v for v, _ in self.options}
        if self.multiple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("must be a list of choices")
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise ValueError(f"unknown choice {unknown[0]!r}")
            if len(set(value)) != len(value):
                raise ValueError("a choice is repeated")
            return list(value)
        if not isinstance(value, str) or value not in allowed:
            raise ValueError("not one of the choices")
        return value


@dataclass(frozen=True)
class ScaleField(Field):
    """A rating from ``min`` to ``max``. With ``skip`` (the label of a "don't know"
    choice, e.g. ``"I don't know"``) the answer may also be ``null``: it counts as an
    answer ("don't know"), also for a required field, and is never averaged."""

    kind: ClassVar[str] = "scale"
    min: int = 1
    max: int = 5
    min_label: str = ""
    max_label: str = ""
    skip: str | None = None

    def _extra_json(self):
        out = {"min": self.min, "max": self.max, "min_label": self.min_label,
               "max_label": self.max_label}
        if self.skip:
            out["skip"] = {"label": self.skip}
        return out

    def clean(self, value):
        if not _is_int(value):
            raise ValueError("must be a whole number")
        if not self.min <= value <= self.max:
            raise ValueError(f"must be between {self.min} and {self.max}")
        return value


@dataclass(frozen=True)
class VoteField(Field):
    """Dots to give to ``items`` (``(id, label)`` pairs): at most ``dots`` in all and
    ``max_per_item`` on one item. The answer maps item ids to dots."""

    kind: ClassVar[str] = "vote"
    pairs: ClassVar[dict[str, str]] = {"items": "id"}
    items: tuple[tuple[str, str], ...] = ()
    dots: int = 3
    max_per_item: int = 3

    def _extra_json(self):
        return {"dots": self.dots, "max_per_item": self.max_per_item}

    def is_empty(self, value):
        return _no_answer(value)

    def clean(self, value):
        out = {}
        for item, dots in _keyed(value, self.items, "must map items to dots", "item"):
            if not _is_int(dots) or dots < 0:
                raise ValueError("dots must be whole numbers, 0 or more")
            if dots > self.max_per_item:
                raise ValueError(f"at most {self.max_per_item} dots on one item")
            if dots:
                out[item] = dots
        if sum(out.values()) > self.dots:
            raise ValueError(f"at most {self.dots} dots in all")
        return out


@dataclass(frozen=True)
class MatrixField(Field):
    """One choice of ``columns`` per row. With ``min_label``/``max_label`` (an extension)
    the columns are a scale (e.g. ``1``…``5`` and an "I don't know" column) and the page
    shows the ends once and each row's columns side by side: a compact grid of scales."""

    kind: ClassVar[str] = "matrix"
    pairs: ClassVar[dict[str, str]] = {"rows": "id", "columns": "value"}
    rows: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    min_label: str = ""
    max_label: str = ""

    def _extra_json(self):
        if self.min_label or self.max_label:
            return {"min_label": self.min_label, "max_label": self.max_label}
        return {}

    def is_empty(self, value):
        return _no_answer(value)

    def clean(self, value):
        rows = {i for i, _ in self.rows}
        cols = {v for v, _ in self.columns}
        for row, col in _keyed(value, self.rows, "must map rows to a column", "row"):
            if not isinstance(col, str) or col not in cols:
                raise ValueError(f"row {row!r}: not one of the columns")
        if self.required and set(value) != rows:
            missing = [label for i, label in self.rows if i not in value]
            raise ValueError("answer every row (missing: " + ", ".join(missing) + ")")
        return dict(value)


@dataclass(frozen=True)
class Form:
    """The fields a participant fills in for one activity."""

    fields: tuple[Field, ...] = field(default_factory=tuple)

    def __init__(self, fields: Iterable[Field] = ()):
        object.__setattr__(self, "fields", tuple(fields))
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"field names repeat: {names}")

    def to_json(self) -> dict[str, Any]:
        return {"fields": [f.to_json() for f in self.fields]}

    def validate(self, data: Any) -> dict[str, Any]:
        """Check a submission's ``data`` and return it cleaned; raise :class:`Invalid`."""
        if not isinstance(data, dict):
            raise Invalid({}, "data must be an object")
        by_name = {f.name: f for f in self.fields}
        errors: dict[str, str] = {}
        cleaned: dict[str, Any] = {}
        for key in data:
            if key not in by_name:
                errors[str(key)] = "not a field of this form"
        for f in self.fields:
            value = data.get(f.name)
            if value is None and f.name in data and getattr(f, "skip", None):
                cleaned[f.name] = None  # "don't know": an answer, never a number
                continue
            if f.is_empty(value):
                if f.required:
                    errors[f.name] = "required"
                continue
            try:
                cleaned[f.name] = f.clean(value)
            except ValueError as exc:
                errors[f.name] = str(exc)
                continue
            if f.required and f.is_empty(cleaned[f.name]):
                errors[f.name] = "required"
        if errors:
            raise Invalid(errors)
        return cleaned


def field_from_json(spec: Mapping[str, Any]) -> Field:
    """Rebuild a field from its wire form (used by tests and simulated participants)."""
    kind = spec["kind"]
    common = {"name": spec["name"], "label": spec["label"], "required": spec["required"]}
    if kind == "text":
        return TextField(**common, max_length=spec["max_length"], multiline=spec["multiline"])
    if kind == "choice":
        return ChoiceField(**common, options=[(o["value"], o["label"]) for o in spec["options"]],
                           multiple=spec["multiple"])
    if kind == "scale":
        skip = spec.get("skip")
        return ScaleField(**common, min=spec["min"], max=spec["max"],
                          min_label=spec["min_label"], max_label=spec["max_label"],
                          skip=skip.get("label") if isinstance(skip, Mapping) else None)
    if kind == "vote":
        return VoteField(**common, items=[(i["id"], i["label"]) for i in spec["items"]],
                         dots=spec["dots"], max_per_item=spec["max_per_item"])
    if kind == "matrix":
        return MatrixField(**common, rows=[(r["id"], r["label"]) for r in spec["rows"]],
                           columns=[(c["value"], c["label"]) for c in spec["columns"]],
                           min_label=spec.get("min_label", ""), max_label=spec.get("max_label", ""))
    raise ValueError(f"unknown field kind {kind!r}")


def is_finite_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def as_pairs(values: Sequence[Any]) -> list[tuple[str, str]]:
    """Accept ``["a", "b"]`` or ``[("a", "A"), …]`` or ``[{"id"/"value": …, "label": …}]``."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append((v, v))
        elif isinstance(v, Mapping):
            out.append((str(v.get("id", v.get("value"))), str(v["label"])))
        else:
            a, b = v
            out.append((str(a), str(b)))
    return out
