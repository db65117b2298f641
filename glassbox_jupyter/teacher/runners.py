"""Runners: one small adapter per kind of model, each mapping a float array to outputs.

A runner knows how to call its model in batches without gradients and what input width it
expects (when the model says so). :class:`~glassbox_jupyter.teacher.teacher.Teacher` picks one.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Callable
from typing import Any

import numpy as np


def is_torch_module(obj: Any) -> bool:
    """True for a ``torch.nn.Module`` (without importing torch when it is not loaded yet)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def is_onnx_session(obj: Any) -> bool:
    ort = sys.modules.get("onnxruntime")
    return ort is not None and isinstance(obj, ort.InferenceSession)


def is_sklearn_estimator(obj: Any) -> bool:
    return hasattr(obj, "predict") and hasattr(obj, "get_params")


class Runner:
    """Base adapter. ``kind`` names the model family; ``input_shape`` is ``None`` when unknown."""

    kind = "callable"
    input_shape: tuple[int, ...] | None = None
    dtype: str = "float64"

    def __call__(self, X: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def weights_hash(self) -> str | None:
        """SHA-256 of the model's weights, or ``None`` when the model has no inspectable weights."""
        return None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


class CallableRunner(Runner):
    kind = "callable"

    def __init__(self, fn: Callable[[np.ndarray], Any]):
        self.fn = fn

    def __call__(self, X: np.ndarray) -> Any:
        return self.fn(X)

    def describe(self) -> dict[str, Any]:
        name = getattr(self.fn, "__qualname__", type(self.fn).__qualname__)
        return {"kind": self.kind, "callable": f"{getattr(self.fn, '__module__', '?')}.{name}"}


class SklearnRunner(Runner):
    kind = "sklearn"

    def __init__(self, estimator: Any):
        self.estimator = estimator
        n = getattr(estimator, "n_features_in_", None)
        self.input_shape = None if n is None else (int(n),)
        self.is_classifier = hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_")

    def __call__(self, X: np.ndarray) -> Any:
        if self.is_classifier:
            return self.estimator.predict_proba(X)
        return self.estimator.predict(X)

    def weights_hash(self) -> str | None:
        try:
            return hashlib.sha256(pickle.dumps(self.estimator, protocol=4)).hexdigest()
        except Exception:  # an unpicklable estimator is still usable, just not hashed
            return None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "estimator": type(self.estimator).__name__}


class TorchRunner(Runner):
    kind = "torch"

    def __init__(self, module: Any, device: Any = None):
        import torch

        self.torch = torch
        self.module = module
        params = list(module.parameters()) + list(module.buffers())
        if device is None:
            device = params[0].device if params else torch.device("cpu")
        self.device = torch.device(device)
        module.to(self.device)
        module.eval()
        floats = [p.dtype for p in params if p.is_floating_point()]
        self.torch_dtype = floats[0] if floats else torch.float32
        self.dtype = str(self.torch_dtype).removeprefix("torch.")
        self.input_shape = _first_linear_width(module)
        if isinstance(module, torch.jit.ScriptModule):
            self.kind = "torchscript"

    def __call__(self, X: np.ndarray) -> Any:
        torch = self.torch
        with torch.inference_mode():
            batch = torch.as_tensor(X, dtype=self.torch_dtype, device=self.device)
            out = self.module(batch)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if isinstance(out, dict) or hasattr(out, "logits"):
            out = out["logits"] if isinstance(out, dict) else out.logits
        return out.detach().to("cpu", torch.float64).numpy()

    def weights_hash(self) -> str:
        digest = hashlib.sha256()
        for name, tensor in sorted(self.module.state_dict().items()):
            t = tensor.detach().to("cpu").contiguous()
            digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
            digest.update(t.view(-1).view(self.torch.uint8).numpy().tobytes() if t.numel() else b"")
        return digest.hexdigest()

    def describe(self) -> dict[str, Any]:
        n_params = sum(p.numel() for p in self.module.parameters())
        return {
            "kind": self.kind,
            "class": type(self.module).__qualname__,
            "parameters": int(n_params),
            "device": str(self.device),
            "dtype": self.dtype,
        }


def describe_torch_module(module: Any, **extra: Any) -> dict[str, Any]:
    """Provenance description of a bare torch module (no Teacher around it): what :class:`TorchRunner`
    says, the weights' SHA-256 (hashed once) and ``extra`` fields."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # TransformerLens prints "Moving model to device"
        runner = TorchRunner(module)
    return {**runner.describe(), **extra, "sha256": runner.weights_hash()}


def _first_linear_width(module: Any) -> tuple[int, ...] | None:
    """Input width of an MLP-like module: the ``in_features`` of its first parametrised layer."""
    for sub in module.modules():
        if sub is module and list(sub.children()):
            continue
        if hasattr(sub, "in_features") and isinstance(sub.in_features, int):
            return (sub.in_features,)
        if any(True for _ in sub.parameters(recurse=False)):
            return None  # first layer is not Linear (conv, embedding...): width unknown
    return None


class OnnxRunner(Runner):
    kind = "onnx"

    def __init__(self, session: Any, model_bytes: bytes | None = None):
        self.session = session
        self.model_bytes = model_bytes
        first = session.get_inputs()[0]
        self.input_name = first.name
        dims = first.shape[1:]
        self.input_shape = tuple(dims) if dims and all(isinstance(d, int) for d in dims) else None
        onnx_type = first.type  # e.g. "tensor(float)"
        self.dtype = {"tensor(double)": "float64", "tensor(float16)": "float16"}.get(onnx_type, "float32")

    def __call__(self, X: np.ndarray) -> Any:
        shape = (len(X), *self.input_shape) if self.input_shape else X.shape
        feed = {self.input_name: np.ascontiguousarray(X.reshape(shape), dtype=self.dtype)}
        return self.session.run(None, feed)[0]

    def weights_hash(self) -> str | None:
        return None if self.model_bytes is None else hashlib.sha256(self.model_bytes).hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "input": self.input_name, "providers": self.session.get_providers()}


def make_runner(model: Any, device: Any = None) -> Runner:
    """Pick the runner for ``model``."""
    if isinstance(model, Runner):
        return model
    if is_torch_module(model):
        return TorchRunner(model, device=device)
    if is_onnx_session(model):
        return OnnxRunner(model)
    if is_sklearn_estimator(model):
        return SklearnRunner(model)
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        raise TypeError(f"Teacher got a path ({model!r}); load files with Teacher.load(path, architecture=...)")
    if callable(model):
        return CallableRunner(model)
    raise TypeError(
        f"cannot use a {type(model).__name__} as a teacher: pass a torch.nn.Module, an ONNX "
        "InferenceSession, a scikit-learn estimator, or a function mapping an (n, d) array to outputs"
    )
