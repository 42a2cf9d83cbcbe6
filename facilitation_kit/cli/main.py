"""The ``facilitation-kit`` command line (also ``python -m facilitation_kit``).

Every command takes ``--data-dir``. Bad input gets one clear line on stderr and exit
status 2, never a traceback (set ``FACILITATION_KIT_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from . import scaffold
from .errors import CLIError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where sessions are recorded (default: the platform's user data dir, "
                             "or $FACILITATION_KIT_DATA_DIR)")


def _plugins_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plugins-dir", type=Path, default=None, metavar="DIR",
                        help="also load every .py file in DIR as a plugin module (try a one-file "
                             "plugin without packaging it)")


def _serving(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agenda", nargs="?", default=None,
                        help="agenda file (TOML); default: the CoSIE relational-service workshop")
    parser.add_argument("--host", default="0.0.0.0",
                        help="address to listen on (default 0.0.0.0: every interface, so phones can join)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--public-host", default=None,
                        help="host name or address to put in the join link (default: detected LAN address)")
    parser.add_argument("--info-file", type=Path, default=None,
                        help="write JSON {url, room, facilitator_token, session_id, data_file, port} here once listening")
    parser.add_argument("--resume", metavar="SESSION_ID", default=None,
                        help="continue a recorded session (see `facilitation-kit sessions`)")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="also accept websocket handshakes from this origin (repeatable)")
    parser.add_argument("--participant-cap", type=int, default=None,
                        help="most participants connected at once (default: the agenda's, or 1000)")
    tls = parser.add_argument_group("TLS (https:// and wss://; see docs/cli.md)")
    tls.add_argument("--certfile", type=Path, default=None,
                     help="PEM certificate (chain) to serve https:// and wss://; the join link and QR follow")
    tls.add_argument("--keyfile", type=Path, default=None,
                     help="PEM private key of --certfile (if not inside the certfile)")
    caps = parser.add_argument_group("limits (see docs/limits.md; 0 only where said)")
    from ..core.contributions import MAX_CONTRIBUTIONS
    from ..core.participants import MAX_PARTICIPANTS
    from ..host.assembly import LIMIT_FLAGS
    from ..host.server import Limits

    for limit in LIMIT_FLAGS:
        default = getattr(Limits(), limit.name)
        caps.add_argument(limit.flag, type=type(default), default=None, metavar=limit.metavar,
                          help=f"{limit.help} (default {default:g}" + (f"; 0: {limit.zero})" if limit.zero else ")"))
    caps.add_argument("--max-participants", type=int, default=None, metavar="N",
                      help=f"most participants a session may ever have, connected or not (default {MAX_PARTICIPANTS})")
    caps.add_argument("--max-contributions", type=int, default=None, metavar="N",
                      help=f"most contributions per participant per activity (default {MAX_CONTRIBUTIONS}; the "
                           "agenda's max_contributions overrides it)")
    caps.add_argument("--trust-address", action="append", default=[], metavar="ADDR",
                      help="exempt this address from the per-address limits (repeatable; e.g. a load test)")
    caps.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                      help="also accept this host name in the Host header (repeatable; addresses "
                           "and --public-host always are)")
    _plugins_dir(parser)
    _common(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facilitation-kit",
        description="Run live co-creation workshops: participants join from their phones.")
    parser.add_argument("--version", action="version", version=f"facilitation-kit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a workshop with the facilitator's terminal app")
    _serving(p)
    p.add_argument("--in-process", action="store_true",
                   help="run the host inside the terminal app's process (default: a child process, "
                        "so drawing the screen never delays the phones)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="serve a workshop (add --headless for no terminal app)")
    _serving(p)
    p.add_argument("--headless", action="store_true", help="no terminal app: print the join link and serve")
    p.add_argument("--show-token", action="store_true",
                   help="also print the facilitator token (it is always in the --info-file, 0600)")
    # Used by `run`, which starts the host as its child: stop (cleanly) when that parent is gone.
    p.add_argument("--stop-with-parent", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("sessions", help="list recorded sessions")
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("export", help="export a session (works while it runs)")
    p.add_argument("session_id")
    p.add_argument("--format", choices=["json", "csv", "md", "html", "docx", "actions-csv"], default="json",
                   help="json (the complete record), csv, a report: md, html, docx (Word); or actions-csv: "
                        "the agreed actions with owners, one row each, for follow-up")
    p.add_argument("--lang", choices=["en", "fi", "sv", "nl", "es", "pl", "it", "de"], default=None,
                   help="the report's language (default: the agenda's)")
    p.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: stdout)")
    p.add_argument("--names", action="store_true",
                   help="include the display names participants chose (default: anonymised)")
    _common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("plugins", help="list activity plugins as JSON")
    p.add_argument("--all", action="store_true", help="include the built-in plugins")
    p.add_argument("--hook", default=None, help="only plugins implementing this hook")
    p.add_argument("--why", metavar="NAME", default=None,
                   help="explain where the plugin (or activity type) NAME was looked for and what was found")
    _plugins_dir(p)
    _common(p)
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("check", help="check an agenda file and print its activities")
    p.add_argument("agenda")
    _plugins_dir(p)
    _common(p)
    p.set_defaults(func=cmd_check)

    scaffold.add_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        from ..core.agenda import AgendaError
        from ..host.assembly import HostError
        from ..host.store import StoreError

        if os.environ.get("FACILITATION_KIT_DEBUG"):
            raise
        if isinstance(exc, (CLIError, AgendaError, HostError, StoreError)):
            print(f"facilitation-kit: {exc}", file=sys.stderr)
            return 2
        print(f"facilitation-kit: unexpected error: {type(exc).__name__}: {exc} "
              "(set FACILITATION_KIT_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _data_dir(args) -> Path:
    from ..host.assembly import default_data_dir

    return args.data_dir or default_data_dir()


def _host_kwargs(args) -> dict[str, Any]:
    if args.port is not None and not 0 <= args.port <= 65535:
        raise CLIError(f"--port must be from 0 to 65535, not {args.port}")
    if args.resume and args.agenda:
        raise CLIError("give either an agenda file or --resume SESSION_ID (a resumed session keeps its agenda)")
    from ..host.assembly import LIMIT_FLAGS
    from ..host.server import Limits

    limits = {}
    for limit in LIMIT_FLAGS:
        value = getattr(args, limit.name, None)
        if value is not None:
            if value < 0 or (value == 0 and limit.zero is None):
                least = "0 or more" if limit.zero is not None else "more than 0"
                raise CLIError(f"{limit.flag} must be {least}, not {value:g}")
            limits[limit.name] = value
    for flag in ("max_participants", "max_contributions", "participant_cap"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise CLIError(f"--{flag.replace('_', '-')} must be 1 or more, not {value}")
    if args.plugins_dir is not None and not args.plugins_dir.is_dir():
        raise CLIError(f"--plugins-dir {args.plugins_dir}: no such folder")
    if args.keyfile and not args.certfile:
        raise CLIError("--keyfile needs --certfile (the certificate it belongs to)")
    return dict(data_dir=_data_dir(args), plugins_dir=args.plugins_dir, host=args.host, port=args.port, resume=args.resume,
                allowed_origins=args.allow_origin, info_file=args.info_file,
                public_host=args.public_host, participant_cap=args.participant_cap,
                limits=Limits(**limits), max_participants=args.max_participants,
                max_contributions=args.max_contributions, certfile=args.certfile, keyfile=args.keyfile,
                trusted_addresses=args.trust_address, allowed_hosts=args.allow_host)


def cmd_serve(args) -> int:
    if not args.headless:
        return cmd_run(args)
    from ..host.logs import setup_logging

    setup_logging()
    from ..host.loop import run

    return run(_serve_headless(args))


async def _serve_headless(args) -> int:
    from ..host.assembly import Host
    from ..host.logs import strip_control
    from ..host.memory import settle_after_start
    from ..host.qr import qr_text

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if getattr(args, "stop_with_parent", False):
        watcher = asyncio.ensure_future(_watch_parent(os.getppid(), stop))
    host = Host(args.agenda, **_host_kwargs(args))
    print(f"data dir: {host.data_dir}", flush=True)
    await host.open()
    # What start-up made lives as long as the process: keep it (and what survives each
    # full collection) out of later full collections, whose pause grows with what they scan.
    settle_after_start()
    try:
        print(qr_text(host.url, dark_terminal=True))
        print(f"session:  {host.session_id}{' (resumed)' if host.resumed else ''}")
        print(f"data:     {host.data_file}")
        print(f"room:     {host.room}")
        print(f"join:     {host.url}")
        if getattr(args, "show_token", False):
            print(f"facilitator token: {host.facilitator_token}  (for /ws/facilitator)")
        elif host.info_file:
            print(f"facilitator token: in {host.info_file} (or start with --show-token)")
        else:
            print("facilitator token: not shown (start with --show-token or --info-file)")
        if host.store.recovery:
            for problem in host.store.recovery.problems:
                print(f"recovered: {strip_control(problem)}")
        for problem in host.plugins.problems:
            print(f"plugin problem: {strip_control(str(problem))}")
        print("serving; press Ctrl+C to stop", flush=True)
        await stop.wait()
    finally:
        await host.close()
    print("stopped; everything acknowledged is stored", flush=True)
    return 0


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Stop when the process that started us is gone (it was killed without stopping us):
    an orphaned host would keep the session locked and the port taken."""
    while not stop.is_set():
        if os.getppid() != parent:
            print("the terminal app that started this host is gone; stopping", flush=True)
            stop.set()
            return
        await asyncio.sleep(0.5)


def cmd_run(args) -> int:
    from ..tui.app import run_app  # Textual is a dependency: a broken import is a bug to see, not to hide

    return run_app(args.agenda, in_process=getattr(args, "in_process", False), **_host_kwargs(args))


def cmd_sessions(args) -> int:
    from ..host.store import list_sessions

    data_dir = _data_dir(args)
    sessions = list_sessions(data_dir)
    if args.json:
        print(json.dumps(sessions, indent=2, ensure_ascii=False))
        return 0
    from ..host.logs import strip_control

    print(f"data dir: {data_dir}")
    if not sessions:
        print("no sessions recorded yet")
    for s in sessions:
        if "error" in s:
            print(f"{s['id']}  (cannot read: {s['error']})")
        else:
            print(f"{s['id']}  {s['participants']:>4} participants  {s['contributions']:>5} contributions  "
                  f"{strip_control(s.get('title') or '')}")
    return 0


def load_export(data_dir: Path, session_id: str, *, anonymise: bool) -> dict[str, Any]:
    """The JSON export of a recorded session, read from its files."""
    from ..core.agenda import AgendaError, agenda_from_dict, recorded_agenda_json
    from ..core.record import build_export
    from ..core.plugins import load_plugins
    from ..host.store import list_sessions, read_session

    try:
        tables, _ = read_session(data_dir, session_id)
    except KeyError:
        known = [s["id"] for s in list_sessions(data_dir)]
        raise CLIError(f"no session {session_id!r} in {data_dir / 'sessions'}; known sessions: "
                       + (", ".join(known) if known else "none yet")) from None
    stored = tables["session"].get("session", {}).get("agenda", {})
    agenda = None
    if stored.get("source"):
        plugins = load_plugins()
        try:
            agenda = agenda_from_dict(stored["source"], plugins, path=stored.get("path"))
        except AgendaError:
            # e.g. a plugin it used is not installed here: export every stored activity
            # anyway, those of a missing plugin with their contributions as stored
            agenda = recorded_agenda_json(stored["source"], plugins, path=stored.get("path"))
            from ..host.logs import strip_control

            missing = sorted({a["plugin"] for a in agenda["activities"]
                              if not a.get("kind") and plugins.activity_type(a["plugin"]) is None})
            for name in missing:
                ids = ", ".join(a["id"] for a in agenda["activities"] if a["plugin"] == name)
                print(strip_control(f"warning: the activity plugin {name!r} is not installed here: "
                                    f"{ids} exported with its contributions as stored, without "
                                    "its results"), file=sys.stderr)
    return build_export(tables, agenda, anonymise=anonymise)


def cmd_export(args) -> int:
    from ..report.export import to_csv, to_json

    export = load_export(_data_dir(args), args.session_id, anonymise=not args.names)
    if args.format == "json":
        text = to_json(export)
    elif args.format == "csv":
        text = to_csv(export)
    elif args.format == "actions-csv":
        from ..core.plugins import load_plugins
        from ..report.actions import actions_csv

        text = actions_csv(export, load_plugins())
    else:
        from ..core.plugins import load_plugins
        from ..report.render import render_report

        text = render_report(export, load_plugins(), format=args.format, anonymise=not args.names,
                             lang=args.lang)
    if isinstance(text, bytes) and not args.output:
        raise CLIError("a Word file is not text: write it to a file with -o report.docx")
    if args.output:
        try:
            if isinstance(text, bytes):
                args.output.write_bytes(text)
            else:
                args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CLIError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        if sys.stdout.isatty():  # participant text never drives the terminal
            from ..host.logs import strip_control

            text = strip_control(text)
        sys.stdout.write(text)
    return 0


def _load(args):
    from ..core.plugins import load_plugins

    folder = getattr(args, "plugins_dir", None)
    if folder is not None and not folder.is_dir():
        raise CLIError(f"--plugins-dir {folder}: no such folder")
    return load_plugins(plugins_dir=folder)


def cmd_plugins(args) -> int:
    if args.why:
        from ..core.plugins import explain

        _load(args)  # checks --plugins-dir
        print("\n".join(explain(args.why, plugins_dir=args.plugins_dir)))
        return 0
    host = _load(args)
    print(json.dumps(host.describe(include_builtins=args.all, hook=args.hook), indent=2))
    return 0


def cmd_check(args) -> int:
    from ..core.agenda import load_agenda

    plugins = _load(args)
    agenda = load_agenda(args.agenda, plugins)
    print(f"{args.agenda}: ok: {agenda.title!r}, {len(agenda.activities)} activities, "
          f"roles: {', '.join(agenda.roles)}")
    for a in agenda.activities:
        extra = f", from {a.source}" if a.source else ""
        timebox = f", {a.timebox // 60} min" if a.timebox else ""
        extra += f", until {a.until}" if a.until else ""
        what = a.plugin if a.collects else f"({a.kind}: no answers)"
        print(f"  {a.id:<20} {what:<20} {a.title}{timebox}{extra}")
    for problem in plugins.problems:  # not used by this agenda, but the author should know
        print(f"facilitation-kit: {'warning' if problem.level == 'warning' else 'plugin problem'}: "
              f"plugin {problem}", file=sys.stderr)
    return 0
