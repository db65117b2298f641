"""``glassbox.distill``: turn a teacher into equations (math mode) or IF/ELSE rules (logic mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassbox_jupyter.teacher.spec import InputSpec
from glassbox_jupyter.teacher.teacher import as_teacher

if TYPE_CHECKING:
    from glassbox_jupyter.rules.finding import RuleFinding
    from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings

MODES = ("math", "logic")


def distill(
    teacher: Any,
    spec: InputSpec | None = None,
    mode: str = "math",
    time_limit: float | None = None,
    seed: int = 0,
    generations: int | None = None,
    **options: Any,
) -> SymbolicFinding | SymbolicFindings | RuleFinding:
    """Distil ``teacher`` into a readable model, with its fidelity measured on held-out probes.

    ``mode="math"`` returns a :class:`SymbolicFinding` (a Pareto front of equations; ``.best``,
    ``.selected``), or one per output for multi-output teachers. ``mode="logic"`` returns a
    :class:`RuleFinding` (IF/ELSE rules). No training data is needed: the teacher is probed
    through its :class:`InputSpec`.

    Budget and reproducibility. Math mode counts its search budget in pyoperon ``generations``
    per output (``DEFAULT_GENERATIONS``, 100, when neither budget is given), so the same ``seed``
    gives the same equations on any machine. ``time_limit`` (seconds) gives a wall-clock budget
    instead: how far the search gets then depends on the machine and its load, so two runs with
    the same seed may differ. Give one or the other. Logic mode is deterministic for a seed;
    ``time_limit`` (default 60 s) only bounds its threshold rounding.

    Math-mode options: ``n`` (probes, 2000), ``method`` ("sobol"), ``features`` (inputs to use),
    ``output``, ``max_features`` (10: screen inputs above this), ``operators``,
    ``population_size``, ``max_length``, ``rounds``, ``patience`` (2: stop when the best equation
    is unchanged for that many rounds; ``None`` uses the whole budget), ``refine`` (True), ``snap_tolerance``,
    ``live`` (show the ParetoPicker while searching; default: in a kernel), ``engine``
    ("operon", embedded and the default; or "pysr", optional, needs the pysr package and Julia),
    ``held_out=(X, y)`` (rows the network was not trained on and their true outputs: the teacher's RMS
    error on them is its error floor, reported in the finding; the pick then prefers the simplest
    equation within that floor to larger ones that fit the network's own error).
    Logic-mode options: ``max_leaves`` (16), ``n``, ``method``, ``round_thresholds`` (True).

    Example:
        >>> import glassbox
        >>> finding = glassbox.distill(glassbox.demos.load("square_law"), generations=30)  # doctest: +SKIP
        >>> str(finding.best)  # doctest: +SKIP
        'y = x**2/2'
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    timed = isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool)
    if time_limit is not None and not (timed and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if time_limit is not None and generations is not None:
        raise ValueError("give either generations (reproducible) or time_limit (seconds, not reproducible), not both")
    if generations is not None and (
        isinstance(generations, bool) or not isinstance(generations, int) or generations < 1
    ):
        raise ValueError(f"generations must be a positive number of generations, got {generations!r}")
    if generations is not None and mode != "math":
        raise ValueError("generations is the math-mode search budget; logic mode takes time_limit")
    teacher = as_teacher(teacher, spec)
    if teacher.spec is None:
        raise ValueError(
            "the teacher has no InputSpec, so GlassBox cannot probe it; pass spec=InputSpec(...) "
            "or InputSpec.from_data(X)"
        )
    if mode == "math":
        from glassbox_jupyter.symbolic.math_mode import DEFAULT_GENERATIONS, distill_math

        if time_limit is None and generations is None:
            generations = DEFAULT_GENERATIONS
        return distill_math(teacher, time_limit=time_limit or 60.0, seed=seed, generations=generations, **options)
    from glassbox_jupyter.rules.logic_mode import distill_logic

    return distill_logic(teacher, time_limit=time_limit or 60.0, seed=seed, **options)
