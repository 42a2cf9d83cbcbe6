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
import ipaddress
import json
import logging
import mimetypes
import re
import ssl
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from typing import Callable

import orjson
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..core import events as ev
from ..core import i18n
from ..core.engine import PROTOCOL_VERSION, Workshop, WorkshopError
from ..core.state import hash_token, public_participant
from ..core.protocol import BadCommand, Field, dispatch
from .pages import BY_PATH, PAGES, read_page
from .screen import ScreenFeed

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
    max_connections: int = 10_000       # joined connections (participants + facilitators); more get HTTP 503
    max_unjoined: int = 1_000           # connections that have not joined yet; more get HTTP 503
    per_address: int = 50               # open connections from one address (IPv6: one /64); 0: no limit
    hello_timeout: float = 10.0         # a participant connection not joined by then is closed (4008)
    join_burst: int = 20                # new participants from one address at once ...
    joins_per_minute: float = 10.0      # ... and after that, per minute; join_burst 0: no limit
    failed_hellos: int = 10             # failed hellos (wrong room or token) from one address in a minute ...
    hello_block: float = 60.0           # ... then its hellos get `rate_limited` for this long
    auth_timeout: float = 10.0          # facilitator's first frame
    ping_interval: float = 20.0
    ping_timeout: float = 20.0


CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
HELLO_TIMEOUT_CLOSE = 4008              # close code: no `hello` (or no join) within hello_timeout
ERASED_CLOSE = 4009                     # close code: the participant was erased (their data is gone)


def address_key(address: str) -> str:
    """What the per-address limits count by: an IPv4 address, or an IPv6 address's /64
    (one device can take many addresses of its /64)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _AddressBook:
    """Per-address state: open connections, the new-participant bucket, failed hellos.
    Entries that hold nothing are dropped, so it is as big as the addresses in use."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.open: dict[str, int] = {}
        self._joins: dict[str, list[float]] = {}       # key -> [tokens, stamp]
        self._failures: dict[str, deque] = {}          # key -> times of failed hellos
        self._blocked: dict[str, float] = {}           # key -> until (monotonic)

    def opened(self, key: str) -> int:
        self.open[key] = n = self.open.get(key, 0) + 1
        return n

    def closed(self, key: str) -> None:
        n = self.open.get(key, 0) - 1
        if n > 0:
            self.open[key] = n
        else:
            self.open.pop(key, None)

    def take_join(self, key: str) -> bool:
        burst = self.limits.join_burst
        if burst <= 0:
            return True
        now = time.monotonic()
        rate = self.limits.joins_per_minute / 60.0
        tokens, stamp = self._joins.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - stamp) * rate)
        if tokens < 1:
            self._joins[key] = [tokens, now]
            return False
        self._joins[key] = [tokens - 1, now]
        if len(self._joins) > 4096:  # forget buckets that have refilled
            self._joins = {k: v for k, v in self._joins.items()
                           if min(float(burst), v[0] + (now - v[1]) * rate) < burst}
        return True

    def give_back_join(self, key: str) -> None:
        entry = self._joins.get(key)
        if entry is not None:
            entry[0] = min(float(self.limits.join_burst), entry[0] + 1)

    def blocked(self, key: str) -> bool:
        until = self._blocked.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._blocked[key]
            return False
        return True

    def failed(self, key: str) -> None:
        if self.limits.failed_hellos <= 0:
            return
        now = time.monotonic()
        times = self._failures.setdefault(key, deque())
        times.append(now)
        while times and times[0] <= now - 60.0:
            times.popleft()
        if len(times) >= self.limits.failed_hellos:
            self._blocked[key] = now + self.limits.hello_block
            del self._failures[key]
        if len(self._failures) > 4096:
            self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - 60.0}


class _Bucket:
    """Token bucket rate limiter with a record of recent refusals."""

    __slots__ = ("limits", "tokens", "stamp", "refused")  # one per connection: no __dict__ each

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


@dataclass(eq=False, slots=True)  # one per connection: no __dict__ each
class _Conn:
    ws: ServerConnection
    bucket: _Bucket
    participant: str | None = None
    facilitator: bool = False
    remote: bool = False         # a facilitator connection authed with the remote token
    address: str = ""            # address_key of the peer
    trusted: bool = False        # exempt from the per-address limits
    joined: bool = False         # welcomed (participant) or authed (facilitator)
    lang: str = "en"  # the language this phone's frames are built in
    backlog: list[str | bytes] | None = None  # facilitator events held until `authed` is sent
    hello_timer: asyncio.TimerHandle | None = None  # closes a participant connection not joined in time


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


#: How deeply a frame's JSON may nest (no message of the protocol needs more than a few
#: levels); deeper is ``bad_json``, where the standard library's parser (its recursion
#: limit) drew the line before the host parsed frames with orjson.
MAX_DEPTH = 920


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


class ProtocolServer:
    """Serves one workshop. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, workshop: Workshop, *, host: str = "127.0.0.1", port: int = 8765,
                 facilitator_token: str, allowed_origins: Iterable[str] = (),
                 limits: Limits | None = None, web_dir: Path = WEB_DIR,
                 allowed_hosts: Iterable[str] = (), trusted_addresses: Iterable[str] = (),
                 ssl_context: ssl.SSLContext | None = None,
                 join_url: Callable[[], str] | None = None):
        self.workshop = workshop
        self.host, self.port = host, port
        self._facilitator_hash = hash_token(facilitator_token)
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}
        self.limits = limits or Limits()
        self.web_dir = web_dir
        self.ssl_context = ssl_context
        # DNS rebinding: besides address literals, the Host header may name only these
        self.allowed_hosts = {"localhost"} | {h.lower().rstrip(".") for h in allowed_hosts if h}
        for origin in self.allowed_origins:
            name = urlsplit(origin).hostname
            if name:
                self.allowed_hosts.add(name.lower().rstrip("."))
        self.trusted = {address_key(a) for a in trusted_addresses}
        self.addresses = _AddressBook(self.limits)
        self.server: Server | None = None
        self.participant_conns: set[_Conn] = set()
        self.facilitator_conns: set[_Conn] = set()
        self._by_participant: dict[str, set[_Conn]] = {}
        self._files = self._load_files(web_dir)
        self._frames_cache = i18n.FrameCache()
        self._unsubscribe = workshop.subscribe(self._on_event)
        self.open_connections = 0
        self.unjoined = 0

        self.screen = ScreenFeed(workshop, join_url or (lambda: f"http://{self.host}:{self.port}/?room={workshop.room}"),
                                 web_dir)
        self._unsubscribe_screen = workshop.subscribe(self.screen.on_event)

    @staticmethod
    def _load_files(web_dir: Path) -> dict[str, tuple[bytes, str]]:
        """The page's files, read once at start and served from memory by their exact
        names (``app.js``, ``i18n/fi.json``); no request ever reaches the disk. The
        three pages (host/pages.py ``PAGES``) are assembled here, once, from their
        declaration and body file, and served by name (``index.html``) instead of
        their body files."""
        files: dict[str, tuple[bytes, str]] = {}
        root = Path(web_dir).resolve()
        bodies = {page.body_file for page in PAGES}
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if (not path.is_file() or any(part.startswith(".") for part in rel.parts)
                    or rel.as_posix() in bodies):
                continue
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
                ctype += "; charset=utf-8"
            files[rel.as_posix()] = (path.read_bytes(), ctype)
        for page in PAGES:
            files[page.name] = (read_page(page, root), "text/html; charset=utf-8")
        return files

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self.server = await serve(
            self._handler, self.host, self.port, process_request=self._process_request,
            origins=None, max_size=self.limits.hard_frame, max_queue=16, compression=None,
            ping_interval=self.limits.ping_interval, ping_timeout=self.limits.ping_timeout,
            server_header=None, logger=logging.getLogger("facilitation_kit.websockets"),
            ssl=self.ssl_context)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._unsubscribe()
        self._unsubscribe_screen()
        await self.screen.close()
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
        hosts = request.headers.get_all("Host")
        if len(hosts) != 1 or not hosts[0].isascii():
            return self._text(400, "Bad Host header\n")
        if not self._host_ok(hosts[0]):
            return self._text(421, "This host does not serve that name\n")
        if path in ("/ws", "/ws/facilitator", "/ws/screen"):
            origins = request.headers.get_all("Origin")
            if len(origins) > 1:
                return self._text(400, "More than one Origin header\n")
            if origins and not self._origin_ok(origins[0], hosts[0]):
                return self._text(403, "Forbidden origin\n")
            joined = self.open_connections - self.unjoined
            if joined >= self.limits.max_connections:
                return self._text(503, "The room is full\n")
            if self.unjoined >= self.limits.max_unjoined:
                return self._text(503, "The host is busy; try again in a moment\n")
            key = address_key(str(conn.remote_address[0])) if conn.remote_address else ""
            if (self.limits.per_address > 0 and key not in self.trusted
                    and self.addresses.open.get(key, 0) >= self.limits.per_address):
                return self._text(429, "Too many connections from this address\n")
            return None
        if getattr(request, "method", "GET") != "GET":
            return self._text(405, "GET only\n")
        if path == "/healthz":
            return self._json(200, {"status": "ok", "participants": self.workshop.connected_count(),
                                    "activity": self.workshop.current_id})
        if path == "/api/session":
            return self._json(200, {"protocol": PROTOCOL_VERSION, "title": self.workshop.agenda.title,
                                    "roles": list(self.workshop.agenda.roles),
                                    "role_labels": {code: self.workshop.agenda.role_labels(code)
                                                    for code in i18n.LANGUAGES},
                                    "language": self.workshop.agenda.language,
                                    "anonymous": self.workshop.agenda.anonymous})
        if path in BY_PATH:
            return self._static(BY_PATH[path].name)
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        return self._text(404, "Not found\n")

    def _origin_ok(self, origin: str, host: str | None) -> bool:
        if not origin.isascii():  # compared as bytes below; a non-ASCII origin is nobody's
            return False
        origin = origin.rstrip("/")
        if origin in self.allowed_origins:
            return True
        return bool(host) and any(hmac.compare_digest(origin.encode(), f"{scheme}://{host}".encode())
                                  for scheme in ("http", "https"))

    def _host_ok(self, host: str) -> bool:
        """DNS rebinding: a page of another site whose name was made to point at this
        machine sends its own name as Host. Accept an address literal or a name this
        host serves on (``localhost``, ``--public-host``, the machine's names, the
        hosts of ``--allow-origin``, ``--allow-host``)."""
        name = host.strip()
        if name.startswith("["):
            name = name[1:name.find("]")] if "]" in name else name
        elif name.count(":") == 1:
            name = name.rsplit(":", 1)[0]
        name = name.lower().rstrip(".")
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
            return True
        except ValueError:
            return name in self.allowed_hosts

    def _static(self, name: str) -> Response:
        cached = self._files.get(name)  # a fixed set, by exact name: nothing else is looked up
        if cached is None:
            return self._text(404, "Not found\n")
        body, ctype = cached
        extra = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY")] if name.endswith(".html") else []
        return self._respond(200, body, ctype, extra)

    # -- websocket -------------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        self.open_connections += 1
        self.unjoined += 1
        key = address_key(str(ws.remote_address[0])) if ws.remote_address else ""
        conn = _Conn(ws, _Bucket(self.limits), address=key, trusted=key in self.trusted)
        opened = self.addresses.opened(key)
        try:
            if (not conn.trusted and 0 < self.limits.per_address < opened) or (
                    self.unjoined > self.limits.max_unjoined):
                # handshakes that passed the check at once: over the limit after all
                await ws.close(1013, "too many connections; try again later")
                return
            path = urlsplit(ws.request.path).path
            if path == "/ws/facilitator":
                await self._facilitator(conn)
            elif path == "/ws/screen":
                await self._screen(conn)
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
            if not conn.joined:
                self.unjoined -= 1
            self.addresses.closed(key)
            self.participant_conns.discard(conn)
            self.facilitator_conns.discard(conn)
            self.screen.discard(ws)
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
            if message.count("[") + message.count("{") > MAX_DEPTH and _deeper_than(frame, MAX_DEPTH):
                raise ValueError("nested too deeply")
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
                frame = self._parse(conn, message)
            except BadFrame as bad:
                await self._error(conn, bad.code, bad.message, bad.frame)
                continue
            # A phone mostly waits between frames: hold nothing of the last one meanwhile
            # (each phone's hello and its handler were kept, about 0.9 KiB a phone).
            message = None
            yield frame
            frame = None

    # participant channel ---------------------------------------------------------------
    def _joined(self, conn: _Conn) -> None:
        if not conn.joined:
            conn.joined = True
            self.unjoined -= 1
        self._stop_hello_timer(conn)  # joined: the timer and what it holds can go now

    @staticmethod
    def _stop_hello_timer(conn: _Conn) -> None:
        if conn.hello_timer is not None:
            conn.hello_timer.cancel()
            conn.hello_timer = None

    def _hello_expired(self, conn: _Conn) -> None:
        if not conn.joined and conn.ws.state.name == "OPEN":
            asyncio.ensure_future(conn.ws.close(HELLO_TIMEOUT_CLOSE, "no hello in time"))

    async def _participant(self, conn: _Conn) -> None:
        conn.hello_timer = asyncio.get_running_loop().call_later(self.limits.hello_timeout, self._hello_expired, conn)
        try:
            await self._participant_frames(conn)
        finally:
            self._stop_hello_timer(conn)

    async def _participant_frames(self, conn: _Conn) -> None:
        async for frame in self._frames(conn):
            await self._participant_frame(conn, frame)
            frame = None  # not kept while the phone waits (see _frames)

    async def _participant_frame(self, conn: _Conn, frame: dict) -> None:
        """One frame of a participant connection: its handler, or an error frame."""
        kind = frame["type"]
        handler = getattr(self, f"_p_{kind}", None)
        if handler is None:
            await self._error(conn, "unknown_type", f"unknown message type {kind[:40]!r}", frame)
            return
        if kind != "hello" and conn.participant is None:
            await self._error(conn, "not_joined", "send hello first", frame)
            return
        try:
            await handler(conn, frame)
        except (BadFrame, BadCommand) as bad:
            await self._error(conn, bad.code, bad.message, frame)
        except WorkshopError as exc:
            await self._error(conn, exc.code, exc.message, frame,
                              **({"fields": exc.fields} if exc.fields else {}))

    @staticmethod
    def _field(frame: dict, name: str, kinds: tuple, *, required: bool = True) -> Any:
        return Field(name, kinds, required).read(frame)

    async def _p_hello(self, conn: _Conn, frame: dict) -> None:
        if conn.participant is not None:
            raise WorkshopError("already_joined", "this connection has joined already")
        room = self._field(frame, "room", (str,))
        name = self._field(frame, "name", (str, type(None)), required=False)
        role = self._field(frame, "role", (str, type(None)), required=False)
        lang = self._field(frame, "lang", (str, type(None)), required=False)
        token = self._field(frame, "token", (str, type(None)), required=False)
        guarded = not conn.trusted
        if guarded and self.addresses.blocked(conn.address):
            raise WorkshopError("rate_limited", "too many failed attempts from this address; "
                                                "try again in a minute")
        if not hmac.compare_digest(room.strip().upper().encode("utf-8", "replace"), self.workshop.room.encode()):
            if guarded:
                self.addresses.failed(conn.address)
            raise WorkshopError("bad_room", "no workshop with this room code here")
        if len(self.participant_conns) + len(self.facilitator_conns) >= self.limits.max_connections:
            raise WorkshopError("room_full", "the room is full (connections)")
        new = token is None
        if new and guarded and not self.addresses.take_join(conn.address):
            raise WorkshopError("rate_limited", "too many new participants from this address; "
                                                "try again in a minute")
        try:
            doc, token, resumed = await self.workshop.join(name=name, role=role, lang=lang, token=token)
        except WorkshopError as exc:
            if guarded and exc.code == "bad_token":
                self.addresses.failed(conn.address)  # a wrong token costs what a wrong room does
            if guarded and new:
                self.addresses.give_back_join(conn.address)
            raise
        pid = doc["id"]
        if conn.ws.state.name != "OPEN":
            return
        self._joined(conn)
        conn.participant = pid
        conn.lang = self.workshop.lang_of(doc.get("lang"))
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
            "session": self.workshop.session_view(conn.lang),
            "activity": await self.workshop.activity_view(lang=conn.lang), "mine": self.workshop.mine(pid)})

    async def _p_submit(self, conn: _Conn, frame: dict) -> None:
        client_id = self._client_id(frame)
        activity = self._field(frame, "activity", (str,))
        data = self._field(frame, "data", (dict,))
        result = await self.workshop.submit(conn.participant, client_id, activity, data)
        await self._send(conn, {"type": "ack", **result})

    def _client_id(self, frame: dict) -> str:
        client_id = self._field(frame, "id", (str,))
        if not CLIENT_ID.fullmatch(client_id):
            raise BadFrame("bad_message", "field 'id' must be 1 to 64 characters of A-Z a-z 0-9 . _ : -")
        return client_id

    async def _p_withdraw(self, conn: _Conn, frame: dict) -> None:
        result = await self.workshop.withdraw(conn.participant, self._client_id(frame))
        await self._send(conn, {"type": "ack", **result})

    async def _p_profile(self, conn: _Conn, frame: dict) -> None:
        kw = {k: self._field(frame, k, (str, type(None)), required=False) for k in ("name", "role", "lang")}
        doc = await self.workshop.set_profile(conn.participant, **kw)
        before, conn.lang = conn.lang, self.workshop.lang_of(doc.get("lang"))
        await self._send(conn, {"type": "profile", "participant": self.workshop.participant_view(doc),
                                "session": self.workshop.session_view(conn.lang)})
        if conn.lang != before:  # the forms again, in the new language
            await self._send(conn, {"type": "activity",
                                    "activity": await self.workshop.activity_view(lang=conn.lang)})

    async def _p_consent(self, conn: _Conn, frame: dict) -> None:
        """Consent at join (extension): ``{"type": "consent", "agree": true|false}``."""
        agree = self._field(frame, "agree", (bool,))
        result = await self.workshop.consent(conn.participant, agree)
        await self._send(conn, {"type": "consent", **result})

    async def _p_sync(self, conn: _Conn, frame: dict) -> None:
        await self._send(conn, {"type": "sync", "activity": await self.workshop.activity_view(lang=conn.lang),
                                "mine": self.workshop.mine(conn.participant)})

    # facilitator channel ---------------------------------------------------------------
    async def _auth_token(self, conn: _Conn) -> str | None:
        """The token of the first frame, ``{"type": "auth", "token": …}``; None (and the
        connection closed with 4003) if it does not come in time or is not one."""
        try:
            first = await asyncio.wait_for(conn.ws.recv(), self.limits.auth_timeout)
        except asyncio.TimeoutError:
            await conn.ws.close(4003)
            return None
        try:
            frame = self._parse(conn, first)
        except BadFrame:
            frame = None
        token = frame.get("token") if isinstance(frame, dict) and frame.get("type") == "auth" else None
        if not isinstance(token, str):
            await conn.ws.close(4003)
            return None
        return token

    async def _facilitator(self, conn: _Conn) -> None:
        conn.facilitator = True
        token = await self._auth_token(conn)
        if token is None:
            return
        given = hash_token(token)
        remote = self.workshop.remote_token  # the facilitator's phone (docs/facilitators.md)
        conn.remote = bool(remote) and hmac.compare_digest(given, hash_token(remote))
        if not conn.remote and not hmac.compare_digest(given, self._facilitator_hash):
            await conn.ws.close(4003)
            return
        self._joined(conn)
        # `authed` is the first frame after `auth`: events meanwhile (a failing form()
        # emits plugin_error while the view is built) wait in the backlog until it is sent
        conn.backlog = []
        self.facilitator_conns.add(conn)
        try:
            await self._send(conn, {"type": "authed", "session": self.workshop.session_view(),
                                    "activity": await self.workshop.activity_view()})
            while conn.backlog:
                await conn.ws.send(conn.backlog.pop(0), text=True)
        finally:
            conn.backlog = None
        async for frame in self._frames(conn):
            if conn.remote and conn not in self.facilitator_conns:
                break  # revoked while this frame was on its way
            try:
                payload = await dispatch(self.workshop, frame)
            except BadCommand as bad:
                await self._error(conn, bad.code, bad.message, frame)
            except WorkshopError as exc:
                await self._error(conn, exc.code, exc.message, frame,
                                  **({"fields": exc.fields} if exc.fields else {}))
            else:
                await self._send(conn, {"type": "ok", **_reply_key(frame, True), **payload})

    # screen channel (extension; docs/screen.md) ------------------------------------------
    async def _screen(self, conn: _Conn) -> None:
        conn.facilitator = True  # replies carry "ref", as on the facilitator channel
        token = await self._auth_token(conn)
        if token is None:
            return
        expected = self.workshop.screen_settings.get("token")
        if not expected or not hmac.compare_digest(hash_token(token), hash_token(expected)):
            await conn.ws.close(4003)
            return
        await self.screen.welcome(conn.ws)
        async for frame in self._frames(conn):
            if frame["type"] == "sync":
                await self.screen.resend(conn.ws)
            else:
                await self._error(conn, "unknown_type", "a screen only sends sync", frame)

    # events --------------------------------------------------------------------------
    def _facilitators(self, frame: dict[str, Any] | str) -> None:
        if self.facilitator_conns:
            text = frame if isinstance(frame, str) else _dumps(frame)
            ready = []
            for c in self.facilitator_conns:
                if c.backlog is None:
                    ready.append(c.ws)
                else:
                    c.backlog.append(text)
            broadcast(ready, text, text=True)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.Stored):
            if self.facilitator_conns:
                self._facilitators({"type": "ops", "ops": [_public_op(op) for op in event.ops]})
        elif isinstance(event, ev.ActivityStateChanged):
            self._activity_state(event.activity)
        elif isinstance(event, ev.ActivityChanged):
            self._activity_state((event.activity or {}).get("id"))
            frame = self._frames_cache.encoded(event.activity, "")
            by_lang: dict[str, list] = {}
            for c in self.participant_conns:
                by_lang.setdefault(c.lang, []).append(c.ws)
            for lang, sockets in by_lang.items():  # one encoded frame per language, not per phone
                view = event.by_lang.get(lang)
                broadcast(sockets, frame if view is None else self._frames_cache.encoded(view, lang))
            self._facilitators(frame)
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
        elif isinstance(event, ev.ContributionEdited):
            self._facilitators({"type": "edited", "contribution": event.contribution, "role": event.role})
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
                asyncio.ensure_future(conn.ws.close(ERASED_CLOSE, "erased"))
        elif isinstance(event, ev.RoomLockChanged):
            self._facilitators({"type": "locked" if event.locked else "unlocked"})
        elif isinstance(event, ev.StorageProblem):
            self._facilitators({"type": "storage", "ok": event.message is None, "message": event.message})
        elif isinstance(event, ev.PluginProblem):
            self._facilitators({"type": "plugin_slow" if event.kind == "slow" else "plugin_error",
                                "activity": event.activity, "plugin": event.plugin,
                                "message": event.message})
        elif isinstance(event, ev.ScreenChanged):
            frame = {"type": "screen", "screen": event.settings, "token_changed": event.token_changed}
            token = self.workshop.screen_settings.get("token")
            if event.token_changed and token:  # every facilitator learns the new link at once
                frame.update(token=token, path=f"/screen#token={token}")
            self._facilitators(frame)
        elif isinstance(event, ev.RemoteTokenChanged):
            for conn in [c for c in self.facilitator_conns if c.remote]:
                self.facilitator_conns.discard(conn)  # the old remote token was revoked
                asyncio.ensure_future(conn.ws.close(4003, "remote revoked"))
        elif isinstance(event, ev.ThemesChanged):
            self._facilitators({"type": "themes", "activity": event.activity})
        elif isinstance(event, ev.ContributionStarred):
            self._facilitators({"type": "starred" if event.starred else "unstarred", "activity": event.activity,
                                "participant": event.participant, "id": event.id})
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


def _public_op(op: tuple) -> list:
    """A stored operation as the facilitator may see it (no token hashes, no remote token)."""
    if op[0] == "put" and op[1] == "participants":
        return ["put", op[1], op[2], public_participant(op[3])]
    if op[0] == "put" and op[1] == "session" and op[2] == "remote":
        return ["put", op[1], op[2], {k: v for k, v in op[3].items() if k != "token"}]
    return list(op)
