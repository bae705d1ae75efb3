"""What the section page shows for a peruste's unit: its parts, each paragraph citable down to kohde and grade."""

from __future__ import annotations

from typing import Any

from ingest.peruste_chunks import criterion_parts
from retrieval.highlight import marked_paragraphs
from retrieval.sections import common_heading_path
from retrieval.types import SectionView


def peruste_parts(view: SectionView, marked: str) -> list[dict[str, Any]]:
    """Per chunk of the unit: the part's heading (below the unit) and its paragraphs with their citations."""
    paths = [list(c.citation.heading_path) for c in view.chunks]
    common = common_heading_path(view.chunks)
    parts: list[dict[str, Any]] = []
    for chunk, path in zip(view.chunks, paths, strict=True):
        heading = " › ".join(path[len(common) :])
        paragraphs = []
        texts = chunk.text.split("\n\n")
        for text, segments in zip(texts, marked_paragraphs(chunk.text, marked), strict=False):
            label = " › ".join([chunk.citation.label, *criterion_parts(text)])
            paragraphs.append({"segments": segments, "label": label, "text": text})
        if parts and parts[-1]["heading"] == heading:
            parts[-1]["paragraphs"].extend(paragraphs)  # a part split into several chunks
        else:
            parts.append({"heading": heading, "label": chunk.citation.label, "paragraphs": paragraphs})
    return parts
