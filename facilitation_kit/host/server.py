"""The protocol server: participant page, ``/healthz``, ``/ws`` and ``/ws/facilitator``
on one port, speaking the participant wire protocol v1 (``docs/protocol.md``).

One handler per connection routes on the path and then on the first message (as in
the websockets tutorial); every bad frame is answered with an ``error`` frame and the
connection stays open; fan-out uses ``websockets.broadcast``, which never waits for a
slow phone.
"""

from __future__ import annotations

import asyncio
import hmac
import http
import json
import logging
import mimetypes
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..core import events as ev
from ..core.engine import PROTOCOL_VERSION, Workshop, WorkshopError, hash_token

log = logging.getLogger("facilitation_kit.host.server")

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")


@dataclass
class Limits:
    """Protocol limits; see docs/protocol.md "Limits"."""

    max_frame: int = 16 * 1024          # bytes; larger frames get `too_large`
    hard_frame: int = 1024 * 1024       # bytes; larger frames close the connection (1009)
    rate: float = 30.0                  # frames per second, sustained
    burst: int = 80                     # frames at once (the protocol promises 60 pass)
    flood_close: int = 200              # refused frames within `flood_window` s → close 1008
    flood_window: float = 5.0
    max_connections: int = 4000         # open websocket connections; more get HTTP 503
    auth_timeout: float = 10.0          # facilitator's first frame
    ping_interval: float = 20.0
    ping_timeout: float = 20.0


class _Bucket:
    """Token bucket rate limiter with a record of recent refusals."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.tokens = float(limits.burst)
        self.stamp = time.monotonic()
        self.refused: list[float] = []

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.limits.burst, self.tokens + (now - self.stamp) * self.limits.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused.append(now)
        cutoff = now - self.limits.flood_window
        while self.refused and self.refused[0] < cutoff:
            self.refused.pop(0)
        return False

    @property
    def flooding(self) -> bool:
        return len(self.refused) >= self.limits.flood_close


@dataclass(eq=False)
class _Conn:
    ws: ServerConnection
    bucket: _Bucket
    participant: str | None = None
    facilitator: bool = False


class BadFrame(Exception):
    def __init__(self, code: str, message: str, frame: dict | None = None):
        self.code, self.message, self.frame = code, message, frame


def _dumps(frame: Any) -> bytes:
    """A frame as UTF-8 JSON bytes, sent as a text frame (no str → bytes copy in
    websockets). orjson (~5x the standard library here) with the standard library's
    behaviour for keys that are not strings."""
    try:
        return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits, which JSON can hold
        return json.dumps(frame, ensure_ascii=False).encode("utf-8")


def _loads(message: str) -> Any:
    """Parse a frame: orjson, and the standard library for what orjson refuses (lone
    surrogate escapes, NaN, nesting beyond 1,024), so that those keep their answers."""
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        return json.loads(message)


def _reply_key(frame: dict | None, facilitator: bool) -> dict[str, Any]:
    if not isinstance(frame, dict):
        return {}
    key = "ref" if facilitator else "id"
    value = frame.get(key)
    if value is None or isinstance(value, (dict, list)):
        return {}
    return {key: value}


def _fix_text(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def _replace_surrogates(value: Any) -> Any:
    """A lone surrogate (``"\\ud800"`` in JSON) becomes U+FFFD everywhere in a frame, as
    forms.clean_text does for text: such a string can be neither stored as UTF-8 nor
    sent back (an ``id`` is echoed in replies)."""
    if isinstance(value, str):
        return _fix_text(value)
    if isinstance(value, dict):
        return {_fix_text(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


class ProtocolServer:
    """Serves one workshop. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, workshop: Workshop, *, host: str = "127.0.0.1", port: int = 8765,
                 facilitator_token: str, allowed_origins: Iterable[str] = (),
                 limits: Limits | None = None, web_dir: Path = WEB_DIR):
        self.workshop = workshop
        self.host, self.port = host, port
        self._facilitator_hash = hash_token(facilitator_token)
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}
        self.limits = limits or Limits()
        self.web_dir = web_dir
        self.server: Server | None = None
        self.participant_conns: set[_Conn] = set()
        self.facilitator_conns: set[_Conn] = set()
        self._by_participant: dict[str, set[_Conn]] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._unsubscribe = workshop.subscribe(self._on_event)
        self.open_connections = 0

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self.server = await serve(
            self._handler, self.host, self.port, process_request=self._process_request,
            origins=None, max_size=self.limits.hard_frame, max_queue=16, compression=None,
            ping_interval=self.limits.ping_interval, ping_timeout=self.limits.ping_timeout,
            server_header=None, logger=logging.getLogger("facilitation_kit.websockets"))
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._unsubscribe()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    # -- HTTP ------------------------------------------------------------------------
    def _respond(self, status: int, body: bytes, content_type: str, extra: list | None = None) -> Response:
        headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body))),
                           ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                           ("Referrer-Policy", "no-referrer")] + (extra or []))
        return Response(status, http.HTTPStatus(status).phrase, headers, body)

    def _json(self, status: int, payload: Any) -> Response:
        return self._respond(status, json.dumps(payload).encode(), "application/json")

    def _text(self, status: int, text: str) -> Response:
        return self._respond(status, text.encode(), "text/plain; charset=utf-8")

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path in ("/ws", "/ws/facilitator"):
            origin = request.headers.get("Origin")
            if origin is not None and not self._origin_ok(origin, request.headers.get("Host")):
                return self._text(403, "Forbidden origin\n")
            if self.open_connections >= self.limits.max_connections:
                return self._text(503, "The room is full\n")
            return None
        if getattr(request, "method", "GET") != "GET":
            return self._text(405, "GET only\n")
        if path == "/healthz":
            return self._json(200, {"status": "ok", "participants": self.workshop.connected_count(),
                                    "activity": self.workshop.current_id})
        if path == "/api/session":
            return self._json(200, {"protocol": PROTOCOL_VERSION, "title": self.workshop.agenda.title,
                                    "roles": list(self.workshop.agenda.roles),
                                    "language": self.workshop.agenda.language,
                                    "anonymous": self.workshop.agenda.anonymous})
        if path == "/":
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        return self._text(404, "Not found\n")

    def _origin_ok(self, origin: str, host: str | None) -> bool:
        origin = origin.rstrip("/")
        if host and hmac.compare_digest(origin, f"http://{host}") or origin in self.allowed_origins:
            return True
        return bool(host) and origin == f"https://{host}"

    def _static(self, name: str) -> Response:
        cached = self._files.get(name)
        if cached is None:
            root = self.web_dir.resolve()
            target = (root / name).resolve()
            if root not in target.parents or not target.is_file():
                return self._text(404, "Not found\n")
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
                ctype += "; charset=utf-8"
            cached = (target.read_bytes(), ctype)
            self._files[name] = cached
        body, ctype = cached
        extra = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY")] if name.endswith(".html") else []
        return self._respond(200, body, ctype, extra)

    # -- websocket -------------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        self.open_connections += 1
        conn = _Conn(ws, _Bucket(self.limits))
        try:
            if urlsplit(ws.request.path).path == "/ws/facilitator":
                await self._facilitator(conn)
            else:
                await self._participant(conn)
        except ConnectionClosed:
            pass
        except Exception:  # never let one connection's failure reach the terminal as a traceback storm
            log.exception("connection handler failed")
            try:
                await ws.close(1011, "internal error")
            except Exception:
                pass
        finally:
            self.open_connections -= 1
            self.participant_conns.discard(conn)
            self.facilitator_conns.discard(conn)
            if conn.participant is not None:
                conns = self._by_participant.get(conn.participant)
                if conns is not None:
                    conns.discard(conn)
                    if not conns:
                        del self._by_participant[conn.participant]
                self.workshop.disconnect(conn.participant)

    async def _send(self, conn: _Conn, frame: dict[str, Any]) -> None:
        await conn.ws.send(_dumps(frame), text=True)

    async def _error(self, conn: _Conn, code: str, message: str, frame: dict | None = None, **extra) -> None:
        out = {"type": "error", "code": code, "message": message}
        out.update(_reply_key(frame, conn.facilitator))
        out.update(extra)
        await self._send(conn, out)

    def _parse(self, conn: _Conn, message: str | bytes) -> dict[str, Any]:
        if isinstance(message, bytes):
            raise BadFrame("bad_message", "binary frames are not accepted; send JSON text")
        size = len(message) if len(message) * 4 <= self.limits.max_frame else len(
            message.encode("utf-8", "surrogatepass"))
        if size > self.limits.max_frame:
            raise BadFrame("too_large", f"frames may be at most {self.limits.max_frame} bytes")
        try:
            frame = _loads(message)
            if "\\u" in message:  # only a \u escape can carry a lone surrogate into a str
                frame = _replace_surrogates(frame)
        except (ValueError, RecursionError):
            raise BadFrame("bad_json", "the frame is not valid JSON") from None
        if not isinstance(frame, dict):
            raise BadFrame("bad_message", "the frame must be a JSON object")
        if not isinstance(frame.get("type"), str):
            raise BadFrame("bad_message", "the frame needs a string field 'type'", frame)
        return frame

    async def _frames(self, conn: _Conn):
        """Yield parsed frames; answer bad ones and rate-limited ones here."""
        async for message in conn.ws:
            if not conn.bucket.take():
                if conn.bucket.flooding:
                    # Keep reading (and discarding) while closing: with reading paused by
                    # the unread backlog, the client's close frame would never be seen.
                    closing = asyncio.ensure_future(conn.ws.close(1008, "too many frames"))
                    async for _ in conn.ws:
                        pass
                    await closing
                    return
                await self._error(conn, "rate_limited", "too many frames; slow down")
                continue
            try:
                yield self._parse(conn, message)
            except BadFrame as bad:
                await self._error(conn, bad.code, bad.message, bad.frame)

    # participant channel ---------------------------------------------------------------
    async def _participant(self, conn: _Conn) -> None:
        async for frame in self._frames(conn):
            kind = frame["type"]
            handler = getattr(self, f"_p_{kind}", None)
            if handler is None:
                await self._error(conn, "unknown_type", f"unknown message type {kind[:40]!r}", frame)
                continue
            if kind != "hello" and conn.participant is None:
                await self._error(conn, "not_joined", "send hello first", frame)
                continue
            try:
                await handler(conn, frame)
            except BadFrame as bad:
                await self._error(conn, bad.code, bad.message, frame)
            except WorkshopError as exc:
                await self._error(conn, exc.code, exc.message, frame,
                                  **({"fields": exc.fields} if exc.fields else {}))

    @staticmethod
    def _field(frame: dict, name: str, kinds: tuple, *, required: bool = True) -> Any:
        if name not in frame:
            if required:
                raise BadFrame("bad_message", f"missing field {name!r}")
            return None
        value = frame[name]
        if value is None and type(None) in kinds:
            return None
        if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
            raise BadFrame("bad_message", f"field {name!r} has the wrong type")
        return value

    async def _p_hello(self, conn: _Conn, frame: dict) -> None:
        if conn.participant is not None:
            raise WorkshopError("already_joined", "this connection has joined already")
        room = self._field(frame, "room", (str,))
        name = self._field(frame, "name", (str, type(None)), required=False)
        role = self._field(frame, "role", (str, type(None)), required=False)
        lang = self._field(frame, "lang", (str, type(None)), required=False)
        token = self._field(frame, "token", (str, type(None)), required=False)
        if not hmac.compare_digest(room.strip().upper().encode(), self.workshop.room.encode()):
            raise WorkshopError("bad_room", "no workshop with this room code here")
        doc, token, resumed = await self.workshop.join(name=name, role=role, lang=lang, token=token)
        pid = doc["id"]
        if conn.ws.state.name != "OPEN":
            return
        conn.participant = pid
        old = self._by_participant.get(pid, set())
        self._by_participant[pid] = {conn}
        self.participant_conns.add(conn)
        self.workshop.connect(pid, resumed=resumed)
        for other in old:
            other.participant = None
            self.participant_conns.discard(other)
            self.workshop.disconnect(pid)
            asyncio.ensure_future(other.ws.close(4001, "replaced"))
        await self._send(conn, {
            "type": "welcome", "protocol": PROTOCOL_VERSION,
            "participant": self.workshop.participant_view(doc), "token": token,
            "session": self.workshop.session_view(),
            "activity": await self.workshop.activity_view(), "mine": self.workshop.mine(pid)})

    async def _p_submit(self, conn: _Conn, frame: dict) -> None:
        client_id = self._client_id(frame)
        activity = self._field(frame, "activity", (str,))
        data = self._field(frame, "data", (dict,))
        result = await self.workshop.submit(conn.participant, client_id, activity, data)
        await self._send(conn, {"type": "ack", **result})

    def _client_id(self, frame: dict) -> str:
        client_id = self._field(frame, "id", (str,))
        if not client_id or len(client_id) > 200:
            raise BadFrame("bad_message", "field 'id' must be a non-empty string of at most 200 characters")
        return client_id

    async def _p_withdraw(self, conn: _Conn, frame: dict) -> None:
        result = await self.workshop.withdraw(conn.participant, self._client_id(frame))
        await self._send(conn, {"type": "ack", **result})

    async def _p_profile(self, conn: _Conn, frame: dict) -> None:
        kw = {k: self._field(frame, k, (str, type(None)), required=False) for k in ("name", "role", "lang")}
        doc = await self.workshop.set_profile(conn.participant, **kw)
        await self._send(conn, {"type": "profile", "participant": self.workshop.participant_view(doc)})

    async def _p_sync(self, conn: _Conn, frame: dict) -> None:
        await self._send(conn, {"type": "sync", "activity": await self.workshop.activity_view(),
                                "mine": self.workshop.mine(conn.participant)})

    # facilitator channel ---------------------------------------------------------------
    async def _facilitator(self, conn: _Conn) -> None:
        conn.facilitator = True
        try:
            first = await asyncio.wait_for(conn.ws.recv(), self.limits.auth_timeout)
        except asyncio.TimeoutError:
            await conn.ws.close(4003)
            return
        try:
            frame = self._parse(conn, first)
        except BadFrame:
            frame = None
        token = frame.get("token") if isinstance(frame, dict) and frame.get("type") == "auth" else None
        if not isinstance(token, str) or not hmac.compare_digest(hash_token(token), self._facilitator_hash):
            await conn.ws.close(4003)
            return
        self.facilitator_conns.add(conn)
        await self._send(conn, {"type": "authed", "session": self.workshop.session_view(),
                                "activity": await self.workshop.activity_view()})
        async for frame in self._frames(conn):
            try:
                payload = await self._command(frame)
            except BadFrame as bad:
                await self._error(conn, bad.code, bad.message, frame)
            except WorkshopError as exc:
                await self._error(conn, exc.code, exc.message, frame)
            else:
                await self._send(conn, {"type": "ok", **_reply_key(frame, True), **payload})

    async def _command(self, frame: dict) -> dict[str, Any]:
        w = self.workshop
        kind = frame["type"]
        if kind in ("next", "previous", "open", "close"):
            await getattr(w, kind)()
        elif kind == "goto":
            await w.goto(self._field(frame, "activity", (str,)))
        elif kind == "timer":
            seconds = self._field(frame, "seconds", (int, float, type(None)))
            close_at_end = self._field(frame, "close_at_end", (bool,), required=False) or False
            if seconds is not None and not 0 < seconds <= 24 * 3600:
                raise BadFrame("bad_message", "seconds must be between 1 and 86400, or null")
            await w.set_timer(seconds, close_at_end)
        elif kind in ("hide", "unhide"):
            contribution = self._field(frame, "contribution", (str,))
            participant = self._field(frame, "participant", (str,))
            await w.set_hidden(participant, contribution, kind == "hide")
        elif kind in ("lock", "unlock"):
            await w.set_locked(kind == "lock")
        elif kind == "pause_timer":
            await w.pause_timer()
        elif kind == "resume_timer":
            await w.resume_timer()
        elif kind == "add_time":
            seconds = self._field(frame, "seconds", (int, float))
            if not -3600 <= seconds <= 3600:
                raise BadFrame("bad_message", "seconds must be between -3600 and 3600")
            await w.add_time(seconds)
        elif kind == "erase":
            return {"erased": await w.erase_participant(self._field(frame, "participant", (str,)))}
        elif kind == "results":
            return await w.results(self._field(frame, "activity", (str,)))
        elif kind == "agenda":
            return {"agenda": w.agenda_view()}
        elif kind == "participants":
            return {"participants": w.participants()}
        elif kind == "export":
            return {"export": w.export()}
        elif kind == "moderate":
            await w.set_moderated(self._field(frame, "activity", (str,)),
                                  self._field(frame, "moderated", (bool,)))
        elif kind == "contributions":
            activity = self._field(frame, "activity", (str, type(None)), required=False)
            if activity is not None and w.agenda.activity(activity) is None:
                raise WorkshopError("unknown_activity", f"no activity {activity[:40]!r} in the agenda")
            return {"contributions": [{**c, **(dict(held=True) if w.is_held(c["participant"], c["id"]) else {})}
                                      for c in w.contributions(activity, include_hidden=True)]}
        elif kind == "state":
            return {"state": self._state(w)}
        else:
            raise BadFrame("unknown_type", f"unknown command {kind[:40]!r}")
        return {}

    # events --------------------------------------------------------------------------
    def _facilitators(self, frame: dict[str, Any]) -> None:
        if self.facilitator_conns:
            broadcast([c.ws for c in self.facilitator_conns], _dumps(frame), text=True)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ActivityChanged):
            self._activity_state((event.activity or {}).get("id"))
            frame = _dumps({"type": "activity", "activity": event.activity})
            broadcast([c.ws for c in self.participant_conns], frame, text=True)
            broadcast([c.ws for c in self.facilitator_conns], frame, text=True)
        elif isinstance(event, ev.ParticipantJoined):
            self._facilitators({"type": "joined", "participant": event.participant, "resumed": event.resumed})
        elif isinstance(event, ev.ParticipantLeft):
            self._facilitators({"type": "left", "participant": event.participant})
        elif isinstance(event, ev.ContributionAdded):
            c = event.contribution
            held = {"held": True} if c.get("hidden") and self.workshop.is_held(c["participant"], c["id"]) else {}
            self._facilitators({"type": "contribution", "contribution": c, "role": event.role, **held})
        elif isinstance(event, ev.ContributionWithdrawn):
            self._facilitators({"type": "withdrawn", "id": event.id, "participant": event.participant})
        elif isinstance(event, ev.ContributionHidden):
            self._facilitators({"type": "hidden" if event.hidden else "unhidden",
                                "contribution": event.contribution})
        elif isinstance(event, ev.ProfileChanged):
            self._facilitators({"type": "profile", "participant": event.participant})
        elif isinstance(event, ev.ParticipantErased):
            self._facilitators({"type": "erased", "participant": {"id": event.participant_id},
                                "contributions": event.contributions})
            for conn in self._by_participant.pop(event.participant_id, set()):
                self.participant_conns.discard(conn)
                conn.participant = None
                self.workshop.disconnect(event.participant_id)
                asyncio.ensure_future(conn.ws.close(1000, "erased"))
        elif isinstance(event, ev.RoomLockChanged):
            self._facilitators({"type": "locked" if event.locked else "unlocked"})
        elif isinstance(event, ev.StorageProblem):
            self._facilitators({"type": "storage", "ok": event.message is None, "message": event.message})
        elif isinstance(event, ev.PluginProblem):
            self._facilitators({"type": "plugin_error", "activity": event.activity,
                                "plugin": event.plugin, "message": event.message})
        elif isinstance(event, ev.ModerationChanged):
            self._activity_state(event.activity)
            self._facilitators({"type": "moderation", "activity": event.activity, "moderated": event.moderated})

    def _activity_state(self, activity_id: str | None) -> None:
        """Extension event ``activity_state``: an activity's stored state (timer, pause,
        close at zero, moderation), sent to facilitators just before the event it explains."""
        if activity_id is not None and self.facilitator_conns:
            state = self.workshop.tables["activities"].get(activity_id)
            if state is not None:
                self._facilitators({"type": "activity_state", "activity": activity_id, "state": state})

    @staticmethod
    def _state(w: Workshop) -> dict[str, Any]:
        """Extension ``state``: everything a facilitator's mirror of the workshop needs,
        as stored (participants without their token hashes), plus who is connected."""
        participants = {pid: {k: v for k, v in doc.items() if k != "token_hash"}
                        for pid, doc in w.tables["participants"].items()}
        return {"session": w.session, "activities": w.tables["activities"], "participants": participants,
                "contributions": list(w.tables["contributions"].values()),
                "connected": [pid for pid in participants if w.is_connected(pid)]}
