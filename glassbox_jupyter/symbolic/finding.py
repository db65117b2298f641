"""SymbolicFinding: the Pareto front of equations distilled from one teacher output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.symbolic.equation import Equation
from glassbox_jupyter.symbolic.held_out_floor import FLOOR_FACTOR, HeldOutFloor
from glassbox_jupyter.symbolic.screening import ScreeningReport
from glassbox_jupyter.symbolic.search import SearchLog

if TYPE_CHECKING:
    from collections.abc import Callable

    from glassbox_jupyter.symbolic.dimensional import Reduced
    from glassbox_jupyter.symbolic.stitching import Stitched
    from glassbox_jupyter.symbolic.structure import StructureReport
    from glassbox_jupyter.widgets.pareto_picker import ParetoPicker

OVERLAY_STEPS = 80
VALIDATION_LOSS = "validation MSE"  # what Equation.loss measures in math mode and latent laws


def fit_warning(fidelity: Fidelity | None) -> str:
    """What a view must say next to an R² that shows a failed or doubtful fit ("" when there is nothing to say).

    Example:
        >>> fit_warning(Fidelity("r2", -0.44, -0.5, -0.4, n=6, split="leave-one-out"))
        'fit failed: worse than predicting the mean'
        >>> fit_warning(Fidelity("r2", 0.2, -0.3, 0.6, n=6, split="leave-one-out"))
        'uncertain: its interval reaches below 0 (no better than the mean)'
        >>> fit_warning(Fidelity("r2", 0.99, 0.98, 0.995, n=500))
        ''
    """
    if fidelity is None or fidelity.metric != "r2":
        return ""
    if not np.isfinite(fidelity.value):
        return "fit failed: undefined on some held-out cases"
    if fidelity.value < 0:
        return "fit failed: worse than predicting the mean"
    if fidelity.ci is not None and fidelity.ci[0] < 0:
        return "uncertain: its interval reaches below 0 (no better than the mean)"
    return ""


class SymbolicFinding(Finding):
    """Equations for one teacher output, one per complexity, with the best one chosen.

    Attributes:
        pareto_front: candidate equations, simplest first.
        best: the equation chosen by the documented rule (see ``choose_best``).
        selected: the equation currently picked (starts as ``best``; the ParetoPicker sets it).
        fidelity: the selected equation's R² to the teacher on held-out probes.
        screening: which inputs were searched and which were dropped (with sensitivities).
        log: the search rounds (probes, time, front size) and whether it was interrupted.
    """

    kind: ClassVar[str] = "symbolic"

    def __init__(self, teacher: Any, output: int, output_name: str, provenance: Provenance, screening: ScreeningReport):
        self.teacher = teacher
        self.output = output
        self.output_name = output_name
        self.provenance = provenance
        self.screening = screening
        self.pareto_front: list[Equation] = []
        self.best_index = 0
        self._selected_index = 0
        self.log = SearchLog()
        self.notes: list[str] = []
        self.running = False
        self.probes: Any = None  # the training probes, grown by active interrogation
        self._displayed_live = False
        # how the views name what Equation.loss measures and the curve the equations are compared with
        self.loss_name = VALIDATION_LOSS
        self.teacher_label = "teacher"
        # the teacher's error on held-out rows (distill(..., held_out=(X, y))), which the pick respects
        self.error_floor: HeldOutFloor | None = None
        # the structure tests run with that floor (None without held-out rows)
        self.structure: StructureReport | None = None
        # the pieces of an additively separable teacher and their stitched equation (symbolic/stitching.py)
        self.stitched: Stitched | None = None
        # the units analysis: π groups, the equations found on them (symbolic/dimensional.py)
        self.dimensional: Reduced | None = None

    # ------------------------------------------------------------------ results
    @property
    def best(self) -> Equation:
        self._require_front()
        return self.pareto_front[self.best_index]

    @property
    def selected(self) -> Equation:
        """The picked equation (read-only here: use :meth:`select` or click in the ParetoPicker)."""
        self._require_front()
        return self.pareto_front[self._selected_index]

    @property
    def selection(self) -> int | None:
        """The picked equation's id on the front (None before the first search round ends)."""
        return self._selected_index if self.pareto_front else None

    def _apply_selection(self, choice: Any) -> Equation:
        """Pick an equation by object or id (``select(3)``, ``select(finding.best)``)."""
        last = len(self.pareto_front) - 1
        if isinstance(choice, Equation) and choice in self.pareto_front:
            index = self.pareto_front.index(choice)
        elif isinstance(choice, (int, np.integer)) and not isinstance(choice, bool):
            index = int(choice)
        else:
            raise SelectionError(f"select an equation of the front by its id (0–{last}), not {choice!r}")
        if not 0 <= index <= last:
            raise SelectionIndexError(f"no equation with id {index}: the front has {last + 1} (ids 0–{last})")
        self._selected_index = index
        return self.selected

    def record_choices(self) -> list[int]:
        """Every equation of the front: picking one makes it the described law, with its fidelity."""
        return list(range(len(self.pareto_front)))

    def set_front(self, equations: list[Equation], best: int) -> None:
        """Replace the Pareto front (a search round ended) and select its best equation; views follow."""
        self.pareto_front = equations
        self.best_index = self._selected_index = min(best, len(equations) - 1)
        self.changed("data")

    @property
    def fidelity(self) -> Fidelity:  # type: ignore[override]  # read-only: the selected equation's fidelity
        fid = self.selected.fidelity
        assert fid is not None
        return fid

    @property
    def interrupted(self) -> bool:
        return self.log.interrupted

    def predict(self, X: Any) -> np.ndarray:
        """The selected equation's predictions."""
        return self.selected.predict(X)

    def _require_front(self) -> None:
        if not self.pareto_front:
            raise ValueError("the search has not produced any equation yet")

    # ------------------------------------------------------------------ Finding protocol
    def summary(self) -> str:
        if not self.pareto_front:
            return f"no equation yet for {self.output_name}"
        eq = self.selected
        which = "best" if self._selected_index == self.best_index else "selected"
        stop = " (search interrupted)" if self.interrupted else ""
        return (
            f"{eq} — {which} of {len(self.pareto_front)} equations on the Pareto front, "
            f"complexity {eq.complexity}{stop}"
        )

    def artifact_dict(self) -> dict[str, Any]:
        names = self.teacher.spec.names
        return {
            "output": self.output_name,
            "selected": self._selected_index,
            "best": self.best_index,
            "pareto_front": [eq.to_dict() for eq in self.pareto_front],
            "screening": self.screening.to_dict(names),
            "error_floor": None if self.error_floor is None else self.error_floor.to_dict(),
            "structure": None if self.structure is None else self.structure.to_dict(),
            "stitched": None if self.stitched is None else self.stitched.to_dict(),
            "units": None if self.dimensional is None else self.dimensional.to_dict(),
            "rounds": self.log.rounds,
            "interrupted": self.log.interrupted,
            "notes": list(self.notes),
        }

    def pick_rule(self) -> str:
        """How the default equation was chosen, in one or two sentences."""
        usual = (
            "the largest drop in log validation loss per unit of complexity among candidates within 1.5× the "
            "lowest loss or within 0.0001 of the best R²"
        )
        if self.error_floor is None:
            return f"The default is chosen by {usual}."
        return (
            f"The default is the simplest candidate whose validation loss is at most {FLOOR_FACTOR:g}× the "
            f"teacher's own error floor squared ({self.error_floor.describe()}), else {usual}."
        )

    def evidence(self) -> list[EvidenceItem]:
        eq, spec = self.selected, self.teacher.spec
        fid = self.fidelity.describe()
        items = [
            EvidenceItem(
                section="2(b)",
                title=f"Closed-form description of {self.output_name}",
                body=(
                    f"The network's output {self.output_name} is described by {eq} {eq.units_legend()}"
                    f" with {fid}. It was distilled by symbolic regression (pyoperon) from probes of the "
                    f"network, without training data."
                ),
                data={"equation": eq.to_dict()},
            ),
            EvidenceItem(
                section="2(e)",
                title="Interpretation tool: equation Pareto front",
                body=(
                    f"{len(self.pareto_front)} candidate equations trade complexity for accuracy; the "
                    f"reviewer can pick another in the ParetoPicker. {self.pick_rule()}"
                ),
                data={"front": [e.to_dict() for e in self.pareto_front]},
            ),
            EvidenceItem(
                section="2(g)",
                title=f"Fidelity of the equation for {self.output_name}",
                body=f"Measured on {self.fidelity.n} held-out probes on {self.provenance.created}: {fid}.",
                data={"fidelity": self.fidelity.to_dict(), "rounds": self.log.rounds},
            ),
        ]
        if self.structure is not None:
            items.append(
                EvidenceItem(
                    section="2(b)",
                    title=f"Structure of {self.output_name} found on the network before the search",
                    body=(
                        "Hypothesis tests on the network (separability, symmetries, idle inputs, outer "
                        f"functions), each with a tolerance carried from its error floor: {self.structure.describe()}"
                    ),
                    data={"structure": self.structure.to_dict()},
                )
            )
        if self.dimensional is not None:
            d = self.dimensional
            body = (
                f"From the units of the inputs and the output: {self.output_name} = {d.scale or '1'} · g("
                f"{', '.join(d.groups)}) (Buckingham π); {len(d.equations)} equations found on those groups joined "
                "the search, and equations whose units cannot be the output's were set aside."
                if not d.note
                else f"Units: {d.note}."
            )
            items.append(
                EvidenceItem(
                    section="2(b)",
                    title=f"Dimensional analysis of {self.output_name}",
                    body=body,
                    data={"units": d.to_dict()},
                )
            )
        screened = self.screening.describe(spec.names)
        items.append(
            EvidenceItem(
                section="3",
                title="Inputs used by the distilled equation",
                body=f"The search used {len(self.screening.kept)} of {spec.width} inputs; {screened}.",
                data={"screening": self.screening.to_dict(spec.names)},
            )
        )
        return items

    # ------------------------------------------------------------------ views
    def overlay(self) -> list[dict[str, Any]]:
        """Teacher vs every equation along each searched input, the other inputs at their centre."""
        spec = self.teacher.spec
        centre = np.array(spec.mean if spec.mean is not None else np.zeros(spec.width), dtype=float)
        curves = []
        for column in self.screening.kept:
            low = spec.low[column] if spec.low is not None else centre[column] - 2 * spec.std[column]
            high = spec.high[column] if spec.high is not None else centre[column] + 2 * spec.std[column]
            grid = np.linspace(low, high, OVERLAY_STEPS)
            X = np.tile(centre, (OVERLAY_STEPS, 1))
            X[:, column] = grid
            teacher_y = self.teacher(X)[:, self.output]
            curves.append(
                {
                    "feature": spec.names[column],
                    "x": grid.tolist(),
                    "teacher": _finite_list(teacher_y),
                    "equations": {str(eq.id): _finite_list(eq.predict(X)) for eq in self.pareto_front},
                }
            )
        return curves

    def view_data(self) -> dict[str, Any]:
        """The payload the ParetoPicker draws (see js/README.md)."""
        spec = self.teacher.spec
        if self.running and self.log.rounds:
            last = self.log.rounds[-1]
            status = f"round {last['round']}/{last['rounds']} · {last['probes']:,} probes · running"
        elif self.running:
            status = "searching…"
        else:
            status = f"done in {self.log.seconds:.0f} s" + (
                " (interrupted)" if self.interrupted else " (converged early)" if self.log.converged else ""
            )
        measured = next((eq.fidelity for eq in self.pareto_front if eq.fidelity is not None), None)
        return {
            "title": f"{self.teacher.name}: equations for {self.output_name}",
            "output_name": self.output_name,
            "status": status,
            "running": self.running,
            "loss_name": self.loss_name,
            "score_name": f"{measured.split if measured else 'held-out'} R²",
            "confidence": measured.confidence if measured else 0.95,
            "teacher_label": self.teacher_label,
            "equations": [
                {
                    "id": eq.id,
                    "complexity": eq.complexity,
                    "loss": float(eq.loss),
                    "r2": eq.fidelity.value if eq.fidelity else None,
                    "r2_ci": list(eq.fidelity.ci) if eq.fidelity and eq.fidelity.ci else None,
                    "r2_note": fit_warning(eq.fidelity),
                    "latex": eq.latex,
                    "text": eq.text,
                    "is_best": eq.id == self.best_index,
                    "origin": eq.origin,
                }
                for eq in self.pareto_front
            ],
            "features": [
                {
                    "name": spec.names[c],
                    "unit": spec.unit(c),
                    "low": float(spec.low[c]) if spec.low else None,
                    "high": float(spec.high[c]) if spec.high else None,
                }
                for c in self.screening.kept
            ],
            "overlay": self.overlay() if self.pareto_front else [],
            "caption": self.screening.describe(spec.names) if self.screening.dropped else "",
        }

    def widget(self) -> ParetoPicker:
        from glassbox_jupyter.widgets.pareto_picker import ParetoPicker

        return ParetoPicker(self)

    def to_svg(self) -> str:
        import altair as alt
        import pandas as pd

        from glassbox_jupyter.widgets.svg import chart_to_svg

        floor = min((eq.loss for eq in self.pareto_front if eq.loss > 0), default=1e-12) / 10
        losses = [max(eq.loss, floor) for eq in self.pareto_front]
        front = pd.DataFrame(
            {
                "complexity": [eq.complexity for eq in self.pareto_front],
                "loss": losses,
                "equation": [eq.text for eq in self.pareto_front],
                "role": [
                    "selected" if eq.id == self._selected_index else ("best" if eq.id == self.best_index else "")
                    for eq in self.pareto_front
                ],
            }
        )
        # complexities are whole numbers: integer ticks only, printed as integers ("5", not "5.0"); the loss
        # axis is labelled at powers of ten in one notation ("1e-4", not "0.0001" next to "100,000")
        complexities = [eq.complexity for eq in self.pareto_front]
        complexity_axis = alt.Axis(values=_whole_numbers(min(complexities), max(complexities)), format="d")
        loss_axis = alt.Axis(values=_decades(losses), format="~e")
        scatter = (
            alt.Chart(front)
            .mark_line(point=True, interpolate="step-after", color="#4c78a8")
            .encode(
                x=alt.X("complexity:Q", title="complexity", axis=complexity_axis),
                y=alt.Y("loss:Q", scale=alt.Scale(type="log"), axis=loss_axis, title=f"{self.loss_name} (log scale)"),
            )
        )
        marked = (
            alt.Chart(front[front.role != ""])
            .mark_point(size=160, filled=False, color="#e45756")
            .encode(x="complexity:Q", y="loss:Q")
        )
        curves = self.overlay()
        column = int(np.argmax([np.ptp(c["teacher"]) if c["teacher"] else 0 for c in curves])) if curves else 0
        left = (scatter + marked).properties(width=260, height=220, title="Pareto front")
        if not curves:
            return chart_to_svg(left.configure(aria=False))
        curve = curves[column]
        series = [self.teacher_label, "selected equation"]
        lines = pd.concat(
            [
                pd.DataFrame({"x": curve["x"], "y": curve["teacher"], "series": series[0]}),
                pd.DataFrame(
                    {"x": curve["x"], "y": curve["equations"][str(self._selected_index)], "series": series[1]}
                ),
            ]
        )
        label = self.teacher.spec.label(self.teacher.spec.index(curve["feature"]))
        others = " (others at centre)" if len(curves) > 1 else ""
        right = (
            alt.Chart(lines)
            .mark_line()
            .encode(
                x=alt.X("x:Q", title=f"{label}{others}"),
                y=alt.Y("y:Q", title=self.output_name),
                color=alt.Color(
                    "series:N",
                    scale=alt.Scale(domain=series, range=["#1f2328", "#c2410c"]),
                    legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0),
                ),
                strokeDash=alt.StrokeDash(
                    "series:N", scale=alt.Scale(domain=series, range=[[1, 0], [6, 3]]), title=None
                ),
            )
            .properties(width=260, height=220, title=f"{self.output_name} along {curve['feature']}")
        )
        return chart_to_svg(alt.hconcat(left, right).configure(aria=False))

    @property
    def ready(self) -> bool:
        return bool(self.pareto_front)

    @property
    def _ipython_display_(self) -> Callable[[], None] | None:
        """IPython's own display hook, present only while the live view of this search is on screen.

        ``distill`` shows the live ParetoPicker while it searches and leaves its final state in
        that output (with the Finding's JSON for the Annex IV report). When the same cell then
        ends with the Finding (``law``, or ``%glassbox distill``), IPython would display it a
        second time, and a front end that cannot render the bundle falls back to a raw
        ``<SymbolicFinding …>`` line under the widget. IPython calls ``_ipython_display_``
        instead of the mime bundle when it is callable and ignores it when it is None, so that
        one display shows nothing; every later display is the full one.
        """
        return self._already_shown if self._displayed_live else None

    def _already_shown(self) -> None:
        from glassbox_jupyter.finding.base import finding_payload

        self._displayed_live = False
        finding_payload(self)  # remembered as the final state for %glassbox export

    def _render_static_html(self) -> str:
        if not self.pareto_front:  # shown while the first search round runs
            waiting = f"<b>SymbolicFinding</b>: {_escape(self.summary())} (searching…)"
            return f"<div class='glassbox-finding'><p>{waiting}</p></div>"
        return super()._render_static_html().replace("</p>", f"</p>{self.selected.mathml()}", 1)

    def __repr__(self) -> str:
        if not self.pareto_front:
            return f"<SymbolicFinding: {self.summary()}>"
        return super().__repr__()


def _whole_numbers(low: int, high: int, most: int = 10) -> list[int]:
    """Whole numbers from ``low`` to ``high``, every 2nd, 5th, 10th, … one when there are more than ``most``."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 10**9) if (high - low) // s + 1 <= most)
    return list(range(-(-low // step) * step, high + 1, step))


def _decades(values: list[float], most: int = 6) -> list[float]:
    """Powers of ten spanning ``values`` (all > 0), every k-th one when there are more than ``most``."""
    low, high = np.floor(np.log10(min(values))), np.ceil(np.log10(max(values)))
    exponents = np.arange(low, high + 1)
    step = int(np.ceil(len(exponents) / most))
    return [float(10.0**e) for e in exponents[::-1][::step][::-1]]


def _finite_list(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


class SymbolicFindings(dict[str, SymbolicFinding]):
    """One SymbolicFinding per teacher output (for multi-output teachers), keyed by output name."""

    @property
    def _ipython_display_(self) -> Callable[[], None] | None:
        """Shows nothing when every output's live view is already on screen (see SymbolicFinding's)."""
        live = [f._ipython_display_ for f in self.values()]
        if not live or any(hook is None for hook in live):
            return None

        def already_shown() -> None:
            for hook in live:
                if hook is not None:
                    hook()

        return already_shown

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from glassbox_jupyter.finding.base import display_payload
        from glassbox_jupyter.finding.mime import FINDING_MIME

        html = "".join(f.static_html() for f in self.values())
        bundle: dict[str, Any] = {"text/plain": "\n".join(repr(f) for f in self.values()), "text/html": html}
        payloads = [
            {**p, "static_html": f.static_html()} for f in self.values() if (p := display_payload(f)) is not None
        ]
        if payloads:
            bundle[FINDING_MIME] = payloads  # a list: one Finding per output
        return bundle
