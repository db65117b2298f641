"""Response views: GlassBox's partial dependence vs scikit-learn's `partial_dependence` (brute).

Same teacher (the shipped friedman_mlp), same background rows, same grid, same run. GlassBox
evaluates the whole grid × background in one batched teacher call; scikit-learn loops over grid
points. The table prints the time of each, the speed ratio and the largest difference between
the two surfaces (they must agree).

    python benchmarks/bench_response.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.inspection import partial_dependence

import glassbox
from glassbox_jupyter.response import _partial_dependence


class TeacherRegressor(RegressorMixin, BaseEstimator):
    """scikit-learn view of a GlassBox teacher (already trained, so `fit` does nothing)."""

    def __init__(self, teacher=None):
        self.teacher = teacher

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return self.teacher.predict(X)


def best_of(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    teacher = glassbox.demos.load("friedman_mlp")
    probes = glassbox.Probe(teacher, n=2000, seed=0).run()
    regressor = TeacherRegressor(teacher).fit(probes.X)
    print(f"{'case':<34} {'glassbox s':>10} {'sklearn s':>10} {'speed-up':>9} {'max |diff|':>11}")
    for features, steps, background in (([0], 60, 200), ([0, 1], 30, 200), ([2, 3], 50, 500)):
        X = probes.X[:background]
        grid = [np.linspace(0, 1, steps) for _ in features]
        ours_s, ours = best_of(partial(_partial_dependence, teacher, X, features, grid, 0), args.repeats)
        custom = dict(zip(features, grid))
        theirs_s, theirs = best_of(
            partial(partial_dependence, regressor, X, features, method="brute", custom_values=custom),
            args.repeats,
        )
        theirs = theirs["average"][0]
        diff = float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))
        names = "×".join(teacher.spec.names[f] for f in features)
        case = f"{names}, grid {steps}^{len(features)}, bg {background}"
        print(f"{case:<34} {ours_s:>10.3f} {theirs_s:>10.3f} {theirs_s / ours_s:>8.1f}× {diff:>11.2e}")


if __name__ == "__main__":
    main()
