"""Logic mode: distil a teacher into IF/ELSE rules with a sparse, pruned decision tree."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from glassbox_jupyter.errors import EmptyProbeError
from glassbox_jupyter.finding.fidelity import agreement_fidelity, r2_fidelity
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.probe import Probe
from glassbox_jupyter.rules import tree as trees
from glassbox_jupyter.rules.finding import Condition, Rule, RuleFinding, format_number
from glassbox_jupyter.teacher.teacher import Teacher


def _fit_tree(
    task: str, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, max_leaves: int, seed: int
) -> Any:
    """The best tree within the leaf budget: cost-complexity pruning vs best-first growth, on validation."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    model = DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor
    full = model(random_state=seed, min_samples_leaf=3).fit(X, y)
    alphas = full.cost_complexity_pruning_path(X, y).ccp_alphas
    low, high = 0, len(alphas) - 1  # find the smallest alpha whose pruned tree fits the budget
    while low < high:
        mid = (low + high) // 2
        if model(random_state=seed, min_samples_leaf=3, ccp_alpha=alphas[mid]).fit(X, y).get_n_leaves() <= max_leaves:
            high = mid
        else:
            low = mid + 1
    pruned = model(random_state=seed, min_samples_leaf=3, ccp_alpha=alphas[low]).fit(X, y)
    grown = model(random_state=seed, min_samples_leaf=3, max_leaf_nodes=max(2, max_leaves)).fit(X, y)
    candidates = [t for t in (pruned, grown) if t.get_n_leaves() <= max_leaves] or [grown]
    return max(candidates, key=lambda t: (t.score(X_val, y_val), -t.get_n_leaves()))


def _score(root: trees.Node, task: str, X: np.ndarray, y: np.ndarray) -> float:
    values = [leaf.value for leaf in trees.leaves(root)]
    idx = trees.leaf_index(root, X)
    if task == "classification":
        return float(np.mean(np.array([np.argmax(values[i]) for i in idx]) == y))
    guess = np.array([values[i][0] for i in idx])
    return float(1 - np.mean((guess - y) ** 2) / (np.var(y) or 1.0))


def _round_thresholds(
    root: trees.Node, task: str, X: np.ndarray, y: np.ndarray, spans: np.ndarray, tolerance: float, deadline: float
) -> int:
    """Replace thresholds by rounder numbers while the validation score drops by at most ``tolerance``."""
    baseline = _score(root, task, X, y)
    changed = 0
    for node in trees.splits(root):
        if time.perf_counter() > deadline:
            break
        original = node.threshold
        for candidate in trees.nice_values(original, float(spans[node.feature])):
            node.threshold = candidate
            if _score(root, task, X, y) >= baseline - tolerance:
                changed += candidate != original
                break
            node.threshold = original
    return changed


def _rules(
    root: trees.Node, teacher: Teacher, task: str, classes: list[str] | None, X: np.ndarray, y: np.ndarray
) -> list[Rule]:
    spec = teacher.require_spec()
    idx = trees.leaf_index(root, X)
    variance = float(np.var(y)) or 1.0
    out = []
    for k, (leaf, path) in enumerate(zip(trees.leaves(root), trees.paths(root))):
        conditions = []
        for feature, (low, high) in sorted(trees.merge_intervals(path).items()):
            name, unit = spec.names[feature], spec.unit(feature)
            if math.isfinite(low):
                conditions.append(Condition(name, unit, ">", low))
            if math.isfinite(high):
                conditions.append(Condition(name, unit, "<=", high))
        covered = idx == k
        n = int(covered.sum())
        if task == "classification":
            share = leaf.value / (leaf.value.sum() or 1.0)
            cls = int(np.argmax(share))
            label = classes[cls] if classes else str(cls)
            prediction, value = f"{label} (p = {share[cls]:.2f})", None
            agreeing = int(np.sum(y[covered] == cls))
            local = agreeing / n if n else None
            interval = _exact_interval(agreeing, n) if n else None
        else:
            cls, value = None, float(leaf.value[0])
            prediction = f"{format_number(float(f'{value:.4g}'))}"
            local = float(1 - np.mean((y[covered] - value) ** 2) / variance) if n else None
            interval = None
        out.append(Rule(k, tuple(conditions), prediction, cls, value, n / max(1, len(X)), n, local, interval))
    return out


def _exact_interval(agreeing: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson interval of ``agreeing`` out of ``n``: honest for the few probes a small rule covers."""
    from scipy.stats import binomtest

    ci = binomtest(agreeing, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def distill_logic(
    teacher: Teacher,
    *,
    time_limit: float = 60,
    seed: int = 0,
    max_leaves: int = 16,
    n: int = 4000,
    method: str = "sobol",
    output: int | str = 0,
    round_thresholds: bool = True,
    threshold_tolerance: float = 0.002,
    live: bool | None = None,
) -> RuleFinding:
    """See :func:`glassbox_jupyter.distill` (``mode="logic"``)."""
    if not isinstance(max_leaves, int) or max_leaves < 2:
        raise ValueError(f"max_leaves must be an integer of at least 2, got {max_leaves!r}")
    deadline = time.perf_counter() + time_limit
    probe = Probe(teacher, n=n, method=method, seed=seed)
    probes = probe.run()
    if len(probes) < 30:
        raise EmptyProbeError(f"logic mode needs at least 30 usable probes, got {len(probes)}; raise n")
    train, validation, test = probes.split3(seed)
    task = teacher.task
    names = teacher.output_names
    if task == "classification":
        classes: list[str] | None = list(names)
        target = lambda p: np.argmax(p.y, axis=1)  # noqa: E731 - the teacher's decision
        output_name = "decision"
    else:
        classes = None
        column = names.index(output) if isinstance(output, str) else int(output)
        target = lambda p: p.y[:, column]  # noqa: E731
        output_name = names[column]
    y_train, y_val, y_test = target(train), target(validation), target(test)
    if classes is not None and len(np.unique(y_train)) == 1:  # a classification teacher
        import warnings

        warnings.warn(
            f"the teacher decides '{classes[int(y_train[0])]}' on every probe; the rules are that constant.",
            UserWarning,
            stacklevel=3,
        )
    estimator = _fit_tree(task, train.X, y_train, validation.X, y_val, max_leaves, seed)
    root = trees.from_sklearn(estimator)
    if task == "classification":
        root = trees.merge_same_leaves(root, lambda a, b: int(np.argmax(a)) == int(np.argmax(b)))
    spec = teacher.require_spec()
    spans = (
        np.asarray(spec.high, dtype=float) - np.asarray(spec.low, dtype=float)
        if spec.low is not None and spec.high is not None
        else np.ptp(probes.X, axis=0)
    )
    rounded = (
        _round_thresholds(root, task, validation.X, y_val, spans, threshold_tolerance, deadline)
        if round_thresholds
        else 0
    )
    rules = _rules(root, teacher, task, classes, test.X, y_test)
    if task == "classification":
        counts: dict[str, float] = {}
        for r in rules:
            counts[r.prediction] = counts.get(r.prediction, 0.0) + r.coverage
        default = max(counts, key=counts.__getitem__)
        rules = sorted(rules, key=lambda r: (r.prediction == default, -r.coverage))
        rules = [replace(r, id=i) for i, r in enumerate(rules)]  # ids follow the listed order
    else:
        default = rules[-1].prediction
    predictions = RuleFinding.__new__(RuleFinding)
    predictions.root, predictions.task, predictions.teacher = root, task, teacher
    guess = RuleFinding.predict(predictions, test.X)
    fidelity = (
        agreement_fidelity(y_test, guess, seed=seed)
        if task == "classification"
        else r2_fidelity(y_test, guess, seed=seed)
    )
    provenance = Provenance.capture(
        teacher,
        probes,
        seed,
        method={
            "name": "decision_tree_rules",
            "engine": "scikit-learn",
            "max_leaves": max_leaves,
            "thresholds_rounded": rounded,
            "split": {"train": len(train), "validation": len(validation), "test": len(test)},
        },
    )
    settings = {"max_leaves": max_leaves, "thresholds_rounded": rounded, "threshold_tolerance": threshold_tolerance}
    return RuleFinding(teacher, root, task, classes, output_name, rules, default, fidelity, provenance, settings)
