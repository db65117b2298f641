"""Readable-twin benchmark: build time, path search (EA vs exact) and fidelity on the digits CNN.

Rows, all on the shipped ``digits_cnn`` demo and this machine, in one run:

* **build time** (activation hooks, clustering of conv1/conv2/fc1, information system, flow graph, path
  search, held-out fidelity) on the 1,797 digits and on 10,000 and 60,000 synthetic inputs (digits with
  Gaussian pixel noise, σ = 0.1, clipped to [0, 1]; the model still labels them), with the twin's held-out
  agreement with the model (95% bootstrap CI);
* **the authors' clustering** (HuReTEx's scripts run scikit-learn's Ward ``AgglomerativeClustering`` on every
  sample) against GlassBox's (Ward on a 5,000-row seeded subsample, the rest by nearest centroid): time per
  layer and the adjusted Rand index between the two labelings; full Ward is skipped where its n² distance
  matrix would not fit (the memory it would need is printed). GlassBox labels every row by its nearest Ward
  centroid, also the rows Ward saw, so that ``fit`` and ``predict`` agree: the ARI is below 1 even when
  Ward sees every row (Ward clusters are not Voronoi cells);
* **path search**: the evolutionary algorithm (the authors' GA settings: population 100, mutation 0.1,
  crossover 0.5, elite 1%, parents 30%) against the exact k-best search, per class: fitness gap and time.

Run: ``python benchmarks/bench_twin.py [--json benchmarks/results/bench_twin.json]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

LAYERS = ["conv1", "conv2", "fc1"]


def synthetic(X: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(X), n)
    return np.clip(X[rows] + rng.normal(0, 0.1, size=(n, *X.shape[1:])), 0, 1).astype(np.float32)


def build_row(teacher: Any, X: np.ndarray, label: str, clusters: int) -> dict[str, Any]:
    import glassbox

    start = time.perf_counter()
    twin = glassbox.readable_twin(teacher, X, layers=LAYERS, n_clusters=clusters)
    seconds = time.perf_counter() - start
    f = twin.fidelity
    return {
        "inputs": label,
        "n": len(X),
        "seconds": seconds,
        "nodes": twin.flow_graph.number_of_nodes(),
        "edges": twin.flow_graph.number_of_edges(),
        "search": twin.path_search.method,
        "fidelity": f.value,
        "ci": [f.ci_low, f.ci_high],
        "held_out": f.n,
    }


def clustering_rows(teacher: Any, X: np.ndarray, clusters: int, full_limit: int) -> list[dict[str, Any]]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score

    from glassbox_jupyter.teacher.layers import collect_activations
    from glassbox_jupyter.twin.clustering import LayerClusterer

    acts = collect_activations(teacher.model, X, LAYERS)
    rows = []
    for layer in LAYERS:
        A = acts[layer].reshape(len(X), -1)
        start = time.perf_counter()
        ours = LayerClusterer(clusters, "ward", seed=0, name=layer).fit(A)
        t_ours = time.perf_counter() - start
        row = {"layer": layer, "n": len(X), "glassbox_seconds": t_ours}
        if len(X) <= full_limit:
            start = time.perf_counter()
            full = AgglomerativeClustering(n_clusters=clusters, linkage="ward").fit_predict(A)
            row["full_ward_seconds"] = time.perf_counter() - start
            row["ari"] = float(adjusted_rand_score(full, ours))
        else:
            row["full_ward_seconds"] = None
            row["ari"] = None
            row["full_ward_memory_gb"] = len(X) ** 2 * 8 / 2 / 1e9
        rows.append(row)
    return rows


def search_rows(teacher: Any, X: np.ndarray, clusters: int, seed: int) -> list[dict[str, Any]]:
    import glassbox
    from glassbox_jupyter.twin.paths import evolve_paths, exhaustive_paths

    twin = glassbox.readable_twin(teacher, X, layers=LAYERS, n_clusters=clusters, path_search="exhaustive")
    G = twin.flow_graph
    rows = []
    for name in twin.class_names:
        start = time.perf_counter()
        exact = exhaustive_paths(G, name, "einstein", top_k=1)[0]
        t_exact = time.perf_counter() - start
        start = time.perf_counter()
        ea = evolve_paths(G, name, "einstein", top_k=1, seed=seed)[0]
        t_ea = time.perf_counter() - start
        rows.append(
            {
                "class": name,
                "exact_fitness": exact.fitness,
                "ea_fitness": ea.fitness,
                "gap": exact.fitness - ea.fitness,
                "same_path": exact.nodes == ea.nodes,
                "exact_seconds": t_exact,
                "ea_seconds": t_ea,
            }
        )
    return rows


def table(result: dict[str, Any]) -> str:
    lines = ["## build time and fidelity (conv1, conv2, fc1; 10 clusters per layer; 25% held out)", ""]
    lines.append("| inputs | n | build s | nodes | edges | path search | agreement with the model [95% CI] |")
    lines.append("|---|---|---|---|---|---|---|")
    for r in result["build"]:
        lines.append(
            f"| {r['inputs']} | {r['n']} | {r['seconds']:.1f} | {r['nodes']} | {r['edges']} | {r['search']} | "
            f"{r['fidelity']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] on {r['held_out']} |"
        )
    lines += ["", "## clustering: GlassBox (Ward on ≤ 5,000 rows + nearest centroid) vs the authors' full Ward", ""]
    lines.append("| layer | n | GlassBox s | full Ward s | speed-up | ARI(full, GlassBox) |")
    lines.append("|---|---|---|---|---|---|")
    for r in result["clustering"]:
        if r["full_ward_seconds"] is None:
            full = f"not run (needs ≈ {r['full_ward_memory_gb']:.0f} GB for distances)"
            lines.append(f"| {r['layer']} | {r['n']} | {r['glassbox_seconds']:.2f} | {full} | – | – |")
        else:
            lines.append(
                f"| {r['layer']} | {r['n']} | {r['glassbox_seconds']:.2f} | {r['full_ward_seconds']:.2f} | "
                f"{r['full_ward_seconds'] / r['glassbox_seconds']:.1f}× | {r['ari']:.3f} |"
            )
    lines += ["", "## path search on the digits twin: evolutionary algorithm vs exact k-best search", ""]
    lines.append("| class | exact fitness | EA fitness | gap | same path | exact s | EA s |")
    lines.append("|---|---|---|---|---|---|---|")
    for r in result["search"]:
        lines.append(
            f"| {r['class']} | {r['exact_fitness']:.4f} | {r['ea_fitness']:.4f} | {r['gap']:.2g} | "
            f"{'yes' if r['same_path'] else 'no'} | {r['exact_seconds']:.3f} | {r['ea_seconds']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    import glassbox

    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 60_000])
    parser.add_argument("--full-ward-limit", type=int, default=20_000, help="largest n for the authors' full Ward")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    teacher = glassbox.demos.load("digits_cnn")
    X, _ = glassbox.demos.load_digits_split("all")
    inputs = {"digits (all 1,797)": X} | {f"noisy digits ({n:,})": synthetic(X, n, args.seed) for n in args.sizes}
    result: dict[str, Any] = {"build": [], "clustering": [], "search": []}
    for label, data in inputs.items():
        result["build"].append(build_row(teacher, data, label, args.clusters))
    for data in [X, *[inputs[k] for k in list(inputs)[1:]]]:
        result["clustering"] += clustering_rows(teacher, data, args.clusters, args.full_ward_limit)
    result["search"] = search_rows(teacher, X, args.clusters, args.seed)
    text = table(result)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        args.json.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
