"""Token attribution: how much each input token moves the logit difference (correct − incorrect).

Attributions are taken through the token embeddings (``hook_embed``), summed over ``d_model``;
position embeddings stay fixed. Both methods measure a token relative to a *baseline* embedding —
the corrupted prompt's token embedding at the same position (``"corrupted"``) or zeros (``"zero"``):

- ``grad_x_input``: ``(e_clean − e_baseline) · ∂M/∂e`` at the clean run (with the zero baseline,
  plain gradient × input; with the corrupted one, the first-order Taylor estimate of patching).
- ``integrated_gradients``: the gradient averaged over ``n_steps`` embeddings on the straight line from
  the baseline to the clean embeddings (Riemann midpoint rule), times ``e_clean − e_baseline``. The
  attributions of a prompt then add up to ``M(clean) − M(baseline)`` up to the quadrature error,
  which :attr:`TokenAttribution.completeness` reports.

With the corrupted baseline a token that the corruption leaves unchanged gets exactly zero: the
attribution says which *changed* tokens carry the difference between the two prompts.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.prompts import PromptSet
    >>> from glassbox_jupyter.circuits.tokens import token_attribution
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(4))  # doctest: +SKIP
    >>> result = token_attribution(model, prompts, "integrated_gradients", baseline="zero")  # doctest: +SKIP
    >>> result.to_frame().head()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import Bucket, PromptError, PromptSet, logit_diff, require_hooked_transformer

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from glassbox_jupyter.finding.provenance import Provenance

METHODS = ("grad_x_input", "integrated_gradients")
BASELINES = ("corrupted", "zero")
_MAX_ROWS = 256  # sequences per forward pass when integrated-gradient steps are batched together


@dataclass
class TokenAttribution(MeasuredResult):
    """Per-prompt token attributions of the logit difference (prompts in the order they were given).

    ``tokens[i]`` are prompt ``i``'s token strings and ``scores[i]`` their attributions (numpy,
    one per token). ``metric_clean`` and ``metric_baseline`` are ``M`` at the clean and at the
    baseline embeddings; ``completeness[i]`` is ``sum(scores[i]) − (metric_clean[i] − metric_baseline[i])``
    (about 0 for integrated gradients with enough steps; the first-order error for grad × input).
    ``provenance`` (set by :func:`token_attribution`) names the model's weights, the prompts and the settings;
    :meth:`to_json` exports the attributions with it.
    """

    tokens: list[list[str]]
    scores: list[np.ndarray]
    method: str
    baseline: str
    n_steps: int
    metric_clean: np.ndarray
    metric_baseline: np.ndarray
    completeness: np.ndarray
    texts: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    kind = "token_attribution"

    def result_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "baseline": self.baseline,
            "n_steps": self.n_steps,
            "texts": list(self.texts),
            "tokens": [list(t) for t in self.tokens],
            "scores": [s.tolist() for s in self.scores],
            "metric_clean": self.metric_clean,
            "metric_baseline": self.metric_baseline,
            "completeness": self.completeness,
        }

    def __len__(self) -> int:
        return len(self.scores)

    def top(self, i: int = 0, k: int = 3) -> list[tuple[int, str, float]]:
        """Prompt ``i``'s ``k`` tokens with the largest ``|attribution|``: ``(position, token, score)``."""
        self._check_index(i)
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise PromptError(f"k must be a positive integer, got {k!r}")
        order = np.argsort(-np.abs(self.scores[i]), kind="stable")[:k]
        return [(int(p), self.tokens[i][p], float(self.scores[i][p])) for p in order]

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per prompt and token (``prompt``, ``position``, ``token``, ``score``)."""
        import pandas as pd

        rows = [
            {"prompt": i, "position": p, "token": tok, "score": float(s)}
            for i, (toks, scores) in enumerate(zip(self.tokens, self.scores, strict=True))
            for p, (tok, s) in enumerate(zip(toks, scores, strict=True))
        ]
        return pd.DataFrame(rows, columns=["prompt", "position", "token", "score"])

    def chart(self, i: int = 0) -> alt.Chart:
        """Altair bar chart of prompt ``i``'s attributions over its tokens (blue helps, red hurts)."""
        import altair as alt

        from glassbox_jupyter.circuits.charts import fitted_title
        from glassbox_jupyter.circuits.finding import method_label
        from glassbox_jupyter.widgets.svg import offline_chart

        self._check_index(i)
        frame = self.to_frame()
        frame = frame[frame["prompt"] == i].copy()
        frame["label"] = [f"{p}:{t}" for p, t in zip(frame["position"], frame["token"], strict=True)]
        limit = float(frame["score"].abs().max()) or 1.0
        width = max(300, 24 * len(frame))
        title = fitted_title(
            f"token attribution, prompt {i}",
            width,
            f"{method_label(self.method)}; baseline: "
            + ("the corrupted prompt's embeddings" if self.baseline == "corrupted" else f"{self.baseline} embeddings"),
        )
        return offline_chart(
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("label:N", sort=None, title="token"),
                y=alt.Y("score:Q", title="attribution to the logit difference"),
                color=alt.Color("score:Q", scale=alt.Scale(scheme="redblue", domain=[-limit, limit]), legend=None),
                tooltip=["position:Q", "token:N", "score:Q"],
            )
            .properties(width=width, height=260, title=title)
        )

    def _check_index(self, i: int) -> None:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < len(self.scores):
            raise PromptError(f"prompt index {i!r} is out of range; pick 0..{len(self.scores) - 1}")


def _embeddings(model: Any, tokens: Any) -> Any:
    import torch

    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == "hook_embed")
    return cache["hook_embed"]


def _metric_and_grad(model: Any, tokens: Any, correct: Any, incorrect: Any, embed: Any) -> tuple[Any, Any]:
    """Logit difference per row with ``hook_embed`` replaced by ``embed``, and its gradient there."""
    import torch

    leaf = embed.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[("hook_embed", lambda t, hook: leaf)])
        metric = logit_diff(logits, correct, incorrect)
        (grad,) = torch.autograd.grad(metric.sum(), leaf)  # no parameter .grad is touched
    return metric.detach(), grad.detach()


def _metric(model: Any, bucket: Bucket, embed: Any) -> Any:
    import torch

    with torch.no_grad():
        logits = model.run_with_hooks(bucket.clean, fwd_hooks=[("hook_embed", lambda t, hook: embed)])
    return logit_diff(logits, bucket.correct, bucket.incorrect)


def _bucket_attribution(model: Any, b: Bucket, method: str, baseline: str, n_steps: int) -> tuple[Any, Any, Any]:
    """Attributions ``[batch pos]``, ``M(clean)`` and ``M(baseline)`` ``[batch]`` for one bucket."""
    import torch

    clean = _embeddings(model, b.clean)
    base = _embeddings(model, b.corrupted) if baseline == "corrupted" else torch.zeros_like(clean)
    delta = clean - base
    m_base = _metric(model, b, base)
    if method == "grad_x_input":
        m_clean, grad = _metric_and_grad(model, b.clean, b.correct, b.incorrect, clean)
        return (delta * grad).sum(-1), m_clean, m_base
    m_clean = _metric(model, b, clean)
    batch = clean.shape[0]
    alphas = (torch.arange(n_steps, dtype=clean.dtype) + 0.5) / n_steps  # midpoints
    per_pass = max(1, _MAX_ROWS // batch)
    total = torch.zeros_like(clean)
    for start in range(0, n_steps, per_pass):  # several steps in one batched pass
        a = alphas[start : start + per_pass].to(clean.device)[:, None, None, None]
        mix = (base[None] + a * delta[None]).reshape(-1, *clean.shape[1:])
        repeat = a.shape[0]
        _, grad = _metric_and_grad(
            model, b.clean.repeat(repeat, 1), b.correct.repeat(repeat), b.incorrect.repeat(repeat), mix
        )
        total += grad.reshape(repeat, *clean.shape).sum(0)
    return (delta * total / n_steps).sum(-1), m_clean, m_base


def token_attribution(
    model: Any,
    prompts: PromptSet | Sequence[Sequence[Any]],
    method: str = "integrated_gradients",
    n_steps: int = 32,
    baseline: str = "corrupted",
) -> TokenAttribution:
    """Attribute each prompt's logit difference (correct − incorrect, last position) to its input tokens.

    Args:
        model: a TransformerLens ``HookedTransformer`` with a tokenizer.
        prompts: a :class:`PromptSet` (or the ``[(prompt, correct, incorrect[, corrupted]), ...]`` list
            to build one from).
        method: ``"integrated_gradients"`` (complete: the attributions add up to
            ``M(clean) − M(baseline)``) or ``"grad_x_input"`` (one backward pass, first order).
        n_steps: Riemann midpoint steps of integrated gradients (ignored by grad × input).
        baseline: ``"corrupted"`` (the corrupted prompt's token embeddings; unchanged tokens get 0)
            or ``"zero"`` (all-zero token embeddings; every token gets a share).
    """
    require_hooked_transformer(model)
    if method not in METHODS:
        raise PromptError(f"method must be one of {METHODS}, got {method!r}")
    if baseline not in BASELINES:
        raise PromptError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise PromptError(f"n_steps must be a positive integer (e.g. 32), got {n_steps!r}")
    prompt_set = prompts if isinstance(prompts, PromptSet) else PromptSet.build(model, prompts)
    n = len(prompt_set)
    tokens: list[list[str]] = [[] for _ in range(n)]
    scores: list[np.ndarray] = [np.zeros(0) for _ in range(n)]
    m_clean, m_base = np.zeros(n), np.zeros(n)
    for b in prompt_set.buckets:
        attr, clean, base = _bucket_attribution(model, b, method, baseline, int(n_steps))
        attr, clean, base = attr.cpu().numpy(), clean.cpu().numpy(), base.cpu().numpy()
        for j, row in enumerate(b.rows):
            tokens[row] = [str(t) for t in model.to_str_tokens(b.clean[j])]
            scores[row] = attr[j].astype(np.float64)
        m_clean[b.rows], m_base[b.rows] = clean, base
    gap = np.array([s.sum() for s in scores]) - (m_clean - m_base)
    return TokenAttribution(
        tokens=tokens,
        scores=scores,
        method=method,
        baseline=baseline,
        n_steps=int(n_steps) if method == "integrated_gradients" else 1,
        metric_clean=m_clean,
        metric_baseline=m_base,
        completeness=gap,
        texts=[t[0] for t in prompt_set.texts],
        provenance=capture(
            model,
            prompt_set,
            {
                "name": "token_attribution",
                "method": method,
                "baseline": baseline,
                "n_steps": int(n_steps) if method == "integrated_gradients" else 1,
            },
        ),
    )
