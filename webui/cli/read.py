"""Reading commands: ``glossa search``, ``docs``, ``show``, ``cite``, ``entities``, ``works``.

Their ``--json`` output is exactly what the JSON API returns for the same request. Document
text printed to the terminal goes through :func:`safe` so it cannot carry escape sequences.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import click

from .. import presenters, services
from ..params import MAX_PAGE, MAX_PAGELEN
from .common import CliError, open_app

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SNIPPET_TOKEN = re.compile(r"(<mark\b[^>]*>|</mark>|<[^>]+>)")


def safe(text: object) -> str:
    """Text with terminal control characters (escapes, bidi overrides) removed."""
    return _UNSAFE.sub("", "" if text is None else str(text))


def _color() -> bool:
    ctx = click.get_current_context()
    return ctx.color if ctx.color is not None else sys.stdout.isatty()


def snippet_text(snippet_html: str, color: bool = False) -> str:
    """A search snippet for the terminal: markup dropped, matched terms bold (or *starred*)."""
    out, in_mark = [], False
    for piece in _SNIPPET_TOKEN.split(snippet_html or ""):
        if piece.startswith("<mark"):
            in_mark = True
        elif piece == "</mark>":
            in_mark = False
        elif piece.startswith("<"):
            continue
        elif piece:
            text = safe(html.unescape(piece)).replace("\n", " ")
            if in_mark:
                text = click.style(text, bold=True, underline=True) if color else f"*{text}*"
            out.append(text)
    return "".join(out)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _lookup(fn, *args):
    try:
        return fn(*args)
    except presenters.LookupFailed as exc:
        raise CliError(exc.message, exit_code=1 if exc.status == 404 else 2) from None


@click.command(short_help="Search the passages of every document.")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print exactly what GET /api/search returns.")
@click.option(
    "--limit", type=click.IntRange(1, MAX_PAGELEN), default=None, help="Hits per page (default: PAGE_SIZE, 10)."
)
@click.option("--page", type=click.IntRange(1, MAX_PAGE), default=1, show_default=True, help="Result page.")
def search(query: str, as_json: bool, limit: int | None, page: int) -> None:
    """Search the passages of every document.

    \b
    Examples:
      glossa search frontex
      glossa search '"Western Balkans" AND person:Johansson'
      glossa search 'org:Frontex' --limit 5 --page 2 --json

    Exits 2 if the query cannot be understood.
    """
    from ..api.documents import run_search

    app = open_app()
    with app.app_context():
        pagelen = limit or int(app.config.get("PAGE_SIZE") or 10)
        if not query.strip():
            raise CliError("The query is empty; give some words to search for.", exit_code=2)
        data = _lookup(run_search, services.get_searcher(), query, page, pagelen, {})
    if as_json:
        _echo_json(data)
        return
    color = _color()
    click.echo(
        f"{data['total']} passage(s) match {safe(query)!r}; page {data['page']} of {max(data['pages'], 1)}"
        f" ({data['elapsed_ms']:.0f} ms)"
    )
    if data.get("suggestion"):
        click.echo(f"Did you mean: {safe(data['suggestion'])}")
    for group in data["groups"]:
        click.echo("")
        click.echo(click.style(safe(group["title"]), bold=True) if color else safe(group["title"]))
        click.echo(f"  [{safe(group['doc_id'])}]")
        for hit in group["hits"]:
            where = f"¶{hit['ordinal']}" + (f", p. {hit['page']}" if hit.get("page") else "")
            click.echo(f"  {where}: {snippet_text(hit['snippet_html'], color)}")


@click.command(short_help="List the ingested documents.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly what GET /api/documents returns.")
def docs(as_json: bool) -> None:
    """List the ingested documents.

    \b
    Example:
      glossa docs
    """
    with open_app().app_context():
        rows = presenters.document_summaries(services.get_store())
    if as_json:
        _echo_json({"documents": rows})
        return
    if not rows:
        click.echo("No documents yet; add some with: glossa ingest PATH...")
    for row in rows:
        click.echo(f"{safe(row['doc_id'])}  {safe(row['title'])}")
        click.echo(
            f"    {row.get('format')}, {row.get('pages') or '-'} pages, {row.get('word_count')} words, "
            f"{row.get('passages')} passages, {row.get('footnotes')} footnotes, {row.get('entities')} entities"
        )


@click.command(short_help="Print a document's cleaned text and entities.")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print exactly what GET /api/documents/DOC_ID returns.")
@click.option("--entities", "with_entities", is_flag=True, help="Also list the document's entities.")
def show(doc_id: str, as_json: bool, with_entities: bool) -> None:
    """Print a document's cleaned text (and, with --entities, its entities).

    \b
    Examples:
      glossa show 003-b4544ddbd7f01f68 | less
      glossa show 003-b4544ddbd7f01f68 --entities
    """
    with open_app().app_context():
        data = presenters.document_detail(_lookup(presenters.get_stored, services.get_store(), doc_id))
    if as_json:  # the API's body, which names the source file but not its server path
        from ..api.documents import for_readers

        _echo_json(for_readers(dict(data)))
        return
    click.echo(f"# {safe(data['title'])}  [{safe(data['doc_id'])}]")
    click.echo(f"Source: {safe(data['source_path'])} ({data['format']}); {len(data['footnotes'])} footnotes")
    click.echo("")
    click.echo(safe(data["text"]))
    if with_entities:
        counts: dict[tuple[str, str], int] = {}
        for ent in data["entities"]:
            key = (ent["label"], ent["canonical"])
            counts[key] = counts.get(key, 0) + 1
        click.echo("")
        click.echo(f"Entities ({len(data['entities'])} mentions, {len(counts)} distinct):")
        for (label, name), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
            click.echo(f"  {label:<12} {safe(name)}  x{n}")


@click.command(short_help="Look up a footnote: text, citing sentences, references.")
@click.argument("doc_id")
@click.argument("number")
@click.option(
    "--json", "as_json", is_flag=True, help="Print exactly what GET /api/documents/DOC_ID/footnotes/NUMBER returns."
)
def cite(doc_id: str, number: str, as_json: bool) -> None:
    """Look up footnote NUMBER of a document: its text, the sentences citing it, its references.

    \b
    Examples:
      glossa cite 003-b4544ddbd7f01f68 42
      glossa cite 001-ecc342d5c4ab413f '*'

    Exits 1 if the document or the footnote does not exist (the message gives the range).
    """
    with open_app().app_context():
        stored = _lookup(presenters.get_stored, services.get_store(), doc_id)
        data = _lookup(presenters.footnote_detail, stored, number)
    if as_json:
        _echo_json(data)
        return
    click.echo(
        f"Footnote {safe(data['number'])} of {safe(data['title'])} [{safe(data['doc_id'])}]"
        + (f", p. {data['page']}" if data.get("page") else "")
    )
    click.echo(f"  {safe(data['text'])}")
    target = data.get("ibid_target")
    if target:
        kind = {"ibid": "Ibid.", "opcit": "Op. cit."}.get(data["kind"], "This note")
        click.echo(f"\n{kind} repeats footnote {safe(target['number'])}:")
        click.echo(f"  {safe(target['text'])}")
    click.echo(f"\nCited {len(data['citing'])} time(s):")
    for cite_at in data["citing"]:
        page = f", p. {cite_at['page']}" if cite_at.get("page") else ""
        click.echo(f"  ¶{cite_at['passage']}{page}: {safe(cite_at['sentence'])}")
    refs = (target or {}).get("references") or data["references"]
    click.echo(f"\nReferences ({len(refs)}):")
    for reference in refs:
        click.echo(f"  - {safe(reference.get('raw'))}")


@click.group(short_help="List the entity index with mention counts.", invoke_without_command=True)
@click.option("--type", "type_", metavar="TYPE", help="Only this label (PERSON, ORG, GPE, ...) or person/org/place.")
@click.option("-q", "--query", "q", metavar="TEXT", help="Only names containing TEXT.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly what GET /api/entities returns.")
@click.pass_context
def entities(ctx: click.Context, type_: str | None, q: str | None, as_json: bool) -> None:
    """List the entity index: every person, organisation, place... with mention counts
    (as corrected by the entity rules: `glossa entities rules --help`).

    \b
    Examples:
      glossa entities --type person
      glossa entities --type ORG -q frontex --json
      glossa entities rules export -o rules.json
    """
    if ctx.invoked_subcommand is not None:
        return
    with open_app().app_context():
        rows = _lookup(presenters.entity_index, services.get_store(), type_, q)
    if as_json:
        _echo_json({"entities": rows})
        return
    for row in rows:
        docs_ = row.get("documents")
        ndocs = len(docs_) if isinstance(docs_, list) else docs_
        click.echo(f"{row['label']:<12} {safe(row['canonical'])}  {row['mentions']} mention(s) in {ndocs} document(s)")


@click.group(short_help="Export the works cited in footnotes (BibTeX, CSL-JSON).")
def works() -> None:
    """Export the works cited in the corpus's footnotes (BibTeX, CSL-JSON).

    The works are listed, with the notes citing them, on the web app's Works cited page
    and by GET /api/works.

    \b
    Examples:
      glossa works export --format bibtex -o corpus.bib
      glossa works export --format csl-json
    """


@works.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bibtex", "csl-json"]),
    default="bibtex",
    show_default=True,
    help="BibTeX or CSL-JSON (Zotero, pandoc --citeproc).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of standard output.",
)
def export_works(fmt: str, output: Path | None) -> None:
    """Export every cited work as BibTeX or CSL-JSON."""
    from corpus.works import build_works, to_bibtex, to_csl_json

    with open_app().app_context():
        found = build_works(presenters.all_documents(services.get_store()))
    if fmt == "bibtex":
        text = to_bibtex(found)
    else:
        result = to_csl_json(found)
        text = result if isinstance(result, str) else json.dumps(result, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(found)} work(s) to {output} ({fmt}).", err=True)


COMMANDS = [search, docs, show, cite, entities, works]
