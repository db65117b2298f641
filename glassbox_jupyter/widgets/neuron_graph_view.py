"""NeuronGraphView: a layer's neuron graph; click a neuron to see the inputs that activate it most.

Nodes are neurons (coloured by community, hubs ringed), edges their partial correlations (blue
positive, red negative; a slider hides weak ones). A click in the browser writes the neuron id to
``_select``; Python checks it, calls ``finding.select_neuron(id)`` (which sets
``finding.selected_neuron`` and returns the top inputs) and sends the inputs back for the side panel.

The widget relies only on the finding's ``view_data()``, ``select_neuron(id) -> list[dict]``,
``selected_neuron`` and ``to_svg()``; it registers itself as ``finding._widget`` so that the
finding can call :meth:`NeuronGraphView.refresh` after a selection made in Python.

Example:
    >>> view = finding.widget()        # doctest: +SKIP
    >>> view._select = 42              # what a click on neuron #42 does  # doctest: +SKIP
    >>> view.selected_neuron, finding.selected_neuron  # doctest: +SKIP
    (42, 42)
"""

from __future__ import annotations

from typing import Any, ClassVar

import traitlets

from glassbox_jupyter.widgets.base import GlassboxWidget, static_asset
from glassbox_jupyter.widgets.jsonable import jsonable


def _id_range(ids: list[int]) -> str:
    """'120 neurons with ids 3–1529 (e.g. 3, 17, 42)'."""
    if not ids:
        return "no neurons"
    ids = sorted(ids)
    example = ", ".join(str(i) for i in ids[:3]) + (", …" if len(ids) > 3 else "")
    span = f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else str(ids[0])
    return f"{len(ids)} neuron{'s' if len(ids) != 1 else ''} with ids {span} (e.g. {example})"


class NeuronGraphView(GlassboxWidget):
    """Neuron graph with communities and hubs; the clicked neuron becomes ``finding.selected_neuron``."""

    _esm = static_asset("neuron_graph_view.js")
    _css = static_asset("neuron_graph_view.css", optional=True)
    _selection_trait: ClassVar[str] = "_select"

    _data = traitlets.Dict().tag(sync=True)
    _select = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, finding: Any, **kwargs: Any):
        self._finding = finding
        self._quiet = False
        super().__init__(_data=jsonable(finding.view_data()), **kwargs)
        finding._widget = self
        self._sync_select()

    def _neurons(self) -> set[int]:
        """Every neuron id the graph shows (members of merged duplicates included)."""
        ids: set[int] = set()
        for node in self._data.get("nodes", []):
            if node.get("neuron") is not None:
                ids.add(int(node["neuron"]))
            ids.update(int(m) for m in node.get("members") or [])
        return ids

    @traitlets.validate("_select")
    def _check_neuron(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        if value is None:
            return value
        if isinstance(value, bool):
            raise traitlets.TraitError(f"_select is {value!r}; it takes a neuron id (an int)")
        ids = self._neurons()
        if int(value) not in ids:
            raise traitlets.TraitError(f"neuron {value} is not in this graph: it has {_id_range(sorted(ids))}")
        return int(value)

    @traitlets.observe("_select")
    def _apply_select(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] is None:
            return  # None: the browser clears its click before re-sending the same neuron
        error = None
        inputs = self._data.get("top_inputs") or []
        try:
            inputs = self._finding.select_neuron(int(change["new"]))
        except (ValueError, KeyError) as exc:  # e.g. a neuron without samples
            error = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        self._push(inputs, error)

    def _push(self, inputs: Any, error: str | None) -> None:
        if hasattr(inputs, "to_dict"):  # a DataFrame of top inputs: one dict per row
            inputs = inputs.to_dict("records")
        data = dict(self._data)
        data.update(selected_neuron=self.selected_neuron, top_inputs=jsonable(list(inputs or [])), error=error)
        self._data = data

    def _sync_select(self) -> None:
        """Set ``_select`` to the finding's selection without asking the finding again."""
        selected = self.selected_neuron
        if self._select != selected and (selected is None or selected in self._neurons()):
            self._write_quietly("_select", selected)

    def refresh(self) -> None:
        """Send the finding's graph and selection again (after changing the finding from Python)."""
        self._data = jsonable(self._finding.view_data())
        self._sync_select()

    @property
    def finding(self) -> Any:
        return self._finding

    @property
    def selected_neuron(self) -> int | None:
        """The neuron clicked in the browser (its id), or ``None`` (read-only; ``finding.select_neuron`` sets it)."""
        selected = self._finding.selected_neuron
        return None if selected is None else int(selected)

    def __repr__(self) -> str:
        n = len(self._data.get("nodes", []))
        return f"NeuronGraphView({n} neurons; selected_neuron={self.selected_neuron})"
