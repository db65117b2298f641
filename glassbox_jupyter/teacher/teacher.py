"""Teacher: any model GlassBox explains, called in batches on float arrays.

Example:
    >>> import numpy as np
    >>> from glassbox_jupyter import InputSpec, Teacher
    >>> teacher = Teacher(lambda X: X[:, 0] * 2 + X[:, 1], InputSpec(["a", "b"], low=0, high=1))
    >>> teacher(np.array([[1.0, 1.0]]))
    array([[3.]])
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glassbox_jupyter.errors import ShapeMismatchError, TeacherOutputError
from glassbox_jupyter.teacher.adapters import ArrayAdapter, OnnxAdapter, model_adapter
from glassbox_jupyter.teacher.spec import InputSpec

TASKS = ("regression", "classification")


class Teacher:
    """A model to explain: a torch module, TorchScript, ONNX, scikit-learn or a plain callable.

    Args:
        model: the model (or an :class:`~glassbox_jupyter.teacher.adapters.ArrayAdapter` around it).
            Callables receive a float array of shape ``(n, *spec.shape)``.
        spec: the :class:`InputSpec` of its inputs (needed to probe; checked against the model).
        batch_size: rows per call; large probe sets are split into batches.
        device: torch device for torch models (default: where the weights already are).
        output_names: names of the outputs (default ``y`` or ``y1..yk``).
        output_units: unit of each output (shown next to its name), or ``None``.
        task: ``"regression"`` or ``"classification"`` (outputs are scores/probabilities per class).
        name: a label used in views and reports.

    ``teacher(X)`` always returns a float64 array of shape ``(n, n_outputs)``;
    ``teacher.predict(X)`` returns ``(n,)`` for single-output teachers.
    """

    def __init__(
        self,
        model: Any,
        spec: InputSpec | None = None,
        *,
        batch_size: int = 8192,
        device: Any = None,
        output_names: Sequence[str] | None = None,
        task: str | None = None,
        name: str | None = None,
        output_units: Sequence[str | None] | None = None,
    ):
        if isinstance(model, Teacher):
            raise TypeError("model is already a Teacher; use it directly (or teacher.with_spec(spec))")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if task is not None and task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        if spec is not None and not isinstance(spec, InputSpec):
            raise TypeError(f"spec must be an InputSpec, got {type(spec).__name__}")
        self.model = model
        self.adapter: ArrayAdapter = model_adapter(model, device=device)
        self.batch_size = int(batch_size)
        self.task = task or ("classification" if self.adapter.is_classifier else "regression")
        self.name = name or _default_name(model)
        self._output_names = None if output_names is None else tuple(output_names)
        self.output_units = None if output_units is None else tuple(output_units)
        self._n_outputs: int | None = None
        self._hash: str | None = None
        self.source: str | None = None  # file the teacher was loaded from, if any
        self.spec = spec
        if spec is not None:
            self._check_spec(spec)

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        path: str | Path,
        architecture: Any = None,
        *,
        spec: InputSpec | None = None,
        trust: bool = False,
        architecture_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Teacher:
        """Load a teacher from a file, safely.

        ``.safetensors`` and state-dict ``.pt`` files need ``architecture`` (an import path
        ``"package.module:Class"``, a class, or a module instance); TorchScript and ONNX files
        carry their own graph. Pickles (``.pkl``, whole-module ``.pt``) are refused unless
        ``trust=True``.

        Example:
            >>> from glassbox_jupyter.demos import model_path
            >>> t = Teacher.load(model_path("friedman_mlp"),
            ...                  architecture="glassbox_jupyter.demos.architectures:MLP",
            ...                  architecture_kwargs={"n_inputs": 5, "hidden": [32, 32]})
            >>> t.adapter.kind
            'torch'
        """
        from glassbox_jupyter.teacher.loading import load_model

        model, raw = load_model(path, architecture, architecture_kwargs, trust=trust)
        teacher = cls(model, spec=spec, **kwargs)
        if raw is not None and isinstance(teacher.adapter, OnnxAdapter):
            teacher.adapter.model_bytes = raw  # the file's bytes: what the weights hash covers
        teacher.source = str(path)
        return teacher

    def with_spec(self, spec: InputSpec) -> Teacher:
        """A copy of this teacher bound to another spec (checked against the model)."""
        clone = Teacher.__new__(Teacher)
        clone.__dict__.update(self.__dict__)
        clone.spec = spec
        clone._check_spec(spec)
        return clone

    # ------------------------------------------------------------------ calling
    def __call__(self, X: Any) -> np.ndarray:
        """Outputs for inputs ``X`` (``(n, width)`` or ``(n, *spec.shape)``): ``(n, n_outputs)``."""
        array = self._as_inputs(X)
        if len(array) == 0:
            return np.empty((0, self.n_outputs if self._n_outputs else 0))
        chunks = [self._call_batch(array[i : i + self.batch_size]) for i in range(0, len(array), self.batch_size)]
        out = np.concatenate(chunks, axis=0)
        self._n_outputs = out.shape[1]
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Like ``teacher(X)`` but ``(n,)`` for single-output teachers (scikit-learn style)."""
        out = self(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def _as_inputs(self, X: Any) -> np.ndarray:
        if self.spec is not None:
            return self.spec.check(X)
        array = np.asarray(X, dtype=float)
        return array[:, None] if array.ndim == 1 else array.reshape(len(array), -1)

    def _call_batch(self, flat: np.ndarray) -> np.ndarray:
        shape = _shape(self.spec) if self.spec is not None else flat.shape[1:]
        raw = self.adapter(flat.reshape(len(flat), *shape))
        try:
            out = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TeacherOutputError(
                f"the teacher returned {type(raw).__name__}, which is not a numeric array; "
                "return a numpy array or tensor of shape (n,) or (n, outputs)"
            ) from exc
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != len(flat):
            raise TeacherOutputError(
                f"the teacher returned shape {out.shape} for {len(flat)} inputs; expected "
                f"({len(flat)},) or ({len(flat)}, outputs)"
            )
        return out

    # ------------------------------------------------------------------ checks
    def _check_spec(self, spec: InputSpec) -> None:
        """Fail early, naming both shapes, when the spec does not fit the model."""
        expected = self.adapter.input_shape
        if expected is not None and tuple(expected) != _shape(spec)[-len(expected) :]:
            raise ShapeMismatchError(
                f"the spec describes inputs of shape {spec.shape} ({spec.width} features) but the "
                f"{self.adapter.kind} teacher expects {expected}; fix the spec's names/shape or "
                "pass the matching model"
            )
        self._check_dtype(spec)
        centre = np.asarray(spec.mean if spec.mean is not None else np.zeros(spec.width), dtype=float)
        try:
            out = self(np.stack([centre, centre]))
        except (ShapeMismatchError, TeacherOutputError):
            raise
        except Exception as exc:  # the model's own error, e.g. a matmul shape mismatch
            raise ShapeMismatchError(
                f"the teacher failed on inputs of shape {(2, *_shape(spec))} built from the spec "
                f"({type(exc).__name__}: {exc}); check that the spec's width/shape matches what "
                f"the model expects"
            ) from exc
        if self._output_names is not None and len(self._output_names) != out.shape[1]:
            raise ValueError(
                f"output_names has {len(self._output_names)} names but the teacher returns {out.shape[1]} outputs"
            )

    def _check_dtype(self, spec: InputSpec) -> None:
        model_dtype = self.adapter.dtype if self.adapter.kind in ("torch", "torchscript", "onnx") else None
        if spec.dtype is None or model_dtype is None or spec.dtype == model_dtype:
            return
        if np.dtype(spec.dtype).kind != "f":
            raise ShapeMismatchError(
                f"the spec says inputs are {spec.dtype} but the {self.adapter.kind} teacher computes in "
                f"{model_dtype}; GlassBox probes numeric feature vectors, so give the spec a float dtype "
                "(or wrap the model in a function that maps floats to what it expects)"
            )
        warnings.warn(
            f"the spec says inputs are {spec.dtype} but the teacher's weights are {model_dtype}; "
            f"inputs will be cast to {model_dtype}. Set InputSpec(dtype={model_dtype!r}) to silence this.",
            UserWarning,
            stacklevel=4,
        )

    def require_spec(self) -> InputSpec:
        """The teacher's spec, or a clear error when it has none (probing needs one).

        Example:
            >>> from glassbox_jupyter.demos import load
            >>> load("friedman_mlp").require_spec().width
            5
        """
        if self.spec is None:
            raise ValueError(
                "the teacher has no InputSpec, so GlassBox does not know its inputs; "
                "pass spec=InputSpec(names=..., low=..., high=...) or InputSpec.from_data(X)"
            )
        return self.spec

    # ------------------------------------------------------------------ description
    @property
    def n_outputs(self) -> int:
        """Number of outputs (found by one call on the spec's centre when not known yet)."""
        if self._n_outputs is None:
            if self.spec is None:
                raise ValueError("n_outputs is unknown until the teacher is called or given a spec")
            self._check_spec(self.spec)
        return int(self._n_outputs)  # type: ignore[arg-type]  # _check_spec called the teacher, which set it

    @property
    def output_names(self) -> tuple[str, ...]:
        if self._output_names is not None:
            return self._output_names
        k = self.n_outputs
        return ("y",) if k == 1 else tuple(f"y{i + 1}" for i in range(k))

    @property
    def hash(self) -> str:
        """SHA-256 identifying this teacher: of its weights, or of its behaviour on a fixed probe.

        Callables have no weights to hash, so their hash is a fingerprint of their outputs on
        64 Sobol points of the spec (rounded to 9 significant digits).
        """
        if self._hash is None:
            self._hash = self.adapter.weights_hash() or self._behaviour_fingerprint()
        return self._hash

    def _behaviour_fingerprint(self) -> str:
        if self.spec is None:
            raise ValueError("a callable teacher needs a spec before it can be fingerprinted")
        from glassbox_jupyter.teacher.sampling import sample_inputs

        X = sample_inputs(self.spec, 64, method="sobol", seed=12345)
        out = np.array([float(f"{v:.9g}") for v in self(X).ravel()])
        return hashlib.sha256(out.tobytes() + repr(self.spec.to_dict()).encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        """JSON-ready description used in provenance and reports: the adapter's identity, name, task, ``sha256``.

        Example:
            >>> from glassbox_jupyter.demos import load
            >>> sorted(load("friedman_mlp").describe())[:4]
            ['class', 'device', 'dtype', 'kind']
        """
        info = dict(self.adapter.identity())
        info.update(name=self.name, task=self.task, sha256=self.hash, source=self.source)
        if self.spec is not None:
            info["outputs"] = list(self.output_names)
        return info

    def __repr__(self) -> str:
        spec = "no spec" if self.spec is None else f"{self.spec.width} inputs"
        return f"Teacher({self.name!r}, {self.adapter.kind}, {spec}, task={self.task!r})"


def _shape(spec: InputSpec) -> tuple[int, ...]:
    """The spec's input shape (always set once the spec is built; ``(width,)`` for a flat spec)."""
    return spec.shape


def _default_name(model: Any) -> str:
    name = getattr(model, "__name__", None) or type(model).__name__
    return "teacher" if name == "<lambda>" else str(name)


def as_teacher(model: Any, spec: InputSpec | None = None) -> Teacher:
    """Return ``model`` if it is a Teacher (rebinding ``spec`` if given), else wrap it."""
    if isinstance(model, Teacher):
        return model if spec is None or spec == model.spec else model.with_spec(spec)
    return Teacher(model, spec)
