"""Languages: plugin catalogues, agenda texts by language, and activity frames per language.

Three things live here so that the engine and the server only call into them:

* :class:`Catalogue`: a plugin's (or the kit's) translations, one plain JSON file per
  language in a ``locales`` folder next to its code (``locales/fi.json``), looked up with
  ``t(lang, key, **fmt)``; a missing language or key falls back to English, then to the key.
* :func:`text`: an agenda text that is one string or a table by language
  (``prompt = { en = "...", fi = "..." }``), resolved for a language with a fallback to the
  agenda's ``language``, then English, then the first entry.
* :class:`ViewCache` and :class:`FrameCache`: the protocol ACTIVITY object, built once per
  activity version and language, and its encoded ``activity`` frame, encoded once per
  language (not per phone).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Iterable, Mapping

__all__ = ["LANGUAGES", "Catalogue", "text", "normalise", "is_text", "plural_form", "KIT",
           "ViewCache", "FrameCache"]

#: The languages of the phone page; every built-in text exists in each of them.
LANGUAGES = ("en", "fi", "sv", "nl", "es", "pl", "it", "de")


def base(lang: str | None) -> str:
    """``"fi-FI"`` -> ``"fi"``; ``None`` -> ``""``."""
    return (lang or "").strip().lower().replace("_", "-").split("-")[0]


def normalise(lang: str | None, default: str = "en", known: Iterable[str] = LANGUAGES) -> str:
    """The language a phone's tag is served in: its base tag when it is one of ``known``
    (or of the page's languages), else ``default``."""
    b = base(lang)
    return b if b in LANGUAGES or b in known else base(default) or "en"


def plural_form(lang: str, count: Any) -> str:
    """The CLDR plural category of ``count`` in ``lang``: ``one``, ``few``, ``many`` or
    ``other`` (enough for the page's eight languages)."""
    if not isinstance(count, int) or isinstance(count, bool):
        return "other"
    if base(lang) == "pl":
        if count == 1:
            return "one"
        if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
            return "few"
        return "many"
    return "one" if count == 1 else "other"


class _SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _fill(template: str, fmt: Mapping[str, Any]) -> str:
    return template.format_map(_SafeDict(fmt)) if fmt else template


class Catalogue:
    """Translations shipped with a package, one JSON file per language::

        mypackage/locales/en.json   {"label": "Your idea", "cards": {"one": "{count} card", "other": "{count} cards"}}
        mypackage/locales/fi.json   {"label": "Ideasi", ...}

        T = fk.Catalogue(__package__)
        T.t("fi", "label")                 # "Ideasi"
        T.t("fi-FI", "cards", count=3)     # plural by `count`, Finnish

    A value is a string with ``{name}`` placeholders, or a table of plural forms (``one``,
    ``few``, ``many``, ``other``) chosen by the ``count`` argument. A language or key that
    is missing falls back to English, then to the key itself (so a missing translation is
    visible, never a crash). Files are read once, on first use.
    """

    def __init__(self, package: str, folder: str = "locales"):
        self.package, self.folder = package, folder
        self._loaded: dict[str, dict[str, Any]] = {}

    def strings(self, lang: str) -> dict[str, Any]:
        code = base(lang) or "en"
        if code not in self._loaded:
            try:
                path = resources.files(self.package).joinpath(self.folder, f"{code}.json")
                data = json.loads(path.read_text(encoding="utf-8"))
                self._loaded[code] = data if isinstance(data, dict) else {}
            except (FileNotFoundError, ModuleNotFoundError, OSError, ValueError):
                self._loaded[code] = {}
        return self._loaded[code]

    def languages(self) -> list[str]:
        return [code for code in LANGUAGES if self.strings(code)]

    def has(self, lang: str, key: str) -> bool:
        return key in self.strings(lang)

    def t(self, lang: str | None, key: str, **fmt: Any) -> str:
        value = self.strings(lang or "en").get(key)
        used = lang or "en"
        if value is None:
            value, used = self.strings("en").get(key), "en"
        if value is None:
            return _fill(key, fmt)
        if isinstance(value, dict):
            value = value.get(plural_form(used, fmt.get("count"))) or value.get("other") or next(iter(value.values()))
        return _fill(str(value), fmt)

    def pairs(self, lang: str | None, keys: Mapping[str, str] | Iterable[str], prefix: str = "") -> list[tuple[str, str]]:
        """``[(value, label)]`` for choice options whose labels are ``prefix + value``."""
        return [(k, self.t(lang, prefix + k)) for k in keys]


#: The kit's own texts shown to participants (no role, other roles, don't know, …).
KIT = Catalogue("facilitation_kit.core")


def is_text(value: Any) -> bool:
    """One string, or a non-empty table of language code -> string."""
    if isinstance(value, str):
        return True
    return (isinstance(value, Mapping) and bool(value)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def text(value: Any, lang: str | None, fallback: str = "en") -> str:
    """An agenda text for ``lang``: the string itself, or from a table by language the
    entry for ``lang`` (or its base), else the agenda's language, else English, else the
    first entry."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        wanted = [lang or "", base(lang), fallback or "", base(fallback), "en"]
        lowered = {str(k).lower(): v for k, v in value.items()}
        for code in wanted:
            if code and code.lower() in lowered:
                return str(lowered[code.lower()])
        return str(next(iter(value.values()), ""))
    return str(value)


def texts(value: Any) -> dict[str, str]:
    """An agenda text as a table by language (``{"": text}`` for one string)."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {"": "" if value is None else str(value)}


class ViewCache:
    """ACTIVITY objects by activity, version and language (dropped together per activity)."""

    def __init__(self) -> None:
        self._by_activity: dict[str, dict[str, tuple[int, Any, Any]]] = {}

    def get(self, activity_id: str, version: int, lang: str):
        entry = self._by_activity.get(activity_id, {}).get(lang)
        if entry is not None and entry[0] == version:
            return entry[1], entry[2]
        return None

    def put(self, activity_id: str, version: int, lang: str, view: Any, form: Any) -> None:
        self._by_activity.setdefault(activity_id, {})[lang] = (version, view, form)

    def pop(self, activity_id: str, default: Any = None) -> Any:
        return self._by_activity.pop(activity_id, default)


class FrameCache:
    """Encoded ``activity`` frames: one JSON encoding per (view, language), reused for
    every phone of that language until the view object changes."""

    def __init__(self) -> None:
        self._frames: dict[tuple[Any, str], tuple[Any, str]] = {}

    def encoded(self, view: Mapping[str, Any] | None, lang: str) -> str:
        key = ((view or {}).get("id"), lang)
        cached = self._frames.get(key)
        if cached is not None and cached[0] is view:
            return cached[1]
        frame = json.dumps({"type": "activity", "activity": view}, ensure_ascii=False)
        self._frames[key] = (view, frame)
        return frame


def in_language(info: Any, act: Any, agenda: Any, lang: str | None) -> Any:
    """``info`` (an ActivityInfo) for a phone in ``lang``: ``lang`` set and ``title``,
    ``prompt`` and ``notes`` resolved from the agenda's tables."""
    from dataclasses import replace

    if not lang or lang == info.lang:
        return info
    fallback = agenda.language
    return replace(info, lang=lang, title=act.text("title", lang, fallback),
                   prompt=act.text("prompt", lang, fallback), notes=act.text("notes", lang, fallback))


def languages_in_use(workshop: Any) -> list[str]:
    """The languages of the connected phones (normalised), in a stable order."""
    seen = set()
    for pid in list(getattr(workshop, "_connections", {})):
        seen.add(workshop.participant_lang(pid))
    return sorted(seen)
