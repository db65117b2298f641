"""Fixtures of the browser end-to-end tests (see jupyterlab.py for the harness).

One JupyterLab server and one Chromium serve the whole session; each test gets a fresh browser
context through ``notebook_page`` and its kernels are shut down after it.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .jupyterlab import LabServer, NotebookPage, jupyterlab, reset_artifacts

VIEWPORT = {"width": 1280, "height": 900}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1 with isolated dirs, started once for all e2e tests.

    Browser suites started at once on one machine (several checkouts) take turns: each holds an
    exclusive lock on ``$TMPDIR/glassbox-e2e.lock`` while its JupyterLab runs, so none times out
    starving the others of CPU.
    """
    lock_path = Path(tempfile.gettempdir()) / "glassbox-e2e.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with jupyterlab(Path(tmp_path_factory.mktemp("jupyterlab"))) as server:
                yield server
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture()
def notebook_page(request: pytest.FixtureRequest, lab_server: LabServer, chromium: Any) -> Iterator[Callable]:
    """``notebook_page(name)`` -> a :class:`NotebookPage` in a fresh browser context.

    ``name`` prefixes the screenshots in tests/e2e/artifacts/ (old ones are removed first).
    If the test fails, the browser console, the server log and a screenshot are dumped.
    """
    contexts: list[Any] = []
    pages: list[NotebookPage] = []

    def make(name: str) -> NotebookPage:
        reset_artifacts(name)
        context = chromium.new_context(viewport=VIEWPORT)
        contexts.append(context)
        pages.append(NotebookPage(context.new_page(), lab_server, name))
        return pages[-1]

    yield make

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for page in pages:
            page.dump_failure()
    for context in contexts:
        context.close()
    lab_server.shutdown_sessions()
