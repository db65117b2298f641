"""Fan-out of independent tasks: in this process, with joblib (loky) locally, or on a Dask cluster.

``run_tasks(fn, tasks)`` calls ``fn(task)`` for every task and returns the results in task order. The
same call runs serially (default), on local worker processes (``n_jobs=2`` or ``-1``), or on a Dask
cluster (``client=Client(...)``); nothing else changes in the calling code.

Determinism. Every task carries its own seed, and every task runs single-threaded wherever it runs
(BLAS/OpenMP pools limited to one thread with threadpoolctl, and ``torch.set_num_threads(1)`` when
torch is loaded; both restored afterwards), so floating-point sums are taken in the same order in
this process, in a loky worker and in a Dask worker: the results are identical, not just close.
``fn`` must be a module-level function (it is pickled to reach other processes) and must not read
global random state.

Interrupts. A keyboard interrupt (Ctrl-C, or the kernel's stop button) stops the fan-out and raises
:class:`TasksInterrupted`, a ``KeyboardInterrupt`` whose ``results`` keep every task that had
finished (``None`` for the others). Serially, the running task receives the interrupt first; if it
handles it itself (a symbolic search returns its best front so far), its result is kept too. Local
workers and Dask futures that had not finished are cancelled.

Example:
    >>> from glassbox_jupyter.parallel import run_tasks
    >>> run_tasks(abs, [-1, 2, -3])
    [1, 2, 3]
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from glassbox_jupyter.errors import GlassboxError, NoWorkersError

T = TypeVar("T")
R = TypeVar("R")

_NO_RESULT = object()


class TasksInterrupted(KeyboardInterrupt):
    """A fan-out was interrupted; ``results`` holds the finished tasks' results (``None`` elsewhere)."""

    def __init__(self, results: list[Any], finished: list[int]):
        super().__init__(f"interrupted after {len(finished)} of {len(results)} tasks")
        self.results = results
        self.finished = finished


class FanOutSettingsError(GlassboxError, ValueError):
    """``run_tasks`` was given arguments it cannot use (an unknown fallback, a client that is not Dask's)."""


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS/OpenMP pools (and torch, when loaded) to one thread; restore them afterwards."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None and torch_threads is not None:
                torch.set_num_threads(torch_threads)


def _run_one(fn: Callable[[T], R], task: T) -> R:
    with single_threaded():
        return fn(task)


def _run_indexed(fn: Callable[[T], R], index: int, task: T) -> tuple[int, R]:
    return index, _run_one(fn, task)


@contextlib.contextmanager
def _interrupt_flag() -> Iterator[threading.Event]:
    """Record a SIGINT (then raise KeyboardInterrupt as usual), even if the running task swallows it."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: Any) -> None:
        flag.set()
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not allowed here (e.g. an embedded interpreter): interrupts behave as usual
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(results: list[Any]) -> TasksInterrupted:
    finished = [i for i, r in enumerate(results) if r is not _NO_RESULT]
    return TasksInterrupted([None if r is _NO_RESULT else r for r in results], finished)


def _run_serial(fn: Callable[[T], R], tasks: Sequence[T], results: list[Any]) -> None:
    with _interrupt_flag() as flag:
        for i, task in enumerate(tasks):
            try:
                results[i] = _run_one(fn, task)
            except KeyboardInterrupt:
                raise _interrupted(results) from None
            if flag.is_set():  # the task handled the interrupt itself and returned what it had
                raise _interrupted(results)


def _run_joblib(fn: Callable[[T], R], tasks: Sequence[T], n_jobs: int, results: list[Any]) -> None:
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    try:
        for index, result in parallel(delayed(_run_indexed)(fn, i, task) for i, task in enumerate(tasks)):
            results[index] = result
    except KeyboardInterrupt:
        raise _interrupted(results) from None


def _check_client(client: Any) -> None:
    if not (callable(getattr(client, "map", None)) and callable(getattr(client, "scheduler_info", None))):
        raise FanOutSettingsError(
            f"client must be a dask.distributed.Client (got {type(client).__name__}): "
            "create one with `from dask.distributed import Client; client = Client(...)`, or pass client=None"
        )


def _has_workers(client: Any) -> bool:
    info = client.scheduler_info()
    return bool(info.get("workers")) or int(info.get("n_workers", 0) or 0) > 0


def _run_dask(client: Any, fn: Callable[[T], R], tasks: Sequence[T], results: list[Any]) -> None:
    from distributed import as_completed

    futures = client.map(partial(_run_one, fn), list(tasks), pure=False)
    index_of = {future.key: i for i, future in enumerate(futures)}
    try:
        for future, result in as_completed(futures, with_results=True):
            results[index_of[future.key]] = result
    except KeyboardInterrupt:
        client.cancel([f for f in futures if not f.done()])
        raise _interrupted(results) from None
    except BaseException:
        client.cancel([f for f in futures if not f.done()])
        raise


def run_tasks(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    client: Any = None,
    n_jobs: int | None = None,
    fallback: str | None = None,
) -> list[R]:
    """Run ``fn(task)`` for every task and return the results in task order.

    Args:
        fn: a module-level function of one argument (picklable); each task carries its own seed.
        tasks: the task arguments.
        client: a ``dask.distributed.Client``; the tasks run on its workers (``client.map`` with
            ``pure=False``). ``None`` runs them locally.
        n_jobs: local worker processes (joblib's loky backend); ``None`` or 1 runs the tasks one
            after another in this process, -1 uses every core. Ignored when ``client`` is given.
        fallback: ``"local"`` runs the tasks locally (with a warning) when the Dask client has no
            workers; by default that is an error (:class:`~glassbox_jupyter.errors.NoWorkersError`).

    Raises:
        NoWorkersError: the Dask client has no workers and ``fallback`` is not ``"local"``.
        TasksInterrupted: on a keyboard interrupt; its ``results`` keep the finished tasks.

    Example:
        >>> run_tasks(abs, [-2, 5], n_jobs=1)
        [2, 5]
    """
    if fallback not in (None, "local"):
        raise FanOutSettingsError(f"fallback must be None or 'local', got {fallback!r}")
    if n_jobs is not None and (not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1):
        raise FanOutSettingsError(f"n_jobs must be None, -1 (all cores) or a positive integer, got {n_jobs!r}")
    tasks = list(tasks)
    results: list[Any] = [_NO_RESULT] * len(tasks)
    if not tasks:
        return []
    if client is not None:
        _check_client(client)
        if _has_workers(client):
            _run_dask(client, fn, tasks, results)
            return results
        if fallback != "local":
            raise NoWorkersError(
                "the Dask client has no workers: start workers (e.g. `dask worker <scheduler address>`, "
                "or `cluster.scale(2)` on the cluster object) or pass fallback='local' to run here"
            )
        warnings.warn(
            f"the Dask client has no workers; running the {len(tasks)} tasks locally (fallback='local')",
            UserWarning,
            stacklevel=2,
        )
    if n_jobs is None or n_jobs == 1 or len(tasks) == 1:
        _run_serial(fn, tasks, results)
    else:
        _run_joblib(fn, tasks, n_jobs, results)
    return results
