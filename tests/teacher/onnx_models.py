"""A tiny ONNX model built in the test (y = x · [1, 2, −1]), shared by the adapter and loading tests."""

from __future__ import annotations

import numpy as np

WEIGHT = np.array([[1.0], [2.0], [-1.0]], dtype=np.float32)


def linear_onnx_bytes() -> bytes:
    """The serialised ONNX model of ``y = x @ WEIGHT`` (3 float inputs, 1 output)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
        initializer=[numpy_helper.from_array(WEIGHT, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()
