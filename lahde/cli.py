"""The `lahde` command line: thin commands that parse, call the library and report."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import uvicorn

from embedding.errors import EmbeddingError
from index.changes import format_report, reports_since
from index.errors import IndexError_
from index.generations import IndexRoot, ReindexLock
from index.wordings import statute_history_to_dict
from ingest.consolidation_report import format_consolidation
from ingest.eperusteet_fetch import fetch_perusteet
from ingest.errors import IngestError, QuestionBankError
from ingest.fetch import FetchError, fetch_sources
from ingest.manifest import load_sources
from retrieval.errors import RetrievalError
from retrieval.evaluate import evaluate_searcher
from retrieval.types import Filters

from . import service, ukk_cli
from .console import PrintableFormatter as _PrintableFormatter
from .console import echo as _echo
from .console import printable as _printable
from .settings import Settings, get_settings

#: What the library raises for a user's mistake or a broken input: one line, exit status 1.
USER_ERRORS = (IngestError, QuestionBankError, IndexError_, EmbeddingError, RetrievalError)


def _settings(index: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"index_dir": index}) if index else settings


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def main(verbose: bool) -> None:
    """Lähde: find the exact statute section or guide passage that answers a question."""
    handler = logging.StreamHandler()
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


@main.command()
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def build(index: Path | None) -> None:
    """Ingest the sources in corpus/sources.toml and build the search index."""
    settings = _settings(index)
    try:
        config = service.sources_config(settings)
        inputs = service.fingerprint(settings, config)  # of what is about to be read
        files = service.source_files(config)
        with click.progressbar(length=len(files), label="Reading sources", file=sys.stderr) as read_bar:
            report = service.ingest(settings, config, on_file=lambda _path: read_bar.update(1))
        embedder = service.lazy_embedder(settings)
        _echo(f"Embedding model: {embedder.model_id} ({settings.backend})")
        with click.progressbar(length=report.chunk_count, label="Embedding chunks", file=sys.stderr) as bar:
            outcome = service.build(
                settings, embedder, config=config, report=report, inputs=inputs, progress=_bar_progress(bar)
            )
    except USER_ERRORS as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    manifest = outcome.result.manifest
    _print_failures(outcome)
    _echo(
        f"Indexed {outcome.documents} documents, {manifest.chunk_count} chunks "
        f"({manifest.embedded_count} embedded, {manifest.chunk_count - manifest.embedded_count} from cache) "
        f"in {manifest.build_seconds:.1f} s → {outcome.index_dir}"
    )
    _echo(f"Read {report.section_count} sections into {report.chunk_count} chunks in {report.seconds:.1f} s")
    if outcome.bank is not None and (outcome.bank.questions or outcome.bank.skipped):
        left = (
            f" ({outcome.bank.skipped} left out: their act or language is not in this corpus)"
            if outcome.bank.skipped
            else ""
        )
        _echo(f"Question bank: {len(outcome.bank.questions)} questions{left}")
    _echo(format_report(outcome.result.report))
    _echo(outcome.summary())
    if outcome.errors:
        sys.exit(1)


def _print_failures(outcome: service.ReindexOutcome) -> None:
    for skipped in outcome.skipped:
        _echo(f"SKIPPED {skipped}", err=True)
    for error in outcome.errors:
        _echo(f"FAILED {error}", err=True)


@main.command()
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
@click.option("--full", is_flag=True, help="Write a new generation even if nothing changed.")
@click.option("--wait", is_flag=True, help="Wait for a running re-index instead of refusing.")
@click.option("--diff", is_flag=True, help="Show a text diff of each changed section.")
def reindex(index: Path | None, full: bool, wait: bool, diff: bool) -> None:
    """Re-index incrementally: embed only what changed, switch generations atomically, report changes."""
    settings = _settings(index)
    try:
        with click.progressbar(length=0, label="Re-indexing", file=sys.stderr) as bar:
            outcome = service.reindex(settings, full=full, wait=wait, progress=_bar_progress(bar))
    except USER_ERRORS as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    _print_failures(outcome)
    result = outcome.result
    _echo(format_report(result.report, diff=diff))
    if result.switched:
        _echo(f"Generation {result.generation} is now current ({result.seconds:.1f} s) → {outcome.index_dir}")
    else:
        _echo(f"No changes; generation {result.generation} stays current ({result.seconds:.1f} s)")
    _echo(outcome.summary())
    if outcome.errors:
        sys.exit(1)


def _bar_progress(bar: Any) -> Callable[[str, int, int], None]:
    def update(stage: str, done: int, total: int) -> None:
        if stage == "embedding":
            bar.length = total
            bar.update(done - bar.pos)

    return update


@main.command()
@click.argument("generation", required=False)
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def rollback(generation: str | None, index: Path | None) -> None:
    """Serve an older kept generation again (default: the one before the current)."""
    root = IndexRoot(_settings(index).index_dir)
    try:
        with ReindexLock(root.path):
            before = root.current_name()
            target = root.rollback(generation)
    except IndexError_ as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    _echo(f"Generation {target} is now current (was {before}); running servers pick it up on their next check")


@main.command()
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
@click.option("--since", help="Show every generation after this one (e.g. 7 or gen-000007).")
@click.option("--diff", is_flag=True, help="Show a text diff of each changed section.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored JSON reports.")
def changes(index: Path | None, since: str | None, diff: bool, as_json: bool) -> None:
    """Show what the current generation changed (or every generation since GENERATION)."""
    try:
        reports = reports_since(_settings(index).index_dir, since)
    except IndexError_ as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    if as_json:
        _echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=1))
        return
    if not reports:
        _echo("No generations after that one.")
    for report in reports:
        _echo(format_report(report, diff=diff))


@main.command()
@click.option("--statute", help="Only this statute, e.g. 531/2017.")
@click.option("--sections", is_flag=True, help="List every consolidated section's wordings too.")
@click.option("--json", "as_json", is_flag=True, help="Print the histories as JSON.")
def consolidation(statute: str | None, sections: bool, as_json: bool) -> None:
    """Report which amended sections are consolidated automatically and which are left apart (and why)."""
    histories, errors = service.consolidation(_settings(None))
    if statute:
        histories = [h for h in histories if h.statute == statute]
    if as_json:
        _echo(json.dumps([statute_history_to_dict(h) for h in histories], ensure_ascii=False, indent=1))
    else:
        _echo(_printable(format_consolidation(histories, sections=sections)))
    for error in errors:
        _echo(f"! {_printable(str(error))}", err=True)


@main.command()
@click.argument("query")
@click.option("-k", default=5, show_default=True, help="Number of hits.")
@click.option("--kind", help="Only this source kind (laki, asetus, opas, ohje).")
@click.option("--lang", help="Only this language (fi, sv).")
@click.option("--statute", help="Only this statute, e.g. 531/2017.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "lexical"]),
    default="hybrid",
    show_default=True,
    help="Retrieval: lexical + dense fused, or one of them alone.",
)
@click.option(
    "--all-versions",
    is_flag=True,
    help="List every act's wording of a section as its own hit (default: fold them into the best hit).",
)
@click.option("--date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Search the wordings in force that day.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def search(
    query: str,
    k: int,
    kind: str | None,
    lang: str | None,
    statute: str | None,
    mode: str,
    all_versions: bool,
    index: Path | None,
    date: dt.datetime | None,
) -> None:
    """Search the index and print the best-matching passages with their citations."""
    try:
        searcher = service.open_searcher(_settings(index))
    except USER_ERRORS as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    filters = Filters.of(kind, lang, statute, on=date.date().isoformat() if date else None)
    result = searcher.search(query, k=k, filters=filters, mode=mode, collapse=not all_versions)
    if not result.hits:
        _echo("No results.")
    for hit in result.hits:
        first_line = hit.chunk.text.strip().splitlines()[0] if hit.chunk.text.strip() else ""
        _echo(f"{hit.rank}. {hit.chunk.citation.label}  [{hit.score:.3f}]  {hit.chunk.id}")
        _echo(f"   {first_line[:200]}")
        if hit.versions:
            _echo("   myös: " + ", ".join(v.note() for v in hit.versions))
    _echo(f"({result.took_ms:.0f} ms)")


@main.command("eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(["lexical", "dense", "hybrid"]),
    help="Modes to compare (default: all three).",
)
@click.option("--depth", default=50, show_default=True, help="Chunks retrieved per question before de-duplication.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
@click.option(
    "--per-act",
    is_flag=True,
    help="Score an amending act's section apart from the section it rewrites (default: one section).",
)
@click.option("--compare-bank", "bank", is_flag=True, help="Also score every mode with the question bank off.")
def evaluate(
    questions: Path, qrels: Path, modes: tuple[str, ...], depth: int, index: Path | None, per_act: bool, bank: bool
) -> None:
    """Score retrieval on a dev set: Recall@5, Recall@10, nDCG@10, MRR@10 per mode."""
    try:
        searcher = service.open_searcher(_settings(index))
        _results, table = evaluate_searcher(
            searcher,
            questions,
            qrels,
            modes or ("lexical", "dense", "hybrid"),
            depth,
            fold_versions=not per_act,
            compare_bank=bank,
        )
    except USER_ERRORS as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    _echo(table)


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("corpus/adapter/e5-small-lora.npz"),
    show_default=True,
    help="Adapter file to write (use it with LAHDE_ADAPTER).",
)
@click.option("--epochs", default=1, show_default=True)
@click.option("--rank", default=8, show_default=True, help="LoRA rank.")
@click.option("--lr", "learning_rate", default=1e-4, show_default=True)
@click.option("--batch", "batch_size", default=32, show_default=True)
@click.option("--max-tokens", "max_seq_length", default=128, show_default=True, help="Tokens per text in training.")
@click.option("--negatives/--no-negatives", default=True, help="Add one BM25 hard negative per question.")
def adapt(
    out: Path, epochs: int, rank: int, learning_rate: float, batch_size: int, max_seq_length: int, negatives: bool
) -> None:
    """Fine-tune e5-small on the question bank (LoRA adapter; needs the optional st extra and peft)."""
    from .adapt import adapt as run_adapt

    settings = _settings(None)
    try:
        with click.progressbar(length=0, label="Training", file=sys.stderr) as bar:

            def step(done: int, total: int, loss: float) -> None:
                bar.length = total
                bar.label = f"Training (loss {loss:.3f})"
                bar.update(1)

            report, pairs = run_adapt(
                settings,
                out,
                negatives=negatives,
                progress=step,
                epochs=epochs,
                rank=rank,
                learning_rate=learning_rate,
                batch_size=batch_size,
                max_seq_length=max_seq_length,
            )
    except USER_ERRORS as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    _echo(
        f"Trained on {pairs} pairs: {report.steps} steps in {report.seconds:.0f} s, "
        f"loss {report.first_loss:.3f} → {report.last_loss:.3f} (mean {report.mean_loss:.3f}) → {out}"
    )


@main.command()
@click.option("--host", help="Bind address (default: settings, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: settings, 8000).")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def serve(host: str | None, port: int | None, index: Path | None) -> None:
    """Serve the search API and web page."""
    settings = _settings(index)
    logging.getLogger("lahde.access").setLevel(logging.INFO)
    uvicorn.Server(service.server_config(service.make_app(settings), settings, host, port)).run()


@main.group()
def sources() -> None:
    """Manage the sources named in corpus/sources.toml."""


@sources.command("fetch")
@click.option("--out", "out", type=click.Path(path_type=Path), help="Mirror folder (default: [finlex] mirror).")
@click.option("--consolidated", is_flag=True, help="Fetch the consolidated (ajantasainen) versions.")
def sources_fetch(out: Path | None, consolidated: bool) -> None:
    """Download the statutes (Finlex open data, Akoma Ntoso) and perusteet (ePerusteet) listed in sources.toml."""
    settings = get_settings()
    try:
        config = load_sources(settings.sources, mirror_dir=out or settings.finlex_mirror_dir)
    except IngestError as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    if config.mirror_dir is None and not config.perusteet:
        raise click.ClickException("no mirror folder: set [finlex] mirror in sources.toml or give --out")
    failed = 0
    try:
        if config.mirror_dir is not None:
            result = fetch_sources(
                config,
                base_url=settings.finlex_api_url,
                timeout=settings.fetch_timeout,
                retries=settings.fetch_retries,
                consolidated=consolidated,
            )
            _print_fetched(result.written, result.failed, config.mirror_dir)
            failed += len(result.failed)
        if config.perusteet:
            found = fetch_perusteet(
                config,
                base_url=settings.eperusteet_api_url,
                timeout=settings.fetch_timeout,
                retries=settings.fetch_retries,
            )
            _print_fetched(found.written, found.failed, config.eperusteet_mirror)
            failed += len(found.failed)
    except FetchError as exc:
        raise click.ClickException(_printable(str(exc))) from exc
    if failed:
        sys.exit(1)


def _print_fetched(written: list[Path], failures: list[str], folder: Path | None) -> None:
    for path in written:
        _echo(f"fetched {path}")
    for failure in failures:
        _echo(f"FAILED {_printable(failure)}", err=True)
    _echo(f"ok {len(written)}, failed {len(failures)} → {folder}")


main.add_command(ukk_cli.users)
main.add_command(ukk_cli.institutions)
main.add_command(ukk_cli.ukk)
main.add_command(ukk_cli.backup)
main.add_command(ukk_cli.kysymykset)


if __name__ == "__main__":  # pragma: no cover
    main()
