"""What the section page shows for a peruste's unit: its parts, each paragraph citable down to kohde and grade."""

from __future__ import annotations

import re
from typing import Any

from retrieval.highlight import marked_paragraphs
from retrieval.types import SectionView

_CRITERION_RE = re.compile(r"^(?:(?P<target>.+?) — )?(?P<grade>[^:—]{1,40}): ")


def criterion_suffix(paragraph: str) -> list[str]:
    """``Työn kokonaisuuden hallinta — hyvä H3: …`` → ["Työn kokonaisuuden hallinta", "hyvä H3"]; [] otherwise."""
    match = _CRITERION_RE.match(paragraph)
    if match is None:
        return []
    return [p for p in (match.group("target"), match.group("grade")) if p]


def peruste_parts(view: SectionView, marked: str) -> list[dict[str, Any]]:
    """Per chunk of the unit: the part's heading (below the unit) and its paragraphs with their citations."""
    paths = [list(c.citation.heading_path) for c in view.chunks]
    common = paths[0]
    for path in paths[1:]:
        while common and path[: len(common)] != common:
            common = common[:-1]
    parts: list[dict[str, Any]] = []
    for chunk, path in zip(view.chunks, paths, strict=True):
        heading = " › ".join(path[len(common) :])
        paragraphs = []
        texts = chunk.text.split("\n\n")
        for text, segments in zip(texts, marked_paragraphs(chunk.text, marked), strict=False):
            label = " › ".join([chunk.citation.label, *criterion_suffix(text)])
            paragraphs.append({"segments": segments, "label": label, "text": text})
        if parts and parts[-1]["heading"] == heading:
            parts[-1]["paragraphs"].extend(paragraphs)  # a part split into several chunks
        else:
            parts.append({"heading": heading, "label": chunk.citation.label, "paragraphs": paragraphs})
    return parts
