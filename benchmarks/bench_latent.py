"""Latent-laws fan-out benchmark: the same 8 searches serially, with joblib and on a Dask LocalCluster.

An encoder with 8 latents of known laws over 5 inputs (1,000 rows) is explained by
``glassbox.latent_laws`` three times in one run, with the same seed and the same deterministic budget:

* **serial**: one search after another in this process (``n_jobs=None``);
* **joblib**: ``n_jobs=2`` local worker processes (loky);
* **Dask**: a ``LocalCluster`` of 2 worker processes × 1 thread (scheduler and workers started
  before the clock starts; their start-up time is printed separately).

Each latent's search runs single-threaded (``n_threads=1``) with a budget in pyoperon generations,
calibrated first so that one latent takes about ``--seconds`` (30 by default) serially on this machine;
the patience rule is off so every search uses its whole budget. "Identical" compares every latent's
Pareto front (``sympy.srepr`` of each equation and its validation loss) with the serial run's.
Target: a speed-up of at least 1.8× on 2 cores with identical results.

Run: ``python benchmarks/bench_latent.py [--seconds 30] [--write]`` (``--write`` saves the tables to
``benchmarks/results/bench_latent.md``); ``--quick`` is a smoke run (4 latents, a tiny budget, no
calibration) used by the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bench_latent.md"
NAMES = ["a", "b", "c", "d", "e"]
LAWS = [
    "a*b",
    "sin(c) + d",
    "a**2 - e",
    "exp(-b**2)",
    "c*d*e",
    "a/(1 + b**2)",
    "cos(a + c)",
    "sqrt(d + 2) * e",
]


def encoder(X: np.ndarray) -> np.ndarray:
    """Eight latents with known laws of the five inputs (the ground truth printed with the results)."""
    a, b, c, d, e = X.T
    return np.column_stack(
        [a * b, np.sin(c) + d, a**2 - e, np.exp(-(b**2)), c * d * e, a / (1 + b**2), np.cos(a + c), np.sqrt(d + 2) * e]
    )


def data(n: int = 1000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, len(NAMES)))


def fronts(finding: Any) -> dict[str, list[str]]:
    import sympy

    return {
        name: [f"{sympy.srepr(eq.expr)}|{eq.loss!r}" for eq in law.pareto_front] for name, law in finding.laws.items()
    }


def run(X: np.ndarray, latents: list[int], generations: int, population: int, **where: Any) -> tuple[Any, float]:
    import glassbox_jupyter.latent as latent

    start = time.perf_counter()
    finding = latent.latent_laws(
        encoder,
        X,
        NAMES,
        latents=latents,
        generations=generations,
        population_size=population,
        patience=None,
        seed=0,
        **where,
    )
    return finding, time.perf_counter() - start


def schedule_bounds(durations: list[float], workers: int = 2) -> tuple[float, float]:
    """Makespans of ``durations`` on ``workers``: the best split there is (exhaustive; fine for a dozen tasks on
    two workers) and list scheduling in task order (each task to the first free worker, as joblib and Dask do).

    >>> schedule_bounds([1.0, 1.0, 1.0, 3.0])
    (3.0, 4.0)
    """
    import heapq
    from itertools import product

    best = min(
        max(sum(d for d, w in zip(durations, assign) if w == k) for k in range(workers))
        for assign in product(range(workers), repeat=len(durations))
    )
    free = [0.0] * workers
    for d in durations:
        heapq.heapreplace(free, free[0] + d)
    return best, max(free)


def calibrate(X: np.ndarray, seconds: float, population: int, probe: int = 20) -> tuple[int, float]:
    """Generations that make one latent's search take about ``seconds`` here (measured on latent 0)."""
    run(X, [0], 2, population)  # warm up imports and caches
    _, took = run(X, [0], probe, population)
    return max(1, round(probe * seconds / took)), took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="target serial seconds per latent")
    parser.add_argument("--latents", type=int, default=8)
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=None, help="skip calibration and use this budget")
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 latents, 4 generations, population 100")
    parser.add_argument("--write", action="store_true", help=f"save the tables to {RESULTS}")
    args = parser.parse_args()
    if args.quick:
        args.latents, args.generations, args.population = 4, 4, 100
    X = data()
    latents = list(range(min(args.latents, len(LAWS))))
    if args.generations is None:
        generations, probe_seconds = calibrate(X, args.seconds, args.population)
        calibration = f"20 generations took {probe_seconds:.1f} s on latent z0 → {generations} generations per latent"
    else:
        generations, calibration = args.generations, f"{args.generations} generations per latent (given)"

    from dask.distributed import Client, LocalCluster

    serial, serial_s = run(X, latents, generations, args.population)
    parallel, parallel_s = run(X, latents, generations, args.population, n_jobs=2)
    started = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        cluster_s = time.perf_counter() - started
        on_dask, dask_s = run(X, latents, generations, args.population, client=client)
    reference = fronts(serial)
    rows = [
        ("serial (this process)", 1, serial_s, serial),
        ("joblib, n_jobs=2 (loky processes)", 2, parallel_s, parallel),
        ("Dask LocalCluster, 2 workers × 1 thread", 2, dask_s, on_dask),
    ]
    lines = [
        f"## latent laws fan-out: {len(latents)} latents × {generations} generations "
        f"(population {args.population}, one thread per search)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Calibration: {calibration}. Dask cluster start-up (not timed below): {cluster_s:.1f} s.",
        "",
        "| mode | workers | seconds | speed-up vs serial | identical fronts |",
        "|---|---|---|---|---|",
    ]
    for label, workers, seconds, finding in rows:
        same = "reference" if finding is serial else ("yes" if fronts(finding) == reference else "NO")
        lines.append(f"| {label} | {workers} | {seconds:.1f} | {serial_s / seconds:.2f}× | {same} |")
    lines += [
        "",
        "## laws found (serial run; the same in every mode when identical)",
        "",
        "| latent | true law | selected equation | held-out R² | complexity |",
        "|---|---|---|---|---|",
    ]
    for index, (name, law) in zip(latents, serial.laws.items()):
        eq = law.selected
        lines.append(f"| {name} | {LAWS[index]} | {eq.text} | {eq.fidelity.value:.4f} | {eq.complexity} |")
    lines += ["", f"Redundant inputs: {serial.redundant_features or 'none'}; pooled {serial.fidelity.describe()}."]
    durations = [law.log.seconds for law in serial.laws.values()]
    best, in_order = schedule_bounds(durations)
    lines += [
        "",
        "## how far two workers can go with these searches",
        "",
        "Seconds per latent in the serial run: "
        + ", ".join(f"{name} {d:.1f}" for name, d in zip(serial.laws, durations))
        + f" (sum {sum(durations):.1f}). The searches are unequal, so two workers need at least {best:.1f} s "
        f"even with a perfect split (a {serial_s / best:.2f}× bound on the speed-up); handing them out in task "
        f"order to whichever worker is free, as joblib and Dask do, takes {in_order:.1f} s "
        f"({serial_s / in_order:.2f}×) before any process start-up, imports or data transfer.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
