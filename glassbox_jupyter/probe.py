"""Probes: draw inputs from a spec, ask the teacher, refine where a student disagrees.

No training data is needed: inputs come from the :class:`InputSpec` (Sobol or Latin hypercube
designs via ``scipy.stats.qmc``, uniform, Gaussian) or from data rows the spec carries,
resampled with jitter.

Example:
    >>> import glassbox
    >>> teacher = glassbox.demos.load("friedman_mlp")
    >>> probe = glassbox.Probe(teacher, n=512, method="lhs", seed=1)
    >>> probes = probe.run()
    >>> len(probes), probes.y.shape[1]
    (512, 1)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.errors import EmptyProbeError
from glassbox_jupyter.teacher.sampling import METHODS, sample_inputs
from glassbox_jupyter.teacher.spec import InputSpec
from glassbox_jupyter.teacher.teacher import Teacher, as_teacher

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "Probe", "ProbeSet", "sample_inputs"]


@dataclass(frozen=True, eq=False, init=False)
class ProbeSet:
    """Inputs ``X`` (``(n, width)``), teacher outputs ``y`` (``(n, n_outputs)``) and how they were made.

    ``origin`` tags each row (``"sobol"``, ``"refine"``...; default: ``method`` for every row).
    ``n_dropped`` counts rows removed because the teacher returned NaN or inf there.
    """

    X: np.ndarray
    y: np.ndarray
    spec: InputSpec
    teacher: Teacher = field(repr=False)
    method: str
    seed: int
    origin: np.ndarray = field(repr=False)
    n_dropped: int

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        spec: InputSpec,
        teacher: Teacher,
        method: str,
        seed: int,
        origin: np.ndarray | None = None,
        n_dropped: int = 0,
    ) -> None:
        if len(X) == 0:
            raise EmptyProbeError(
                "the probe set is empty: no input produced a finite teacher output; check the "
                "spec bounds and that the teacher works on them"
            )
        set_ = object.__setattr__  # the dataclass is frozen
        set_(self, "X", X)
        set_(self, "y", y)
        set_(self, "spec", spec)
        set_(self, "teacher", teacher)
        set_(self, "method", method)
        set_(self, "seed", seed)
        set_(self, "origin", np.full(len(X), method, dtype=object) if origin is None else origin)
        set_(self, "n_dropped", n_dropped)

    def __len__(self) -> int:
        return len(self.X)

    @property
    def settings(self) -> dict[str, Any]:
        """Probe settings recorded in provenance."""
        origins, counts = np.unique(self.origin.astype(str), return_counts=True)
        return {
            "method": self.method,
            "n": len(self),
            "seed": self.seed,
            "n_dropped": self.n_dropped,
            "rows_by_origin": {str(o): int(c) for o, c in zip(origins, counts)},
        }

    def split(self, test_size: float = 0.25, seed: int | None = None) -> tuple[ProbeSet, ProbeSet]:
        """Random train / held-out split (held-out rows measure fidelity).

        Example:
            >>> import glassbox
            >>> train, test = glassbox.Probe(glassbox.demos.load("friedman_mlp"), n=100).run().split(0.2)
            >>> len(train), len(test)
            (80, 20)
        """
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
        if len(self) < 2:
            raise EmptyProbeError(f"cannot split {len(self)} probe row(s); draw more probes (n >= 2)")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        order = rng.permutation(len(self))
        n_test = min(len(self) - 1, max(1, round(len(self) * test_size)))
        return self.subset(order[n_test:]), self.subset(order[:n_test])

    def split3(self, seed: int | None = None) -> tuple[ProbeSet, ProbeSet, ProbeSet]:
        """Train (60%) / validation (20%, for choosing) / held-out test (20%, for fidelity) split."""
        seed = self.seed if seed is None else seed
        train, rest = self.split(0.4, seed=seed)
        validation, test = rest.split(0.5, seed=seed + 1)
        return train, validation, test

    def subset(self, rows: Any) -> ProbeSet:
        return ProbeSet(
            X=self.X[rows],
            y=self.y[rows],
            spec=self.spec,
            teacher=self.teacher,
            method=self.method,
            seed=self.seed,
            origin=self.origin[rows],
            n_dropped=self.n_dropped,
        )

    def to_frame(self) -> pd.DataFrame:
        """The probe set as a pandas DataFrame (features, then outputs)."""
        import pandas as pd

        frame = pd.DataFrame(self.X, columns=list(self.spec.names))
        for i, name in enumerate(self.teacher.output_names):
            frame[name] = self.y[:, i]
        frame["origin"] = self.origin
        return frame

    def __repr__(self) -> str:
        return (
            f"ProbeSet(n={len(self)}, method={self.method!r}, features={self.spec.width}, "
            f"outputs={self.y.shape[1]}, dropped={self.n_dropped})"
        )

    def _repr_html_(self) -> str:
        from html import escape

        names = self.teacher.output_names
        stats = "".join(
            f"<tr><td>{escape(name)}</td><td>{self.y[:, i].min():.4g}</td>"
            f"<td>{self.y[:, i].mean():.4g}</td><td>{self.y[:, i].max():.4g}</td></tr>"
            for i, name in enumerate(names[:10])
        )
        dropped = f"<br><b>{self.n_dropped}</b> rows dropped (teacher returned NaN/inf)" if self.n_dropped else ""
        return (
            f"<div class='gb-probeset'><b>ProbeSet</b>: {len(self)} probes of "
            f"<i>{escape(self.teacher.name)}</i> ({self.method}, seed {self.seed}), "
            f"{self.spec.width} features{dropped}"
            f"<table><tr><th>output</th><th>min</th><th>mean</th><th>max</th></tr>{stats}</table>"
            "<small>Show the response with <code>glassbox.response(teacher, probes, features=[...])</code>"
            "</small></div>"
        )


class Probe:
    """Active interrogation of a teacher: sample inputs from its spec, query it, refine.

    Args:
        teacher: a :class:`Teacher` (or any model plus ``spec``).
        spec: overrides the teacher's spec.
        n: number of probe inputs for :meth:`run`.
        method: ``sobol``, ``lhs``, ``uniform``, ``gaussian`` or ``data``.
        seed: random seed (every draw is reproducible).
        jitter: noise, as a fraction of each feature's std, for ``method="data"``.
        progress: show a progress bar while querying large probe sets.
    """

    def __init__(
        self,
        teacher: Any,
        spec: InputSpec | None = None,
        n: int = 2048,
        method: str = "sobol",
        seed: int = 0,
        jitter: float = 0.01,
        progress: bool = False,
    ):
        self.teacher = as_teacher(teacher, spec)
        if self.teacher.spec is None:
            raise ValueError(
                "the teacher has no InputSpec, so GlassBox does not know what inputs to draw; "
                "pass spec=InputSpec(names=..., low=..., high=...) or InputSpec.from_data(X)"
            )
        if method not in METHODS:
            raise ValueError(f"unknown probe method {method!r}; choose one of {METHODS}")
        self.spec = self.teacher.spec
        self.n = n
        self.method = method
        self.seed = seed
        self.jitter = jitter
        self.progress = progress

    def run(self) -> ProbeSet:
        """Draw ``n`` inputs, query the teacher, drop rows with NaN/inf outputs (with a warning)."""
        X = sample_inputs(self.spec, self.n, self.method, self.seed, self.jitter)
        return self._query(X, origin=self.method)

    def _query(self, X: np.ndarray, origin: str) -> ProbeSet:
        return self._package(X, self._ask(X), origin)

    def _package(self, X: np.ndarray, y: np.ndarray, origin: str) -> ProbeSet:
        finite = np.all(np.isfinite(y), axis=1)
        n_bad = int((~finite).sum())
        if n_bad:
            warnings.warn(
                f"the teacher returned NaN or inf for {n_bad} of {len(X)} probe inputs; those "
                f"rows were dropped. Narrow the spec bounds if they are outside the model's domain.",
                RuntimeWarning,
                stacklevel=4,
            )
        if n_bad == len(X):
            raise EmptyProbeError(
                f"the teacher returned NaN or inf for all {len(X)} probe inputs, so nothing is "
                "left to learn from; check the spec bounds and the model"
            )
        return ProbeSet(
            X=X[finite],
            y=y[finite],
            spec=self.spec,
            teacher=self.teacher,
            method=self.method,
            seed=self.seed,
            origin=np.full(int(finite.sum()), origin, dtype=object),
            n_dropped=n_bad,
        )

    def _ask(self, X: np.ndarray) -> np.ndarray:
        if not self.progress or len(X) <= self.teacher.batch_size:
            return self.teacher(X)
        from tqdm.auto import tqdm

        step = self.teacher.batch_size
        parts = [self.teacher(X[i : i + step]) for i in tqdm(range(0, len(X), step), desc="probing")]
        return np.concatenate(parts)

    def refine(
        self,
        probes: ProbeSet,
        student: Any,
        n: int = 256,
        candidates: int | None = None,
        output: int = 0,
    ) -> ProbeSet:
        """Add ``n`` probes where ``student`` disagrees most with the teacher.

        Draws ``candidates`` (default ``10 * n``) fresh inputs, scores each by
        ``|student(x) - teacher(x)|`` and keeps the ``n`` worst. ``student`` is a callable or
        has ``.predict``. Returns a new ProbeSet: the old rows plus the new ones (origin
        ``"refine"``).

        Example:
            >>> import glassbox, numpy as np
            >>> probe = glassbox.Probe(glassbox.demos.load("friedman_mlp"), n=200)
            >>> probes = probe.run()
            >>> more = probe.refine(probes, lambda X: np.zeros(len(X)), n=20)
            >>> len(more) - len(probes)
            20
        """
        if n < 1:
            raise EmptyProbeError(f"refine needs n >= 1 new probes, got {n}")
        predict: Callable[[np.ndarray], Any] = getattr(student, "predict", student)
        if not callable(predict):
            raise TypeError("student must be callable or have a .predict(X) method")
        pool = candidates or 10 * n
        seed = self.seed + 1 + int(np.sum(probes.origin == "refine"))
        X = sample_inputs(self.spec, pool, self.method if self.method != "sobol" else "uniform", seed, self.jitter)
        truth = self._ask(X)
        guess = np.asarray(predict(X), dtype=float)
        guess = guess[:, None] if guess.ndim == 1 else guess
        if guess.shape[0] != len(X):
            raise ValueError(f"the student returned {guess.shape[0]} predictions for {len(X)} inputs")
        column = min(output, guess.shape[1] - 1)
        error = np.abs(guess[:, column] - truth[:, output])
        error[~np.isfinite(error)] = -np.inf  # never pick rows whose teacher output is unusable
        worst = np.argsort(error)[::-1][: min(n, len(X))]
        added = self._package(X[worst], truth[worst], origin="refine")
        return ProbeSet(
            X=np.concatenate([probes.X, added.X]),
            y=np.concatenate([probes.y, added.y]),
            spec=self.spec,
            teacher=self.teacher,
            method=probes.method,
            seed=probes.seed,
            origin=np.concatenate([probes.origin, added.origin]),
            n_dropped=probes.n_dropped + added.n_dropped,
        )
