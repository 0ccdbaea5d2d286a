"""docs/CLI.md documents every command of `glossa` and every setting."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from webui.cli import cli
from webui.config import SETTINGS

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "CLI.md"


def command_paths(group: click.Group, prefix: str = "glossa") -> list[str]:
    """Every command as typed: 'glossa ingest', 'glossa works export', ..."""
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(command_paths(command, path))
    return found


def test_every_command_is_documented():
    text = CLI_MD.read_text(encoding="utf-8")
    missing = [path for path in command_paths(cli) if f"`{path}" not in text]
    assert not missing, f"add these to docs/CLI.md: {missing}"


def test_every_option_of_the_core_commands_is_documented():
    text = CLI_MD.read_text(encoding="utf-8")
    for name in ("ingest", "search", "docs", "show", "cite", "entities", "serve", "demo", "settings"):
        for param in cli.commands[name].params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help", "--data"):
                    assert opt in text, f"{name} {opt} is not in docs/CLI.md"


def test_every_setting_is_documented():
    text = CLI_MD.read_text(encoding="utf-8")
    table = {m.group(1) for m in re.finditer(r"^\| `([A-Z_]+)` \|", text, re.MULTILINE)}
    assert table == {s.name for s in SETTINGS}


# docs/CLI.md against the commands' own --help ------------------------------------------

SYNOPSIS = re.compile(r"^(?:### |- )`(glossa [^`]+)`", re.MULTILINE)
OPTION = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def leaf_commands(group: click.Group, prefix: str = "glossa") -> dict[str, click.Command]:
    """Every command that runs something (not a group), as typed."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(leaf_commands(command, f"{prefix} {name}"))
            if command.invoke_without_command:  # a group that also runs (glossa entities)
                found[f"{prefix} {name}"] = command
        else:
            found[f"{prefix} {name}"] = command
    return found


def synopses() -> dict[str, str]:
    """Command path -> the synopsis docs/CLI.md gives it (heading or list item)."""
    commands = leaf_commands(cli)
    out = {}
    for match in SYNOPSIS.finditer(CLI_MD.read_text(encoding="utf-8")):
        text = match.group(1)
        path = max((p for p in commands if text == p or text.startswith(p + " ")), key=len, default=None)
        assert path is not None, f"docs/CLI.md documents {text!r}, which is not a command"
        out[path] = text[len(path) :]
    return out


def test_every_command_has_a_synopsis():
    missing = sorted(set(leaf_commands(cli)) - set(synopses()))
    assert not missing, f"give these a synopsis in docs/CLI.md: {missing}"


@pytest.mark.parametrize("path", sorted(leaf_commands(cli)))
def test_each_synopsis_matches_the_options_in_help(path):
    command = leaf_commands(cli)[path]
    text = synopses()[path]
    options = [p for p in command.params if isinstance(p, click.Option) and p.name != "data"]
    known = {opt for p in options for opt in p.opts + p.secondary_opts}
    stated = set(OPTION.findall(text))
    assert stated <= known, f"{path}: docs/CLI.md names options the command does not have: {stated - known}"
    for param in options:
        assert set(param.opts) & stated, f"{path}: {param.opts[0]} is in --help but not in its synopsis"
        if isinstance(param.type, click.Choice):
            shown = re.search(rf"(?:{'|'.join(map(re.escape, param.opts))}) ([\w|-]+)", text)
            assert shown and set(shown.group(1).split("|")) == set(param.type.choices), (path, param.opts)
    help_text = command.get_help(click.Context(command, info_name=path))
    for opt in known:
        assert opt in help_text


def test_the_entity_types_listed_are_the_ones_accepted():
    from webui.labels import LABELS, TYPE_ALIASES

    section = CLI_MD.read_text(encoding="utf-8").split("### `glossa entities", 1)[1].split("###", 1)[0]
    listed = set(re.findall(r"`([A-Za-z_]+)`", section))
    assert listed == set(LABELS) | set(TYPE_ALIASES)
