"""The host: one workshop session with its store, engine and protocol server.

Used by ``facilitation-kit serve`` (headless), ``facilitation-kit run`` (the TUI), the
test suite and the plugin authors' test harness::

    async with Host.start("sessions/relational-service.toml", data_dir=tmp, port=0) as host:
        print(host.url, host.facilitator_token)
        await host.workshop.open()
"""

from __future__ import annotations

from dataclasses import dataclass

import contextlib
import json
import logging
import os
import re
import secrets
import socket
import ssl
import struct
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

from ..core import events as ev
from ..core.agenda import Agenda, AgendaError, agenda_from_dict, load_agenda
from ..core.caller import TRACEBACKS
from ..core.engine import Workshop
from ..core.protocol import LocalChannel
from ..core.plugins import PluginHost, load_plugins
from .logs import close_session_log, open_session_log, session_log_path
from .server import Limits, ProtocolServer
from .store import Store, StoreError

log = logging.getLogger("facilitation_kit.host.assembly")

DEFAULT_PORT = 8765
DEFAULT_AGENDA = Path(__file__).resolve().parents[2] / "sessions" / "relational-service.toml"


def default_data_dir() -> Path:
    env = os.environ.get("FACILITATION_KIT_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_data_path("facilitation-kit", appauthor=False)


def new_session_id(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:24].strip("-") or "session"
    return f"{datetime.now():%Y%m%d-%H%M}-{slug}-{secrets.token_hex(2)}"


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's network interfaces, loopback last. Asks the
    kernel (no packets are sent)."""
    found: list[str] = []
    try:
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), 0x8915,  # SIOCGIFADDR
                                         struct.pack("256s", name[:15].encode()))
                except OSError:
                    continue
                found.append(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError):
        pass
    if not found:
        with contextlib.suppress(OSError):
            found = socket.gethostbyname_ex(socket.gethostname())[2]
    found = list(dict.fromkeys(found))
    return sorted(found, key=lambda a: (a.startswith("127."), a)) or ["127.0.0.1"]


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; returns the new soft limit."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        return 1024


@dataclass(frozen=True)
class LimitFlag:
    """A connection limit the command line sets (``--max-unjoined`` for ``max_unjoined``):
    what it limits, in the help's words; its default is :class:`Limits`'. ``zero`` says
    what 0 means where 0 is allowed (``None``: it is not)."""

    name: str
    help: str
    metavar: str = "N"
    zero: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


#: The connection limits of ``run`` and ``serve`` (docs/limits.md), in ``--help`` order.
LIMIT_FLAGS = (
    LimitFlag("max_connections", "most joined connections at once, phones and facilitators"),
    LimitFlag("max_unjoined", "most connections that have not joined yet"),
    LimitFlag("per_address", "most open connections from one address", zero="no limit"),
    LimitFlag("join_burst", "new participants from one address at once", zero="no limit"),
    LimitFlag("joins_per_minute", "new participants from one address per minute after the burst",
              zero="none after the burst"),
    LimitFlag("hello_timeout", "close a phone's connection that has not joined within this time",
              metavar="SECONDS"),
)


def serve_flags(limits: Limits | None = None, *, max_participants: int | None = None,
                max_contributions: int | None = None, certfile: str | Path | None = None,
                keyfile: str | Path | None = None, trusted_addresses: Iterable[str] = (),
                allowed_hosts: Iterable[str] = ()) -> list[str]:
    """The ``serve`` command-line flags that give a child host these settings (the TUI
    runs its host as ``serve --headless``); limits at their defaults are left out."""
    flags: list[str] = []
    if limits is not None:
        default = Limits()
        for limit in LIMIT_FLAGS:
            value = getattr(limits, limit.name)
            if value != getattr(default, limit.name):
                flags += [limit.flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if max_participants is not None:
        flags += ["--max-participants", str(max_participants)]
    if max_contributions is not None:
        flags += ["--max-contributions", str(max_contributions)]
    if certfile:
        flags += ["--certfile", str(certfile)]
    if keyfile:
        flags += ["--keyfile", str(keyfile)]
    for address in trusted_addresses:
        flags += ["--trust-address", address]
    for name in allowed_hosts:
        flags += ["--allow-host", name]
    return flags


def pinned_tls_context(certfile: str | Path) -> ssl.SSLContext:
    """A client context that trusts exactly the host's own certificate (for the TUI's
    connection to its child host on this machine, whatever names the certificate holds)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cafile=str(certfile))
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


class HostError(Exception):
    """The host cannot start; the message says why in one line."""


class HostSettings:
    """What a workshop host is asked to be, and the facts that follow from it: the same
    for a host in this process (:class:`Host`) and one in a child process
    (:class:`~facilitation_kit.tui.client.RemoteHost`)."""

    def __init__(self, agenda: str | Path | Agenda | None = None, *, data_dir: str | Path | None = None,
                 host: str = "127.0.0.1", port: int = DEFAULT_PORT, resume: str | None = None,
                 allowed_origins: Iterable[str] = (), plugins: PluginHost | None = None,
                 limits: Limits | None = None, info_file: str | Path | None = None,
                 public_host: str | None = None, facilitator_token: str | None = None,
                 plugin_timeout: float = 5.0, participant_cap: int | None = None,
                 max_participants: int | None = None, max_contributions: int | None = None,
                 certfile: str | Path | None = None, keyfile: str | Path | None = None,
                 trusted_addresses: Iterable[str] = (), allowed_hosts: Iterable[str] = (),
                 plugins_dir: Any = None):
        self.agenda_source = agenda
        self.plugins_dir = plugins_dir
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.bind_host, self.port = host, port
        self.resume_id = resume
        self.allowed_origins = list(allowed_origins)
        self.plugins = plugins
        self.limits = limits
        self.info_file = Path(info_file) if info_file else None
        self.public_host = public_host
        self.facilitator_token = facilitator_token
        self.plugin_timeout = plugin_timeout
        self.participant_cap = participant_cap
        self.max_participants, self.max_contributions = max_participants, max_contributions
        self.certfile = Path(certfile) if certfile else None
        self.keyfile = Path(keyfile) if keyfile else None
        if self.keyfile and not self.certfile:
            raise HostError("--keyfile needs --certfile (the certificate it belongs to)")
        self.trusted_addresses = list(trusted_addresses)
        self.allowed_hosts = list(allowed_hosts)
        self.workshop: Any = None
        self.resumed = False

    # -- facts -----------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self.workshop.session_id

    @property
    def room(self) -> str:
        return self.workshop.room

    @property
    def join_host(self) -> str:
        if self.public_host:
            return self.public_host
        if self.bind_host in ("0.0.0.0", "", "::"):
            return lan_addresses()[0]
        return self.bind_host

    @property
    def base_url(self) -> str:
        host = self.join_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{'https' if self.certfile else 'http'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The join link the QR code encodes."""
        return f"{self.base_url}/?room={self.room}"



class Host(HostSettings):
    """A running workshop session. Prefer :meth:`start` as an async context manager."""

    def __init__(self, agenda: str | Path | Agenda | None = None, **settings: Any):
        super().__init__(agenda, **settings)
        self.limits = self.limits or Limits()
        self.facilitator_token = self.facilitator_token or secrets.token_urlsafe(24)
        self.log_handler = None
        self.log_file: Path | None = None
        self.store: Store | None = None
        self.workshop: Workshop | None = None
        #: ``await channel.request(command, **fields)``: facilitator commands, as over the wire.
        self.channel: LocalChannel | None = None
        self.server: ProtocolServer | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, agenda: str | Path | Agenda | None = None, **kw: Any) -> AsyncIterator["Host"]:
        host = cls(agenda, **kw)
        await host.open()
        try:
            yield host
        finally:
            await host.close()

    @property
    def screen_url(self) -> str | None:
        """The room's screen link (read-only; docs/screen.md). It stays the same across
        ``--resume`` until the facilitator makes a new one."""
        token = self.workshop.screen_settings.get("token") if self.workshop is not None else None
        return f"{self.base_url}/screen#token={token}" if token else None

    @property
    def data_file(self) -> Path:
        return self.paths["checkpoint"]

    def recovery_problems(self) -> list[str]:
        """What loading the session had to repair (damaged journal lines or checkpoint)."""
        recovery = self.store.recovery if self.store is not None else None
        return list(recovery.problems) if recovery else []

    def info(self) -> dict[str, Any]:
        return {"url": self.url, "room": self.room, "facilitator_token": self.facilitator_token,
                "session_id": self.session_id, "data_file": str(self.data_file), "port": self.port,
                "screen_url": self.screen_url}

    # -- lifecycle -------------------------------------------------------------------
    async def open(self) -> None:
        raise_fd_limit()
        context = self._ssl_context()
        if self.plugins is None:
            self.plugins = load_plugins(plugins_dir=self.plugins_dir)
        try:
            if self.resume_id:
                self.store = Store.open(self.data_dir, self.resume_id, require="session")
            agenda = self._agenda()
            if not self.resume_id:
                self.store = Store.create(self.data_dir, new_session_id(agenda.title))
        except KeyError:
            raise HostError(self._unknown_session(self.resume_id)) from None
        except StoreError as exc:
            raise HostError(str(exc)) from None
        except AgendaError:
            if self.store is not None:
                self.store.close()
            raise
        self.paths = self.store.paths
        session_id = self.paths["checkpoint"].stem
        self._open_log(session_id)
        try:
            kw = dict(plugin_timeout=self.plugin_timeout, participant_cap=self.participant_cap,
                      max_participants=self.max_participants, max_contributions=self.max_contributions)
            if self.resume_id:
                self.workshop = await Workshop.resume(agenda, self.plugins, self.store, **kw)
                self.resumed = True
            else:
                self.workshop = await Workshop.start(agenda, self.plugins, self.store,
                                                     session_id=session_id, **kw)
            self.workshop.caller.log_file = self.log_file
            self.workshop.caller.log_extra = {"fk_session": session_id}
            await self._call_startup()
            await self.workshop.ensure_screen_token()
            self.workshop.subscribe(self._screen_token_changed)
            self.channel = LocalChannel(self.workshop)
            self.server = ProtocolServer(self.workshop, host=self.bind_host, port=self.port,
                                         facilitator_token=self.facilitator_token,
                                         allowed_origins=self.allowed_origins, limits=self.limits,
                                         allowed_hosts=self._served_names(),
                                         trusted_addresses=self.trusted_addresses, ssl_context=context,
                                         join_url=lambda: self.url)
            try:
                await self.server.start()
            except OSError as exc:
                raise HostError(self._bind_error(exc)) from None
            self.port = self.server.port
        except BaseException:
            await self.close()
            raise
        if self.info_file:
            self.write_info_file()

    def _ssl_context(self) -> ssl.SSLContext | None:
        """TLS from ``certfile`` (PEM; may hold the key too) and ``keyfile``."""
        if self.certfile is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(self.certfile, self.keyfile)
        except FileNotFoundError as exc:
            raise HostError(f"cannot read {exc.filename}: no such file") from None
        except (ssl.SSLError, OSError) as exc:
            raise HostError(f"cannot use the certificate {self.certfile}"
                            + (f" with the key {self.keyfile}" if self.keyfile else "")
                            + f": {getattr(exc, 'reason', None) or exc.strerror or exc}") from None
        return context

    def _served_names(self) -> list[str]:
        """Host names (not addresses) that phones may use for this host."""
        names = [self.public_host or "", self.bind_host, *self.allowed_hosts]
        with contextlib.suppress(OSError):
            hostname = socket.gethostname()
            names += [hostname, hostname + ".local", hostname.split(".")[0] + ".local"]
        return [n for n in names if n]

    def _agenda(self) -> Agenda:
        source = self.agenda_source
        if isinstance(source, Agenda):
            return source
        if self.resume_id:
            stored = self.store.tables["session"].get("session", {}).get("agenda", {})
            if stored.get("source"):
                return agenda_from_dict(stored["source"], self.plugins,
                                        path=stored.get("path") or f"session {self.resume_id}")
        return load_agenda(source or DEFAULT_AGENDA, self.plugins)

    def _unknown_session(self, session_id: str) -> str:
        from .store import list_sessions

        known = [s["id"] for s in list_sessions(self.data_dir)]
        listing = ", ".join(known) if known else "none yet"
        return f"no session {session_id!r} in {self.data_dir / 'sessions'}; known sessions: {listing}"

    def _bind_error(self, exc: OSError) -> str:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            return (f"port {self.port} on {self.bind_host} is already in use; "
                    f"choose another with --port (e.g. --port {self.port + 1}, or --port 0 for any free port)")
        return f"cannot listen on {self.bind_host}:{self.port}: {exc.strerror or exc}"

    def _open_log(self, session_id: str) -> None:
        """The session's log file (plugin tracebacks, warnings); the problems of loading
        the plugins go in first, with their tracebacks."""
        path = session_log_path(self.data_dir, session_id)
        try:
            self.log_handler = open_session_log(path, session_id)
        except OSError as exc:
            log.warning("cannot write the session log %s: %s", path, exc.strerror or exc)
            return
        self.log_file = path
        for problem in self.plugins.problems:
            TRACEBACKS.warning("plugin problem: %s%s", problem,
                        "\n" + problem.traceback.rstrip() if problem.traceback else "",
                        extra={"fk_session": session_id})

    async def _call_startup(self) -> None:
        """Fire the ``startup`` hook, each implementation through the workshop's plugin
        caller: one that raises or takes longer than the plugin timeout is logged (the
        traceback in the session log) and left behind, so a broken plugin cannot keep the
        workshop from starting."""
        for impl in self.plugins.pm.hook.startup.get_hookimpls():
            try:
                await self.workshop.caller.call_function(
                    f"hook:{impl.plugin_name}", f"{impl.plugin_name}.startup", impl.function,
                    workshop=self.workshop)
            except Exception as exc:
                log.warning("startup hook of plugin %s failed; going on without it: %s",
                            impl.plugin_name, exc)

    def _screen_token_changed(self, event) -> None:
        if isinstance(event, ev.ScreenChanged) and event.token_changed and self.info_file:
            try:
                self.write_info_file()  # the info file's screen_url is the new link
            except OSError as exc:
                log.warning("could not rewrite the info file %s: %s", self.info_file, exc)

    def write_info_file(self) -> None:
        """Write :meth:`info` (it holds the facilitator token) to ``info_file``, 0600,
        through a fresh temporary file (mkstemp: O_EXCL, never a planted symlink) that is
        renamed over the target (a symlink there is replaced, never followed)."""
        path = self.info_file
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self.info(), fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    async def close(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.workshop is not None:
            await self.workshop.aclose()
        if self.store is not None:
            store, self.store = self.store, None
            store.close()
        if self.log_handler is not None:
            handler, self.log_handler = self.log_handler, None
            close_session_log(handler)
