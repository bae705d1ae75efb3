"""The `lahde` command line: thin commands that parse, call the library and report."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from index.errors import IndexError_
from index.store import Filters
from ingest.errors import IngestError

from .settings import Settings, get_settings


def _settings(index: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"index_dir": index}) if index else settings


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def main(verbose: bool) -> None:
    """Lähde: find the exact statute section or guide passage that answers a question."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def build(index: Path | None) -> None:
    """Ingest the sources in corpus/sources.toml and build the search index."""
    from .service import build as run_build, ingest, make_embedder

    settings = _settings(index)
    try:
        report = ingest(settings)
        embedder = make_embedder(settings)
        click.echo(f"Embedding model: {embedder.model_id} ({embedder.backend})")
        with click.progressbar(length=report.chunk_count, label="Embedding chunks", file=sys.stderr) as bar:
            result = run_build(settings, embedder, report=report, progress=bar.update)
    except (IngestError, IndexError_) as exc:
        raise click.ClickException(str(exc)) from exc
    report, manifest = result.report, result.manifest
    for error in report.errors:
        click.echo(f"FAILED {error}", err=True)
    click.echo(
        f"Indexed {len(report.documents)} documents, {manifest.chunk_count} chunks "
        f"({manifest.embedded_count} embedded, {manifest.chunk_count - manifest.embedded_count} from cache) "
        f"in {manifest.build_seconds:.1f} s → {result.index_dir}"
    )
    click.echo(f"ok {len(report.documents)}, failed {len(report.errors)}")
    if report.errors:
        sys.exit(1)


@main.command()
@click.argument("query")
@click.option("-k", default=5, show_default=True, help="Number of hits.")
@click.option("--kind", help="Only this source kind (laki, asetus, opas, ohje).")
@click.option("--lang", help="Only this language (fi, sv).")
@click.option("--statute", help="Only this statute, e.g. 531/2017.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True,
              help="Retrieval: lexical + dense fused, or one of them alone.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def search(
    query: str, k: int, kind: str | None, lang: str | None, statute: str | None, mode: str, index: Path | None
) -> None:
    """Search the index and print the best-matching passages with their citations."""
    from .service import open_searcher

    try:
        searcher = open_searcher(_settings(index))
    except IndexError_ as exc:
        raise click.ClickException(str(exc)) from exc
    result = searcher.search(query, k=k, filters=Filters(kind=kind, lang=lang, statute=statute), mode=mode)
    if not result.hits:
        click.echo("No results.")
    for hit in result.hits:
        first_line = hit.chunk.text.strip().splitlines()[0] if hit.chunk.text.strip() else ""
        click.echo(f"{hit.rank}. {hit.chunk.citation.label}  [{hit.score:.3f}]  {hit.chunk.id}")
        click.echo(f"   {first_line[:200]}")
    click.echo(f"({result.took_ms:.0f} ms)")


@main.command("eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", "modes", multiple=True, type=click.Choice(["lexical", "dense", "hybrid"]),
              help="Modes to compare (default: all three).")
@click.option("--depth", default=50, show_default=True, help="Chunks retrieved per question before de-duplication.")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def evaluate(questions: Path, qrels: Path, modes: tuple[str, ...], depth: int, index: Path | None) -> None:
    """Score retrieval on a dev set: Recall@5, Recall@10, nDCG@10, MRR@10 per mode."""
    from index.evaluate import evaluate_searcher

    from .service import open_searcher

    try:
        searcher = open_searcher(_settings(index))
        _results, table = evaluate_searcher(searcher, questions, qrels, modes or ("lexical", "dense", "hybrid"), depth)
    except IndexError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(table)


@main.command()
@click.option("--host", help="Bind address (default: settings, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: settings, 8000).")
@click.option("--index", "index", type=click.Path(path_type=Path), help="Index directory (default: settings).")
def serve(host: str | None, port: int | None, index: Path | None) -> None:
    """Serve the search API and web page."""
    import uvicorn

    from search_api.app import create_app

    settings = _settings(index)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    main()
