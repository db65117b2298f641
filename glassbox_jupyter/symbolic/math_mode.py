"""Math mode: distil a teacher into equations (one Pareto front per output)."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.finding.fidelity import Fidelity, r2_fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.probe import Probe, ProbeSet
from glassbox_jupyter.symbolic.dimensional import UNITS_SHARE, known_dimensions, reduce_by_units, unit_note
from glassbox_jupyter.symbolic.equation import Equation, undefined_fidelity
from glassbox_jupyter.symbolic.expression import evaluate, input_symbols
from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings
from glassbox_jupyter.symbolic.held_out_floor import held_out_floor
from glassbox_jupyter.symbolic.screening import ScreeningReport, screen_features
from glassbox_jupyter.symbolic.search import (
    DEFAULT_OPERATORS,
    Candidate,
    SearchSettings,
    SymbolicSearch,
    choose_best,
    pareto_front,
)
from glassbox_jupyter.symbolic.simplify import exact_number
from glassbox_jupyter.symbolic.stitching import STITCH_SHARE, stitch
from glassbox_jupyter.symbolic.units import consistent
from glassbox_jupyter.teacher.adapters import CallableAdapter
from glassbox_jupyter.teacher.teacher import Teacher

DEFAULT_GENERATIONS = 100  # the default budget of distill(): reproducible; about 10-60 s per output


def probability_teacher(teacher: Teacher) -> Teacher:
    """A regression view of a classifier: its class probabilities (softmax of logits if needed)."""

    def probabilities(X: np.ndarray) -> np.ndarray:
        out = teacher(X.reshape(len(X), -1))
        if out.shape[1] == 1:  # a single score: treat as the logit of the positive class
            return 1 / (1 + np.exp(-out))
        rows_are_probabilities = np.all((out >= 0) & (out <= 1)) and np.allclose(out.sum(axis=1), 1, atol=1e-6)
        if rows_are_probabilities:
            return out
        shifted = np.exp(out - out.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    names = [f"P({n})" for n in teacher.output_names]
    adapter = CallableAdapter(probabilities, sha256=teacher.hash)  # provenance names the classifier itself
    return Teacher(adapter, teacher.spec, output_names=names, name=teacher.name, task="regression")


def _feature_columns(teacher: Teacher, features: Sequence[str | int] | str | None) -> list[int] | None:
    if features is None:
        return None
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    spec = teacher.require_spec()
    columns = [spec.index(f) if isinstance(f, str) else int(f) for f in features]
    if not columns or any(not 0 <= c < spec.width for c in columns):
        raise ValueError(f"features must name inputs of the spec {list(spec.names)}")
    return sorted(set(columns))


def _constant_finding(
    teacher: Teacher, output: int, name: str, value: float, test: ProbeSet, prov: Provenance
) -> SymbolicFinding:
    spec = teacher.require_spec()
    columns = list(range(spec.width))
    finding = SymbolicFinding(teacher, output, name, prov, ScreeningReport(kept=columns, dropped=[]))
    snapped = exact_number(value)  # never a ratio of large integers (nsimplify gives 4157/500 for 8.314)
    fid = Fidelity.exact("r2", n=len(test), measures=f"the constant against the teacher's constant {name}")
    finding.set_front([Equation(snapped, spec, name, fidelity=fid, loss=0.0, id=0)], 0)
    finding.notes.append(
        f"the teacher's output {name} is constant (= {value:.6g}) on all {len(test)} held-out probes; "
        "the equation is that constant (R² is reported as 1 because it reproduces the teacher exactly)"
    )
    warnings.warn(finding.notes[-1], UserWarning, stacklevel=4)
    return finding


def _equations(
    candidates: list[Candidate], teacher: Teacher, output: int, name: str, test: ProbeSet, seed: int
) -> list[Equation]:
    out, spec = [], teacher.require_spec()
    truth = test.y[:, output]
    unit = getattr(teacher, "output_units", None)
    for i, c in enumerate(candidates):
        guess = evaluate(c.expr, test.X)
        if np.all(np.isfinite(guess)):
            fid = r2_fidelity(truth, guess, seed=seed, n_boot=500)
        else:  # the equation is undefined somewhere in the input box: say so through its fidelity
            fid = undefined_fidelity(len(truth))
        out.append(
            Equation(
                c.expr,
                spec,
                name,
                fidelity=fid,
                loss=c.loss,
                id=i,
                output_unit=unit[output] if unit else None,
                origin=c.origin,
            )
        )
    return [e for e in out if e.fidelity is not None and np.isfinite(e.fidelity.value)] or out


def distill_math(
    teacher: Teacher,
    *,
    time_limit: float = 60,
    seed: int = 0,
    n: int = 2000,
    method: str = "sobol",
    features: Sequence[str | int] | str | None = None,
    output: int | str | None = None,
    max_features: int = 10,
    operators: str = DEFAULT_OPERATORS,
    population_size: int = 1000,
    max_length: int = 30,
    rounds: int | None = None,
    patience: int | None = 2,
    refine: bool = True,
    snap_tolerance: float = 1e-4,
    n_threads: int | None = None,
    live: bool | None = None,
    engine: str = "operon",
    generations: int | None = None,
    on_front: Callable[[SymbolicFinding], None] | None = None,
    held_out: tuple[Any, Any] | None = None,
) -> SymbolicFinding | SymbolicFindings:
    """See :func:`glassbox_jupyter.distill` (``mode="math"``).

    ``held_out=(X, y)``: rows the network was not trained on with their true outputs. The teacher's RMS
    error on them is its error floor (:mod:`~glassbox_jupyter.symbolic.held_out_floor`), reported in the
    finding and used by the pick: the simplest equation within that floor is preferred to larger ones that
    fit the network's own error.

    ``on_front(finding)`` is called each time a search round ends with a new Pareto front (the
    finding of the output being searched); a server job stores it as its progress.

    ``generations`` replaces the wall-clock budget by a deterministic one (that many pyoperon
    generations per output; ``time_limit`` is then not used): the same seed gives the same front.
    """
    started = time.perf_counter()
    if engine not in ("operon", "pysr"):
        raise ValueError(f"engine must be 'operon' (default) or 'pysr', got {engine!r}")
    if generations is not None and engine != "operon":
        raise ValueError("generations is a pyoperon budget; with engine='pysr' give time_limit instead")
    if engine == "pysr":
        from glassbox_jupyter.symbolic.pysr_backend import load_pysr

        load_pysr()  # fail before probing when PySR or Julia is missing
    floors = None if held_out is None else held_out_floor(teacher, *_pair(held_out))  # before any probing
    classifier = teacher.task == "classification"
    if classifier:
        warnings.warn(
            f"{teacher.name} is a classifier: math mode fits its class probabilities "
            f"({', '.join(f'P({n})' for n in teacher.output_names)}) as equations. For IF/ELSE decision "
            "rules use mode='logic'.",
            UserWarning,
            stacklevel=3,
        )
        teacher = probability_teacher(teacher)
    probe = Probe(teacher, n=n, method=method, seed=seed)
    probes = probe.run()
    if len(probes) < 20:
        from glassbox_jupyter.errors import EmptyProbeError

        raise EmptyProbeError(f"math mode needs at least 20 usable probes, got {len(probes)}; raise n")
    train, validation, test = probes.split3(seed)
    names = teacher.output_names
    if output is None:
        outputs = list(range(len(names)))
        if classifier and len(outputs) == 2:  # P(first class) = 1 - P(second): one front says it all
            outputs = [1]
    else:
        outputs = [names.index(output) if isinstance(output, str) else int(output)]
    columns = _feature_columns(teacher, features)
    width = teacher.require_spec().width
    if live is None:
        from glassbox_jupyter.finding.display import in_kernel

        live = in_kernel()
    findings = SymbolicFindings()
    deadline = started + time_limit
    for position, k in enumerate(outputs):
        provenance = Provenance.capture(
            teacher,
            probes,
            seed,
            method={
                "name": "symbolic_regression",
                "engine": "pyoperon" if engine == "operon" else "pysr",
                "operators": operators,
                "time_limit": time_limit if generations is None else None,
                "generations": generations,
                "population_size": population_size,
                "max_length": max_length,
                "split": {"train": len(train), "validation": len(validation), "test": len(test)},
            },
        )
        y_all = probes.y[:, k]
        if np.ptp(y_all) <= 1e-12 * max(1.0, float(np.abs(y_all).max())):
            findings[names[k]] = _constant_finding(teacher, k, names[k], float(np.mean(y_all)), test, provenance)
            continue
        if columns is not None:
            screening = ScreeningReport(
                kept=columns,
                dropped=[c for c in range(width) if c not in columns],
                reason="not in the requested features",
            )
        elif width > max_features:
            screening = screen_features(teacher, train.X, k, max_features=max_features, seed=seed)
        else:
            screening = ScreeningReport(kept=list(range(width)), dropped=[])
        finding = SymbolicFinding(teacher, k, names[k], provenance, screening)
        finding.error_floor = None if floors is None else floors[k]
        if floors is not None:  # tolerances from the held-out error; the local floor alone rejects true structure
            from glassbox_jupyter.symbolic.structure import find_structure

            names_kept = [teacher.require_spec().names[c] for c in screening.kept]
            finding.structure = find_structure(teacher, k, names_kept, seed=seed, held_out_rms=floors[k].rms)
        findings[names[k]] = finding
        settings = SearchSettings(
            # what is left, shared by the outputs still to do (5% kept for measuring fidelity)
            time_limit=max(1.0, 0.95 * (deadline - time.perf_counter()) / (len(outputs) - position)),
            rounds=rounds,
            patience=patience,
            population_size=population_size,
            max_length=max_length,
            operators=operators,
            n_threads=n_threads or min(2, os.cpu_count() or 1),
            seed=seed,
            snap_tolerance=snap_tolerance,
            refine_per_round=200 if refine else 0,
            engine=engine,
            generations=generations,
            floor_mse=None if floors is None else floors[k].mse,
        )
        seeds: list[Candidate] = []
        if finding.structure is not None and engine == "operon":
            settings, seeds = _stitch_pieces(finding, settings, validation, k, seed)
        stopped = finding.stitched is not None and finding.stitched.interrupted  # Ctrl-C in a piece's search
        why_no_units = unit_note(teacher, k, finding.screening.kept)
        if why_no_units:
            finding.notes.append(why_no_units)
        elif known_dimensions(teacher, k, finding.screening.kept) is not None and engine == "operon" and not stopped:
            settings, reduced = _reduce_by_units(finding, settings, train, validation, k, seed)
            seeds += reduced
        _search_one(finding, probe, train, validation, test, k, seed, live, on_front, settings, seeds, stopped)
        if finding.interrupted:  # Ctrl-C stops the whole distillation, keeping what was found
            break
    return next(iter(findings.values())) if len(findings) == 1 else findings


def _stitch_pieces(
    finding: SymbolicFinding, settings: SearchSettings, validation: ProbeSet, k: int, seed: int
) -> tuple[SearchSettings, list[Candidate]]:
    """When the structure tests split the searched inputs (sums, products, outer functions; see ``stitching``),
    search the pieces on their share of the budget and return the rest of it with the stitched candidate."""
    assert finding.structure is not None
    kept, started = list(finding.screening.kept), time.perf_counter()
    stitched = stitch(finding.teacher, k, kept, finding.structure, settings, validation.X, validation.y[:, k], seed)
    if stitched is None:
        return settings, []
    finding.stitched = stitched
    return settings.rest(STITCH_SHARE, time.perf_counter() - started), [] if stitched.candidate is None else [
        stitched.candidate
    ]


def _reduce_by_units(
    finding: SymbolicFinding, settings: SearchSettings, train: ProbeSet, validation: ProbeSet, k: int, seed: int
) -> tuple[SearchSettings, list[Candidate]]:
    """With units on every searched input and the output, search on the π groups (``dimensional``) and
    return the rest of the budget with the equations it found, mapped back to the inputs."""
    kept, started = list(finding.screening.kept), time.perf_counter()
    finding.dimensional, found = reduce_by_units(
        finding.teacher, k, kept, settings, (train.X, train.y[:, k]), (validation.X, validation.y[:, k]), seed
    )
    if finding.dimensional.note:
        finding.notes.append(f"units: {finding.dimensional.note}")
    searched = bool(finding.dimensional.groups) and bool(finding.dimensional.equations)
    return (settings.rest(UNITS_SHARE, time.perf_counter() - started) if searched else settings), found


def _pair(held_out: Any) -> tuple[Any, Any]:
    """``(X, y)`` from ``held_out``, or a clear error."""
    if not isinstance(held_out, (tuple, list)) or len(held_out) != 2:
        raise ValueError("held_out must be a pair (X, y): rows the network was not trained on and their true outputs")
    return held_out[0], held_out[1]


def _search_one(
    finding: SymbolicFinding,
    probe: Probe,
    train: ProbeSet,
    validation: ProbeSet,
    test: ProbeSet,
    k: int,
    seed: int,
    live: bool,
    on_front: Callable[[SymbolicFinding], None] | None,
    settings: SearchSettings,
    seeds: list[Candidate] | None = None,
    stopped: bool = False,
) -> None:
    """The direct search, its front seeded with ``seeds``; ``stopped``: Ctrl-C came before it (in a piece's
    search), so it does not run and the front is the seeds (none: the interrupt goes on to the caller)."""
    teacher = finding.teacher
    state = {"train": train}
    search = SymbolicSearch(teacher.require_spec().width, finding.screening.kept, settings)
    dims = known_dimensions(teacher, k, list(finding.screening.kept))
    if dims is not None:  # equations whose units cannot be the output's never join the candidates
        symbols = input_symbols(teacher.require_spec().width)
        by_symbol = {symbols[c]: d for c, d in zip(finding.screening.kept, dims[0])}
        search.admissible = lambda expr: consistent(expr, by_symbol, dims[1])
    # stitched from separable pieces, or found on the π groups: on the front from the first round
    search.candidates.extend(c for c in seeds or [] if search.admissible is None or search.admissible(c.expr))
    finding.log = search.log
    variance = float(np.var(validation.y[:, k])) or 1.0
    handle = None
    if live:
        from IPython.display import display

        finding.running = True
        handle = display(finding.widget(), display_id=True)

    def publish(front: list[Candidate], info: dict[str, Any]) -> None:
        equations = _equations(front, teacher, k, finding.output_name, test, seed)
        finding.set_front(equations, choose_best(front, variance, floor_mse=settings.floor_mse))
        if on_front is not None:
            on_front(finding)

    def add_probes(expr: sympy.Expr) -> None:
        # active interrogation, up to doubling the training probes (more rows slow every round)
        if settings.refine_per_round and len(state["train"]) < 2 * len(train):
            state["train"] = probe.refine(
                state["train"], lambda X: evaluate(expr, X), n=settings.refine_per_round, output=k
            )

    if settings.engine == "pysr":
        from glassbox_jupyter.symbolic.pysr_backend import pysr_candidates

        started = time.perf_counter()
        search.candidates = pysr_candidates(
            train.X,
            train.y[:, k],
            finding.screening.kept,
            teacher.require_spec().width,
            validation.X,
            validation.y[:, k],
            settings.time_limit,
            seed,
            settings.snap_tolerance,
        )
        search.log.seconds = round(time.perf_counter() - started, 2)
    if stopped:
        search.log.interrupted = True
        if not search.candidates:
            raise KeyboardInterrupt  # nothing found yet to keep
    front = (
        pareto_front(search.candidates)
        if settings.engine == "pysr" or stopped
        else search.run(
            lambda: (state["train"].X, state["train"].y[:, k]),
            validation.X,
            validation.y[:, k],
            on_round=publish,
            refine=add_probes,
        )
    )
    finding.running = False
    if search.log.rejected_units:
        finding.notes.append(
            f"units: {search.log.rejected_units} equations found by the search were set aside because their units "
            "cannot be the output's (unlike dimensions added, or sin/exp/log of a dimensional quantity)"
        )
    if front:
        publish(front, {})
    else:
        raise RuntimeError("the symbolic search produced no usable equation; raise time_limit or widen operators")
    finding.probes = state["train"]
    if handle is not None:
        handle.update(finding)
        finding._displayed_live = True
