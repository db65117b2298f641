"""Running a notebook headlessly: the one runner behind ``glassbox run``, ``glassbox report --execute``
and ``glassbox demo``.

The notebook runs top to bottom in a fresh kernel with its own folder as working directory. The
executed copy is always written (secrets redacted), also when a cell fails, so nothing is lost.

Example:
    >>> import nbformat
    >>> executed = execute_notebook(nbformat.v4.new_notebook(), ".")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from glassbox_jupyter.report.redact import redact_notebook

if TYPE_CHECKING:
    from nbformat import NotebookNode


def execute_notebook(nb: NotebookNode, folder: str | Path, timeout: int = 600) -> NotebookNode:
    """Run notebook node ``nb`` top to bottom in a fresh kernel with ``folder`` as working directory."""
    from nbclient import NotebookClient

    resources = {"metadata": {"path": str(Path(folder).resolve())}}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources).execute()
    return nb


def execute_and_save(notebook: str | Path, executed: str | Path, timeout: int = 600) -> NotebookNode:
    """Run the notebook file ``notebook`` and write the run (secrets redacted) to ``executed``.

    A failing cell raises its error after the partial run has been written. Returns the executed node.
    """
    import nbformat

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"no notebook at {source}")
    nb = nbformat.read(source, as_version=4)
    target = Path(executed)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        execute_notebook(nb, source.parent, timeout)
    finally:  # a failing cell still leaves the partial run on disk
        nbformat.write(redact_notebook(nb), target)
    return nb
