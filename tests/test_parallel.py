"""run_tasks: the same results serially, on local workers and on a real Dask LocalCluster."""

from __future__ import annotations

import os
import signal
import warnings

import numpy as np
import pytest

from glassbox_jupyter.errors import NoWorkersError
from glassbox_jupyter.parallel import FanOutSettingsError, TasksInterrupted, run_tasks, single_threaded


def seeded_sum(task: tuple[int, int]) -> float:
    """A float result that depends on the seed and on the order of a long sum (BLAS dot product)."""
    seed, size = task
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=size), rng.normal(size=size)
    return float(a @ b) + float(np.linalg.norm(rng.normal(size=(40, 40)) @ rng.normal(size=(40, 40))))


def stop_at_two(task: int) -> int:
    if task == 2:
        raise KeyboardInterrupt
    return task * 10


def swallow_interrupt_at_one(task: int) -> int:
    """Like a symbolic search: handles Ctrl-C itself and returns what it has."""
    if task == 1:
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            return -1
    return task


def fail_on_three(task: int) -> int:
    if task == 3:
        raise ValueError("task three is bad")
    return task


TASKS = [(seed, 50_000) for seed in range(6)]


@pytest.fixture(scope="module")
def serial_results() -> list[float]:
    return run_tasks(seeded_sum, TASKS)


def test_serial_keeps_task_order(serial_results: list[float]) -> None:
    with single_threaded():  # a multi-threaded BLAS may sum in another order (last-digit differences)
        assert serial_results == [seeded_sum(t) for t in TASKS]
    assert len(set(serial_results)) == len(TASKS)
    assert run_tasks(seeded_sum, []) == []


def test_joblib_results_identical_to_serial(serial_results: list[float]) -> None:
    assert run_tasks(seeded_sum, TASKS, n_jobs=2) == serial_results


def test_task_errors_propagate() -> None:
    with pytest.raises(ValueError, match="task three"):
        run_tasks(fail_on_three, range(5))
    with pytest.raises(ValueError, match="task three"):
        run_tasks(fail_on_three, range(5), n_jobs=2)


def test_interrupt_keeps_finished_results() -> None:
    with pytest.raises(TasksInterrupted) as info:
        run_tasks(stop_at_two, range(5))
    assert info.value.results == [0, 10, None, None, None]
    assert info.value.finished == [0, 1]
    assert isinstance(info.value, KeyboardInterrupt)


def test_interrupt_handled_inside_a_task_still_stops_the_fan_out() -> None:
    with pytest.raises(TasksInterrupted) as info:
        run_tasks(swallow_interrupt_at_one, range(4))
    assert info.value.results == [0, -1, None, None]  # the task's own partial result is kept
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_single_threaded_restores_torch_threads() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_bad_arguments_name_the_fix() -> None:
    with pytest.raises(FanOutSettingsError, match="fallback must be None or 'local'"):
        run_tasks(abs, [1], fallback="remote")
    with pytest.raises(FanOutSettingsError, match="n_jobs must be"):
        run_tasks(abs, [1], n_jobs=0)
    with pytest.raises(FanOutSettingsError, match=r"dask\.distributed\.Client"):
        run_tasks(abs, [1], client="tcp://127.0.0.1:8786")


@pytest.mark.slow
def test_dask_local_cluster_matches_local_run(serial_results: list[float]) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert run_tasks(seeded_sum, TASKS, client=client) == serial_results
        with pytest.raises(ValueError, match="task three"):
            run_tasks(fail_on_three, range(5), client=client)


@pytest.mark.slow
def test_client_without_workers() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0", silence_logs=40) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.raises(NoWorkersError, match="has no workers: start workers .* fallback='local'"):
            run_tasks(abs, [-1, -2], client=client)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert run_tasks(abs, [-1, -2], client=client, fallback="local") == [1, 2]
        assert any("no workers" in str(w.message) for w in caught)
