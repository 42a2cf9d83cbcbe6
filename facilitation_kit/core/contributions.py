"""The workshop's commands about contributions: submitting, withdrawing, moderating, themes and stars."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from . import events as ev
from . import themes as th
from . import workers
from .activity import FacilitatorAction
from .caller import PluginFailure
from .errors import WorkshopError
from .forms import Form, Invalid
from .ops import put
from .record import utc_iso
from .roles import submitted_role
from .state import contribution_key
from .views import require_json

MAX_CONTRIBUTIONS = 200     # contributions per participant per activity (withdrawn ones too)
#: What a phone is told when the activity's plugin failed (the page shows its own
#: translation of the code ``plugin_error``; the details go to the facilitator).
PHONE_PLUGIN_ERROR = "this activity is not working right now; the facilitator has been told"

log = logging.getLogger(__name__)


class ContributionCommands:
    """Commands of :class:`~facilitation_kit.core.engine.Workshop` about contributions."""

    # -- contributions ---------------------------------------------------------------
    async def submit(self, participant_id: str, client_id: str, activity_id: str,
                     data: Any, *, profile: dict[str, Any] | None = None) -> dict[str, Any]:
        """Store a contribution; returns the ack frame's body. Idempotent per client id.
        ``profile``: the author's participant row to store in the same commit (a paper
        card's assisted participant, new or changed: :meth:`assist`)."""
        key = contribution_key(participant_id, client_id)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        existing = self.tables["contributions"].get(key)
        if existing is not None:
            return self._ack(existing)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await self._submit(participant_id, client_id, activity_id, data, key, profile)
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # retrieved: no "never retrieved" warning
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            self._inflight.pop(key, None)

    def _ack(self, doc: dict[str, Any]) -> dict[str, Any]:
        if doc.get("withdrawn"):
            return {"id": doc["id"], "withdrawn": True}
        return {"id": doc["id"], "contribution": self.contribution_view(doc)}

    async def _submit(self, pid, client_id, activity_id, data, key, profile=None) -> dict[str, Any]:
        doc = profile if profile is not None else self._require_participant(pid)
        consent = self.agenda.consent
        # a paper card's author gave consent on paper, to the facilitator (docs/facilitators.md)
        if (consent is not None and not doc.get("consented_at") and not doc.get("assisted")
                and (consent["required"] or doc.get("declined_at"))):
            raise WorkshopError("consent_required", "agree to the consent text first (you are watching)"
                                if doc.get("declined_at") else "agree to the consent text first")
        current = self.current_id
        if current is None or activity_id != current:
            raise WorkshopError("wrong_activity", "that is not the current activity")
        act = self.agenda.activity(current)
        if not act.collects:
            raise WorkshopError("not_collecting", f"this step (a {act.kind}) takes no answers")
        state = self.tables["activities"][current]["state"]
        if state != "open":
            raise WorkshopError("activity_closed", "submissions are not open for this activity"
                                if state == "pending" else "submissions are closed for this activity")
        registered = self.plugins.activity_type(act.plugin)
        cap = self.contribution_cap(current)
        if self.count_of(pid, current) >= cap:
            raise WorkshopError("too_many", f"you have sent the most contributions this activity takes ({cap})")
        lang = self.lang_of(doc.get("lang"))
        view, form = await self.views.view_and_form(current, lang)
        if form is None:
            raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR)
        try:
            cleaned = form.validate(data)
            info = await self.views.cached_info(current, lang)
            replaced = await self.caller.call(registered.activity_type, "validate", info, cleaned)
        except Invalid as exc:
            raise WorkshopError("invalid", "the answer does not fit the form: "
                                + ", ".join(f"{k} ({v})" for k, v in exc.fields.items()) if exc.fields
                                else str(exc), exc.fields or None) from None
        except PluginFailure as exc:
            self._plugin_failed(current, act.plugin, str(exc))
            raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR) from None
        if replaced is not None:
            try:  # checked before the commit: what the store cannot hold is the plugin's fault
                if not isinstance(replaced, dict):
                    raise PluginFailure(f"{act.plugin}.validate returned {type(replaced).__name__}, not a dict")
                require_json(replaced, f"{act.plugin}.validate")
            except PluginFailure as exc:
                self._plugin_failed(current, act.plugin, str(exc))
                raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR) from None
            cleaned = replaced
        author = doc
        role = profile["role"] if profile is not None else self.role_of(pid)  # the role it was made in
        doc = {"id": client_id, "participant": pid, "activity": current, "data": cleaned,
               "created_at": utc_iso(), "role": role}
        if author.get("assisted"):
            doc["assisted"] = True  # entered by the facilitator from a paper card
        if self.tables["activities"][current].get("moderated"):
            doc.update(hidden=True, held=True)  # approve before showing: held until approved
        ops = [put("contributions", key, doc)]
        if profile is not None:  # stored with the card: no participant without a card is left behind
            ops.insert(0, put("participants", pid, profile))
        if profile is None or pid in self.tables["participants"]:
            self._require_participant(pid)  # erased meanwhile? (no await from here to the write)
        await self._commit(ops)
        if profile is not None:
            self._emit(ev.ProfileChanged(self.participant_view(profile)))
        role = doc["role"]
        self._emit(ev.ContributionAdded(self.contribution_view(doc), role))
        self._fire_hook("contribution_stored", contribution=self.contribution_view(doc), role=role)
        await self._source_changed(current)
        return self._ack(doc)

    async def assist(self, activity_id: Any, data: Any, *, role: Any, name: Any = None,
                     participant_id: Any = None) -> dict[str, Any]:
        """Store a contribution the facilitator enters for someone without a phone (a
        paper card): for a new assisted participant (``participant_id`` None; no phone, no
        token) or another card of one entered before. ``role`` is one of the agenda's
        roles, or None / :data:`~facilitation_kit.core.roles.NO_ROLE` for no role; it is
        the card's role and becomes the person's. The card goes the way a phone's
        submission goes (the form's and the plugin's validation, moderation, the journal,
        the events), marked ``assisted``. Returns ``{"participant", "contribution"}``."""
        pid, profile = self._assisted_profile(participant_id, name, role)
        client_id = "card-" + secrets.token_hex(8)
        ack = await self.submit(pid, client_id, activity_id, data, profile=profile)
        author = self.participant(pid) or profile
        return {"participant": self.participant_view(author), "contribution": ack["contribution"]}

    def contribution_cap(self, activity_id: str) -> int:
        """Most contributions one participant may store in an activity: the agenda's
        ``max_contributions``, else the plugin's, else the host's (default 200)."""
        act = self.agenda.activity(activity_id)
        if act is not None and act.max_contributions:
            return act.max_contributions
        registered = self.plugins.activity_type(act.plugin) if act is not None else None
        own = getattr(registered.activity_type, "max_contributions", None) if registered else None
        return own or self.max_contributions

    async def withdraw(self, participant_id: str, client_id: str) -> dict[str, Any]:
        key = contribution_key(participant_id, client_id)
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except Exception:
                pass
        self._require_participant(participant_id)  # erased meanwhile? (no await until the write)
        doc = self.tables["contributions"].get(key)
        if doc is None:
            raise WorkshopError("not_found", "no such contribution of yours")
        if not doc.get("withdrawn"):
            tomb = {"id": client_id, "participant": participant_id, "activity": doc["activity"],
                    "created_at": doc["created_at"], "withdrawn": True, "withdrawn_at": utc_iso()}
            await self._commit([put("contributions", key, tomb)])
            self._compact_store()
            self._emit(ev.ContributionWithdrawn(client_id, participant_id, doc["activity"]))
            await self._source_changed(doc["activity"])
        return {"id": client_id, "withdrawn": True}

    async def set_hidden(self, participant_id: str, client_id: str, hidden: bool) -> dict[str, Any]:
        async with self._command_lock:
            key, doc = self._require_contribution(participant_id, client_id)
            if bool(doc.get("hidden")) != hidden or doc.get("held"):
                new = dict(doc)
                new.pop("held", None)  # approved (shown) or rejected (stays hidden)
                if hidden:
                    new["hidden"] = True
                else:
                    new.pop("hidden", None)
                await self._commit([put("contributions", key, new)])
                doc = new
                self._emit(ev.ContributionHidden(self.contribution_view(doc), hidden))
                await self._source_changed(doc["activity"])
            return self.contribution_view(doc)

    # -- facilitator actions (docs/plugin_hooks.md, "Facilitator actions") -------------------
    async def facilitator_actions(self, activity_id: str) -> list[dict[str, Any]]:
        """The facilitator actions an activity's plugin offers (``facilitator_actions``),
        as JSON, in the agenda's language. A step without a plugin offers none."""
        actions = await self._actions_of(activity_id)
        return [a.to_json() for a in actions]

    async def _actions_of(self, activity_id: str) -> list[FacilitatorAction]:
        self._require_activity(activity_id)
        act = self.agenda.activity(activity_id)
        registered = self.plugins.activity_type(act.plugin) if act.collects else None
        if registered is None:
            return []
        info = await self.activity_info(activity_id)
        try:
            actions = await self.caller.call(registered.activity_type, "facilitator_actions", info)
            actions = list(actions or [])
            problems = [f"{act.plugin}.facilitator_actions returned {type(a).__name__}, not a FacilitatorAction"
                        for a in actions if not isinstance(a, FacilitatorAction)]
            problems += [p for a in actions if isinstance(a, FacilitatorAction) for p in a.problems()]
            ids = [a.id for a in actions if isinstance(a, FacilitatorAction)]
            if len(set(ids)) != len(ids):
                problems.append(f"{act.plugin}.facilitator_actions offers the same action id twice")
            if problems:
                raise PluginFailure("; ".join(problems))
            require_json([a.to_json() for a in actions], f"{act.plugin}.facilitator_actions")
        except PluginFailure as exc:
            self._plugin_failed(activity_id, act.plugin, str(exc))
            raise WorkshopError("plugin_error", str(exc)) from None
        except TypeError as exc:  # not a list
            message = f"{act.plugin}.facilitator_actions did not return a list: {exc}"
            self._plugin_failed(activity_id, act.plugin, message)
            raise WorkshopError("plugin_error", message) from None
        return actions

    async def facilitator_action(self, activity_id: str, action_id: str, participant_id: str | None,
                                 client_id: str | None, value: Any) -> dict[str, Any]:
        """Run one facilitator action of an activity's plugin. For an action on a
        contribution, the plugin's new ``data`` is checked like a submission (the form,
        the plugin's ``validate``, JSON) and stored through the journal, the contribution
        keeping its author and marked ``edited_by_facilitator``. Returns ``{"changed":
        bool}`` plus the ``contribution`` (its view) for an action on one."""
        actions = {a.id: a for a in await self._actions_of(activity_id)}
        action = actions.get(action_id)
        if action is None:
            raise WorkshopError("unknown_action", f"the activity offers no action {str(action_id)[:40]!r}")
        value = _action_value(action, value)
        act = self.agenda.activity(activity_id)
        registered = self.plugins.activity_type(act.plugin)
        key = doc = None
        passed = None
        if action.applies_to == "contribution":
            if not participant_id or not client_id:
                raise WorkshopError("unknown_contribution", "this action needs a contribution (participant and id)")
            key, doc = self._require_contribution(participant_id, client_id)
            if doc["activity"] != activity_id:
                raise WorkshopError("unknown_contribution", "that contribution is not in this activity")
            passed = {**self.contribution_view(doc), "role": submitted_role(doc, self.role_of(doc["participant"]))}
        info = await self.activity_info(activity_id)
        label = f"{act.plugin}.run_facilitator_action"
        try:
            new = await self.caller.call(registered.activity_type, "run_facilitator_action", info, action.id,
                                         passed, value)
            if new is not None and action.applies_to == "activity":
                raise PluginFailure(f"{label} returned data for an action on the activity (it must return None)")
            if new is not None:
                if not isinstance(new, dict):
                    raise PluginFailure(f"{label} returned {type(new).__name__}, not a dict")
                require_json(new, label)
        except Invalid as exc:
            raise WorkshopError("invalid", str(exc) if not exc.fields else "; ".join(
                f"{k}: {v}" for k, v in exc.fields.items()), exc.fields or None) from None
        except PluginFailure as exc:
            self._plugin_failed(activity_id, act.plugin, str(exc))
            raise WorkshopError("plugin_error", str(exc)) from None
        if new is None:
            return {"changed": False, **({"contribution": self.contribution_view(doc)} if doc else {})}
        data = await self._checked_like_a_submission(activity_id, act.plugin, registered, new)
        async with self._command_lock:
            key, doc = self._require_contribution(participant_id, client_id)  # withdrawn meanwhile?
            if participant_id in self._revoked:  # being erased: nothing of theirs is written again
                raise WorkshopError("unknown_contribution", "no such contribution")
            if doc["data"] == data:
                return {"changed": False, "contribution": self.contribution_view(doc)}
            doc = {**doc, "data": data, "edited_by_facilitator": True, "edited_at": utc_iso()}
            await self._commit([put("contributions", key, doc)])
        view = self.contribution_view(doc)
        self._emit(ev.ContributionEdited(view, submitted_role(doc, self.role_of(doc["participant"]))))
        await self._source_changed(activity_id)
        return {"changed": True, "contribution": view}

    async def _checked_like_a_submission(self, activity_id: str, plugin: str, registered, data: dict) -> dict:
        """A plugin's new data for a contribution, checked as a phone's submission is: the
        form (in the agenda's language), then the plugin's ``validate``. What does not fit
        is the plugin's failure (``plugin_error``)."""
        _, form = await self.views.view_and_form(activity_id)
        if form is None:
            raise WorkshopError("plugin_error", "the activity's form could not be built")
        try:
            cleaned = form.validate(data)
            replaced = await self.caller.call(registered.activity_type, "validate",
                                              await self.views.cached_info(activity_id), cleaned)
            if replaced is not None:
                if not isinstance(replaced, dict):
                    raise PluginFailure(f"{plugin}.validate returned {type(replaced).__name__}, not a dict")
                require_json(replaced, f"{plugin}.validate")
                cleaned = replaced
        except Invalid as exc:
            message = (f"{plugin}.run_facilitator_action returned data that does not fit the form: "
                       + (", ".join(f"{k} ({v})" for k, v in exc.fields.items()) if exc.fields else str(exc)))
            self._plugin_failed(activity_id, plugin, message)
            raise WorkshopError("plugin_error", message) from None
        except PluginFailure as exc:
            self._plugin_failed(activity_id, plugin, str(exc))
            raise WorkshopError("plugin_error", str(exc)) from None
        return cleaned

    # -- which answers are words (docs/themes.md "Words") ----------------------------------
    def _form_built(self, activity_id: str, form: Form) -> None:
        """A form was built: if its text fields are not all in its activity's row yet,
        record them (:meth:`_record_text_fields`, soon, in the background)."""
        names = th.text_field_names(form)
        known = th.text_fields(self, activity_id)
        if known is not None and set(names) <= set(known):
            return
        task = asyncio.ensure_future(self._record_text_fields(activity_id, names))
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

    async def _record_text_fields(self, activity_id: str, names: list[str]) -> None:
        """Store the names of an activity's text fields in its row (``text_fields``,
        journalled like every change): a contribution's words are their answers, and the
        TUI and the report learn which fields those are from the row (docs/themes.md).
        Names seen before stay (a form in another language, or built before its items
        changed), new ones are added in form order. Under the command lock, as every other
        change of an activity's row."""
        async with self._command_lock:
            row = self.tables["activities"].get(activity_id)
            if row is None:
                return
            known = th.text_fields(self, activity_id) or []
            merged = known + [n for n in names if n not in known]
            if th.text_fields(self, activity_id) == merged:
                return
            try:  # the form does not depend on it: the cached views stay
                await self._commit([put("activities", activity_id, {**row, "text_fields": merged})],
                                   invalidate=False)
            except WorkshopError:
                pass  # storage is failing (the facilitator is told); the next form built tries again

    # -- themes and stars (core/themes.py, docs/themes.md) ----------------------------------
    async def change_themes(self, change: str, *args: Any) -> dict[str, Any] | None:
        """Run one theme change of :mod:`core.themes` (``create``, ``rename``, ``merge``,
        ``move``, ``ungroup``, ``confirm``): store its operations, tell subscribers and
        refresh the activities that take the themes as items. Returns the theme."""
        async with self._command_lock:
            if change in ("create",):
                self._require_activity(args[0])
            try:
                ops, row = getattr(th, change)(self, *args)
            except th.ThemeError as exc:
                raise WorkshopError(exc.code, exc.message) from None
            activity = (row or {}).get("activity") or (args[-1] if change == "move" else None)
            if ops:
                await self._commit(ops)
            if activity:
                self._emit(ev.ThemesChanged(activity))
                await self._source_changed(activity)
            return self.tables["themes"].get(row["id"], row) if row else None

    async def set_starred(self, participant_id: str, client_id: str, starred: bool) -> dict[str, Any]:
        """Star a contribution (the report's quotes) or take the star away."""
        async with self._command_lock:
            key, doc = self._require_contribution(participant_id, client_id)
            if bool(doc.get("starred")) != starred:
                new = {**doc, "starred": True} if starred else {k: v for k, v in doc.items() if k != "starred"}
                await self._commit([put("contributions", key, new)])
                self._emit(ev.ContributionStarred(participant_id, client_id, doc["activity"], starred))
            return {"participant": participant_id, "id": client_id, "starred": starred}

    async def suggest_themes(self, activity_id: str) -> dict[str, Any]:
        """Suggested themes for an activity's contributions, computed in a worker process
        (:mod:`core.suggest`); nothing is stored: the facilitator accepts them with
        ``theme_create``."""
        self._require_activity(activity_id)
        entries = th.suggestion_entries(self, activity_id)
        if len(entries) < 2:
            return {"themes": [], "method": None}
        try:
            found = await workers.run_suggest(entries)
        except Exception as exc:
            log.warning("suggest_themes failed: %s", exc)
            raise WorkshopError("unavailable", f"suggestions could not be computed: {exc}") from None
        themes = [{"label": t["label"],
                   "contributions": [dict(zip(("participant", "id"), k.split("/", 1))) for k in t["keys"]]}
                  for t in found["themes"]]
        return {"themes": themes, "method": found["method"]}


def _action_value(action: FacilitatorAction, value: Any) -> Any:
    """The facilitator's value for an action, checked against what it asks for."""
    kind = action.value_kind
    if kind == "choice":
        allowed = [v for v, _ in action.choices]
        if value not in allowed:
            raise WorkshopError("invalid", "choose one of: " + ", ".join(allowed), {"value": "not one of the choices"})
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise WorkshopError("invalid", "write a text", {"value": "a text is needed"})
        if len(value.strip()) > action.max_length:
            raise WorkshopError("invalid", f"at most {action.max_length} characters",
                                {"value": f"at most {action.max_length} characters"})
        return value.strip()
    if value is not None:
        raise WorkshopError("invalid", "this action takes no value", {"value": "takes no value"})
    return None
