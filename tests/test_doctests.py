"""The runnable examples in the docstrings of the shared layers (finding/, teacher/, widgets/, server/, testing) run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

SHARED = ("finding", "teacher", "widgets", "server")


def _modules() -> list[str]:
    names = ["glassbox_jupyter.testing", "glassbox_jupyter.report.execute"]
    for package in SHARED:
        path = importlib.import_module(f"glassbox_jupyter.{package}").__path__
        names += [m.name for m in pkgutil.walk_packages(path, f"glassbox_jupyter.{package}.")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run it with --doctest-modules)"


@pytest.mark.parametrize("name", _modules())
def test_every_shared_module_shows_an_example(name):
    module = importlib.import_module(name)
    own = [obj for _, obj in inspect.getmembers(module) if getattr(obj, "__module__", None) == name]
    docs = [module.__doc__ or ""] + [getattr(obj, "__doc__", None) or "" for obj in own]
    assert any(">>>" in doc for doc in docs), f"{name} has no runnable example in its docstrings"
