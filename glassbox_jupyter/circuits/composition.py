"""Q-, K- and V-composition scores between attention heads (Elhage et al., 2021), with a random baseline.

A head ``A`` writes ``x ↦ x·W_OV^A`` into the residual stream (TransformerLens multiplies row vectors on the
right, so ``W_OV = W_V W_O`` is ``[d_model d_model]``). A later head ``B`` reads the residual stream through
its query, key or value weights; the composition score measures how much of what ``A`` writes lands in what
``B`` reads:

* Q-composition: ``‖W_OV^A · W_QK^B‖ / (‖W_OV^A‖ ‖W_QK^B‖)`` with ``W_QK = W_Q W_Kᵀ`` (A writes into the
  destination side, the query's residual);
* K-composition: ``‖W_OV^A · (W_QK^B)ᵀ‖ / (‖W_OV^A‖ ‖W_QK^B‖)`` (A writes into the source side, the keys);
* V-composition: ``‖W_OV^A · W_OV^B‖ / (‖W_OV^A‖ ‖W_OV^B‖)``.

Norms are Frobenius norms. These are the paper's ``‖W_QKᵀ W_OV‖``, ``‖W_QK W_OV‖`` and ``‖W_OV W_OV‖``
written in TransformerLens's right-multiplying convention (transposing a product does not change its norm),
and they are exactly what ``HookedTransformer.all_composition_scores("Q"|"K"|"V")`` computes from the raw
weights (``fold_ln=False`` here reproduces it; a test checks that).

By default (``fold_ln=True``) the layer norm every head reads through is folded in first, as TransformerLens's
``fold_ln`` / ``center_writing_weights`` processing would do: each head's reading weights become
``P diag(w_ln1) W`` (``P`` removes the mean over ``d_model`` for LayerNorm models; ``w_ln1`` its scale) and each
``W_O`` becomes ``W_O P``: the part of a head's output that the next layer norm subtracts is never read by
anybody, so it should not count. The layer norm's division by each token's standard deviation is a positive
scalar per token, which a scale-free score of the weights does not see.

A score alone is hard to read (two random rank-``d_head`` maps in ``d_model`` dimensions already score about
``1/sqrt(d_model)``: 0.125 for the ``ioi`` demo's 64), so :meth:`HeadCompositionAnalyzer.for_circuit` compares
each score with the same score for random heads: Gaussian ``W_Q, W_K, W_V, W_O`` of the model's shapes, read
through the same layer norms (seeded draws), and reports the z-score ``(score − mean) / std``.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> comp = HeadCompositionAnalyzer(glassbox.demos.load("ioi"))  # doctest: +SKIP
    >>> comp.scores("q")[0, 0, 1]  # L0H0's output into each layer-1 head's queries  # doctest: +SKIP
    >>> comp.for_circuit([(0, 0), (1, 0), (1, 1)])  # tidy table with a random baseline  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.prompts import PromptError, head_weights, require_hooked_transformer

if TYPE_CHECKING:
    import pandas as pd
    import torch
    from transformer_lens import FactoredMatrix

KINDS = ("q", "k", "v")
Head = tuple[int, int]


def _kind(kind: str) -> str:
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        raise PromptError(f"kind must be one of {KINDS} (query, key or value composition), got {kind!r}")
    return kind.lower()


def factored_scores(sender: Sequence[Any], receiver: Sequence[Any], kind: str) -> Any:
    """Composition scores from the heads' factors ``[W_Q, W_K, W_V, W_O]`` (any leading dims, paired
    elementwise): ``‖W_OV^s W^r‖_F / (‖W_OV^s‖_F ‖W^r‖_F)`` with ``W`` = ``W_Q W_Kᵀ``, ``W_K W_Qᵀ`` or
    ``W_V W_O`` for q, k, v, as TransformerLens' ``composition_scores``, from ``[d_head d_head]`` Gram
    matrices only (no ``[d_model d_model]`` product, no SVD): ``‖A B‖²_F = Σ (AᵀA) ∘ (B Bᵀ)``."""
    import torch

    a_left, b_left = sender[2], sender[3]  # W_V [d r], W_O [r d]
    W_Q, W_K, W_V, W_O = receiver
    a_right, b_right = {"q": (W_Q, W_K.mT), "k": (W_K, W_Q.mT), "v": (W_V, W_O)}[kind]
    g_left, h_left = a_left.mT @ a_left, b_left @ b_left.mT
    g_right, h_right = a_right.mT @ a_right, b_right @ b_right.mT
    inner = b_left @ a_right  # [r r]: the sender's output read by the receiver
    composed = (g_left * (inner @ h_right @ inner.mT)).sum((-2, -1))
    norms = (g_left * h_left).sum((-2, -1)) * (g_right * h_right).sum((-2, -1))
    return torch.sqrt(composed / norms)


def _require_model(model: Any) -> Any:
    from transformer_lens import HookedTransformer

    if not isinstance(model, HookedTransformer):
        require_hooked_transformer(model)  # raises the TypeError that explains how to get one
    return model


class HeadCompositionAnalyzer:
    """Composition scores between every earlier head (sender) and later head (receiver) of a HookedTransformer.

    Args:
        model: a TransformerLens ``HookedTransformer`` (no tokenizer needed: only weights are read).
        fold_ln: fold each head's input layer norm (scale and centring) into its reading weights and centre
            the writing weights ``W_O`` first (default). ``False`` uses the raw weights, as
            ``model.all_composition_scores`` does.
        n_draws: random heads drawn for the baseline.
        seed: seed of the baseline's draws.
    """

    def __init__(self, model: Any, fold_ln: bool = True, n_draws: int = 200, seed: int = 0) -> None:
        self.model = _require_model(model)
        if int(n_draws) < 2:
            raise PromptError(f"n_draws must be at least 2 (the baseline needs a spread), got {n_draws!r}")
        self.fold_ln = bool(fold_ln)
        self.n_draws = int(n_draws)
        self.seed = int(seed)
        self._scores: dict[str, np.ndarray] = {}
        self._baselines: dict[tuple[str, int, int], tuple[float, float]] = {}
        self._weights: dict[str, Any] | None = None

    # ------------------------------------------------------------------ weights
    def _centres(self) -> bool:
        return getattr(self.model.cfg, "normalization_type", None) in ("LN", "LNPre")

    def _ln_scale(self, layer: int) -> Any:
        """The diagonal of ``diag(w_ln1)`` of ``layer`` (ones when the norm has no scale)."""
        import torch

        w = getattr(self.model.blocks[layer].ln1, "w", None)
        d = self.model.cfg.d_model
        return torch.ones(d, dtype=torch.float64) if w is None else w.detach().to("cpu", torch.float64)

    def _read(self, W: Any, layer: int) -> Any:
        """Reading weights ``[... d_model d_head]`` seen through layer ``layer``'s ln1: ``P diag(w) W``."""
        if not self.fold_ln:
            return W
        W = W * self._ln_scale(layer)[:, None]
        return W - W.mean(dim=-2, keepdim=True) if self._centres() else W

    def _write(self, W_O: Any) -> Any:
        """Writing weights ``[... d_head d_model]`` with the mean over ``d_model`` removed (``W_O P``)."""
        if not self.fold_ln or not self._centres():
            return W_O
        return W_O - W_O.mean(dim=-1, keepdim=True)

    def _folded(self) -> dict[str, Any]:
        import torch

        if self._weights is None:
            m = self.model
            with torch.no_grad():
                raw = {n: head_weights(m, n).detach().to("cpu", torch.float64) for n in ("W_Q", "W_K", "W_V", "W_O")}
            out: dict[str, list[torch.Tensor]] = {n: [] for n in raw}
            for layer in range(m.cfg.n_layers):
                for n in ("W_Q", "W_K", "W_V"):
                    out[n].append(self._read(raw[n][layer], layer))
                out["W_O"].append(self._write(raw["W_O"][layer]))
            self._weights = {n: torch.stack(v) for n, v in out.items()}  # [layer head ...]
        return self._weights

    @staticmethod
    def _factored(W_Q: Any, W_K: Any, W_V: Any, W_O: Any) -> dict[str, Any]:
        from transformer_lens import FactoredMatrix

        return {
            "OV": FactoredMatrix(W_V, W_O),
            "QK": FactoredMatrix(W_Q, W_K.transpose(-2, -1)),
        }

    @staticmethod
    def _right(f: dict[str, Any], kind: str) -> Any:
        return {"q": f["QK"], "k": f["QK"].T, "v": f["OV"]}[kind]

    # ------------------------------------------------------------------ scores
    def scores(self, kind: str) -> np.ndarray:
        """Composition scores ``[sender_layer sender_head receiver_layer receiver_head]`` for ``kind``.

        Only pairs whose sender is in an earlier layer than the receiver are defined; the others are NaN
        (so a layer-0 receiver has no senders).
        """
        import torch

        kind = _kind(kind)
        if kind not in self._scores:
            w = self._folded()
            f = self._factored(w["W_Q"], w["W_K"], w["W_V"], w["W_O"])
            # TransformerLens' composition_scores broadcast over all pairs at once expands both factors
            # to [layer head layer head d_head d_model] (about 21 GB for 30 layers × 9 heads); one sender
            # layer at a time against the later layers gives the same numbers in tens of MB
            left = f["OV"].collapse_l()  # [layer head r d_model]: ‖left_s @ right_r‖ is the composed norm
            right = self._right(f, kind).collapse_r()  # [layer head d_model r']
            n_layers, n_heads = left.shape[0], left.shape[1]
            out = np.full((n_layers, n_heads, n_layers, n_heads), np.nan)
            with torch.no_grad():
                l_norms = left.norm(dim=(-2, -1))
                r_norms = right.norm(dim=(-2, -1))
                for ls in range(n_layers - 1):
                    later = right[ls + 1 :]
                    composed = torch.einsum("hid,LHdj->hLHij", left[ls], later).norm(dim=(-2, -1))
                    score = composed / l_norms[ls][:, None, None] / r_norms[ls + 1 :][None]
                    out[ls, :, ls + 1 :, :] = score.numpy()
            self._scores[kind] = out
        return self._scores[kind].copy()

    def _pair_score(self, ls: int, hs: int, lr: int, hr: int, kind: str) -> float:
        """``scores(kind)[ls, hs, lr, hr]`` for one pair, without the others."""
        w = self._folded()
        sender = [w[n][ls, hs] for n in ("W_Q", "W_K", "W_V", "W_O")]
        receiver = [w[n][lr, hr] for n in ("W_Q", "W_K", "W_V", "W_O")]
        return float(factored_scores(sender, receiver, kind))

    def _head(self, head: Any, role: str) -> Head:
        cfg = self.model.cfg
        try:
            layer, h = int(head[0]), int(head[1])
            if len(head) != 2:
                raise ValueError
        except (TypeError, ValueError, IndexError):
            raise PromptError(f"the {role} must be a (layer, head) pair, got {head!r}") from None
        if not (0 <= layer < cfg.n_layers and 0 <= h < cfg.n_heads):
            raise PromptError(
                f"the {role} L{layer}H{h} is not in the model ({cfg.n_layers} layers × {cfg.n_heads} heads)"
            )
        return layer, h

    def _pair(self, sender: Any, receiver: Any) -> tuple[Head, Head]:
        s, r = self._head(sender, "sender"), self._head(receiver, "receiver")
        if s[0] >= r[0]:
            raise PromptError(
                f"L{s[0]}H{s[1]} cannot compose into L{r[0]}H{r[1]}: the sender must be in an earlier layer "
                "than the receiver"
            )
        return s, r

    def matrices(self, sender: Head, receiver: Head, kind: str, dense: bool = False) -> FactoredMatrix | torch.Tensor:
        """The composed matrix ``W_OV^sender · W^receiver`` (``W = W_QK``, ``W_QKᵀ`` or ``W_OV`` for q, k, v).

        Returns a TransformerLens ``FactoredMatrix`` (``[d_model d_model]``, float64, with the layer norms
        folded in when ``fold_ln``), or its dense tensor when ``dense=True``. Its Frobenius norm divided by
        the two factors' norms is ``scores(kind)[sender + receiver]``.
        """
        kind = _kind(kind)
        (ls, hs), (lr, hr) = self._pair(sender, receiver)
        w = self._folded()
        left = self._factored(w["W_Q"][ls, hs], w["W_K"][ls, hs], w["W_V"][ls, hs], w["W_O"][ls, hs])["OV"]
        right = self._right(
            self._factored(w["W_Q"][lr, hr], w["W_K"][lr, hr], w["W_V"][lr, hr], w["W_O"][lr, hr]), kind
        )
        composed = left @ right
        return composed.AB if dense else composed

    # ------------------------------------------------------------------ baseline
    def baseline(self, kind: str, sender_layer: int, receiver_layer: int) -> tuple[float, float]:
        """Mean and standard deviation of the score between random heads of the model's shapes.

        Each draw makes Gaussian ``W_Q, W_K, W_V, W_O`` (``[d_model d_head]`` / ``[d_head d_model]``) for a
        sender and a receiver, reads them through the layer norms of ``sender_layer`` and ``receiver_layer``
        (as the real heads are, when ``fold_ln``), and scores them like the real pair. Seeded; ``n_draws``
        draws. The scale of the Gaussians does not matter (the score is scale-free).
        """
        import torch

        kind = _kind(kind)
        self._pair((sender_layer, 0), (receiver_layer, 0))
        key = (kind, int(sender_layer), int(receiver_layer))
        if key not in self._baselines:
            cfg = self.model.cfg
            d, r, n = cfg.d_model, cfg.d_head, self.n_draws
            # one generator per (kind, layers): the same call gives the same numbers in any order
            entropy = [self.seed, KINDS.index(kind), int(sender_layer), int(receiver_layer)]
            g = torch.Generator().manual_seed(int(np.random.SeedSequence(entropy).generate_state(1)[0]))

            def draw(shape: tuple[int, ...]) -> Any:
                return torch.randn(shape, generator=g, dtype=torch.float64)

            sender = [draw((n, d, r)), draw((n, d, r)), draw((n, d, r)), draw((n, r, d))]
            receiver = [draw((n, d, r)), draw((n, d, r)), draw((n, d, r)), draw((n, r, d))]
            for heads, layer in ((sender, sender_layer), (receiver, receiver_layer)):
                heads[:3] = [self._read(W, int(layer)) for W in heads[:3]]
                heads[3] = self._write(heads[3])
            s = factored_scores(sender, receiver, kind).numpy()
            self._baselines[key] = (float(s.mean()), float(s.std(ddof=1)))
        return self._baselines[key]

    def for_circuit(self, circuit: Sequence[Head]) -> pd.DataFrame:
        """Tidy ``pandas.DataFrame`` of every earlier → later pair of heads in ``circuit`` and each kind.

        Columns: ``sender``, ``receiver`` (labels like ``"L0H0"``), ``sender_layer``, ``sender_head``,
        ``receiver_layer``, ``receiver_head``, ``kind`` (q, k, v), ``score``, ``baseline_mean``,
        ``baseline_std`` and ``z`` (``(score − baseline_mean) / baseline_std``: how many random-head
        standard deviations above chance). Pairs within one layer are left out (no composition); a circuit
        with heads in one layer only gives an empty table.
        """
        import pandas as pd

        heads = sorted({self._head(head, "circuit head") for head in circuit})
        if not heads:
            raise PromptError("the circuit is empty; pass a list of (layer, head) pairs, e.g. [(0, 0), (1, 2)]")
        rows = []
        # the circuit's pairs only (all 270 × 270 pairs of a 30-layer model take tens of seconds)
        scores = {k: self._scores.get(k) for k in KINDS}
        for ls, hs in heads:
            for lr, hr in heads:
                if ls >= lr:
                    continue
                for kind in KINDS:
                    mean, std = self.baseline(kind, ls, lr)
                    known = scores[kind]
                    score = (
                        float(known[ls, hs, lr, hr]) if known is not None else self._pair_score(ls, hs, lr, hr, kind)
                    )
                    rows.append(
                        {
                            "sender": f"L{ls}H{hs}",
                            "receiver": f"L{lr}H{hr}",
                            "sender_layer": ls,
                            "sender_head": hs,
                            "receiver_layer": lr,
                            "receiver_head": hr,
                            "kind": kind,
                            "score": score,
                            "baseline_mean": mean,
                            "baseline_std": std,
                            "z": (score - mean) / std if std > 0 else float("nan"),
                        }
                    )
        columns = [
            "sender",
            "receiver",
            "sender_layer",
            "sender_head",
            "receiver_layer",
            "receiver_head",
            "kind",
            "score",
            "baseline_mean",
            "baseline_std",
            "z",
        ]
        return pd.DataFrame(rows, columns=columns)
