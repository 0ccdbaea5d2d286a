"""``glossa user``, ``glossa token`` and ``glossa annotations`` commands.

glossa user add NAME [--password-stdin] [--role reader|editor|admin]   password asked twice (or
                                          one line on stdin); the first account is admin, later ones reader
glossa user role NAME reader|editor|admin what NAME may do (applies at NAME's next request)
glossa user passwd NAME [--password-stdin]  new password; every session of NAME ends
glossa user list
glossa token create NAME [--label TEXT]   prints the new API token once
glossa token revoke NAME [--label TEXT]   deletes NAME's tokens (only those with the label)
glossa annotations export --format jsonld|csv|markdown [-o FILE] [--user NAME]
glossa annotations import FILE            restore a JSON-LD AnnotationCollection
glossa annotations reindex-tags           check tags (search reads them from the database)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import services
from ..annotation_lists import export_payload
from .common import CliError, existing_app, make_app


def _app():
    return make_app()


def _error(message: str, code: int = 1) -> click.ClickException:
    return CliError(message, code)


def _service():
    return services.get_annotation_service()


@click.group("user")
def user_group() -> None:
    """Manage the local accounts that sign in when AUTH=accounts."""


ROLE_CHOICE = click.Choice(["reader", "editor", "admin"])


@user_group.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option(
    "--role",
    type=ROLE_CHOICE,
    default=None,
    help="reader (search, read, annotate), editor (also upload, remove, correct entities) or admin "
    "(also users). Default: admin for the first account, reader after that.",
)
def user_add(name: str, password_stdin: bool, role: str | None) -> None:
    """Create the account NAME (the password is asked twice, never echoed).

    Example: glossa user add alice --role editor
    """
    from annotations.base import AnnotationError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app()
    with app.app_context():
        try:
            user = _service().add_user(name, password, role=role)
        except AnnotationError as exc:
            raise _error(f"Cannot add user {name!r}: {exc.message}") from None
    click.echo(f"User {name} created, with the {user.role} role.")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
def user_role(name: str, role: str) -> None:
    """Give NAME the ROLE: reader (search, read, annotate), editor (also upload, remove documents,
    correct entities) or admin (also users). It applies from NAME's next request.

    Example: glossa user role alice editor
    """
    from annotations.base import AnnotationError

    with existing_app().app_context():
        try:
            user = _service().set_role(name, role)
        except AnnotationError as exc:
            hint = f" Add one with: glossa user add {name} --role {role}" if exc.status == 404 else ""
            raise _error(f"Cannot change the role of {name!r}: {exc.message}.{hint}") from None
    click.echo(f"User {name} now has the {user.role} role.")


@user_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input.")
def user_passwd(name: str, password_stdin: bool) -> None:
    """Change the password of NAME; every signed-in session of NAME ends.

    Example: glossa user passwd alice
    """
    from annotations.base import AnnotationError

    app = existing_app()
    with app.app_context():
        if _service().get_user(name) is None:
            raise _error(f"No user {name!r}. Add one with: glossa user add {name}")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            _service().set_password(name, password)
        except AnnotationError as exc:
            raise _error(f"Cannot change the password of {name!r}: {exc.message}") from None
    click.echo(f"Password of {name} changed; its sessions were signed out.")


@user_group.command("list")
def user_list() -> None:
    """List the accounts with the number of annotations each wrote and their role."""
    with existing_app().app_context():
        users = _service().users_with_counts()
    if not users:
        click.echo("No users yet. Add one with: glossa user add NAME")
    for user, count in users:
        click.echo(f"{user.name}\t{count} annotations\tsince {user.created:%Y-%m-%d}\t{user.role}")


@click.group("token")
def token_group() -> None:
    """API tokens for scripts: send them as 'Authorization: Bearer TOKEN'."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", default="", help="A note to remember what the token is for.")
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only this once).

    Example: glossa token create alice --label "export script"
    """
    from annotations.base import AnnotationError

    app = _app()
    with app.app_context():
        service = _service()
        if service.get_user(name) is None:
            if name != "local":
                raise _error(f"No user {name!r}. Add one first: glossa user add {name}")
            service.ensure_user(name)
        try:
            token = service.create_token(name, label)
        except AnnotationError as exc:
            raise _error(exc.message) from None
    click.echo(token)
    click.echo("Keep it safe: it is not stored and cannot be shown again.", err=True)


@token_group.command("revoke")
@click.argument("name")
@click.option("--label", default=None, help="Only the tokens created with this label.")
def token_revoke(name: str, label: str | None) -> None:
    """Revoke the API tokens of user NAME (all of them, or those with --label).

    Example: glossa token revoke alice --label "export script"
    """
    from annotations.base import AnnotationError

    app = existing_app()
    with app.app_context():
        if _service().get_user(name) is None:
            raise _error(f"No user {name!r}.")
        try:
            count = _service().revoke_tokens(name, label)
        except AnnotationError as exc:
            raise _error(exc.message) from None
    which = f" labelled {label!r}" if label is not None else ""
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''}{which} of {name}.")


@click.group("annotations")
def annotations_group() -> None:
    """Export and import annotations (W3C Web Annotation JSON-LD, CSV, Markdown)."""


@annotations_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonld", "csv", "markdown"]), default="jsonld", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@click.option("--user", "viewer", metavar="NAME", help="Only what NAME may see (default: every annotation).")
def annotations_export(fmt: str, output: str | None, viewer: str | None) -> None:
    """Export annotations, e.g. glossa annotations export --format csv -o notes.csv"""
    app = existing_app()
    # Export links are built from BASE_URL, else from the address `glossa serve` listens on by default.
    with app.test_request_context("/", base_url=app.config.get("BASE_URL") or "http://127.0.0.1:5000"):
        if viewer is not None:
            user = _service().get_user(viewer)
            if user is None:
                raise _error(f"No user {viewer!r}.")
            items = _service().find(viewer=user)
        else:
            user = None
            items = _service().all_annotations()
        histories = None
        if fmt == "jsonld":
            ids = [a.id for a in items]
            histories = _service().histories(ids, user, everyone=user is None)
        text, _mime, _name = export_payload(fmt, items, histories)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _error(f"Cannot write {output}: {exc.strerror}") from None
        click.echo(f"Exported {len(items)} annotations to {output}.", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@annotations_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def annotations_import(file: str) -> None:
    """Restore annotations from a JSON-LD file made by 'annotations export' (ids kept; existing ones skipped)."""
    from annotations.base import AnnotationError
    from annotations.export import import_jsonld

    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _error(f"No file {file}.") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _error(f"Cannot read {file} as JSON: {exc}") from None
    app = _app()
    with app.app_context():
        try:
            report = import_jsonld(data, _service(), in_corpus=set(services.get_store().manifest()))
        except AnnotationError as exc:
            raise _error(f"Cannot import {file}: {exc.message}") from None
    click.echo(f"Imported {report.imported}, skipped {report.skipped} already present, {len(report.errors)} refused.")
    if report.removed:
        click.echo(
            f"Marked {len(report.removed)} document(s) removed again, as the export said "
            f"({', '.join(report.removed[:8])}{', ...' if len(report.removed) > 8 else ''})."
        )
    for index, message in report.errors[:20]:
        click.echo(f"  item {index}: {message}", err=True)
    if report.errors:
        sys.exit(2)


@annotations_group.command("reindex-tags")
def annotations_reindex_tags() -> None:
    """Check annotation tags: search reads them from the database, so nothing is rebuilt; tags an
    older version left in the index (and its tags.journal) are removed, and where every tagged
    annotation stands is counted."""
    from .. import annotation_tags

    app = _app()
    with app.app_context():
        check = annotation_tags.check_tags(app.config["INDEX_DIR"], services.get_store(), _service())
    if check.stripped:
        click.echo(f"Removed the tags an older version had left on {check.stripped} index records.")
    click.echo(
        f"{check.annotations} tagged annotations: {check.on_passages} on indexed passages (found by tag: search), "
        f"{check.unindexed} on documents not in the corpus, {check.orphaned} orphaned."
    )


COMMANDS = [user_group, token_group, annotations_group]
