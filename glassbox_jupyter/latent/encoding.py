"""Calling an encoder on data: a torch module, a Teacher or a callable, checked to return ``(n, k)`` latents.

Example:
    >>> import numpy as np
    >>> encoder = LatentEncoder(lambda X: X[:, :2] * 2)
    >>> encoder(np.ones((3, 4))).shape
    (3, 2)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.errors import EncoderOutputError, LatentInputError
from glassbox_jupyter.teacher.adapters import ArrayAdapter, TorchAdapter, is_torch_module

BATCH_ROWS = 8192
MIN_ROWS = 20


def _fix_hint(model: Any) -> str:
    if callable(getattr(model, "encode", None)):
        return "pass its encoding method instead (`latent_laws(model.encode, X)`)"
    return "pass a function that returns only the latents, e.g. `lambda x: model.encode(x)` or `lambda x: model(x)[0]`"


class LatentEncoder:
    """What ``latent_laws`` calls: float64 rows in, a float64 ``(n, k)`` latent array out (checked)."""

    def __init__(self, encoder: Any, name: str | None = None):
        from glassbox_jupyter.teacher.teacher import Teacher

        self.model = encoder
        owner = getattr(encoder, "__self__", None)  # a bound method such as autoencoder.encode
        self.module = encoder if is_torch_module(encoder) else owner if is_torch_module(owner) else None
        self.kind = "teacher" if isinstance(encoder, Teacher) else "torch" if self.module is not None else "callable"
        if self.kind == "callable" and not callable(encoder):
            raise LatentInputError(
                f"the encoder must be a torch.nn.Module, a glassbox Teacher or a function mapping an (n, d) array "
                f"to (n, k) latents; got {type(encoder).__name__}"
            )
        self.name = getattr(encoder, "name", None) if self.kind == "teacher" else None
        label = "__qualname__" if owner is not None else "__name__"  # "Autoencoder.encode" for a method
        self.name = self.name or getattr(encoder, label, None) or type(encoder).__name__
        if "<lambda>" in self.name or self.name in ("Sequential", "ModuleList", "ModuleDict"):
            self.name = "encoder"  # a bare container's class name says nothing about the model
        self.name = name or self.name

    # ------------------------------------------------------------------ calling
    def _raw(self, X: np.ndarray) -> Any:
        if self.kind == "teacher":
            return self.model(X)
        module = self.module
        if self.kind == "torch" and module is not None:  # "torch" means a module was found
            import torch

            params = [p for p in module.parameters() if p.is_floating_point()]
            dtype = params[0].dtype if params else torch.float32
            device = params[0].device if params else torch.device("cpu")
            module.eval()
            with torch.inference_mode():
                return self.model(torch.as_tensor(X, dtype=dtype, device=device))
        return self.model(X)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        batches = [X[i : i + BATCH_ROWS] for i in range(0, len(X), BATCH_ROWS)] or [X]
        return np.concatenate([self._check(self._raw(b), len(b), X.shape[1]) for b in batches], axis=0)

    def _check(self, out: Any, rows: int, width: int) -> np.ndarray:
        """A 2-D float64 array of latents, or a clear error naming the fix."""
        if isinstance(out, (tuple, list)) or isinstance(out, dict):
            what = f"a {type(out).__name__} of {len(out)} items"
            raise EncoderOutputError(
                f"the encoder returned {what}, not one array of latents (n_samples, n_latents); {_fix_hint(self.model)}"
            )
        if hasattr(out, "detach"):
            out = out.detach().to("cpu").double().numpy()
        try:
            array = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise EncoderOutputError(
                f"the encoder returned {type(out).__name__}, which is not a numeric array; {_fix_hint(self.model)}"
            ) from exc
        if array.ndim == 1:
            raise EncoderOutputError(
                f"the encoder returned a 1-D array of shape {array.shape}; latent laws need (n_samples, n_latents). "
                "For a single latent return a column, e.g. `lambda x: model(x).reshape(-1, 1)`"
            )
        if array.ndim != 2:
            raise EncoderOutputError(
                f"the encoder returned shape {array.shape}; latent laws need a 2-D array (n_samples, n_latents). "
                "Pool or flatten the extra axes, e.g. `lambda x: model(x).mean(dim=1)` or "
                "`lambda x: model(x).flatten(1)`"
            )
        if array.shape[0] != rows:
            raise EncoderOutputError(
                f"the encoder returned {array.shape[0]} rows for {rows} inputs; return one per row"
            )
        if array.shape[1] == width and callable(getattr(self.model, "encode", None)):
            raise EncoderOutputError(
                f"the encoder returned {width} columns, as many as X has features: that looks like a reconstruction. "
                f"{_fix_hint(self.model)[0].upper()}{_fix_hint(self.model)[1:]}"
            )
        if not np.all(np.isfinite(array)):
            bad = np.flatnonzero(~np.all(np.isfinite(array), axis=1))
            raise EncoderOutputError(
                f"the encoder returned NaN or inf for {len(bad)} rows (first: {bad[:5].tolist()}); "
                "check those inputs or drop them from X"
            )
        return array

    # ------------------------------------------------------------------ provenance
    def describe(self, X: np.ndarray, Z: np.ndarray) -> dict[str, Any]:
        """Provenance description with a SHA-256: of the weights (torch, Teacher) or of the latents on X."""
        if self.kind == "teacher":
            return {**self.model.describe(), "role": "encoder"}
        if self.kind == "torch":
            return {**TorchAdapter(self.module, name=self.name).describe(), "role": "encoder"}
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(np.round(X, 12)).tobytes())
        digest.update(np.array([float(f"{v:.9g}") for v in Z.ravel()]).tobytes())
        return {"kind": "callable", "name": self.name, "role": "encoder", "sha256": digest.hexdigest()}


class EncoderAdapter(ArrayAdapter):
    """The encoder, or one of its latents, as a model adapter named the way provenance names the encoder.

    ``info`` is :meth:`LatentEncoder.describe` on the data: the encoder's description with its SHA-256 (of
    its weights, or of its latents on X for a bare function). That hash is the adapter's
    :meth:`weights_hash`, so every law of the encoder, and the teacher of each latent, name the encoder.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(30, 3))
        >>> encoder = LatentEncoder(lambda X: X[:, :2], name="first_two")
        >>> adapter = EncoderAdapter(encoder, encoder.describe(X, encoder(X)))
        >>> column = adapter.column(1, "z1")
        >>> column(X).shape, column.describe()["latent"], column.sha256 == adapter.sha256
        ((30,), 'z1', True)
    """

    kind = "latent_encoder"

    def __init__(self, encoder: LatentEncoder, info: dict[str, Any], latent: tuple[int, str] | None = None):
        self.encoder = encoder
        self.info = dict(info)
        self.latent = latent

    def __call__(self, X: np.ndarray) -> np.ndarray:
        Z = self.encoder(np.asarray(X, dtype=float))
        return Z if self.latent is None else Z[:, self.latent[0]]

    def column(self, index: int, name: str) -> EncoderAdapter:
        """The adapter of latent ``index`` alone (named ``name``): outputs ``(n,)``, same hash."""
        return EncoderAdapter(self.encoder, self.info, (int(index), str(name)))

    def weights_hash(self) -> str:
        return str(self.info["sha256"])

    def identity(self) -> dict[str, Any]:
        identity = {k: v for k, v in self.info.items() if k != "sha256"}
        if self.latent is not None:
            identity["latent"] = self.latent[1]
        return identity


def as_data(X: Any, feature_names: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """``X`` as a finite float64 ``(n, d)`` array with one name per column (from a DataFrame or given)."""
    if feature_names is None and hasattr(X, "columns"):
        feature_names = [str(c) for c in X.columns]
    if hasattr(X, "detach"):
        X = X.detach().to("cpu").numpy()
    try:
        data = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LatentInputError(f"X must be a numeric array or DataFrame (rows × features): {exc}") from exc
    if data.ndim != 2:
        raise LatentInputError(
            f"X must be 2-D (rows × features), got shape {data.shape}; flatten samples with X.reshape(len(X), -1)"
        )
    if len(data) < MIN_ROWS:
        raise LatentInputError(f"X has {len(data)} rows; latent laws need at least {MIN_ROWS} (more is better)")
    bad = np.flatnonzero(~np.all(np.isfinite(data), axis=1))
    if len(bad):
        raise LatentInputError(
            f"X has NaN or inf in {len(bad)} rows (first: {bad[:5].tolist()}); drop or impute them first"
        )
    names = [f"x{i}" for i in range(data.shape[1])] if feature_names is None else [str(n) for n in feature_names]
    if len(names) != data.shape[1]:
        raise LatentInputError(f"feature_names has {len(names)} names but X has {data.shape[1]} columns")
    if len(set(names)) != len(names):
        raise LatentInputError(
            f"feature_names must be unique; repeated: {sorted({n for n in names if names.count(n) > 1})}"
        )
    return data, names


def split_rows(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of train / validation (a quarter of the rest, for choosing) / held-out test (``test_size``)."""
    if not 0 < test_size < 1:
        raise LatentInputError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(2, round(test_size * n))
    n_val = max(2, round(0.25 * (n - n_test)))
    if n - n_test - n_val < 10:
        raise LatentInputError(f"{n} rows leave fewer than 10 for training after the splits; pass more rows")
    test, validation, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return np.sort(train), np.sort(validation), np.sort(test)
