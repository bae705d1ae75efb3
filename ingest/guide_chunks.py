"""Heading-aware chunking of guides: one chunk per heading section, split when over the limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from .guides import Block
from .models import Chunk, Citation, Document
from .tokens import TokenCounter, estimate_tokens

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•])")


@dataclass(frozen=True)
class GuideMeta:
    """What the manifest says about a guide."""

    id: str
    title: str
    kind: str
    lang: str
    source_path: str
    issuer: str | None = None
    url: str | None = None
    institution: str | None = None


def page_span(first: int | None, last: int | None, lang: str = "fi") -> str:
    """``s. 4`` or ``s. 4–5`` (``s.`` is the same abbreviation in Swedish)."""
    if first is None:
        return ""
    return f"s. {first}" if last in (None, first) else f"s. {first}–{last}"


def guide_label(title: str, heading_path: Sequence[str], first: int | None, last: int | None) -> str:
    """``Esimerkkiopiston HOKS-ohje › 3 Työelämässä oppiminen, s. 4``."""
    label = " › ".join((title, *heading_path))
    pages = page_span(first, last)
    return f"{label}, {pages}" if pages else label


def _pieces(blocks: list[Block], context: str, max_tokens: int | None, count: TokenCounter) -> list[list[Block]]:
    """Runs of whole blocks that fit; a block longer than the limit is cut between sentences."""
    if max_tokens is None:
        return [blocks]
    units: list[Block] = []
    for block in blocks:
        if count(f"{context}\n{block.text}") <= max_tokens:
            units.append(block)
            continue
        current = ""
        for sentence in _SENTENCE_RE.split(block.text):
            candidate = f"{current} {sentence}".strip()
            if current and count(f"{context}\n{candidate}") > max_tokens:
                units.append(Block(current, block.heading_path, block.page, block.page_end))
                current = sentence
            else:
                current = candidate
        if current:
            units.append(Block(current, block.heading_path, block.page, block.page_end))
    runs: list[list[Block]] = [[]]
    for unit in units:
        trial = "\n\n".join(b.text for b in [*runs[-1], unit])
        if runs[-1] and count(f"{context}\n{trial}") > max_tokens:
            runs.append([unit])
        else:
            runs[-1].append(unit)
    return [r for r in runs if r]


def guide_to_document(
    meta: GuideMeta,
    blocks: Sequence[Block],
    *,
    max_tokens: int | None = 512,
    count_tokens: TokenCounter = estimate_tokens,
) -> Document:
    """Chunks of a guide, each citing its heading path and pages."""
    doc_id = f"{meta.lang}.{meta.id}"
    chunks: list[Chunk] = []
    title = meta.title.casefold()
    # A page's own H1 repeats the document title: leave it out of the heading path.
    blocks = [
        Block(b.text, b.heading_path[1:], b.page, b.page_end)
        if b.heading_path[:1] and b.heading_path[0].casefold() == title
        else b
        for b in blocks
    ]
    for group_no, (heading_path, group) in enumerate(groupby(blocks, key=lambda b: b.heading_path), 1):
        group_blocks = list(group)
        context = " › ".join((meta.title, *heading_path))
        runs = _pieces(group_blocks, context, max_tokens, count_tokens)
        for part_no, run in enumerate(runs, 1):
            pages = [p for b in run for p in (b.page, b.page_end) if p is not None]
            first, last = (min(pages), max(pages)) if pages else (None, None)
            text = "\n\n".join(b.text for b in run)
            citation = Citation(
                doc_id=doc_id,
                doc_title=meta.title,
                kind=meta.kind,
                lang=meta.lang,
                label=guide_label(meta.title, heading_path, first, last),
                heading_path=tuple(heading_path),
                page=first,
                page_end=last if last != first else None,
                url=meta.url,
                order=len(chunks),
                issuer=meta.issuer,
                institution=meta.institution,
            )
            chunk_id = f"{doc_id}.h{group_no}" + (f".p{part_no}" if len(runs) > 1 else "")
            chunks.append(
                Chunk(
                    id=chunk_id,
                    text=text,
                    citation=citation,
                    context=context,
                    tokens=count_tokens(f"{context}\n{text}"),
                )
            )
    return Document(
        id=doc_id,
        title=meta.title,
        kind=meta.kind,
        lang=meta.lang,
        source_path=meta.source_path,
        url=meta.url,
        issuer=meta.issuer,
        chunks=tuple(chunks),
    )
