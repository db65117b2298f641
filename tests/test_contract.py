"""The shared contract suites run on every Finding and every widget class of the package.

The classes come from the registries that ``Finding`` and ``GlassboxWidget`` fill as they are defined
(every module of the package is imported first), so a new Finding or widget cannot skip the suite: it
fails here until tests/examples.py has an example of it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import glassbox_jupyter
from glassbox_jupyter.finding.base import FINDING_CLASSES
from glassbox_jupyter.testing import check_finding
from glassbox_jupyter.widgets.base import WIDGET_CLASSES
from tests.examples import EXAMPLES

SKIPPED_MODULES = ("glassbox_jupyter.demos.training",)  # training scripts (they train models when imported)


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(glassbox_jupyter.__path__, "glassbox_jupyter."):
        if not module.name.startswith(SKIPPED_MODULES):
            importlib.import_module(module.name)


_import_every_module()


def _package_classes(registry: dict[str, type]) -> dict[str, type]:
    return {
        cls.__name__: cls
        for name, cls in registry.items()
        if name.startswith("glassbox_jupyter.") and not inspect.isabstract(cls)
    }


FINDINGS = _package_classes(FINDING_CLASSES)
WIDGETS = _package_classes(WIDGET_CLASSES)


def test_every_finding_class_has_a_contract_example():
    missing = sorted(set(FINDINGS) - set(EXAMPLES))
    assert not missing, f"add an example of {missing} to tests/examples.py so the contract suite runs on it"
    assert len(FINDINGS) >= 10, f"the registry found only {sorted(FINDINGS)}"


@pytest.fixture(scope="module")
def examples() -> dict[str, tuple]:
    return {}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_finding_honours_the_contract(name, examples):
    finding, selection = examples.setdefault(name, EXAMPLES[name]())
    assert type(finding).__name__ == name, f"the example for {name} built a {type(finding).__name__}"
    check_finding(finding, selection=selection)


def test_every_widget_class_is_shown_by_some_finding(examples):
    shown = set()
    for name in sorted(EXAMPLES):
        finding, _ = examples.setdefault(name, EXAMPLES[name]())
        view = finding.widget()
        shown.add(type(view).__name__)
        view.close()
    missing = sorted(set(WIDGETS) - shown)
    assert not missing, f"no Finding shows {missing}: give one an example in tests/examples.py"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_finding_has_a_live_view_a_dashboard_can_mount(name, examples):
    """What a host without a kernel mounts: a widget the server accepts, JSON view data, the selection."""
    import json

    from glassbox_jupyter.finding.publish import live_view
    from glassbox_jupyter.server.schemas import WIDGET_NAMES, LiveView

    finding, _ = examples.setdefault(name, EXAMPLES[name]())
    view = live_view(finding)
    assert view is not None and view["widget"] in WIDGET_NAMES, view and view["widget"]
    assert LiveView.model_validate(json.loads(json.dumps(view, allow_nan=False))).data == view["data"]
    assert view["data"]["title"] and set(view["selection"]) - {"choices"} == {"value", "details"}
    # it is what the Finding's widget syncs, read without making one
    from glassbox_jupyter.finding.publish import widget_name

    widget = finding.widget()
    try:
        assert view["widget"] == widget_name(type(widget)) and view["data"] == widget._data
        assert {k: view["selection"][k] for k in ("value", "details")} == widget._selection
    finally:
        widget.close()
    # the stored choices are what selecting each of them shows in Python (and the selection comes back)
    from glassbox_jupyter.finding.base import selection_key

    before = finding.selection
    for key, details in view["selection"].get("choices", {}).items():
        finding.select(json.loads(key))
        assert json.loads(json.dumps(finding.selection_details(), default=str)) == json.loads(
            json.dumps(details, default=str)
        ), key
    finding.select(before)
    assert selection_key(finding.selection) == selection_key(before)


def test_the_dashboard_knows_every_widget_the_server_accepts():
    from pathlib import Path

    from glassbox_jupyter.server.schemas import WIDGET_NAMES

    registry = (Path(__file__).resolve().parents[1] / "js" / "src" / "dashboard" / "widgets.ts").read_text()
    assert all(f"import {{ spec as {name} }}" in registry for name in WIDGET_NAMES)
    from glassbox_jupyter.finding.publish import widget_name
    from glassbox_jupyter.widgets.base import STATIC

    assert sorted(WIDGET_NAMES) == sorted(widget_name(cls) for cls in WIDGETS.values())
    assert all((STATIC / f"{name}.js").exists() for name in WIDGET_NAMES)
