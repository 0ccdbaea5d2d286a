"""``glossa entities rules``: export, import and re-apply the entity corrections (JSON).

The same rules as ``GET/POST /api/entity-rules`` and the correction forms of ``/entities``;
an export is ``{"rules": [...]}`` and imports as it is (rules already in force are skipped).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from .common import CliError, existing_app


@click.group(short_help="Export, import or re-apply the entity corrections.")
def rules() -> None:
    """Export, import or re-apply the entity corrections (JSON).

    \\b
    Examples:
      glossa entities rules export -o rules.json
      glossa entities rules import rules.json
      glossa entities rules reindex
    """


def _author() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@rules.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.option("--history", is_flag=True, help="Also the rules undone (marked deleted).")
def export_rules(output: Path | None, history: bool) -> None:
    """Print the entity rules in force as JSON (what GET /api/entity-rules returns)."""
    from .. import entity_corrections as corrections

    with existing_app().app_context():
        store = corrections.rule_store()
        records = store.history() if history else store.active()
    text = json.dumps({"rules": [r.to_dict() for r in records]}, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(records)} rule(s) to {output}.", err=True)


@rules.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_rules(file) -> None:
    """Add the rules of FILE (an export, or a JSON list of rules; - reads standard input),
    all or none, and re-index the passages they change."""
    from .. import entity_corrections as corrections

    try:
        data = json.load(file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"{file.name} is not valid JSON: {exc}") from None
    items = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CliError(f"{file.name} holds no list of rules: export one with `glossa entities rules export`.")
    app = existing_app()
    with app.app_context():
        try:
            made, status = corrections.add_many(items, _author(), wait=None)
        except (corrections.RuleError, corrections.AnnotationError) as exc:
            raise CliError(f"Nothing was imported: {corrections.error_status(exc)[1]}.") from None
    click.echo(
        f"Imported {len(made)} rule(s) ({status.get('skipped', 0)} already in force); "
        f"re-indexed {status.get('passages', 0)} passage(s) of {status.get('documents', 0)} document(s)."
    )


@rules.command("reindex")
def reindex_rules() -> None:
    """Re-index every passage whose entities the rules in force change (a repair: changes
    re-index their own passages)."""
    from indexer.pipeline import IngestLocked

    from .. import entity_corrections as corrections

    try:
        report = corrections.reindex_all(existing_app())
    except IngestLocked as exc:
        raise CliError(str(exc)) from None
    click.echo(f"Re-indexed {report['passages']} passage(s) of {report['documents']} document(s).")
