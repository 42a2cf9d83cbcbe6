"""The facilitator channel's commands, declared once.

Each :class:`Command` names a command of ``/ws/facilitator``, its fields (name, JSON
types, whether required, bounds) and the errors it can answer, and says how it runs
against a :class:`~facilitation_kit.core.engine.Workshop`. The server dispatches every
facilitator frame through :func:`dispatch`; the TUI sends the same commands, over the
channel to a host in another process or through :func:`dispatch` to a host in its own
process, so there is one list and one way to run each command;
``tests/core/test_docs_core.py`` checks that every command is documented in
``docs/protocol.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .engine import Workshop, WorkshopError
from .themes import themes_of

__all__ = ["Command", "Field", "COMMANDS", "dispatch", "BadCommand", "LocalChannel"]

_NONE = type(None)
_NUMBER = (int, float)


class BadCommand(Exception):
    """The frame does not fit the command (``bad_message``) or names no command
    (``unknown_type``)."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class Field:
    name: str
    kinds: tuple[type, ...]
    required: bool = True
    #: (low, high): a number must lie in it; ``bounds_words`` says so in the error.
    bounds: tuple[float, float] | None = None
    bounds_words: str = ""

    def read(self, frame: dict[str, Any]) -> Any:
        if self.name not in frame:
            if self.required:
                raise BadCommand("bad_message", f"missing field {self.name!r}")
            return None
        value = frame[self.name]
        if value is None and _NONE in self.kinds:
            return None
        if not isinstance(value, self.kinds) or isinstance(value, bool) and bool not in self.kinds:
            raise BadCommand("bad_message", f"field {self.name!r} has the wrong type")
        if self.bounds is not None and not self.bounds[0] <= value <= self.bounds[1]:
            raise BadCommand("bad_message", self.bounds_words)
        return value


Runner = Callable[[Workshop, dict[str, Any]], Awaitable["dict[str, Any] | None"]]


@dataclass(frozen=True)
class Command:
    name: str
    run: Runner
    fields: tuple[Field, ...] = ()
    errors: tuple[str, ...] = ()
    #: Part of protocol v1 (False: a documented extension).
    v1: bool = False
    doc: str = ""


async def _contributions(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    activity = f["activity"]
    if activity is not None and w.agenda.activity(activity) is None:
        raise WorkshopError("unknown_activity", f"no activity {activity[:40]!r} in the agenda")
    return {"contributions": [{**c, **({"held": True} if w.is_held(c["participant"], c["id"]) else {})}
                              for c in w.contributions(activity, include_hidden=True)]}


async def _results(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return await w.results(f["activity"])


async def _timer(w: Workshop, f: dict[str, Any]) -> None:
    seconds = f["seconds"]
    if seconds is not None and not 0 < seconds <= 24 * 3600:
        raise BadCommand("bad_message", "seconds must be between 1 and 86400, or null")
    await w.set_timer(seconds, f["close_at_end"] or False)


async def _erase(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"erased": await w.erase_participant(f["participant"])}


async def _agenda(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"agenda": w.agenda_view()}


async def _participants(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"participants": w.participants()}


async def _export(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"export": w.export()}


async def _state(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"state": w.snapshot()}


async def _note(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"note": await w.set_note(f["activity"], f["text"])}


async def _screen(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"screen": await w.set_screen(f["view"], f["participant"], f["contribution"])}


def _link_token(page: str):
    """The command for a page's link (``screen`` or ``remote``): ``get`` the token (made on
    first use), or ``new``/``revoke`` it (the old link stops working)."""
    async def command(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
        action = f["action"] or "get"
        if action not in ("get", "new", "revoke"):
            raise BadCommand("bad_message", "action must be get, new or revoke")
        make = getattr(w, f"ensure_{page}_token" if action == "get" else f"new_{page}_token")
        token = await make()
        return {"token": token, "path": f"/{page}#token={token}"}
    return command


async def _themes(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    w._require_activity(f["activity"])
    return {"themes": themes_of(w, f["activity"])}


async def _facilitator_actions(w: Workshop, f: dict[str, Any]) -> dict[str, Any]:
    return {"actions": await w.facilitator_actions(f["activity"])}


async def _theme(w: Workshop, change: str, *args: Any) -> dict[str, Any]:
    row = await w.change_themes(change, *args)
    return {"theme": row} if row is not None else {}


_ACTIVITY = Field("activity", (str,))
_CONTRIBUTION = (Field("contribution", (str,)), Field("participant", (str,)))
_STAR = (Field("participant", (str,)), Field("id", (str,)))
_THEME = Field("theme", (str,))
_LABEL = Field("label", (str,))
_REFS = Field("contributions", (list,))

_LIST = [
    Command("next", lambda w, f: w.next(), errors=("no_activity",), v1=True),
    Command("previous", lambda w, f: w.previous(), errors=("no_activity",), v1=True),
    Command("goto", lambda w, f: w.goto(f["activity"]), (_ACTIVITY,), ("unknown_activity",), v1=True),
    Command("open", lambda w, f: w.open(), errors=("no_activity",), v1=True),
    Command("close", lambda w, f: w.close(), errors=("no_activity",), v1=True),
    Command("timer", _timer, (Field("seconds", (*_NUMBER, _NONE)),
                              Field("close_at_end", (bool,), required=False)), ("no_activity",), v1=True),
    Command("hide", lambda w, f: w.set_hidden(f["participant"], f["contribution"], True), _CONTRIBUTION,
            ("unknown_contribution",), v1=True),
    Command("unhide", lambda w, f: w.set_hidden(f["participant"], f["contribution"], False), _CONTRIBUTION,
            ("unknown_contribution",), v1=True),
    Command("lock", lambda w, f: w.set_locked(True), v1=True),
    Command("unlock", lambda w, f: w.set_locked(False), v1=True),
    Command("pause_timer", lambda w, f: w.pause_timer(), errors=("no_timer",)),
    Command("resume_timer", lambda w, f: w.resume_timer(), errors=("no_timer",)),
    Command("add_time", lambda w, f: w.add_time(f["seconds"]),
            (Field("seconds", _NUMBER, bounds=(-3600, 3600),
                   bounds_words="seconds must be between -3600 and 3600"),)),
    Command("erase", _erase, (Field("participant", (str,)),), ("not_found",)),
    Command("results", _results, (_ACTIVITY,), ("unknown_activity", "not_collecting")),
    Command("agenda", _agenda),
    Command("participants", _participants),
    Command("export", _export),
    Command("moderate", lambda w, f: w.set_moderated(f["activity"], f["moderated"]),
            (_ACTIVITY, Field("moderated", (bool,))), ("unknown_activity",)),
    Command("contributions", _contributions, (Field("activity", (str, _NONE), required=False),),
            ("unknown_activity",)),
    Command("state", _state),
    Command("screen", _screen, (Field("view", (str,)), Field("participant", (str, _NONE), required=False),
                                Field("contribution", (str, _NONE), required=False)),
            ("no_activity", "unknown_contribution", "not_visible")),
    Command("screen_token", _link_token("screen"), (Field("action", (str, _NONE), required=False),)),
    Command("note", _note, (_ACTIVITY, Field("text", (str,))), ("unknown_activity", "bad_message")),
    Command("remote_token", _link_token("remote"), (Field("action", (str, _NONE), required=False),)),
    # themes and stars (docs/themes.md)
    Command("themes", _themes, (_ACTIVITY,), ("unknown_activity",)),
    Command("theme_create", lambda w, f: _theme(w, "create", f["activity"], f["label"], f["contributions"],
                                                bool(f["confirmed"])),
            (_ACTIVITY, _LABEL, _REFS, Field("confirmed", (bool,), required=False)),
            ("unknown_activity", "unknown_contribution", "invalid", "too_many")),
    Command("theme_rename", lambda w, f: _theme(w, "rename", f["theme"], f["label"]), (_THEME, _LABEL),
            ("unknown_theme", "invalid")),
    Command("theme_merge", lambda w, f: _theme(w, "merge", f["theme"], f["into"]),
            (_THEME, Field("into", (str,))), ("unknown_theme", "invalid")),
    Command("theme_move", lambda w, f: _theme(w, "move", f["contributions"], f["theme"], f["activity"]),
            (_REFS, Field("theme", (str, _NONE)), Field("activity", (str, _NONE), required=False)),
            ("unknown_theme", "unknown_contribution", "invalid")),
    Command("theme_ungroup", lambda w, f: _theme(w, "ungroup", f["theme"]), (_THEME,), ("unknown_theme",)),
    Command("theme_confirm", lambda w, f: _theme(w, "confirm", f["theme"], f["confirmed"] is not False),
            (_THEME, Field("confirmed", (bool,), required=False)), ("unknown_theme",)),
    Command("suggest_themes", lambda w, f: w.suggest_themes(f["activity"]), (_ACTIVITY,),
            ("unknown_activity", "unavailable")),
    # a paper card entered for someone without a phone (docs/facilitators.md, "Paper cards")
    Command("assist", lambda w, f: w.assist(f["activity"], f["data"], role=f["role"], name=f["name"],
                                            participant_id=f["participant"]),
            (_ACTIVITY, Field("role", (str, _NONE)), Field("data", (dict,)),
             Field("name", (str, _NONE), required=False), Field("participant", (str, _NONE), required=False)),
            ("wrong_activity", "activity_closed", "invalid", "too_many", "not_found", "not_assisted",
             "plugin_error", "room_full", "unavailable")),
    # an activity plugin's own facilitator actions (docs/plugin_hooks.md, "Facilitator actions")
    Command("facilitator_actions", _facilitator_actions, (_ACTIVITY,), ("unknown_activity", "plugin_error")),
    Command("facilitator_action", lambda w, f: w.facilitator_action(f["activity"], f["action"], f["participant"],
                                                                    f["id"], f["value"]),
            (_ACTIVITY, Field("action", (str,)), Field("participant", (str, _NONE), required=False),
             Field("id", (str, _NONE), required=False), Field("value", (str, int, float, bool, _NONE), required=False)),
            ("unknown_activity", "unknown_action", "unknown_contribution", "invalid", "plugin_error", "unavailable")),
    Command("star", lambda w, f: w.set_starred(f["participant"], f["id"], True), _STAR, ("unknown_contribution",)),
    Command("unstar", lambda w, f: w.set_starred(f["participant"], f["id"], False), _STAR,
            ("unknown_contribution",)),
]


#: Every facilitator command by name, in the order docs/protocol.md lists them.
COMMANDS: dict[str, Command] = {c.name: c for c in _LIST}


async def dispatch(workshop: Workshop, frame: dict[str, Any]) -> dict[str, Any]:
    """Run one facilitator command frame; returns the fields of its ``ok`` answer.
    Raises :class:`BadCommand` for a frame that does not fit, and the engine's
    ``WorkshopError`` for a command that cannot be done."""
    kind = frame.get("type")
    command = COMMANDS.get(kind) if isinstance(kind, str) else None
    if command is None:
        raise BadCommand("unknown_type", f"unknown command {str(kind)[:40]!r}")
    fields = {f.name: f.read(frame) for f in command.fields}
    return await command.run(workshop, fields) or {}


class LocalChannel:
    """``request(kind, **fields)`` for a workshop in this process, as the TUI's client
    offers it for a host in another one: each command runs through :func:`dispatch`,
    exactly as the server runs it, and answers the ``ok`` frame."""

    def __init__(self, workshop: Workshop):
        self.workshop = workshop

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        try:
            return {"type": "ok", **await dispatch(self.workshop, {"type": kind, **fields})}
        except BadCommand as exc:
            raise WorkshopError(exc.code, exc.message) from None
