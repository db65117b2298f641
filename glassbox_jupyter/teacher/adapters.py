"""Model adapters: the one way GlassBox reaches a model, whatever kind it is.

Every adapter is a :class:`ModelAdapter`: it names its ``kind``, says what the model is
(:meth:`~ModelAdapter.identity`), hashes its weights where it can read them
(:meth:`~ModelAdapter.weights_hash`) and describes itself for provenance
(:meth:`~ModelAdapter.describe`, always with ``"sha256"``). How the model is called depends on
what it takes:

- :class:`ArrayAdapter` (``CallableAdapter``, ``SklearnAdapter``, ``TorchAdapter``, ``OnnxAdapter``):
  a batch of float rows in, outputs out. :func:`model_adapter` picks one; a
  :class:`~glassbox_jupyter.teacher.teacher.Teacher` calls it in batches.
- :class:`~glassbox_jupyter.teacher.transformer.TransformerAdapter`: a TransformerLens model, read
  through hook points by name (forward hooks of any ``nn.Module`` are in
  :mod:`~glassbox_jupyter.teacher.layers`).
- :class:`~glassbox_jupyter.teacher.blackbox.Provider`: a model that can only be queried with
  prompts (the black-box audit).

Example:
    >>> import numpy as np
    >>> adapter = model_adapter(lambda X: X.sum(axis=1))
    >>> adapter.kind, adapter(np.ones((2, 3))).tolist()
    ('callable', [3.0, 3.0])
    >>> len(adapter.describe()["sha256"])
    64
"""

from __future__ import annotations

import hashlib
import inspect
import json
import pickle
import sys
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "ArrayAdapter",
    "CallableAdapter",
    "ModelAdapter",
    "OnnxAdapter",
    "SklearnAdapter",
    "TorchAdapter",
    "identity_hash",
    "is_onnx_session",
    "is_sklearn_estimator",
    "is_torch_module",
    "model_adapter",
]


def is_torch_module(obj: object) -> bool:
    """True for a ``torch.nn.Module`` (without importing torch when it is not loaded yet).

    Example:
        >>> is_torch_module(lambda X: X)
        False
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def is_onnx_session(obj: object) -> bool:
    """True for an ``onnxruntime.InferenceSession`` (without importing onnxruntime).

    Example:
        >>> is_onnx_session("model.onnx")
        False
    """
    ort = sys.modules.get("onnxruntime")
    return ort is not None and isinstance(obj, ort.InferenceSession)


def is_sklearn_estimator(obj: object) -> bool:
    """True for anything shaped like a scikit-learn estimator (``predict`` and ``get_params``).

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> is_sklearn_estimator(LinearRegression())
        True
    """
    return hasattr(obj, "predict") and hasattr(obj, "get_params")


def identity_hash(identity: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-ready identity (sorted keys): how a model without readable weights is named.

    Example:
        >>> identity_hash({"kind": "callable", "name": "f"}) == identity_hash({"name": "f", "kind": "callable"})
        True
    """
    return hashlib.sha256(json.dumps(dict(identity), sort_keys=True, default=str).encode("utf-8")).hexdigest()


class ModelAdapter:
    """What GlassBox can say about any model it reaches: its kind, identity, weights' hash and description.

    Subclasses override :meth:`identity` (JSON-ready, never a secret) and, when they can read the
    weights, :meth:`weights_hash`. :attr:`sha256` is the weights' hash (computed once) or, for a
    model without readable weights, :meth:`fingerprint` of its identity.

    Example:
        >>> class Constant(ModelAdapter):
        ...     kind = "constant"
        ...     def identity(self):
        ...         return {"kind": self.kind, "value": 1}
        >>> Constant().describe()["sha256"] == identity_hash({"kind": "constant", "value": 1})
        True
    """

    kind: str = "model"
    _cached_weights_sha256: str | None = None  # "" once hashed and found to have no readable weights

    def identity(self) -> dict[str, Any]:
        """What the model is (kind, class, name, address...): JSON-ready, without a hash or a secret."""
        return {"kind": self.kind}

    def weights_hash(self) -> str | None:
        """SHA-256 of the model's weights, or ``None`` when the model has no weights this adapter can read."""
        return None

    def fingerprint(self) -> str:
        """SHA-256 naming a model without readable weights: of its :meth:`identity`."""
        return identity_hash(self.identity())

    @property
    def sha256(self) -> str:
        """The model's SHA-256: of its weights (hashed once), else its :meth:`fingerprint`."""
        if self._cached_weights_sha256 is None:
            self._cached_weights_sha256 = self.weights_hash() or ""
        return self._cached_weights_sha256 or self.fingerprint()

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for provenance and reports: :meth:`identity` plus ``"sha256"``."""
        return {**self.identity(), "sha256": self.sha256}


class ArrayAdapter(ModelAdapter):
    """A model called on a batch of float rows. ``input_shape`` is ``None`` when the model does not say."""

    kind = "callable"
    input_shape: tuple[int, ...] | None = None
    dtype: str = "float64"
    is_classifier: bool = False

    def __call__(self, X: np.ndarray) -> Any:
        """The model's outputs for the batch ``X`` (an array, a tensor, or what the model returns)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to call its model")


class CallableAdapter(ArrayAdapter):
    """A plain function ``fn(X) -> outputs`` as a model.

    Args:
        fn: the function; it receives a float array of shape ``(n, *input shape)``.
        sha256: the hash of the model the function computes with, when it wraps one (e.g. a classifier's
            probabilities): the adapter's :meth:`weights_hash`, so provenance names that model.

    Without ``sha256`` a function has no weights: a Teacher names it by its behaviour on a fixed probe,
    and :meth:`fingerprint` by its name and source code.

    Example:
        >>> import numpy as np
        >>> CallableAdapter(np.sin).identity()
        {'kind': 'callable', 'callable': 'numpy.sin'}
    """

    kind = "callable"

    def __init__(self, fn: Callable[[np.ndarray], Any], *, sha256: str | None = None):
        self.fn = fn
        self._wrapped_sha256 = sha256

    def __call__(self, X: np.ndarray) -> Any:
        return self.fn(X)

    def identity(self) -> dict[str, Any]:
        name = getattr(self.fn, "__qualname__", type(self.fn).__qualname__)
        return {"kind": self.kind, "callable": f"{getattr(self.fn, '__module__', '?')}.{name}"}

    def weights_hash(self) -> str | None:
        return self._wrapped_sha256

    def fingerprint(self) -> str:
        """SHA-256 of the function's name and, where Python can read it, its source code."""
        try:
            source = inspect.getsource(self.fn)
        except (OSError, TypeError):
            source = ""
        return identity_hash({**self.identity(), "source": source})


class SklearnAdapter(ArrayAdapter):
    """A scikit-learn estimator: ``predict_proba`` for classifiers, else ``predict``.

    Example:
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> adapter = SklearnAdapter(LinearRegression().fit(np.eye(3), [1.0, 2.0, 3.0]))
        >>> adapter.input_shape, adapter.identity()["estimator"]
        ((3,), 'LinearRegression')
    """

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

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "estimator": type(self.estimator).__name__}


#: Each torch module's last weights hash with the signature of the tensors it was taken from (weakly held).
_WEIGHTS_HASHES: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], str]] = weakref.WeakKeyDictionary()


class TorchAdapter(ArrayAdapter):
    """A ``torch.nn.Module`` (or TorchScript module), run in eval mode without gradients.

    Args:
        module: the module.
        device: where to run it; the module is moved there. Default: where its weights already are
            (nothing is moved).
        name: a label recorded in :meth:`identity` (e.g. the model's name in a report).

    Describing a module changes nothing about it; calling it puts it in eval mode.

    Example:
        >>> import torch
        >>> adapter = TorchAdapter(torch.nn.Linear(3, 1), name="line")
        >>> adapter.input_shape, adapter.identity()["parameters"], adapter.identity()["name"]
        ((3,), 4, 'line')
    """

    kind = "torch"

    def __init__(self, module: Any, device: Any = None, *, name: str | None = None):
        import torch

        self.torch = torch
        self.module = module
        self.name = name
        params = list(module.parameters()) + list(module.buffers())
        if device is None:
            self.device = params[0].device if params else torch.device("cpu")
        else:
            self.device = torch.device(device)
            module.to(self.device)
        floats = [p.dtype for p in params if p.is_floating_point()]
        self.torch_dtype = floats[0] if floats else torch.float32
        self.dtype = str(self.torch_dtype).removeprefix("torch.")
        self.input_shape = _first_linear_width(module)
        if isinstance(module, torch.jit.ScriptModule):
            self.kind = "torchscript"

    def __call__(self, X: np.ndarray) -> np.ndarray:
        torch = self.torch
        self.module.eval()
        with torch.inference_mode():
            batch = torch.as_tensor(X, dtype=self.torch_dtype, device=self.device)
            out = self.module(batch)
        if isinstance(out, (tuple, list)):
            out = out[0]
        if isinstance(out, dict) or hasattr(out, "logits"):
            out = out["logits"] if isinstance(out, dict) else out.logits
        result: np.ndarray = out.detach().to("cpu", torch.float64).numpy()
        return result

    def weights_hash(self) -> str:
        """SHA-256 over the state dict: each tensor's name, dtype, shape and bytes, in name order.

        Remembered per module while no tensor is replaced or changed in place (each tensor's storage address
        and version counter, which every in-place write such as an optimizer step or ``load_state_dict``
        advances), so analysing one model again does not hash hundreds of megabytes again."""
        state = sorted(self.module.state_dict().items())
        signature = tuple((name, t.data_ptr(), t._version) for name, t in state)
        known = _WEIGHTS_HASHES.get(self.module)
        if known is not None and known[0] == signature:
            return known[1]
        digest = hashlib.sha256()
        for name, tensor in state:
            t = tensor.detach().to("cpu").contiguous()
            digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
            digest.update(t.view(-1).view(self.torch.uint8).numpy().tobytes() if t.numel() else b"")
        _WEIGHTS_HASHES[self.module] = (signature, digest.hexdigest())
        return digest.hexdigest()

    def identity(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "kind": self.kind,
            "class": type(self.module).__qualname__,
            "parameters": int(sum(p.numel() for p in self.module.parameters())),
            "device": str(self.device),
            "dtype": self.dtype,
        }
        if self.name is not None:
            info["name"] = self.name
        return info


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


class OnnxAdapter(ArrayAdapter):
    """An ``onnxruntime.InferenceSession``; its weights are hashed from the model file's bytes when known.

    Example:
        >>> adapter = OnnxAdapter(session, model_bytes=open("model.onnx", "rb").read())  # doctest: +SKIP
        >>> adapter.identity()["input"]  # doctest: +SKIP
        'x'
    """

    kind = "onnx"

    def __init__(self, session: Any, model_bytes: bytes | None = None):
        self.session = session
        self.model_bytes = model_bytes
        first = session.get_inputs()[0]
        self.input_name: str = first.name
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

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "input": self.input_name, "providers": list(self.session.get_providers())}


def model_adapter(model: object, device: Any = None) -> ArrayAdapter:
    """The adapter that calls ``model`` on float arrays: torch, ONNX, scikit-learn or a plain function.

    An :class:`ArrayAdapter` is returned as it is. ``device`` places torch models.

    Example:
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> model_adapter(DecisionTreeRegressor()).kind
        'sklearn'
    """
    if isinstance(model, ArrayAdapter):
        return model
    if isinstance(model, ModelAdapter):
        raise TypeError(
            f"{type(model).__name__} is a {model.kind} adapter that is not called on arrays; "
            "a teacher needs a model that maps an (n, d) array to outputs"
        )
    if is_torch_module(model):
        return TorchAdapter(model, device=device)
    if is_onnx_session(model):
        return OnnxAdapter(model)
    if is_sklearn_estimator(model):
        return SklearnAdapter(model)
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        raise TypeError(f"Teacher got a path ({model!r}); load files with Teacher.load(path, architecture=...)")
    if callable(model):
        return CallableAdapter(model)
    raise TypeError(
        f"cannot use a {type(model).__name__} as a teacher: pass a torch.nn.Module, an ONNX "
        "InferenceSession, a scikit-learn estimator, or a function mapping an (n, d) array to outputs"
    )
