"""The neuron-graph benchmark's smoke run: GlassBox recovers the true graph and survives the ill-conditioned
cases that make plain scikit-learn raise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_neurons.py"


@pytest.mark.slow
def test_quick_benchmark_recovers_the_graph_and_the_ill_conditioned_cases() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    size = next(line for line in lines if line.startswith("| 64 |")).split(" | ")
    matched = float(size[9].split(" / ")[0])  # F1 at matched sparsity, GlassBox
    assert matched >= 0.9, done.stdout
    ill = [line for line in lines if line.startswith(("| duplicate", "| constant", "| dead", "| n < p", "| near"))]
    assert len(ill) == 5
    assert all("| ok in " in line for line in ill), done.stdout  # GlassBox never raises
    assert sum("FloatingPointError" in line.split(" | ")[1] for line in ill) >= 3  # plain sklearn does
    assert "dropped 2 constant neurons" in done.stdout and "merged 2 duplicate neurons" in done.stdout
