"""Response views: the teacher's partial dependence on one or two features, with its fidelity.

The response over features ``S`` is the partial dependence ``PD_S(x_S)``: the teacher's output
averaged over background probes with ``x_S`` held fixed. Read as a student, ``PD_S`` predicts
the teacher from ``S`` alone, so its R² on held-out probes says how much of the teacher the view
explains.

Example:
    >>> import glassbox
    >>> teacher = glassbox.demos.load("friedman_mlp")
    >>> finding = glassbox.response(teacher, features=["x4"], n=400, seed=0)
    >>> finding.features, finding.fidelity.metric
    (('x4',), 'r2')
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from glassbox_jupyter.errors import EmptyProbeError, SelectionError, SelectionIndexError
from glassbox_jupyter.finding.base import Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import r2_fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.probe import Probe, ProbeSet
from glassbox_jupyter.teacher.teacher import Teacher, as_teacher

if TYPE_CHECKING:
    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.widgets.response_view import ResponseView

_MAX_POINTS_SHOWN = 1500  # in the live widget
_MAX_POINTS_STATIC = 300  # in the static SVG, which is saved into notebooks and reports
_PD_CHUNK_ROWS = 262_144  # rows per teacher call when computing partial dependence


def _partial_dependence(
    teacher: Teacher, background: np.ndarray, columns: list[int], grid: list[np.ndarray], output: int
) -> np.ndarray:
    """PD over the product of ``grid`` values for ``columns``; shape ``[len(g) for g in grid]``.

    All grid points × background rows go to the teacher in large batches (the teacher splits
    them further); chunking over grid points bounds memory at about ``_PD_CHUNK_ROWS`` rows.
    """
    mesh = np.meshgrid(*grid, indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)  # (G, len(columns))
    per_chunk = max(1, _PD_CHUNK_ROWS // len(background))
    means = np.empty(len(points))
    for start in range(0, len(points), per_chunk):
        chunk = points[start : start + per_chunk]
        stacked = np.repeat(background[None, :, :], len(chunk), axis=0)  # (g, B, d)
        stacked[:, :, columns] = chunk[:, None, :]
        out = teacher(stacked.reshape(-1, background.shape[1]))[:, output]
        means[start : start + len(chunk)] = out.reshape(len(chunk), len(background)).mean(axis=1)
    return means.reshape(mesh[0].shape)


def _rank_features(teacher: Teacher, background: np.ndarray, output: int, steps: int = 9) -> list[int]:
    """Feature indices ordered by how much their 1-D partial dependence varies."""
    spec = teacher.require_spec()
    spread = []
    for column in range(spec.width):
        grid = (
            np.linspace(spec.low[column], spec.high[column], steps)
            if spec.low is not None and spec.high is not None
            else np.quantile(background[:, column], np.linspace(0.02, 0.98, steps))
        )
        spread.append(np.ptp(_partial_dependence(teacher, background, [column], [grid], output)))
    return list(np.argsort(spread)[::-1])


class ResponseFinding(Finding):
    """Partial dependence of one teacher output on one or two input features.

    Attributes:
        features: the feature names shown (1 or 2).
        output_name: the teacher output shown.
        grid: grid values per feature.
        surface: PD values, shape ``(len(grid[0]),)`` or ``(len(grid[0]), len(grid[1]))``.
        probes: the probe set the view was computed from (its points are overlaid).
        fidelity: R² of ``PD(x_S)`` against the teacher on held-out probes.
        selected_input: the probe input last clicked in the widget (read-only dict) or ``None``.
        selected_output: the teacher's output at that probe, or ``None``.
        selected_point: both together (``{"inputs": …, "output": …}``, read-only), as the view shows them.
    """

    kind: ClassVar[str] = "response"

    def __init__(
        self,
        teacher: Teacher,
        probes: ProbeSet,
        columns: list[int],
        output: int,
        grid: list[np.ndarray],
        surface: np.ndarray,
        fidelity: Any,
        provenance: Provenance,
    ):
        self.teacher = teacher
        self.probes = probes
        self.columns = columns
        self.output = output
        self.grid = grid
        self.surface = surface
        self.fidelity = fidelity
        self.provenance = provenance
        self._selected_point: int | None = None

    # ------------------------------------------------------------------ the artifact
    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.teacher.require_spec().names[c] for c in self.columns)

    @property
    def output_name(self) -> str:
        return self.teacher.output_names[self.output]

    def predict(self, X: Any) -> np.ndarray:
        """The view read as a student: ``PD_S(x_S)`` interpolated on the grid."""
        X = self.teacher.require_spec().check(X)
        if len(self.columns) == 1:
            return np.interp(X[:, self.columns[0]], self.grid[0], self.surface)
        from scipy.interpolate import RegularGridInterpolator

        interpolate = RegularGridInterpolator(tuple(self.grid), self.surface, bounds_error=False, fill_value=None)
        return interpolate(X[:, self.columns])

    def artifact_dict(self) -> dict[str, Any]:
        spec = self.teacher.require_spec()
        return {
            "features": list(self.features),
            "units": [spec.unit(c) for c in self.columns],
            "output": self.output_name,
            "grid": [g.tolist() for g in self.grid],
            "partial_dependence": self.surface.tolist(),
            "background_rows": int(self.provenance.method.get("background", 0)),
        }

    def summary(self) -> str:
        shown = " and ".join(self.teacher.require_spec().label(c) for c in self.columns)
        low, high = float(np.min(self.surface)), float(np.max(self.surface))
        return (
            f"{self.output_name} of {self.teacher.name} varies from {low:.4g} to {high:.4g} "
            f"with {shown} (partial dependence over {len(self.probes)} probes)"
        )

    # ------------------------------------------------------------------ selection
    def shown_rows(self, max_points: int = _MAX_POINTS_SHOWN) -> np.ndarray:
        """The probe rows the view draws as points (all of them, or a seeded sample of ``max_points``)."""
        shown = np.arange(len(self.probes))
        if len(shown) > max_points:
            shown = np.sort(np.random.default_rng(0).choice(shown, max_points, replace=False))
        return shown

    @property
    def selection(self) -> int | None:
        """The clicked point: its index among the view's points, or None."""
        return self._selected_point

    def _apply_selection(self, point: Any) -> MappingProxyType[str, float] | None:
        """Select the ``point``-th point the view shows (None clears); returns its input."""
        if point is None or (isinstance(point, (int, np.integer)) and not isinstance(point, bool) and point == -1):
            self._selected_point = None
            return None
        count = len(self.shown_rows())
        if not isinstance(point, (int, np.integer)) or isinstance(point, bool):
            raise SelectionError(f"select a point by its index among the {count} shown (0–{count - 1}), not {point!r}")
        if not 0 <= int(point) < count:
            raise SelectionIndexError(f"point {point} is out of range: the view shows {count} points (0–{count - 1})")
        self._selected_point = int(point)
        return self.selected_input

    @property
    def _selected_row(self) -> int | None:
        return None if self._selected_point is None else int(self.shown_rows()[self._selected_point])

    @property
    def selected_input(self) -> MappingProxyType[str, float] | None:
        """The full input (feature → value) of the probe point last clicked, or ``None``."""
        if self._selected_row is None:
            return None
        row = self.probes.X[self._selected_row]
        return MappingProxyType({n: float(v) for n, v in zip(self.teacher.require_spec().names, row)})

    @property
    def selected_output(self) -> float | None:
        """The teacher's output at the clicked probe point, or ``None``."""
        row = self._selected_row
        return None if row is None else float(self.probes.y[row, self.output])

    @property
    def selected_point(self) -> MappingProxyType[str, Any] | None:
        """The clicked probe point, or ``None``: its full input and the model's output there (read-only).

        ``{"inputs": {feature: value}, "output": the teacher's output, "output_name": …,
        "partial_dependence": the view's value at the point's shown features}``: the output next to the
        surface's value says how far this probe is from what the view predicts.
        """
        row = self._selected_row
        if row is None:
            return None
        inputs = self.selected_input
        return MappingProxyType(
            {
                "inputs": inputs,
                "output": float(self.probes.y[row, self.output]),
                "output_name": self.output_name,
                "partial_dependence": float(self.predict(self.probes.X[row : row + 1])[0]),
            }
        )

    def selection_details(self) -> dict[str, Any]:
        """The clicked point's full input and the model's output there (``{}`` when none is selected)."""
        point = self.selected_point
        if point is None:
            return {}
        return {**point, "inputs": dict(point["inputs"])}

    # ------------------------------------------------------------------ evidence
    def evidence(self) -> list[EvidenceItem]:
        spec = self.teacher.require_spec()
        fid = self.fidelity.describe()
        return [
            EvidenceItem(
                section="2(e)",
                title=f"Response view of {self.output_name} over {', '.join(self.features)}",
                body=(
                    f"{self.summary()}. Read as a surrogate, this view reproduces the model's output "
                    f"with {fid}; the remaining variation depends on other features or interactions."
                ),
                data={"fidelity": self.fidelity.to_dict(), "features": list(self.features)},
            ),
            EvidenceItem(
                section="3",
                title="Input specification used for probing",
                body=(
                    f"{spec.width} input features ({', '.join(spec.label(i) for i in range(min(spec.width, 12)))}"
                    f"{', …' if spec.width > 12 else ''}), {spec.distribution} distribution; "
                    f"{len(self.probes)} probes ({self.probes.method}, seed {self.probes.seed}), "
                    f"{self.probes.n_dropped} dropped for non-finite outputs."
                ),
                data={"spec": spec.to_dict(), "probe": self.probes.settings},
            ),
        ]

    # ------------------------------------------------------------------ views
    def view_data(self, max_points: int = _MAX_POINTS_SHOWN) -> dict[str, Any]:
        """The payload the ResponseView widget draws (see js/README.md for its schema)."""
        spec = self.teacher.require_spec()
        shown = self.shown_rows(max_points)
        values = self.probes.y[shown, self.output]
        points: dict[str, Any] = {"x": self.probes.X[shown, self.columns[0]].tolist(), "value": values.tolist()}
        if len(self.columns) == 2:
            points["y"] = self.probes.X[shown, self.columns[1]].tolist()
        grid: dict[str, Any] = {"x": self.grid[0].tolist()}
        if len(self.columns) == 2:
            grid["y"] = self.grid[1].tolist()
            grid["z"] = self.surface.T.tolist()  # z[iy][ix]
        else:
            grid["z"] = self.surface.tolist()
        # the colour scale of the heat map is the surface's alone (the probes are drawn as uncoloured rings);
        # the line chart's y axis also spans the probes' outputs
        z_all = self.surface.ravel() if len(self.columns) == 2 else np.concatenate([self.surface.ravel(), values])
        unit_of = spec.unit
        return {
            "kind": "line" if len(self.columns) == 1 else "heatmap",
            "title": f"{self.teacher.name}: {self.output_name} over {' × '.join(self.features)}",
            "output_name": self.output_name,
            "features": [
                {
                    "name": spec.names[c],
                    "unit": unit_of(c),
                    "low": float(self.grid[k][0]),
                    "high": float(self.grid[k][-1]),
                }
                for k, c in enumerate(self.columns)
            ],
            "grid": grid,
            "points": points,
            "points_total": len(self.probes),
            "z_range": [float(z_all.min()), float(z_all.max())],
            "fidelity": self.fidelity.view(),
            "caption": f"partial dependence (averaged over {self.provenance.method.get('background', 0)} probes)",
        }

    def widget(self) -> ResponseView:
        """A live ResponseView (clicking a point selects it: ``selected_input`` follows in every view)."""
        from glassbox_jupyter.widgets.response_view import ResponseView

        return ResponseView(self)

    def to_svg(self) -> str:
        import altair as alt
        import pandas as pd

        from glassbox_jupyter.widgets.svg import chart_to_svg

        spec = self.teacher.require_spec()
        labels = [spec.label(c) for c in self.columns]
        data = self.view_data(max_points=_MAX_POINTS_STATIC)
        points = pd.DataFrame({"a": data["points"]["x"], "value": data["points"]["value"]})
        shown = f"{len(points)} of {len(self.probes)}" if len(points) < len(self.probes) else f"all {len(points)}"
        scale = alt.Scale(scheme="viridis", domain=data["z_range"])
        if len(self.columns) == 1:
            curve = pd.DataFrame({"a": self.grid[0], "pd": self.surface})
            base = (
                alt.Chart(points)
                .mark_circle(size=14, opacity=0.35, color="#4c78a8")
                .encode(x=alt.X("a:Q", title=labels[0]), y=alt.Y("value:Q", title=self.output_name))
            )
            line = alt.Chart(curve).mark_line(color="#e45756", strokeWidth=2.5).encode(x="a:Q", y="pd:Q")
            chart = base + line
            subtitle = ["red line: partial dependence", f"blue dots: the model's output at {shown} probes"]
        else:
            gx, gy = self.grid
            dx, dy = np.diff(gx).mean() / 2, np.diff(gy).mean() / 2
            ix, iy = np.meshgrid(np.arange(len(gx)), np.arange(len(gy)), indexing="ij")
            cells = pd.DataFrame(
                {
                    "a": gx[ix.ravel()] - dx,
                    "a2": gx[ix.ravel()] + dx,
                    "b": gy[iy.ravel()] - dy,
                    "b2": gy[iy.ravel()] + dy,
                    "pd": self.surface.ravel(),
                }
            )
            points["b"] = data["points"]["y"]
            heat = (
                alt.Chart(cells)
                .mark_rect()
                .encode(
                    x=alt.X("a:Q", title=labels[0], scale=alt.Scale(zero=False, nice=False)),
                    x2="a2",
                    y=alt.Y("b:Q", title=labels[1], scale=alt.Scale(zero=False, nice=False)),
                    y2="b2",
                    color=alt.Color("pd:Q", scale=scale, title=["partial", "dependence", f"of {self.output_name}"]),
                )
            )
            # the probes are small hollow rings, not coloured by the surface's scale: they mark where the
            # model was asked without hiding the surface or sharing its legend
            dots = (
                alt.Chart(points)
                .mark_point(shape="circle", filled=False, size=12, color="#1f2328", opacity=0.45, strokeWidth=0.7)
                .encode(x="a:Q", y="b:Q")
            )
            chart = heat + dots
            subtitle = [f"colour: partial dependence of {self.output_name}", f"rings: {shown} probe inputs"]
        title = alt.TitleParams(data["title"], subtitle=subtitle)
        # right padding: the legend's title measured by vl-convert can render a little wider in a browser
        padding = {"left": 5, "top": 5, "bottom": 5, "right": 20}
        return chart_to_svg(chart.properties(width=420, height=300, title=title, padding=padding).configure(aria=False))


def response(
    teacher: Any,
    probes: ProbeSet | None = None,
    features: str | int | Sequence[str | int] | None = None,
    output: int | str = 0,
    *,
    grid: int | None = None,
    background: int = 200,
    n: int = 2000,
    method: str = "sobol",
    seed: int = 0,
    test_size: float = 0.25,
) -> ResponseFinding:
    """The teacher's response (partial dependence) over one or two features, with its fidelity.

    Args:
        teacher: a Teacher (or a model with a spec).
        probes: probes to use; drawn (``n``, ``method``, ``seed``) when not given.
        features: 1 or 2 feature names or indices. Default: the two whose partial dependence
            varies most.
        output: output index or name.
        grid: grid points per feature (default 60 for one feature, 30 for two).
        background: probe rows averaged over for the partial dependence.
        test_size: share of probes held out to measure fidelity.

    Example:
        >>> import glassbox
        >>> f = glassbox.response(glassbox.demos.load("friedman_mlp"), features=["x1", "x2"], n=300)
        >>> f.surface.shape
        (30, 30)
    """
    teacher = as_teacher(teacher)
    if probes is None:
        probes = Probe(teacher, n=n, method=method, seed=seed).run()
    if not isinstance(probes, ProbeSet):
        raise TypeError(f"probes must be a ProbeSet (from Probe(...).run()), got {type(probes).__name__}")
    if len(probes) < 4:
        raise EmptyProbeError(f"a response view needs at least 4 probes, got {len(probes)}; draw more")
    spec: InputSpec = teacher.require_spec()  # teacher is typed Any (any model is accepted)
    names: tuple[str, ...] = teacher.output_names
    if isinstance(output, str):
        if output not in names:
            raise KeyError(f"no output named {output!r}; the teacher's outputs are {list(names)}")
        output = names.index(output)
    if not 0 <= output < len(names):
        raise IndexError(f"output {output} is out of range; the teacher has {len(names)} outputs")
    train, held_out = probes.split(test_size, seed=seed)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(train), size=min(background, len(train)), replace=False)
    background_rows = train.X[rows]
    if features is None:
        columns = sorted(_rank_features(teacher, background_rows[:64], output)[: min(2, spec.width)])
    else:
        chosen = [features] if isinstance(features, (str, int, np.integer)) else list(features)
        if not 1 <= len(chosen) <= 2:
            raise ValueError(f"a response view shows 1 or 2 features, got {len(chosen)}: {chosen}")
        columns = [spec.index(f) if isinstance(f, str) else int(f) for f in chosen]
        if any(not 0 <= c < spec.width for c in columns) or len(set(columns)) != len(columns):
            raise ValueError(f"features must be distinct and within the spec's {spec.width} features")
    steps = grid or (60 if len(columns) == 1 else 30)
    axes = []
    for c in columns:
        low = spec.low[c] if spec.low is not None else float(probes.X[:, c].min())
        high = spec.high[c] if spec.high is not None else float(probes.X[:, c].max())
        axes.append(np.linspace(low, high, steps))
    surface = _partial_dependence(teacher, background_rows, columns, axes, output)
    finding = ResponseFinding(
        teacher,
        probes,
        columns,
        output,
        axes,
        surface,
        fidelity=None,
        provenance=Provenance.capture(
            teacher,
            probes,
            seed,
            method={
                "name": "partial_dependence",
                "grid": steps,
                "background": len(background_rows),
                "test_size": test_size,
            },
        ),
    )
    finding.fidelity = r2_fidelity(held_out.y[:, output], finding.predict(held_out.X), seed=seed)
    return finding
