"""`lahde users`, `lahde institutions`, `lahde ukk` and `lahde backup`: thin commands over the UKK store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from index.errors import IndexError_
from index.generations import IndexRoot
from index.store import read_chunks
from ukk import accounts, entries, exchange, questions, review
from ukk.citations import GenerationView
from ukk.errors import UkkError
from ukk.samples import load_samples, read_samples
from ukk.store import UkkStore
from ukk.types import ROLES, TOPICS

from .console import echo, printable
from .settings import Settings, get_settings
from .ukk_service import open_store

ERRORS = (UkkError, IndexError_, OSError)


def _store() -> tuple[Settings, UkkStore]:
    settings = get_settings()
    return settings, open_store(settings)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(printable(str(exc)))


def _generation(index: Path) -> tuple[str, list]:
    name = IndexRoot(index).current_name() or Path(index).name
    return name, read_chunks(index)


@click.group()
def institutions() -> None:
    """Institutions (koulutuksen järjestäjät): every user and UKK entry belongs to one."""


@institutions.command("add")
@click.argument("institution_id")
@click.argument("name")
def institutions_add(institution_id: str, name: str) -> None:
    """Add an institution (or rename one)."""
    _, store = _store()
    try:
        store.add_institution(institution_id, name)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"institution {institution_id}: {name}")


@institutions.command("list")
def institutions_list() -> None:
    """List the institutions."""
    _, store = _store()
    for iid, name in store.institutions():
        echo(f"{iid}\t{name}")


@click.group()
def users() -> None:
    """Users and their API tokens."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="lukija, valmentaja or yllapitaja.")
@click.option("--institution", required=True, help="The institution's id (`lahde institutions add` first).")
@click.option("--name", default="", help="The person's name as shown on the pages.")
@click.option("--email", default=None, help="Where answers to the user's questions are announced.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_add(username: str, role: str, institution: str, name: str, email: str | None, password_stdin: bool) -> None:
    """Add a user (the password is asked for, or read from stdin; stored only as an argon2 hash)."""
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    _, store = _store()
    try:
        user = accounts.add_user(store, username, name, role, institution, password, email)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"user {user.username} ({user.role}, {user.institution_id})")


@users.command("list")
def users_list() -> None:
    """List users: name, role, institution, disabled."""
    _, store = _store()
    for u in accounts.list_users(store):
        echo(f"{u.username}\t{u.role}\t{u.institution_id}\t{'disabled' if u.disabled else 'active'}\t{u.name}")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again.")
def users_disable(username: str, enable: bool) -> None:
    """Disable a user: their sessions end and their tokens stop working at once."""
    _, store = _store()
    try:
        user = accounts.set_disabled(store, username, not enable)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"user {user.username} {'disabled' if user.disabled else 'enabled'}")


@users.command("token")
@click.argument("username")
@click.option("--label", default="script", show_default=True, help="What the token is for.")
@click.option("--days", type=int, help="Expires after this many days (default: never).")
@click.option("--revoke", is_flag=True, help="Revoke every token of the user instead.")
def users_token(username: str, label: str, days: int | None, revoke: bool) -> None:
    """Create an API token for scripts (printed once: Authorization: Bearer <token>), or revoke them."""
    _, store = _store()
    try:
        if revoke:
            echo(f"revoked {accounts.revoke_tokens(store, username)} tokens of {username}")
            return
        echo(accounts.create_token(store, username, label, days))
    except ERRORS as exc:
        raise _fail(exc) from exc


@click.group()
def ukk() -> None:
    """The UKK: check entries against the index, load samples, export and import."""


@ukk.command("review")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def ukk_review(index: Path | None) -> None:
    """Check every published entry against the current generation now (a re-index does this by itself)."""
    settings, store = _store()
    try:
        name, chunks = _generation(index or settings.index_dir)
        findings = review.review(store, GenerationView.of(name, chunks), settings.ukk_verify_days)
    except ERRORS as exc:
        raise _fail(exc) from exc
    for f in findings:
        echo(f"tarkistettava #{f.entry_id} {f.question[:70]}")
        for r in f.reasons:
            echo(f"  [{r.n}] {r.reason}: {r.detail}")
    echo(f"{len(findings)} entries need checking against {name}")


@ukk.command("samples")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--coach", required=True, help="The coach (valmentaja) who publishes them.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def ukk_samples(folder: Path, coach: str, index: Path | None) -> None:
    """Publish the sample entries of a folder (corpus/ukk) as a coach, citing the current generation."""
    settings, store = _store()
    try:
        name, chunks = _generation(index or settings.index_dir)
        made = load_samples(store, accounts.get_user(store, coach), read_samples(folder), chunks, name)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"published {len(made)} entries")


@ukk.command("export")
@click.option("--as", "user", required=True, help="Export what this user may read.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--topic", type=click.Choice(list(TOPICS)), help="Only this topic.")
def ukk_export(user: str, fmt: str, topic: str | None) -> None:
    """Print the UKK a user may read, as Markdown, HTML or JSON."""
    _, store = _store()
    try:
        reader = accounts.get_user(store, user)
        found = entries.listing(store, reader, topic=topic, limit=100_000)
        title = f"UKK — {store.institution_name(reader.institution_id)}"
    except ERRORS as exc:
        raise _fail(exc) from exc
    own = [e for e in found if e.institution_id == reader.institution_id]
    click.echo(
        exchange.to_json(own)
        if fmt == "json"
        else (exchange.to_html(own, title) if fmt == "html" else exchange.to_markdown(own, title)),
        nl=False,
    )


@ukk.command("import")
@click.argument("markdown", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coach", required=True, help="The coach (valmentaja) whose drafts they become.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def ukk_import(markdown: Path, coach: str, index: Path | None) -> None:
    """Import a Markdown UKK as drafts; citations like '531/2017 45 §' become [n] marks; unlinked ones are listed."""
    settings, store = _store()
    try:
        name, chunks = _generation(index or settings.index_dir)
        text = markdown.read_text(encoding="utf-8")
        result = exchange.import_markdown(
            store, accounts.get_user(store, coach), text, exchange.passage_finder(chunks), name
        )
    except UnicodeDecodeError as exc:
        raise _fail(ValueError(f"{markdown}: not UTF-8 text ({exc.reason})")) from exc
    except ERRORS as exc:
        raise _fail(exc) from exc
    for line in result.unlinked:
        echo(f"NOT LINKED {line}", err=True)
    echo(f"imported {len(result.created)} drafts, {len(result.unlinked)} citations not linked")


@click.group()
def kysymykset() -> None:
    """The question channel: retention and the audit log."""


@kysymykset.command("retention")
@click.option("--days", type=int, help="Anonymise questions closed this many days ago (default: settings, 365).")
def kysymykset_retention(days: int | None) -> None:
    """Anonymise closed and withdrawn questions past the retention period (the asker and the text go)."""
    settings, store = _store()
    try:
        count = questions.apply_retention(store, days or settings.question_retention_days)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"anonymised {count} questions closed more than {days or settings.question_retention_days} days ago")


@kysymykset.command("audit")
@click.option("--object", "obj", help="Only this object, e.g. question:7.")
@click.option("--limit", default=50, show_default=True)
def kysymykset_audit(obj: str | None, limit: int) -> None:
    """Who read or changed what, newest first."""
    _, store = _store()
    for row in questions.audit_log(store, obj, limit):
        echo(f"{row['at']}\t{row['user'] or '-'}\t{row['action']}\t{row['object']}\t{row['detail']}")


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Write a consistent copy of the UKK database (SQLite's backup API; the server may keep serving)."""
    _, store = _store()
    try:
        written = store.backup(target)
    except ERRORS as exc:
        raise _fail(exc) from exc
    echo(f"backup written → {written}")
