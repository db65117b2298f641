"""A small topic corpus for neuron-graph comparisons: short sentences on cooking, astronomy and finance.

Written for the GlassBox demo (65 varied sentences per topic, ``corpora/topics.json``).

Example:
    >>> from glassbox_jupyter.demos.topics import load_topics
    >>> topics = load_topics()
    >>> sorted(topics), len(topics["cooking"]) >= 60
    (['astronomy', 'cooking', 'finance'], True)
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpora" / "topics.json"

__all__ = ["load_topics"]


def load_topics() -> dict[str, list[str]]:
    """``{topic: [sentences]}`` for the three demo topics (a fresh copy on every call)."""
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    return {topic: list(texts) for topic, texts in data["topics"].items()}
