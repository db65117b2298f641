"""Transformer circuits: which heads cause a prediction, with exact faithfulness (TransformerLens hooks)."""

from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer
from glassbox_jupyter.circuits.finding import CircuitFinding
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet

__all__ = ["CircuitAnalyzer", "CircuitFinding", "PromptError", "PromptSet"]
