"""ReconstructionLawFinding: held-out reconstruction error per latent size and the law error(k).

The law is held as a math-mode :class:`~glassbox_jupyter.symbolic.SymbolicFinding` over one input,
``k``, whose Pareto front is the fitted classical forms that no simpler-or-equal form beats on
leave-one-out error (simplest first), each with its leave-one-out R²; so the ParetoPicker is the live
view (pick another form and ``equation``, ``fidelity`` and the static view follow).

Example:
    >>> law = glassbox.reconstruction_law(X, latent_sizes=[1, 2, 3, 4])  # doctest: +SKIP
    >>> law.errors, law.equation, law.forms  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity, r2_fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.symbolic.equation import Equation
from glassbox_jupyter.symbolic.finding import SymbolicFinding
from glassbox_jupyter.symbolic.search import Candidate, pareto_front
from glassbox_jupyter.teacher.adapters import ArrayAdapter

if TYPE_CHECKING:
    import pandas as pd

    from glassbox_jupyter.widgets.pareto_picker import ParetoPicker

ERROR_NAME = "error"
MEASURED_LABEL = "measured held-out reconstruction error"
LOO_MEASURES = "R² of each latent size's held-out reconstruction error against the law fitted without that size"


class _Measured(ArrayAdapter):
    """The measured held-out error as a function of k (linear between the trained sizes), for the overlay.

    As a model adapter it stands for the autoencoders trained on X: its identity is their builder, sizes and
    width, and its hash is the hash of X and the training settings (what the law was measured on).
    """

    kind = "autoencoders"

    def __init__(self, sizes: np.ndarray, errors: np.ndarray, info: dict[str, Any], sha256: str):
        self.sizes, self.errors = sizes, errors
        self.info, self._data_sha256 = dict(info), sha256

    def __call__(self, K: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(K, dtype=float)[:, 0], self.sizes, self.errors)

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.info}

    def weights_hash(self) -> str:
        return self._data_sha256


def _fidelity_value(equation: Equation) -> float:
    """The equation's measured fidelity (every fitted form has one; NaN would mean none was measured)."""
    return float("nan") if equation.fidelity is None else equation.fidelity.value


def _loo_fidelity(errors: np.ndarray, predictions: np.ndarray, seed: int) -> Fidelity:
    """Leave-one-out R² over the latent sizes, with a BCa bootstrap interval.

    A resample of a handful of sizes is scored against its own mean while the predictions stay fixed,
    so resampled R² values sit below the estimate: the percentile interval of a constant law's R² ends
    exactly at its estimate (-0.44 [-4.37, -0.44] over six sizes). BCa corrects for that bias.
    """
    if np.ptp(errors) <= 1e-12 * max(1.0, float(np.abs(errors).max())):
        return Fidelity.exact("r2", n=len(errors), unit="latent sizes", measures=LOO_MEASURES)
    with warnings.catch_warnings():  # with a handful of sizes some resamples repeat one size (R² undefined)
        warnings.simplefilter("ignore", RuntimeWarning)
        return r2_fidelity(
            errors,
            predictions,
            seed=seed,
            n_boot=1000,
            split="leave-one-out",
            unit="latent sizes",
            measures=LOO_MEASURES,
            method="BCa",
        )


class ReconstructionLawFinding(Finding):
    """Reconstruction error versus latent size, with a fitted law.

    Attributes:
        errors: DataFrame indexed by ``latent_size``: ``train_mse``, ``held_out_mse`` (per standardised
            feature; 1.0 means no better than predicting the mean).
        law: the SymbolicFinding of error(k): one Equation per fitted form, ``law.selected`` the one in use.
        equation: the selected law (an :class:`~glassbox_jupyter.symbolic.Equation` of ``k``).
        forms: DataFrame of every fitted form: parameters, leave-one-out MSE and R², whether it is on the
            front (no simpler-or-equal form has a lower leave-one-out MSE) and whether it is selected.
        models: ``{k: trained autoencoder}`` (rebuilt from the weights with the builder); they take
            standardised rows, ``(X - mean) / scale``.
        mean, scale: the training rows' per-feature mean and standard deviation.
        fidelity: leave-one-out R² of the selected law over the latent sizes (bootstrap CI).
    """

    kind: ClassVar[str] = "reconstruction_law"

    def __init__(
        self,
        results: list[Any],
        builder: Any,
        X: np.ndarray,
        feature_names: list[str],
        settings: dict[str, Any],
        seed: int,
    ):
        from glassbox_jupyter.latent.error_law import fit_error_laws

        self._results = sorted(results, key=lambda r: r.latent_size)
        self._builder = builder
        self.feature_names = feature_names
        self.settings = settings
        self.seed = seed
        self.sizes = np.array([r.latent_size for r in self._results], dtype=float)
        self.held_out = np.array([r.held_out_mse for r in self._results])
        self.fits = fit_error_laws(self.sizes, self.held_out)
        self.notes = [
            "fidelity is leave-one-out over latent sizes: each size's held-out error is predicted by the law "
            "fitted to the other sizes (measured on held-out sizes)"
        ]
        digest = hashlib.sha256(np.ascontiguousarray(X).tobytes())
        digest.update(repr((settings["builder"], settings["latent_sizes"], settings["epochs"])).encode())
        info = {"builder": settings["builder"], "latent_sizes": settings["latent_sizes"], "n_features": int(X.shape[1])}
        self._measured = _Measured(self.sizes, self.held_out, info, digest.hexdigest())
        from glassbox_jupyter.teacher.spec import InputSpec

        self.provenance = Provenance.capture(
            self._measured,
            spec=InputSpec.from_data(X, names=feature_names).to_dict(),
            probe={"method": "data", "train": settings["train_rows"], "test": settings["held_out_rows"]},
            seed=int(seed),
            method={"name": "reconstruction_law", "forms": [f.form for f in self.fits], **settings},
        )
        self.law = self._law()
        self.law.subscribe(self.changed)
        self._models: dict[int, Any] | None = None
        self.mean = self.scale = np.zeros(X.shape[1])  # set by reconstruction_law

    def _law(self) -> SymbolicFinding:
        from glassbox_jupyter.symbolic.expression import input_symbols
        from glassbox_jupyter.symbolic.screening import ScreeningReport
        from glassbox_jupyter.teacher.spec import InputSpec
        from glassbox_jupyter.teacher.teacher import Teacher

        spec = InputSpec(names=["k"], low=float(self.sizes.min()), high=float(self.sizes.max()))
        teacher = Teacher(self._measured, spec, output_names=[ERROR_NAME], name="held-out reconstruction error")
        law = SymbolicFinding(teacher, 0, ERROR_NAME, self.provenance, ScreeningReport(kept=[0], dropped=[]))
        if not self.fits:
            raise ValueError(
                f"no error law could be fitted to the errors {self.held_out.round(6).tolist()} at sizes "
                f"{self.sizes.tolist()}; add latent sizes"
            )
        k = input_symbols(1)[0]
        self._equations = {
            fit.form: Equation(
                fit.expression(k),
                spec,
                ERROR_NAME,
                fidelity=_loo_fidelity(self.held_out, fit.loo_predictions, self.seed),
                loss=fit.loo_mse,
            )
            for fit in self.fits
        }
        # the front lists only forms no simpler-or-equal form beats on leave-one-out error (fits[0], the
        # lowest error, is always on it); dominated forms stay in `forms`
        candidates = {form: Candidate(eq.expr, eq.loss, eq.complexity) for form, eq in self._equations.items()}
        kept = pareto_front(list(candidates.values()))
        front = [self._equations[form] for c in kept for form, d in candidates.items() if d is c]
        for position, eq in enumerate(front):
            eq.id = position
        law.set_front(front, front.index(self._equations[self.fits[0].form]))
        self._form_by_id = {eq.id: form for form, eq in self._equations.items() if eq in front}
        law.loss_name = "leave-one-out MSE"
        law.teacher_label = MEASURED_LABEL
        law.notes.extend(self.notes)
        return law

    # ------------------------------------------------------------------ results
    @property
    def equation(self) -> Equation:
        """The selected law."""
        return self.law.selected

    @property
    def selected(self) -> Equation:
        """The selected law (as on every equation front; the same as :attr:`equation`)."""
        return self.law.selected

    @property
    def selection(self) -> int | None:
        """The selected law's id on the front of fitted forms."""
        return self.law.selection

    def select(self, value: Any) -> Equation:
        """Select a fitted form by its id on the front (the law checks it; its change reaches these views)."""
        equation: Equation = self.law.select(value)
        return equation

    @property
    def fidelity(self) -> Fidelity:  # type: ignore[override]  # read-only: the selected law's fidelity
        return self.law.fidelity

    def predict(self, latent_sizes: Any) -> np.ndarray:
        """The selected law's error at the given latent sizes."""
        return self.equation.predict(np.asarray(latent_sizes, dtype=float).reshape(-1, 1))

    @property
    def errors(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(
            {
                "train_mse": [r.train_mse for r in self._results],
                "held_out_mse": [r.held_out_mse for r in self._results],
            },
            index=pd.Index([r.latent_size for r in self._results], name="latent_size"),
        )
        return frame

    @property
    def forms(self) -> pd.DataFrame:
        import pandas as pd

        chosen = self._form_of(self.equation)
        on_front = set(self._form_by_id.values())
        return pd.DataFrame(
            [
                {
                    "form": fit.form,
                    "equation": self._equations[fit.form].text,
                    "parameters": fit.n_params,
                    "loo_mse": fit.loo_mse,
                    "loo_r2": _fidelity_value(self._equations[fit.form]),
                    "on_front": fit.form in on_front,
                    "selected": fit.form == chosen,
                }
                for fit in self.fits
            ]
        ).set_index("form")

    def _form_of(self, equation: Equation) -> str:
        return self._form_by_id[equation.id]

    @property
    def models(self) -> dict[int, Any]:
        if self._models is None:
            import torch

            from glassbox_jupyter.latent.autoencoder import autoencoder_parts

            built = {}
            n = len(self.feature_names)
            with torch.random.fork_rng(devices=[]):
                for result in self._results:
                    _, _, modules = autoencoder_parts(self._builder(n, result.latent_size), n, result.latent_size)
                    for module, state in zip(modules, result.state):
                        module.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
                        module.eval()
                    built[result.latent_size] = modules[0] if len(modules) == 1 else tuple(modules)
            self._models = built
        return self._models

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        eq = self.equation
        return (
            f"held-out reconstruction error follows {eq} ({self._form_of(eq)}; leave-one-out R² "
            f"{self.fidelity.value:.3f} over {len(self.sizes)} latent sizes "
            f"{int(self.sizes.min())}–{int(self.sizes.max())})"
        )

    def artifact_dict(self) -> dict[str, Any]:
        return {
            "latent_sizes": [int(k) for k in self.sizes],
            "train_mse": [float(r.train_mse) for r in self._results],
            "held_out_mse": [float(e) for e in self.held_out],
            "law": self.law.artifact_dict(),
            "selected_form": self._form_of(self.equation),
            "forms": [
                {
                    "form": f.form,
                    "params": f.params,
                    "loo_mse": f.loo_mse,
                    "loo_predictions": f.loo_predictions.tolist(),
                }
                for f in self.fits
            ],
            "settings": self.settings,
            "notes": self.notes,
        }

    def evidence(self) -> list[EvidenceItem]:
        table = ", ".join(f"k={int(k)}: {e:.4g}" for k, e in zip(self.sizes, self.held_out))
        return [
            EvidenceItem(
                section="2(b)",
                title="Reconstruction error versus latent size",
                body=(
                    f"Autoencoders ({self.settings['builder']}) were trained for latent sizes "
                    f"{[int(k) for k in self.sizes]}; held-out reconstruction MSE per standardised feature: "
                    f"{table}. The error follows {self.equation} ({self._form_of(self.equation)})."
                ),
                data={"errors": self.artifact_dict()["held_out_mse"], "law": self.equation.to_dict()},
            ),
            EvidenceItem(
                section="2(g)",
                title="Fidelity of the reconstruction-error law",
                body=f"Leave-one-out over latent sizes: {self.fidelity.describe()}. {self.notes[0]}.",
                data={"fidelity": self.fidelity.to_dict()},
            ),
        ]

    def view_data(self) -> dict[str, Any]:
        """The ParetoPicker payload of the law: its forms on the front, the measured errors as points."""
        data = self.law.view_data()
        grid = np.union1d(np.linspace(self.sizes.min(), self.sizes.max(), 80), self.sizes)
        measured = dict(zip(self.sizes.tolist(), self.held_out.tolist()))
        K = grid.reshape(-1, 1)
        dropped = [fit.form for fit in self.fits if fit.form not in self._form_by_id.values()]
        left_out = f"; not on the front (beaten by a simpler or equal form): {', '.join(dropped)}" if dropped else ""
        data.update(
            title=f"reconstruction error by latent size k: {len(self.law.pareto_front)} laws on the Pareto front",
            status=f"{len(self.fits)} forms fitted to {len(self.sizes)} latent sizes",
            teacher_marks="points",
            overlay=[
                {
                    "feature": "k",
                    "x": grid.tolist(),
                    "teacher": [measured.get(k) for k in grid.tolist()],
                    "equations": {
                        str(eq.id): [float(v) if np.isfinite(v) else None for v in eq.predict(K)]
                        for eq in self.law.pareto_front
                    },
                }
            ],
            caption=f"{self.notes[0]}{left_out}.",
        )
        return data

    def widget(self) -> ParetoPicker:
        """A ParetoPicker of the fitted forms by complexity; picking one selects ``equation``."""
        from glassbox_jupyter.widgets.pareto_picker import ParetoPicker

        return ParetoPicker(self)

    def to_svg(self) -> str:
        import altair as alt
        import pandas as pd

        from glassbox_jupyter.widgets.svg import chart_to_svg

        grid = np.linspace(self.sizes.min(), self.sizes.max(), 80)
        measured = pd.DataFrame(
            {
                "k": np.concatenate([self.sizes, self.sizes]),
                "error": np.concatenate([self.held_out, [r.train_mse for r in self._results]]),
                "series": ["held-out"] * len(self.sizes) + ["train"] * len(self.sizes),
            }
        )
        curve = pd.DataFrame({"k": grid, "error": self.predict(grid)})
        x = alt.X("k:Q", title="latent size k", axis=alt.Axis(tickMinStep=1))
        y = alt.Y("error:Q", title="reconstruction MSE (standardised)")
        points = (
            alt.Chart(measured)
            .mark_point(filled=True, size=60)
            .encode(x=x, y=y, color=alt.Color("series:N", scale=alt.Scale(range=["#1d4ed8", "#9ca3af"]), title=None))
        )
        line = alt.Chart(curve).mark_line(color="#c2410c").encode(x=x, y=y)
        chart = (line + points).properties(
            width=380, height=240, title=f"{self.equation} ({self._form_of(self.equation)})"
        )
        return chart_to_svg(chart.configure(aria=False))
