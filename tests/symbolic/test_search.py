import math

import sympy

from glassbox_jupyter.symbolic.search import Candidate, choose_best, pareto_front

x = sympy.Symbol("x0")


def c(loss, size):
    return Candidate(x, loss, size)


def test_front_keeps_only_members_that_beat_every_simpler_one():
    front = pareto_front([c(10, 1), c(5, 3), c(6, 4), c(1, 5), c(1, 7), c(math.inf, 2), c(0.5, 9)])
    assert [(m.loss, m.complexity) for m in front] == [(10, 1), (5, 3), (1, 5), (0.5, 9)]


def test_best_is_the_steepest_drop_within_the_loss_tolerance():
    # the drop to complexity 8 is huge; later members improve a little with much more complexity
    front = [c(40.0, 1), c(0.03, 7), c(1e-5, 8), c(0.8e-5, 15), c(0.7e-5, 25)]
    assert choose_best(front, variance=40.0) == 2


def test_lowest_training_error_is_not_automatically_best():
    front = [c(1.0, 1), c(1e-3, 5), c(0.9e-3, 20)]
    assert choose_best(front, variance=1.0) == 1


def test_numerically_exact_fits_tie_at_the_floor():
    front = [c(5.0, 1), c(1e-14, 5), c(1e-16, 9)]
    assert choose_best(front, variance=1.0) == 1


def test_fits_of_the_teachers_own_error_do_not_win():
    """The pendulum case: the law (complexity 9) vs junk terms that fit the MLP's residual."""
    front = [c(2.065e-3, 5), c(2.017e-5, 9), c(1.1e-5, 13), c(9.3e-6, 19), c(2.22e-6, 25)]
    assert choose_best(front, variance=0.3) == 1
    assert choose_best(front, variance=0.3, r2_tolerance=0) == 4  # the plain PySR rule picks the junk
