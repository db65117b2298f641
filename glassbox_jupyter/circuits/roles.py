"""The roles heads play in indirect-object identification (IOI), measured on the prompt set itself.

Wang et al. (2022, "Interpretability in the Wild", arXiv 2211.00593) name the heads of GPT-2's IOI circuit by
what they attend to and what they write. In an IOI prompt the correct answer (the indirect object, IO) occurs
once and the incorrect one (the subject, S) twice (S1, then S2); END is the last position, where the answer is
predicted. Those positions are read off each prompt's tokens, so no template needs to be known:

* **name mover**: from END attends the IO (mean attention ≥ 0.2 and more than to both S's together) and
  copies what it attends to: the IO is among the 5 largest logits of the head's OV circuit applied to the
  residual stream at the IO (the head's own input there, through its layer norm, then the final layer norm
  and the unembedding) on at least half the prompts — the paper's *copy score*;
* **negative name mover**: attends the IO the same way but writes it negatively (the IO among the 5
  *smallest* logits on at least half the prompts: the negative copy score);
* **S-inhibition**: from END attends the repeated subject S2 (≥ 0.2, and more than the IO): the head that
  tells the name movers which name to avoid. The paper also path-patches these heads into the name movers'
  queries; here only the attention is measured (the exact effect of each head is in the heat map);
* **previous-token**: from the token after each first-clause name attends that name (S1+1 → S1 and
  IO+1 → IO both ≥ 0.5), the previous-token heads of the paper measured where IOI needs them.

Induction, duplicate-token and the other generic types are measured on repeated random tokens
(:func:`glassbox_jupyter.circuits.attention.head_types`), where a head's position offset cannot pass for them;
:func:`combined_head_types` gives each head its END role first, else its random-sequence type, else its
previous-token role.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.prompts import PromptSet
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> roles = ioi_head_roles(model, PromptSet.build(model, glassbox.demos.ioi_prompts(16)))  # doctest: +SKIP
    >>> roles.types[1]  # doctest: +SKIP
    ['name mover', 'name mover', 'name mover', 'name mover']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.prompts import PromptSet, head_weights
from glassbox_jupyter.circuits.recorded import recorded

if TYPE_CHECKING:
    import pandas as pd

#: The roles, in the order they are preferred when a head qualifies for several.
ROLES = ("name mover", "negative name mover", "S-inhibition", "previous-token")
#: Roles read at END, where the answer is predicted; they come before any random-sequence type.
END_ROLES = ("name mover", "negative name mover", "S-inhibition")
#: Mean attention a role needs; copy scores are shares of prompts (top-5 of the vocabulary, as in the paper).
ATTENTION_MIN = 0.2
PREVIOUS_MIN = 0.5
COPY_MIN = 0.5
TOP_K = 5
MEASURES = ("end_io", "end_s1", "end_s2", "copy", "negative_copy", "s1_next_s1", "io_next_io")
#: Half the prompts must have the IOI shape (IO once, S twice, both before END) for the roles to be measured.
MIN_IOI_SHARE = 0.5

Head = tuple[int, int]


def ioi_positions(tokens: Any, correct: int, incorrect: int) -> tuple[int, int, int] | None:
    """``(IO, S1, S2)`` positions in one prompt's tokens ``[pos]``, or None when it is not IOI-shaped."""
    body = [int(t) for t in tokens[:-1]]  # END, the last position, is where the answer is predicted
    io = [p for p, t in enumerate(body) if t == int(correct)]
    s = [p for p, t in enumerate(body) if t == int(incorrect)]
    if len(io) != 1 or len(s) != 2:
        return None
    end = len(body)
    if io[0] + 1 >= end or s[0] + 1 >= end:
        return None
    return io[0], s[0], s[1]


@dataclass
class HeadRoles:
    """What every head does on IOI prompts: the measures ``[layer head]`` and the role they give.

    ``scores`` maps each of :data:`MEASURES` to ``[layer head]``: mean attention from END to the IO, S1 and
    S2 (``end_io``, ``end_s1``, ``end_s2``), the copy score and negative copy score (shares of prompts), and
    the attention from the token after S1 (after the IO) to it. ``types`` is the role of each head (or None);
    ``n_prompts`` how many IOI-shaped prompts were measured (of ``n_total``).
    """

    scores: dict[str, np.ndarray]
    types: list[list[str | None]]
    n_prompts: int
    n_total: int

    def note(self, layer: int, head: int) -> str:
        """The measured numbers behind head ``(layer, head)``'s role, in one line."""
        s = {k: float(v[layer, head]) for k, v in self.scores.items()}
        return (
            f"from the last token: IO {s['end_io']:.2f}, S1 {s['end_s1']:.2f}, S2 {s['end_s2']:.2f}; copies the IO "
            f"in {s['copy']:.0%} of prompts (negatively in {s['negative_copy']:.0%}); after a name → that name "
            f"{min(s['s1_next_s1'], s['io_next_io']):.2f}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per head: ``layer``, ``head``, ``role`` and every measure."""
        import pandas as pd

        n_layers, n_heads = self.scores[MEASURES[0]].shape
        rows = [
            {"layer": layer, "head": head, "role": self.types[layer][head]}
            | {k: float(self.scores[k][layer, head]) for k in MEASURES}
            for layer in range(n_layers)
            for head in range(n_heads)
        ]
        return pd.DataFrame(rows, columns=["layer", "head", "role", *MEASURES])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the measures, the roles, the prompts measured and the criteria."""
        return {
            "scores": {k: v.tolist() for k, v in self.scores.items()},
            "types": self.types,
            "n_prompts": self.n_prompts,
            "n_total": self.n_total,
            "criteria": CRITERIA,
        }


CRITERIA = {
    "name mover": (
        f"from the last token attends the IO (mean ≥ {ATTENTION_MIN}, more than both S's) and copies it: the IO is "
        f"in the top {TOP_K} logits of the head's OV circuit on the residual at the IO on ≥ {COPY_MIN:.0%} of prompts"
    ),
    "negative name mover": (
        f"attends the IO like a name mover, and the IO is in the bottom {TOP_K} logits of its OV circuit "
        f"on ≥ {COPY_MIN:.0%} of prompts"
    ),
    "S-inhibition": f"from the last token attends the repeated subject S2 (mean ≥ {ATTENTION_MIN}, more than the IO)",
    "previous-token": (
        f"from the token after each first-clause name attends that name (S1+1 → S1, IO+1 → IO ≥ {PREVIOUS_MIN})"
    ),
}


def _types(scores: dict[str, np.ndarray]) -> list[list[str | None]]:
    n_layers, n_heads = scores["end_io"].shape
    out: list[list[str | None]] = []
    for layer in range(n_layers):
        row: list[str | None] = []
        for head in range(n_heads):
            s = {k: float(v[layer, head]) for k, v in scores.items()}
            attends_io = s["end_io"] >= ATTENTION_MIN and s["end_io"] > s["end_s1"] + s["end_s2"]
            candidates = []
            if attends_io and s["copy"] >= COPY_MIN:
                candidates.append((s["end_io"] / ATTENTION_MIN, "name mover"))
            if attends_io and s["negative_copy"] >= COPY_MIN:
                candidates.append((s["end_io"] / ATTENTION_MIN, "negative name mover"))
            if s["end_s2"] >= ATTENTION_MIN and s["end_s2"] > s["end_io"]:
                candidates.append((s["end_s2"] / ATTENTION_MIN, "S-inhibition"))
            role = max(candidates)[1] if candidates else None
            if role is None and min(s["s1_next_s1"], s["io_next_io"]) >= PREVIOUS_MIN:
                role = "previous-token"
            row.append(role)
        out.append(row)
    return out


#: Rows (prompt × head) whose logits over the whole vocabulary one copy-score product makes.
COPY_ROWS_PER_PRODUCT = 512
#: Vocabularies at least this wide are screened in bfloat16 first (:func:`_screened_extremes`).
SCREEN_VOCAB = 8192
#: A bound on ``|bfloat16 product − float32 product| / (‖x‖ · ‖w‖)`` for one logit: both inputs rounded to
#: bfloat16 (2 × 2⁻⁸), the float32 accumulation over d_model terms (≤ 1,024 · 2⁻²⁴ for d_model ≤ 1,024) and the
#: output rounded to bfloat16 (2⁻⁸), with margin; by Cauchy–Schwarz ``Σ|xᵢ wᵢ| ≤ ‖x‖ ‖w‖``.
BF16_LOGIT_ERROR = 0.0125


def _rank_tests(x: Any, W_U: Any, want: Any) -> tuple[Any, Any]:
    """Per row of ``x``: whether fewer than :data:`TOP_K` logits of ``x @ W_U`` (float32) are above (below) the
    row's answer ``want``'s: the K-th largest (smallest) logit is at most (least) the answer's."""
    logits = x @ W_U
    own = logits.gather(-1, want[:, None])[:, 0]
    top = logits.topk(TOP_K, dim=-1).values[:, -1] <= own
    bottom = logits.topk(TOP_K, dim=-1, largest=False).values[:, -1] >= own
    return top, bottom


def _screened_rank_tests(x: Any, W_U: Any, want: Any, W_bf16: Any, column_norm: float) -> tuple[Any, Any]:
    """:func:`_rank_tests` from one bfloat16 product where it decides them: each bfloat16 logit is within
    ``δ = BF16_LOGIT_ERROR · ‖x‖ · max‖w‖`` of the float32 one, so each K-th value is too (order statistics
    move no more than the values). A row whose K-th largest or smallest value lies within δ of its answer's
    logit is recomputed in float32; every other row's tests come out as float32's do."""
    import torch

    own = (x * W_U[:, want].T).sum(-1)  # each row's answer logit, float32
    logits = x.to(torch.bfloat16) @ W_bf16
    high = logits.topk(TOP_K, dim=-1).values[:, -1].float()
    low = logits.topk(TOP_K, dim=-1, largest=False).values[:, -1].float()
    delta = BF16_LOGIT_ERROR * x.norm(dim=-1) * column_norm
    top, bottom = high < own, low > own
    unsure = ((high - own).abs() <= delta) | ((low - own).abs() <= delta)
    if unsure.any():
        top[unsure], bottom[unsure] = _rank_tests(x[unsure], W_U, want[unsure])
    return top, bottom


def _copy_scores(heads_in: dict[int, list[Any]], answer: Any, W_U: Any) -> tuple[np.ndarray, np.ndarray]:
    """``[layer head]`` counts of prompts whose answer is among the top (bottom) :data:`TOP_K` logits of what the
    head writes (``heads_in[layer]``: ``[batch head d_model]`` per bucket, batches in ``answer``'s order).

    A rank test compares the answer's logit with the K-th largest (smallest) logit, not a sort of the
    vocabulary; the layers are stacked so each product reads the unembedding (49,152 columns on SmolLM2) once
    for hundreds of rows; a wide float32 vocabulary is screened in bfloat16 and only the rows the screen
    cannot decide are recomputed in float32 (:func:`_screened_rank_tests`), so the counts are float32's.
    """
    import torch

    layers = sorted(heads_in)
    x = torch.stack([torch.cat(heads_in[layer]) for layer in layers])  # [layer batch head d_model]
    n_layers, batch, n_heads, _ = x.shape
    rows = x.flatten(0, 2)
    want = answer.repeat(n_layers).repeat_interleave(n_heads)  # row (layer, batch, head) → its answer
    screen = rows.dtype == W_U.dtype == torch.float32 and W_U.shape[1] >= SCREEN_VOCAB
    W_bf16 = W_U.to(torch.bfloat16) if screen else None
    column_norm = float(W_U.norm(dim=0).max()) if screen else 0.0
    top, bottom = torch.zeros(len(rows), dtype=torch.bool), torch.zeros(len(rows), dtype=torch.bool)
    for start in range(0, len(rows), COPY_ROWS_PER_PRODUCT):
        chunk = slice(start, start + COPY_ROWS_PER_PRODUCT)
        if W_bf16 is not None:
            top[chunk], bottom[chunk] = _screened_rank_tests(rows[chunk], W_U, want[chunk], W_bf16, column_norm)
        else:
            top[chunk], bottom[chunk] = _rank_tests(rows[chunk], W_U, want[chunk])
    copy, negative = np.zeros((max(layers) + 1, n_heads)), np.zeros((max(layers) + 1, n_heads))
    copy[layers] = top.view(n_layers, batch, n_heads).sum(1).numpy()
    negative[layers] = bottom.view(n_layers, batch, n_heads).sum(1).numpy()
    return copy, negative


def ioi_head_roles(model: Any, prompts: PromptSet) -> HeadRoles | None:
    """Each head's IOI role (see the module's docstring), or None when fewer than half the prompts are IOI-shaped."""
    import torch

    cfg = model.cfg
    sums = {k: np.zeros((cfg.n_layers, cfg.n_heads)) for k in MEASURES}
    wanted = {f"blocks.{layer}.attn.hook_pattern" for layer in range(cfg.n_layers)}
    wanted |= {f"blocks.{layer}.hook_resid_pre" for layer in range(cfg.n_layers)}
    final_norm = getattr(model, "ln_final", None) or (lambda x: x)
    W_V = head_weights(model, "W_V").detach()  # one per query head (a grouped-query bridge keeps one per group)
    W_O, W_U = model.W_O.detach(), model.W_U.detach()  # a HookedTransformer stacks every layer's W_O per access
    measured = 0
    heads_in: dict[int, list[Any]] = {}  # per layer: what each head writes at the IO, through the final norm
    answers: list[Any] = []
    with torch.no_grad():
        for b in prompts.buckets:
            places = [ioi_positions(b.clean[j], b.correct[j], b.incorrect[j]) for j in range(len(b.rows))]
            rows = [j for j, p in enumerate(places) if p is not None]
            if not rows:
                continue
            io, s1, s2 = (torch.tensor([places[j][k] for j in rows]) for k in range(3))  # type: ignore[index]
            end = b.clean.shape[1] - 1
            picked = torch.tensor(rows)
            run = recorded(model, b, "clean", wanted)  # the clean run the other steps read (circuits/recorded.py)
            cache = {name: run[name][picked] for name in wanted}
            at = torch.arange(len(rows))
            answer = b.correct[picked]
            for layer in range(cfg.n_layers):
                p = cache[f"blocks.{layer}.attn.hook_pattern"].float()  # [batch head query key]
                sums["end_io"][layer] += p[at, :, end, io].sum(0).cpu().numpy()
                sums["end_s1"][layer] += p[at, :, end, s1].sum(0).cpu().numpy()
                sums["end_s2"][layer] += p[at, :, end, s2].sum(0).cpu().numpy()
                sums["s1_next_s1"][layer] += p[at, :, s1 + 1, s1].sum(0).cpu().numpy()
                sums["io_next_io"][layer] += p[at, :, io + 1, io].sum(0).cpu().numpy()
                # the copy score: the head's OV circuit on its own input at the IO, read through the unembedding
                resid = cache[f"blocks.{layer}.hook_resid_pre"][at, io][:, None, :]  # [batch 1 d_model]
                ln1 = getattr(model.blocks[layer], "ln1", None)
                x = (ln1(resid) if ln1 is not None else resid)[:, 0]
                written = torch.einsum("bd,hdk,hke->bhe", x, W_V[layer], W_O[layer])
                heads_in.setdefault(layer, []).append(final_norm(written))  # [batch head d_model]
            answers.append(answer)
            measured += len(rows)
        if heads_in:
            copy, negative = _copy_scores(heads_in, torch.cat(answers), W_U)
            sums["copy"] += copy
            sums["negative_copy"] += negative
    if measured == 0 or measured < MIN_IOI_SHARE * len(prompts):
        return None
    scores = {k: v / measured for k, v in sums.items()}
    return HeadRoles(scores=scores, types=_types(scores), n_prompts=measured, n_total=len(prompts))


def combined_head_types(random_types: list[list[str | None]], roles: HeadRoles | None) -> list[list[str | None]]:
    """Each head's type: its END role on the prompts, else its random-sequence type, else its previous-token role."""
    if roles is None:
        return [list(row) for row in random_types]
    out: list[list[str | None]] = []
    for layer, row in enumerate(random_types):
        combined: list[str | None] = []
        for head, generic in enumerate(row):
            role = roles.types[layer][head]
            combined.append(role if role in END_ROLES else (generic or role))
        out.append(combined)
    return out


#: One clause per role for the heat map's key.
SHORT_CRITERIA = {
    "name mover": "attends the IO from the last token and copies it (OV copy score)",
    "negative name mover": "attends the IO from the last token and writes it down (negative copy score)",
    "S-inhibition": "attends the repeated subject S2 from the last token",
    "previous-token": "attends each name from the token after it",
}


def type_note(roles: HeadRoles | None) -> str:
    """How the heat map's head types were measured, in two sentences for its key (the full criteria: CRITERIA)."""
    generic = (
        "types on repeated random tokens (previous-token, induction, duplicate-token, BOS/sink, local, uniform, "
        "else focused)"
    )
    if roles is None:
        return f"Head types: {generic}; these prompts are not IOI-shaped, so no IOI role was measured."
    found = [role for role in ROLES if any(role in row for row in roles.types)]
    clauses = "; ".join(f"{role} = {SHORT_CRITERIA[role]}" for role in found) or "no head met an IOI role"
    return (
        f"Types measured on {roles.n_prompts} of these prompts as in Wang et al. 2022: {clauses}. "
        f"Other heads: {generic}. Hover a head for its numbers."
    )
