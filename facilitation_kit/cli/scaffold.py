"""``facilitation-kit new-plugin NAME``: scaffold an installable activity plugin.

Like the cookiecutter templates of datasette and llm, but built in: it writes a package
with the ``facilitation_kit`` entry point, a working activity, a README, a test that
passes as generated (``pip install -e '.[test]' && pytest``) and a CI workflow
(``.github/workflows/test.yml``) running the same commands. The templates live in
``facilitation_kit/cli/templates/plugin``; ``{{ key }}`` placeholders are filled in from
:func:`plugin_names`, ``MODULE`` and ``ACTIVITY`` in a path become the module and activity names.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

from .. import __version__
from .errors import CLIError

__all__ = ["PluginNames", "ScaffoldError", "plugin_names", "render", "create_plugin", "add_command"]

TEMPLATE = "plugin"
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_PREFIXES = ("facilitation-kit-", "facilitation_kit_")
MAX_NAME = 40


class ScaffoldError(ValueError):
    """The plugin cannot be created; the message says why in one line."""


@dataclass(frozen=True)
class PluginNames:
    """Every spelling of a plugin's name the templates use."""

    activity_name: str  #: ``how_might_we``: the agenda's ``plugin =`` and the entry-point name
    hyphenated: str  #: ``how-might-we``
    dist: str  #: ``facilitation-kit-how-might-we``: the distribution (pip) name
    module: str  #: ``facilitation_kit_how_might_we``: the importable module
    class_name: str  #: ``HowMightWe``
    title: str  #: ``How might we``
    kit_version: str  #: the facilitation-kit version it was made with


def plugin_names(name: str) -> PluginNames:
    """Check ``name`` (e.g. ``how-might-we``) and derive the other spellings, or raise
    :class:`ScaffoldError` saying what is wrong with it."""
    raw = name.strip()
    for prefix in _PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix):]
    if not _NAME.match(raw) or len(raw) > MAX_NAME:
        raise ScaffoldError(
            f"bad plugin name {name!r}: use lower-case letters and digits separated by - or _, "
            f"starting with a letter, at most {MAX_NAME} characters (e.g. how-might-we)")
    words = re.split(r"[-_]", raw)
    builtin = _builtin_activity_names()
    underscored = "_".join(words)
    if underscored in builtin:
        raise ScaffoldError(f"bad plugin name {name!r}: {underscored!r} is a built-in activity; "
                            "choose another name")
    return PluginNames(
        activity_name=underscored,
        hyphenated="-".join(words),
        dist="facilitation-kit-" + "-".join(words),
        module="facilitation_kit_" + underscored,
        class_name="".join(w.capitalize() for w in words),
        title=" ".join(words).capitalize(),
        kit_version=__version__,
    )


def _builtin_activity_names() -> set[str]:
    from importlib.metadata import entry_points

    from ..core.plugins import BUILTIN_DIST, GROUP

    return {ep.name for ep in entry_points(group=GROUP) if ep.dist and ep.dist.name == BUILTIN_DIST}


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``{{ key }}`` placeholders; an unknown key is a bug in the template."""
    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{ {key} }}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(fill, text)


def _template_files():
    """``(relative path parts, text)`` for every template file."""
    root = files("facilitation_kit.cli") / "templates" / TEMPLATE
    stack = [(root, ())]
    while stack:
        node, parts = stack.pop()
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                stack.append((child, parts + (child.name,)))
            elif child.name.endswith(".tmpl"):
                yield parts + (child.name[: -len(".tmpl")],), child.read_text(encoding="utf-8")


def create_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the plugin package for ``name`` into ``directory``; return its folder."""
    names = plugin_names(name)
    target = Path(directory) / names.dist
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not empty; choose another name or --dir")
    values = asdict(names)
    rendered = []
    for parts, text in _template_files():
        parts = tuple(p.replace("MODULE", names.module).replace("ACTIVITY", names.activity_name)
                      for p in parts)
        if parts[-1] == "gitignore":
            parts = parts[:-1] + (".gitignore",)
        if parts[0] == "github":  # shipped without the dot: hidden folders are easy to lose
            parts = (".github",) + parts[1:]
        rendered.append((Path(*parts), render(text, values)))
    try:
        for relative, text in rendered:
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def add_command(subparsers) -> None:
    """Add ``new-plugin`` to the ``facilitation-kit`` command line."""
    p = subparsers.add_parser(
        "new-plugin", help="create an installable activity plugin package",
        description="Create a package for a new activity plugin: pyproject with the "
                    "facilitation_kit entry point, a working activity, a README and a test.")
    p.add_argument("name", help="the plugin's name, e.g. how-might-we")
    p.add_argument("--dir", type=Path, default=Path("."),
                   help="where to create the package folder (default: the current folder)")
    p.set_defaults(func=cmd_new_plugin)


def cmd_new_plugin(args: argparse.Namespace) -> int:
    try:
        target = create_plugin(args.name, args.dir)
    except ScaffoldError as exc:
        raise CLIError(str(exc)) from None
    names = plugin_names(args.name)
    print(f"created {target}")
    print(f"  activity {names.activity_name!r} in {target / names.module / '__init__.py'}")
    print("next:")
    print(f"  cd {target}")
    print("  pip install -e '.[test]'")
    print("  pytest")
    print(f"  facilitation-kit plugins   # lists {names.activity_name}")
    return 0
