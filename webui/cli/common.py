"""What every ``glossa`` command shares: the group, its ``--data`` option, errors, the app.

Every command accepts ``--data DIR`` (also before the command name; env GLOSSA_DATA;
default ./glossa-data), so ``glossa --data d ingest x`` and ``glossa ingest --data d x`` agree.
The commands themselves live in the sibling modules and are registered in ``webui.cli``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from annotations.db import SchemaError

from .. import config as settings

DATA_KEY = "glossa.data"
SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "sample_corpus"


class CliError(click.ClickException):
    """An error a user can act on: printed as "Error: ..." and exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _remember_data(ctx: click.Context, param: click.Parameter, value):
    if value is not None:
        ctx.meta[DATA_KEY] = value
    return value


def _data_option(envvar: str | None = None) -> click.Option:
    return click.Option(
        ["--data"],
        metavar="DIR",
        envvar=envvar,
        expose_value=False,
        is_eager=True,
        callback=_remember_data,
        type=click.Path(file_okay=False),
        help="Data directory holding the index, documents and database (env GLOSSA_DATA; default ./glossa-data).",
    )


class GlossaGroup(click.Group):
    """A group that gives every command (and sub-group) its own ``--data`` option."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_data_option(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        """Run the command; an unexpected error becomes one line (GLOSSA_DEBUG=1 shows the traceback)."""
        from ..services import DatabaseUnavailable

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # the reader went away (`glossa docs | head`): what it wanted, it got
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except settings.SettingsError as exc:
            raise CliError(str(exc), exit_code=2) from None
        except (DatabaseUnavailable, SchemaError) as exc:
            raise CliError(str(exc)) from None
        except Exception as exc:
            if os.environ.get("GLOSSA_DEBUG"):
                raise
            raise CliError(
                f"Unexpected error: {type(exc).__name__}: {exc}. Nothing was lost; run again with "
                "GLOSSA_DEBUG=1 to see the traceback, and please report it."
            ) from None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so flushing it at exit cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. click's test runner)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _add_data_option(cmd: click.Command) -> None:
    if not any(p.name == "data" for p in cmd.params):
        cmd.params.append(_data_option())
    for sub in getattr(cmd, "commands", {}).values():
        _add_data_option(sub)


def data_dir() -> Path:
    """The data directory chosen on the command line, else $GLOSSA_DATA, else ./glossa-data."""
    return settings.resolve_data_dir(click.get_current_context().meta.get(DATA_KEY))


def make_app(**config):
    """The Flask app for the chosen data directory, so commands share the server's settings."""
    from ..app import create_app

    return create_app({"DATA_DIR": str(data_dir()), **config})


def existing_app():
    """The app over an existing data directory (never creating one), else a CliError."""
    where = data_dir()
    if not where.is_dir():
        raise CliError(
            f"No data directory at {where}. Check --data (env GLOSSA_DATA), or ingest documents "
            f"first: glossa --data {where} ingest PATH..."
        )
    return make_app()


def open_app():
    """The app over an existing data directory that holds an index, else a CliError saying what to do."""
    where = data_dir()
    hint = f"Ingest documents first: glossa --data {where} ingest PATH..."
    if not where.is_dir():
        raise CliError(f"No data directory at {where}. {hint}")
    app = make_app()
    if not Path(app.config["INDEX_DIR"]).is_dir():
        raise CliError(f"No index in {app.config['INDEX_DIR']}. {hint}")
    return app


@click.group(cls=GlossaGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="glossa", message="glossa %(version)s")
@click.option(
    "--data",
    metavar="DIR",
    envvar="GLOSSA_DATA",
    expose_value=False,
    is_eager=True,
    callback=_remember_data,
    type=click.Path(file_okay=False),
    help="Data directory for every command (env GLOSSA_DATA; default ./glossa-data).",
)
def cli() -> None:
    """Glossa: search, read, cite and annotate a corpus of footnoted documents.

    \b
    Quick start:
      glossa demo                        ingest the bundled sample corpus and serve it
      glossa ingest reports/             add a folder of .txt/.md/.html/.pdf files
      glossa search 'frontex AND place:Serbia'
      glossa cite 003-b4544ddbd7f01f68 42
      glossa serve --port 8000

    All state lives in the data directory (--data DIR, env GLOSSA_DATA, default
    ./glossa-data). Run `glossa COMMAND --help` for a command's options and examples.
    """
