"""Glassbox 2.0's ``HeadCompositionAnalyzer`` (``glassbox.composition``) on GlassBox's own composition scores.

Every number is :meth:`glassbox_jupyter.circuits.composition.HeadCompositionAnalyzer.scores` for the same pair
of heads; this class only takes Glassbox 2.0's arguments and returns its dicts. Departures from 2.0, all on
the side of the measurement:

* the score is Elhage et al.'s with the receiver's whole ``W_QK = W_Q W_Kᵀ`` (2.0 used ``W_Q`` or ``W_K``
  alone), as TransformerLens's ``all_composition_scores``; by default the layer norm each head reads through
  is folded in (``fold_ln=False`` gives the raw-weight scores);
* matrices are float64 (2.0: float32), and ``top_pairs`` lists only pairs whose sender is in an earlier
  layer (2.0 also ranked the impossible pairs, at 0.0);
* ``significant_edges`` also carry ``z``, the score in standard deviations above random heads of the model's
  shapes (the native baseline): a score alone is hard to read (random heads already score about
  ``1/sqrt(d_model)``);
* ``combined_edges`` give all three exact scores of an edge (2.0 wrote 0.0 for a kind below ``min_score``).

Example:
    >>> comp = HeadCompositionAnalyzer(glassbox.demos.load("ioi"))  # doctest: +SKIP
    >>> comp.q_composition_score(0, 1, 1, 2)  # doctest: +SKIP
    >>> comp.full_circuit_composition([(0, 1), (1, 2)], kind="k")["significant_edges"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.circuits.composition import KINDS
from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer as NativeComposition
from glassbox_jupyter.circuits.prompts import PromptError

Head = tuple[int, int]


def _label(head: Head) -> str:
    return f"L{head[0]:02d}H{head[1]:02d}"


class HeadCompositionAnalyzer:
    """Q-, K- and V-composition between attention heads with Glassbox 2.0's methods and return values.

    Args:
        model: a TransformerLens ``HookedTransformer``.
        fold_ln: fold each head's input layer norm into its weights first (GlassBox's default); ``False``
            scores the raw weights.

    Attributes:
        native: the :class:`glassbox_jupyter.circuits.composition.HeadCompositionAnalyzer` computing every number.
    """

    def __init__(self, model: Any, fold_ln: bool = True, n_draws: int = 200, seed: int = 0) -> None:
        self.native = NativeComposition(model, fold_ln=fold_ln, n_draws=n_draws, seed=seed)
        self.model = self.native.model
        self.n_layers = int(self.model.cfg.n_layers)
        self.n_heads = int(self.model.cfg.n_heads)

    def __getattr__(self, name: str) -> Any:
        """The native analyzer's own methods (``scores``, ``matrices``, ``baseline``, ``for_circuit`` …), so
        ``glassbox.HeadCompositionAnalyzer`` serves GlassBox's API and Glassbox 2.0's alike."""
        native = self.__dict__.get("native")
        if native is None or name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")
        return getattr(native, name)

    # ------------------------------------------------------------------ one pair
    def _head(self, layer: Any, head: Any, role: str) -> Head:
        for value in (layer, head):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise PromptError(f"the {role} must be given as whole numbers (layer, head), got ({layer!r}, {head!r})")
        if not (0 <= layer < self.n_layers and 0 <= head < self.n_heads):
            raise PromptError(
                f"the {role} L{layer}H{head} is not in the model ({self.n_layers} layers × {self.n_heads} heads)"
            )
        return int(layer), int(head)

    def _score(self, kind: str, sender: Head, receiver: Head) -> float:
        """The native score, or 0.0 (as in Glassbox 2.0) when the receiver is not in a later layer."""
        if receiver[0] <= sender[0]:
            return 0.0
        return float(self.native.scores(kind)[sender + receiver])

    def _pair_score(self, kind: str, sl: Any, sh: Any, rl: Any, rh: Any) -> float:
        return self._score(kind, self._head(sl, sh, "sender"), self._head(rl, rh, "receiver"))

    def q_composition_score(self, sender_layer: int, sender_head: int, recv_layer: int, recv_head: int) -> float:
        """How much the sender writes into the receiver's queries (0.0 unless the receiver is in a later layer)."""
        return self._pair_score("q", sender_layer, sender_head, recv_layer, recv_head)

    def k_composition_score(self, sender_layer: int, sender_head: int, recv_layer: int, recv_head: int) -> float:
        """How much the sender writes into the receiver's keys (0.0 unless the receiver is in a later layer)."""
        return self._pair_score("k", sender_layer, sender_head, recv_layer, recv_head)

    def v_composition_score(self, sender_layer: int, sender_head: int, recv_layer: int, recv_head: int) -> float:
        """How much the sender writes into the receiver's values (0.0 unless the receiver is in a later layer)."""
        return self._pair_score("v", sender_layer, sender_head, recv_layer, recv_head)

    # ------------------------------------------------------------------ many pairs
    def _heads(self, heads: Sequence[Any], role: str) -> list[Head]:
        if isinstance(heads, (str, bytes)) or not isinstance(heads, Sequence) or not heads:
            raise PromptError(f"{role} must be a non-empty list of (layer, head) pairs, e.g. [(0, 1), (1, 2)]")
        out = []
        for head in heads:
            if not isinstance(head, Sequence) or len(head) != 2:
                raise PromptError(f"each of the {role} must be a (layer, head) pair, got {head!r}")
            out.append(self._head(head[0], head[1], role.rstrip("s")))
        return out

    @staticmethod
    def _kind(kind: Any) -> str:
        if not isinstance(kind, str) or kind.lower() not in KINDS:
            raise PromptError(f"kind must be 'q', 'k' or 'v' (query, key or value composition), got {kind!r}")
        return kind.lower()

    def composition_matrix(self, senders: Sequence[Head], receivers: Sequence[Head], kind: str = "q") -> dict[str, Any]:
        """Scores ``matrix[i, j]`` of sender ``j`` into receiver ``i`` (0.0 unless the receiver is later).

        Returns ``{"matrix": [len(receivers), len(senders)], "senders", "receivers"`` (``"L00H01"`` labels),
        ``"kind", "top_pairs"}``: the ten best earlier → later pairs, each ``{sender, receiver, score, kind}``.
        """
        kind = self._kind(kind)
        send, recv = self._heads(senders, "senders"), self._heads(receivers, "receivers")
        matrix = np.zeros((len(recv), len(send)))
        pairs: list[dict[str, Any]] = []
        for i, r in enumerate(recv):
            for j, s in enumerate(send):
                matrix[i, j] = self._score(kind, s, r)
                if r[0] > s[0]:
                    pairs.append(
                        {"sender": _label(s), "receiver": _label(r), "score": float(matrix[i, j]), "kind": kind}
                    )
        pairs.sort(key=lambda p: p["score"], reverse=True)
        return {
            "matrix": matrix,
            "senders": [_label(h) for h in send],
            "receivers": [_label(h) for h in recv],
            "kind": kind,
            "top_pairs": pairs[:10],
        }

    def full_circuit_composition(
        self, circuit: Sequence[Head], kind: str = "q", min_score: float = 0.05
    ) -> dict[str, Any]:
        """Every pair within ``circuit``: ``{"matrix" [n n] (receiver, sender), "head_labels",
        "significant_edges"`` (earlier → later pairs scoring at least ``min_score``, best first, each with its
        ``z`` against random heads), ``"kind", "mean_score", "max_score"}`` (mean and max over the whole
        matrix, its 0.0 entries included, as in Glassbox 2.0)."""
        kind = self._kind(kind)
        heads = self._heads(circuit, "circuit heads")
        result = self.composition_matrix(heads, heads, kind)
        matrix, labels = result["matrix"], result["senders"]
        edges = []
        for i, r in enumerate(heads):
            for j, s in enumerate(heads):
                if r[0] > s[0] and matrix[i, j] >= min_score:
                    mean, std = self.native.baseline(kind, s[0], r[0])
                    score = float(matrix[i, j])
                    edges.append(
                        {
                            "sender": labels[j],
                            "receiver": labels[i],
                            "score": score,
                            "kind": kind,
                            "z": (score - mean) / std if std > 0 else float("nan"),
                        }
                    )
        edges.sort(key=lambda e: e["score"], reverse=True)
        return {
            "matrix": matrix,
            "head_labels": labels,
            "significant_edges": edges,
            "kind": kind,
            "mean_score": float(matrix.mean()),
            "max_score": float(matrix.max()),
        }

    def all_composition_scores(self, circuit: Sequence[Head], min_score: float = 0.05) -> dict[str, Any]:
        """:meth:`full_circuit_composition` for q, k and v, and ``combined_edges``: each pair significant in
        any kind, with all three scores ``{sender, receiver, q, k, v}``, ranked by ``q + k + v``."""
        results: dict[str, Any] = {kind: self.full_circuit_composition(circuit, kind, min_score) for kind in KINDS}
        heads = self._heads(circuit, "circuit heads")
        by_label = {_label(h): h for h in heads}
        pairs: dict[tuple[str, str], None] = {}
        for kind in KINDS:
            for edge in results[kind]["significant_edges"]:
                pairs[(edge["sender"], edge["receiver"])] = None
        combined: list[dict[str, Any]] = [
            {"sender": s, "receiver": r} | {k: self._score(k, by_label[s], by_label[r]) for k in KINDS}
            for s, r in pairs
        ]
        combined.sort(key=lambda e: e["q"] + e["k"] + e["v"], reverse=True)
        return results | {"combined_edges": combined, "head_labels": results["q"]["head_labels"]}
