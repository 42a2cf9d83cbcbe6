"""Declarative forms that phones render without plugin-specific JavaScript.

A plugin describes what a participant fills in as a :class:`Form` of fields; the host
sends ``form.to_json()`` to phones (the ``FORM`` of the wire protocol) and checks every
submission with :meth:`Form.validate` before the plugin sees it. Field kinds and their
keys are those of protocol version 1: ``text``, ``choice``, ``scale``, ``vote``,
``matrix``.
"""

from __future__ import annotations

import math
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


def clean_text(value: str, *, multiline: bool) -> str:
    """Normalise typed text: NFC; control characters removed (a tab becomes a space, a
    newline is kept in multiline fields and becomes a space elsewhere); bidi overrides
    removed; a lone surrogate becomes U+FFFD; surrounding whitespace trimmed."""
    if _has_surrogates(value):
        value = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    value = unicodedata.normalize("NFC", value).translate(_BIDI_CONTROLS)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if ch == "\n":
            out.append("\n" if multiline else " ")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    return "".join(out).strip()


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Field:
    """One field of a form. ``name`` is the key in a submission's ``data``."""

    kind: ClassVar[str] = ""
    name: str
    label: str
    required: bool = True
    help: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "label": self.label,
                               "required": self.required}
        if self.help:
            out["help"] = self.help
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
        text = clean_text(value, multiline=self.multiline)
        if len(text) > self.max_length:
            raise ValueError(f"at most {self.max_length} characters ({len(text)} given)")
        return text


@dataclass(frozen=True)
class ChoiceField(Field):
    kind: ClassVar[str] = "choice"
    options: tuple[tuple[str, str], ...] = ()
    multiple: bool = False

    def __post_init__(self):
        object.__setattr__(self, "options", tuple((str(v), str(l)) for v, l in self.options))

    def _extra_json(self):
        return {"options": [{"value": v, "label": l} for v, l in self.options],
                "multiple": self.multiple}

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
    kind: ClassVar[str] = "vote"
    items: tuple[tuple[str, str], ...] = ()
    dots: int = 3
    max_per_item: int = 3

    def __post_init__(self):
        object.__setattr__(self, "items", tuple((str(i), str(l)) for i, l in self.items))

    def _extra_json(self):
        return {"items": [{"id": i, "label": l} for i, l in self.items], "dots": self.dots,
                "max_per_item": self.max_per_item}

    def is_empty(self, value):
        return value is None or value == {}

    def clean(self, value):
        if not isinstance(value, dict):
            raise ValueError("must map items to dots")
        ids = {i for i, _ in self.items}
        out = {}
        for item, dots in value.items():
            if item not in ids:
                raise ValueError(f"unknown item {item!r}")
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
    kind: ClassVar[str] = "matrix"
    rows: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "rows", tuple((str(i), str(l)) for i, l in self.rows))
        object.__setattr__(self, "columns", tuple((str(v), str(l)) for v, l in self.columns))

    def _extra_json(self):
        return {"rows": [{"id": i, "label": l} for i, l in self.rows],
                "columns": [{"value": v, "label": l} for v, l in self.columns]}

    def is_empty(self, value):
        return value is None or value == {}

    def clean(self, value):
        if not isinstance(value, dict):
            raise ValueError("must map rows to a column")
        rows = {i for i, _ in self.rows}
        cols = {v for v, _ in self.columns}
        for row, col in value.items():
            if row not in rows:
                raise ValueError(f"unknown row {row!r}")
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
                           columns=[(c["value"], c["label"]) for c in spec["columns"]])
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
