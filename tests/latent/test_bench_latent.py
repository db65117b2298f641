"""The fan-out benchmark's smoke run: serial, joblib and Dask give identical fronts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_latent.py"


@pytest.mark.slow
def test_quick_benchmark_reports_identical_fronts() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith(("| joblib", "| Dask", "| serial"))]
    assert len(rows) == 3
    assert rows[0].endswith("| reference |")
    assert all(row.endswith("| yes |") for row in rows[1:]), done.stdout
