"""Errors of the neuron-graph capability. Each message says what went wrong and how to fix it."""

from __future__ import annotations

from glassbox_jupyter.errors import GlassboxError, SelectionError

__all__ = ["DegenerateActivationsError", "EmptyTextError", "NeuronSelectionError", "NoMLPError", "TopicsError"]


class NoMLPError(GlassboxError, ValueError):
    """The chosen layer has no MLP neurons (an attention-only model, an attention module, a LayerNorm...)."""


class EmptyTextError(GlassboxError, ValueError):
    """A text is empty, or tokenises to no token other than special tokens (BOS, CLS, SEP, padding).

    ``index`` is the position of the offending text (``None`` when no text was given at all).
    """

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


class NeuronSelectionError(SelectionError):
    """``neurons=`` asks for neurons the layer does not have (unknown ids, or more neurons than exist)."""


class DegenerateActivationsError(GlassboxError, ValueError):
    """The activations cannot give a graph: every neuron is constant, fewer than two vary, or too few samples."""


class TopicsError(GlassboxError, ValueError):
    """``compare_neuron_graphs`` got topics it cannot compare (fewer than two, or a topic without texts)."""
