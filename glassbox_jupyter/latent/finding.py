"""LatentLawsFinding: one equation per latent, the feature-usage matrix, and the inputs no law uses.

Example:
    >>> laws = glassbox.latent_laws(encoder, X, names, generations=60)  # doctest: +SKIP
    >>> laws.usage.round(2)            # share of each latent's Pareto front using each feature  # doctest: +SKIP
    >>> laws.redundant_features        # used by no latent's selected formula  # doctest: +SKIP
    >>> laws.select_latent("z1").selected  # doctest: +SKIP
    >>> laws.selected_latent, laws.selected_latent_index  # doctest: +SKIP
    ('z1', 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.finding.base import Change, Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity, r2_fidelity
from glassbox_jupyter.latent.encoding import EncoderAdapter
from glassbox_jupyter.symbolic.equation import Equation, latex_name, undefined_fidelity
from glassbox_jupyter.symbolic.finding import SymbolicFinding, fit_warning

if TYPE_CHECKING:
    import pandas as pd

    from glassbox_jupyter.widgets.latent_usage_heatmap import LatentUsageHeatmap

LAW_MEASURES = "R² of the formula's latent against the encoder's on held-out data rows of X"


@dataclass
class LatentSetup:
    """What :func:`~glassbox_jupyter.latent.laws.latent_laws` prepared, handed to the finding."""

    encoder: Any
    X: np.ndarray
    Z: np.ndarray
    feature_names: list[str]
    latent_names: list[str]
    latents: list[int]
    constant: list[int]
    rows: dict[str, np.ndarray]
    settings: dict[str, Any]
    seed: int
    notes: list[str] = field(default_factory=list)


def _law(setup: LatentSetup, i: int, result: Any, spec: Any, encoder: EncoderAdapter) -> SymbolicFinding:
    """The SymbolicFinding of latent ``i``: its front as Equations with held-out fidelity.

    Its teacher is the latent's column of the encoder (so each law is a regular SymbolicFinding), named
    by the encoder's hash.
    """
    from glassbox_jupyter.latent.measures import law_provenance
    from glassbox_jupyter.symbolic.expression import evaluate
    from glassbox_jupyter.symbolic.screening import ScreeningReport
    from glassbox_jupyter.symbolic.search import choose_best
    from glassbox_jupyter.symbolic.simplify import exact_number
    from glassbox_jupyter.teacher.teacher import Teacher

    name = setup.latent_names[i]
    column = encoder.column(i, name)
    teacher = Teacher(column, spec, output_names=[name], name=f"{setup.encoder.name}.{name}")
    method = {
        "name": "latent_law",
        "engine": "pyoperon",
        "latent": name,
        **{k: v for k, v in setup.settings.items() if k not in ("seeds",)},
        "seed": setup.settings["seeds"].get(name),
    }
    provenance = law_provenance(column, spec, setup.rows, setup.seed, method)
    columns = list(range(spec.width))
    finding = SymbolicFinding(teacher, 0, name, provenance, ScreeningReport(kept=columns, dropped=[]))
    X_test, z_test = setup.X[setup.rows["test"]], setup.Z[setup.rows["test"], i]
    if i in setup.constant:
        value = float(np.mean(setup.Z[:, i]))
        fid = Fidelity.exact("r2", n=len(z_test), unit="rows", measures=f"the constant against the dead latent {name}")
        snapped = exact_number(value)
        finding.set_front([Equation(snapped, spec, name, fidelity=fid, loss=0.0, id=0)], 0)
        finding.notes.append(f"{name} is constant (= {value:.6g}) on all rows of X: a dead latent")
        return finding
    finding.log = result.log
    kept = []
    for candidate in result.front:
        guess = evaluate(candidate.expr, X_test)
        if np.all(np.isfinite(guess)):
            kept.append(
                (candidate, r2_fidelity(z_test, guess, seed=setup.seed, n_boot=500, unit="rows", measures=LAW_MEASURES))
            )
    if not kept:  # every formula is undefined somewhere on the held-out rows: keep them, say so
        kept = [(c, undefined_fidelity(len(z_test))) for c in result.front]
    if not kept:
        from glassbox_jupyter.errors import LatentInputError

        raise LatentInputError(f"the search for {name} produced no usable equation; raise generations or time_limit")
    variance = float(np.var(setup.Z[setup.rows["validation"], i])) or 1.0
    finding.set_front(
        [
            Equation(c.expr, spec, name, fidelity=fid, loss=c.loss, id=position)
            for position, (c, fid) in enumerate(kept)
        ],
        choose_best([c for c, _ in kept], variance),
    )
    finding.notes.append(
        f"searched on {len(setup.rows['search'])} data rows of X (no probing off the data); fidelity on "
        f"{len(z_test)} held-out rows"
    )
    return finding


class LatentLawsFinding(Finding):
    """Closed-form laws of an encoder's latents and which inputs they use.

    Attributes:
        laws: ``{latent name: SymbolicFinding}``; each has its Pareto front, ``selected`` equation and
            ParetoPicker (``laws["z0"].widget()``).
        usage: DataFrame latents × features: the share of each latent's Pareto-front formulas that use
            the feature (feature importance by formula frequency).
        selected_usage: bool DataFrame: features used by each latent's selected formula.
        redundant_features: features no latent's selected formula uses.
        selected_latent: the name of the latent picked in the usage heatmap (as the views show it), or None.
        selected_latent_index: the same latent's index into ``latents`` (the selection value a view sends).
        fidelity: held-out R² of the selected formulas against the encoder's latents, pooled over
            latents after standardising each (dead, constant latents left out), with a bootstrap CI.
    """

    kind: ClassVar[str] = "latent_laws"

    def __init__(self, setup: LatentSetup, laws: dict[str, SymbolicFinding], encoder: EncoderAdapter):
        from glassbox_jupyter.latent.measures import law_provenance

        self._setup = setup
        self.laws = laws
        self.latents = list(laws)
        self.feature_names = list(setup.feature_names)
        self.notes = list(setup.notes)
        self._selected_index: int | None = None
        self._fidelity_cache: tuple[tuple[int | None, ...], Fidelity] | None = None
        method = {"name": "latent_laws", "engine": "pyoperon", "latents": self.latents, **setup.settings}
        self.provenance = law_provenance(encoder, self._spec, setup.rows, setup.seed, method)
        for law in laws.values():
            law.subscribe(self._law_changed)
        if setup.constant:
            names = ", ".join(setup.latent_names[i] for i in setup.constant)
            self.notes.append(f"constant (dead) latents, left out of the fidelity: {names}")

    @classmethod
    def from_results(cls, setup: LatentSetup, results: dict[int, Any]) -> LatentLawsFinding:
        """Build the finding from the per-latent search results (keyed by latent index)."""
        from glassbox_jupyter.teacher.spec import InputSpec

        spec = InputSpec.from_data(setup.X, names=setup.feature_names)
        encoder = EncoderAdapter(setup.encoder, setup.encoder.describe(setup.X, setup.Z))
        laws = {setup.latent_names[i]: _law(setup, i, results.get(i), spec, encoder) for i in setup.latents}
        finding = cls(setup, laws, encoder)
        finding._spec_cache = spec
        return finding

    @property
    def _spec(self) -> Any:
        spec = self.__dict__.get("_spec_cache")
        if spec is None:
            from glassbox_jupyter.teacher.spec import InputSpec

            spec = self._spec_cache = InputSpec.from_data(self._setup.X, names=self._setup.feature_names)
        return spec

    # ------------------------------------------------------------------ results
    def _selected_key(self) -> tuple[int | None, ...]:
        return tuple(law.selection for law in self.laws.values())

    def predict(self, X: Any) -> np.ndarray:
        """The selected formulas' latents for inputs ``X``: ``(n, len(latents))``."""
        return np.column_stack([law.selected.predict(X) for law in self.laws.values()])

    @property
    def usage(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for law in self.laws.values():
            counts = np.zeros(len(self.feature_names))
            for eq in law.pareto_front:
                for name in eq.variables:
                    counts[self.feature_names.index(name)] += 1
            rows.append(counts / max(1, len(law.pareto_front)))
        frame = pd.DataFrame(rows, index=self.latents, columns=self.feature_names)
        frame.index.name, frame.columns.name = "latent", "feature"
        return frame

    @property
    def selected_usage(self) -> pd.DataFrame:
        import pandas as pd

        used = [[name in law.selected.variables for name in self.feature_names] for law in self.laws.values()]
        frame = pd.DataFrame(used, index=self.latents, columns=self.feature_names, dtype=bool)
        frame.index.name, frame.columns.name = "latent", "feature"
        return frame

    @property
    def feature_importance(self) -> pd.Series:
        """Mean share of Pareto-front formulas using each feature, over latents (a pandas Series)."""
        return self.usage.mean(axis=0).rename("importance")

    @property
    def redundant_features(self) -> list[str]:
        used = self.selected_usage.any(axis=0)
        return [name for name in self.feature_names if not used[name]]

    def _describe_redundant(self) -> str:
        if not self.redundant_features:
            return "every feature is used by at least one latent's selected formula"
        importance = self.feature_importance
        parts = [f"{name} (in {importance[name]:.0%} of front formulas)" for name in self.redundant_features]
        return "used by no latent's selected formula: " + ", ".join(parts)

    @property
    def fidelity(self) -> Fidelity:  # type: ignore[override]  # read-only, computed from the selected laws
        from glassbox_jupyter.latent.measures import held_out_fidelity

        key = self._selected_key()
        if self._fidelity_cache is None or self._fidelity_cache[0] != key:
            setup = self._setup
            live = [i for i in setup.latents if i not in setup.constant]
            if not live:  # every latent is dead: the constants reproduce them exactly
                value = Fidelity.exact(
                    "r2", n=len(setup.rows["test"]), unit="rows", measures="constants against dead latents"
                )
            else:
                X_test = setup.X[setup.rows["test"]]
                guess = np.column_stack([self.laws[setup.latent_names[i]].selected.predict(X_test) for i in live])
                value = held_out_fidelity(setup.Z[np.ix_(setup.rows["test"], np.asarray(live))], guess, seed=setup.seed)
            self._fidelity_cache = (key, value)
        return self._fidelity_cache[1]

    @property
    def selected_latent(self) -> str | None:
        """The selected latent's name (as the heatmap shows it), or None; its index is ``selected_latent_index``."""
        index = self._selected_index
        return None if index is None else self.latents[index]

    @property
    def selected_latent_index(self) -> int | None:
        """The selected latent's index into ``latents`` (the value the heatmap sends), or None."""
        return self._selected_index

    @property
    def selection(self) -> int | None:
        """The selected latent's index into ``latents``, or None."""
        return self._selected_index

    def _apply_selection(self, latent: Any) -> SymbolicFinding | None:
        """Pick a latent by index into ``latents`` or by name (None clears); returns its law."""
        if latent is None:
            index = None
        elif isinstance(latent, str):
            if latent not in self.laws:
                raise SelectionError(f"no latent named {latent!r}; the laws are for {', '.join(self.latents)}")
            index = self.latents.index(latent)
        elif isinstance(latent, (int, np.integer)) and not isinstance(latent, bool):
            index = int(latent)
            if not 0 <= index < len(self.latents):
                names = ", ".join(self.latents[:4]) + (", …" if len(self.latents) > 4 else "")
                raise SelectionIndexError(
                    f"latent index {index} is out of range: valid indices are 0–{len(self.latents) - 1} ({names})"
                )
        else:
            raise SelectionError(f"select a latent by its index or name, not {latent!r}")
        self._selected_index = index
        return None if index is None else self.laws[self.latents[index]]

    def select_latent(self, latent: int | str | None) -> SymbolicFinding | None:
        """Same as :meth:`select` (index into ``latents`` or the latent's name; None clears)."""
        law: SymbolicFinding | None = self.select(latent)
        return law

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        fid = self.fidelity.value
        return (
            f"{len(self.latents)} latent laws over {len(self.feature_names)} features "
            f"(held-out R² {fid:.3f}); {self._describe_redundant()}"
        )

    def artifact_dict(self) -> dict[str, Any]:
        return {
            "latents": self.latents,
            "features": self.feature_names,
            "laws": {name: law.artifact_dict() for name, law in self.laws.items()},
            "selected_equations": {name: law.selected.to_dict() for name, law in self.laws.items()},
            "usage": self.usage.to_numpy().round(6).tolist(),
            "selected_usage": self.selected_usage.to_numpy().tolist(),
            "feature_importance": {k: round(float(v), 6) for k, v in self.feature_importance.items()},
            "redundant_features": self.redundant_features,
            "selected_latent": self.selected_latent,
            "notes": self.notes,
        }

    def _law_lines(self) -> list[str]:
        return [
            f"{law.selected} (held-out R² {law.fidelity.value:.3f}, complexity {law.selected.complexity})"
            f"{_warning(law.fidelity)}"
            for law in self.laws.values()
        ]

    def evidence(self) -> list[EvidenceItem]:
        redundant = self._describe_redundant()
        return [
            EvidenceItem(
                section="2(b)",
                title="Closed-form laws of the encoder's latents",
                body=(
                    f"Each latent of the encoder is described by an equation of the input features, found by "
                    f"symbolic regression (pyoperon) on {len(self._setup.rows['search'])} data rows: "
                    + "; ".join(self._law_lines())
                    + f". Inputs: {redundant}."
                ),
                data={"equations": {name: law.selected.to_dict() for name, law in self.laws.items()}},
            ),
            EvidenceItem(
                section="2(e)",
                title="Interpretation tool: latent feature-usage heatmap",
                body=(
                    "A heatmap shows, for every latent, the share of its Pareto-front formulas that use each "
                    "input and which inputs its selected formula uses; each latent's equations can be compared "
                    "and picked in its own Pareto-front picker."
                ),
                data={"usage": self.usage.to_numpy().round(6).tolist(), "features": self.feature_names},
            ),
            EvidenceItem(
                section="2(g)",
                title="Fidelity of the latent laws",
                body=(
                    f"The selected formulas reproduce the encoder's latents on held-out rows of the data with "
                    f"{self.fidelity.describe()} (pooled over latents after standardising each)."
                ),
                data={
                    "fidelity": self.fidelity.to_dict(),
                    "per_latent": {name: law.fidelity.to_dict() for name, law in self.laws.items()},
                },
            ),
            EvidenceItem(
                section="3",
                title="Inputs the encoder's latents do not depend on",
                body=f"Of {len(self.feature_names)} inputs, {redundant}.",
                data={"redundant_features": self.redundant_features},
            ),
        ]

    def view_data(self) -> dict[str, Any]:
        """The payload the LatentUsageHeatmap draws."""
        selected = self.selected_usage
        fid = self.fidelity
        redundant = self._describe_redundant()
        return {
            "title": f"{self._setup.encoder.name}: which inputs each latent uses",
            "caption": (
                f"Colour: share of the latent's Pareto-front formulas that use the input; dot: used by "
                f"its selected formula. Fidelity: {fid.describe()}{_warning(fid)}. {redundant[0].upper()}"
                f"{redundant[1:]}."
            ),
            "latents": self.latents,
            "features": self.feature_names,
            "usage": self.usage.to_numpy().round(6).tolist(),
            "selected_use": selected.to_numpy().tolist(),
            "laws": [
                {
                    "latent": name,
                    "equation": str(law.selected),
                    "latex": f"{latex_name(name)} = {law.selected.latex}",
                    "r2": _finite(law.fidelity.value),
                    "r2_ci": list(law.fidelity.ci) if law.fidelity.ci else None,
                    "r2_note": fit_warning(law.fidelity),
                    "complexity": law.selected.complexity,
                }
                for name, law in self.laws.items()
            ],
            "redundant": self.redundant_features,
        }

    def _render_static_html(self) -> str:
        # each latent's selected law typeset (MathML), as the live view and the Pareto picker show it
        laws = "".join(law.selected.mathml() for law in self.laws.values())
        return super()._render_static_html().replace("</p>", f"</p>{laws}", 1)

    def widget(self) -> LatentUsageHeatmap:
        from glassbox_jupyter.widgets.latent_usage_heatmap import LatentUsageHeatmap

        return LatentUsageHeatmap(self)

    def _law_changed(self, what: Change) -> None:
        # an equation picked in a law's own ParetoPicker changes the usage dots and the fidelity
        if what == "selection":
            self.changed("data")

    def to_svg(self) -> str:
        import altair as alt
        import pandas as pd

        from glassbox_jupyter.widgets.svg import chart_to_svg

        usage, selected = self.usage, self.selected_usage
        cells = pd.DataFrame(
            [
                {
                    "latent": latent,
                    "feature": feature,
                    "usage": float(usage.loc[latent, feature]),
                    "selected": bool(selected.loc[latent, feature]),
                }
                for latent in self.latents
                for feature in self.feature_names
            ]
        )
        # inputs no selected formula uses are named so on the axis, greyed (the view hatches them)
        unused = repr(self.redundant_features)
        axis = alt.Axis(
            labelExpr=f"datum.value + (indexof({unused}, datum.value) >= 0 ? ' (unused)' : '')",
            labelColor={
                "condition": {"test": f"indexof({unused}, datum.value) >= 0", "value": "#8c959f"},
                "value": "#1f2328",
            },
        )
        x = alt.X("feature:N", sort=self.feature_names, title="input feature", axis=axis)
        y = alt.Y("latent:N", sort=self.latents, title="latent")
        # near-white at 0 to dark blue at 1, as in the widget (palette.ts: interpolateSequential, sampled)
        colours = alt.Scale(
            domain=[0, 0.25, 0.5, 0.75, 1], range=["#f1f7fd", "#c1daed", "#70b0d6", "#2a79b8", "#083d7e"]
        )
        heat = (
            alt.Chart(cells)
            .mark_rect(stroke="#ffffff")
            .encode(x=x, y=y, color=alt.Color("usage:Q", scale=colours, title="front share"))
        )
        dots = alt.Chart(cells[cells.selected]).mark_point(shape="circle", filled=True, color="#c2410c", size=60)
        cell = max(18, min(40, 520 // max(1, len(self.feature_names))))
        chart = alt.layer(heat, dots.encode(x=x, y=y)).properties(
            width=cell * len(self.feature_names),
            height=max(60, 26 * len(self.latents)),
            title=alt.TitleParams(
                ["Share of each latent's Pareto-front formulas", "using each input (dot: its selected formula)"],
                anchor="start",
            ),
        )
        lines = pd.DataFrame({"row": range(len(self.latents)), "line": self._law_lines()})
        listing = (
            alt.Chart(lines)
            .mark_text(align="left", baseline="middle", fontSize=11)
            .encode(y=alt.Y("row:O", axis=None), x=alt.value(0), text="line:N")
            .properties(width=max(320, cell * len(self.feature_names)), height=18 * len(self.latents))
        )
        # room on the right: browsers draw the text a little wider than vl-convert measures it
        both = alt.vconcat(chart, listing).properties(padding={"left": 5, "top": 5, "bottom": 5, "right": 40})
        return chart_to_svg(both.configure(aria=False).configure_view(stroke=None))


def _warning(fidelity: Fidelity) -> str:
    """``" (fit failed: …)"`` to follow an R² that shows a failed or doubtful fit, else ""."""
    text = fit_warning(fidelity)
    return f" ({text})" if text else ""


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
