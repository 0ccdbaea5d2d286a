"""docs/CLI.md documents every command of `glossa` and every setting."""

from __future__ import annotations

import re
from pathlib import Path

import click

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
