"""``glossa serve``, ``glossa demo`` and ``glossa settings``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import click

from indexer import whoosh_internals

from .. import config as settings
from .common import SAMPLE_CORPUS, CliError, data_dir, make_app

HOST_OPTION = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 for every interface)."
)
PORT_OPTION = click.option(
    "--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port to listen on."
)


def check_port(host: str, port: int) -> None:
    """A CliError if nothing can listen on host:port (in use, or not an address of this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CliError(
            f"Cannot listen on {host!r}: {exc.strerror}. Use an address of this machine, e.g. --host 127.0.0.1."
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CliError(
                f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Is another server "
                "using it? Choose another port with --port."
            ) from None


def run_server(host: str, port: int, debug: bool = False) -> None:
    """Serve the app until interrupted: waitress (WORKERS processes of THREADS threads), or
    werkzeug's debugging server with ``debug``."""
    from ..server import build_app, serve

    check_port(host, port)
    app = build_app(host=host, DATA_DIR=str(data_dir()))  # migrated before the first request
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    workers = app.config["WORKERS"]
    processes = f"{workers} worker processes of {app.config['THREADS']} threads" if workers > 1 else None
    server = "werkzeug's debug server" if debug else f"waitress, {processes or str(app.config['THREADS']) + ' threads'}"
    click.echo(f"Glossa is serving {data_dir()} on http://{shown}:{port}/ ({server}; Ctrl+C to stop).")
    hosts = app.extensions.get("glossa_hosts")
    if hosts is not None and host in ("0.0.0.0", "::"):
        click.echo(
            f"Accepted host names: {', '.join(hosts)}; add others with TRUSTED_HOSTS (env GLOSSA_TRUSTED_HOSTS)."
        )
    try:
        if debug:
            app.run(host=host, port=port, debug=True, use_reloader=False)
        else:
            serve(app, host, port)
    except OSError as exc:
        raise CliError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}). "
            "Is another server using it? Choose another port with --port."
        ) from None


@click.command(short_help="Serve the web app and the JSON API.")
@HOST_OPTION
@PORT_OPTION
@click.option(
    "--debug", is_flag=True, help="Werkzeug's debug server with tracebacks in the browser. Never in production."
)
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the web app and the JSON API with waitress, a production WSGI server.

    \b
    Examples:
      glossa serve                          http://127.0.0.1:5000/
      glossa --data /srv/glossa serve --host 0.0.0.0 --port 8000

    Settings (env GLOSSA_<NAME>, see `glossa settings`): WORKERS, THREADS, CONNECTION_LIMIT,
    MAX_CONTENT_LENGTH, TRUSTED_HOSTS (Host names accepted: set it, or BASE_URL, when
    serving on another name than localhost), PROXY_FIX (behind a reverse proxy) and
    SESSION_COOKIE_SECURE (over HTTPS). Other WSGI servers can run webui.wsgi:app.
    """
    run_server(host, port, debug)


def sample_corpus() -> Path:
    """The sample corpus shipped in the package."""
    if SAMPLE_CORPUS.is_dir() and any(SAMPLE_CORPUS.iterdir()):
        return SAMPLE_CORPUS
    raise CliError(f"The sample corpus is missing (looked in {SAMPLE_CORPUS}); reinstall glossa.")


@click.command(short_help="Ingest the bundled sample corpus and serve it.")
@HOST_OPTION
@PORT_OPTION
@click.option("--no-serve", is_flag=True, help="Only ingest the sample corpus; do not start the server.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Ingest the bundled sample corpus (five EU migration-policy documents) and serve it.

    Incremental: a second run finds the documents unchanged and starts at once.

    \b
    Examples:
      glossa demo
      glossa --data /tmp/glossa-demo demo --port 8000
    """
    from .ingest import budget_options, check_model, run_pipeline, summary_lines

    corpus = sample_corpus()
    config = make_app().config
    model = config.get("SPACY_MODEL")
    check_model(model)
    click.echo(f"Ingesting the sample corpus from {corpus} ...")
    report = run_pipeline([corpus], data_dir(), progress=True, model=model, **budget_options(config))
    for line in summary_lines(report, data_dir()):
        click.echo(line)
    if not no_serve:
        run_server(host, port)


@click.command("settings", short_help="List every setting with its default and help.")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def show_settings(as_json: bool) -> None:
    """List every setting with its default and what it does.

    Settings come from, in order: defaults, the instance file glossa.cfg, environment
    variables GLOSSA_<NAME> (e.g. GLOSSA_PAGE_SIZE=20), then command-line options.

    \b
    Example:
      glossa settings
    """
    rows = [
        {"name": s.name, "default": s.default, "env": s.env, "help": s.help, "shown_default": s.shown_default}
        for s in settings.SETTINGS
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}  [default: {row['shown_default']}; env {row['env']}]")
        click.echo(f"    {row['help']}")
    click.echo(f"\nSearch engine: {whoosh_internals.status().summary()}")


COMMANDS = [serve, demo, show_settings]
