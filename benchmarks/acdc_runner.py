"""Run ACDC (as implemented by the ``auto-circuit`` package) on a TransformerLens model; print JSON.

Runs INSIDE ``benchmarks/.venv-acdc`` (made by ``benchmarks/setup_acdc.sh``: auto-circuit 1.0.1,
transformer-lens 2.18), never in the main venv, and never imports ``glassbox_jupyter`` (which needs
transformer-lens 3.9). The main benchmark writes the input JSON with glassbox and calls::

    benchmarks/.venv-acdc/bin/python benchmarks/acdc_runner.py input.json [output.json]

Edge naming (auto-circuit's own, ``Edge.name``): ``"<src>-><dest>"`` where

* src  is ``"Resid Start"`` (token + positional embedding), ``"A{L}.{H}"`` (head H of layer L, its
  ``hook_result`` output) or ``"MLP {L}"`` (non-attn-only models);
* dest is ``"A{L}.{H}.Q"`` / ``".K"`` / ``".V"`` (that head's separate query/key/value input, the
  model runs with ``use_split_qkv_input``), ``"MLP {L}"`` or ``"Resid End"`` (the final residual,
  read by ``ln_final``/unembed).

E.g. ``"A1.0->Resid End"`` is name mover L1H0 writing to the logits, ``"A0.0->A1.2.K"`` is L0H0's
output read by the key of L1H2. With ``"per_position": true`` each key gets ``"@{token position}"``.
All positions are patched together otherwise (``seq_len=None``).

Input JSON::

    {"config": {HookedTransformerConfig kwargs}, "weights": "model.safetensors",
     "tokenizer": "tokenizer.json"            # optional; needed only to left-pad ragged prompts
     "special_token": "<|endoftext|>",         # optional; the tokenizer's BOS = EOS = pad token
     "tasks": [{"name": "ioi", "clean": [[ids]...], "corrupted": [[ids]...],
                "correct": [id...], "incorrect": [id...]}, ...],
        # or clean/corrupted/correct/incorrect at top level: one task named "task"
     "acdc": {"thresholds": [tau, ...]            # or "tao_exps": [...], "tao_bases": [...]
              "faithfulness_target": "kl_div"},   # or "mse"; defaults: auto-circuit's own
     "eap": true,                                 # also run mask_gradient_prune_scores (EAP)
     "per_position": false, "threads": 1,         # torch intra-op threads (default 1)
     "order_seed": null,                          # ACDC edge visiting order: null = canonical, int = shuffled
     "check_logits": [{"tokens": [[ids]...], "logits_last": [[float]...]}]}  # optional cross-venv check

Rows of one task may differ in length only if ``"tokenizer"`` is given: they are then left-padded
with its pad token and the model attends through TransformerLens's attention mask (positions are
shifted so each prompt sees the positions it would unpadded); ``check_logits`` verifies this.

Output JSON (per task, under ``"tasks"``):

* ``acdc.edge_scores``: {edge name: score}. auto-circuit's ACDC score is the smallest tested
  threshold tau at which the edge was pruned (higher = more important). Edges ACDC kept at every
  tested tau (``inf`` in auto-circuit) are given ``acdc.never_pruned_score`` = 10 x the largest tau,
  and are listed in ``acdc.kept_at_all_taus``.
* ``acdc.head_scores``: [L][H] = MAX of the edge scores over the head's OUTGOING edges
  (``"A{L}.{H}->*"``): the largest tau at which some output of the head is still in the circuit.
* ``acdc.edge_order``: the order ACDC visited the edges in (see ``order_seed``). It matters on redundant
  heads: of two edges that can stand in for each other, greedy ACDC prunes the one it visits first and
  keeps the other.
* ``acdc.wall_s`` (ACDC only, model load and graph building excluded), ``acdc.forward_passes``
  (calls of the HookedTransformer's forward, counted with a hook: per tau, 2 ablation-caching passes,
  1 clean pass, 1 run_with_cache and 1 pass per edge, each on the whole batch).
* ``eap.edge_scores``: signed mask gradients with ``grad_function="logit"``, ``answer_function=
  "avg_diff"``, ``mask_val=0`` (auto-circuit: exactly Edge Attribution Patching). Sign: positive =
  the edge pushes toward the correct answer (= clean logit diff minus patched, to first order, the
  glassbox effect convention). ``eap.head_scores_abs_sum``: [L][H] SUM of |score| over the head's
  outgoing edges; ``eap.head_scores_signed_sum``: the signed sum (first-order node attribution).
* ``logit_diff``: mean clean and corrupted logit difference (correct minus incorrect, last position).

Example::

    benchmarks/setup_acdc.sh && benchmarks/.venv-acdc/bin/python benchmarks/acdc_runner.py in.json out.json
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")  # auto-circuit draws progress bars; keep stdout/stderr quiet

SPECIAL_TOKEN = "<|endoftext|>"


class InputError(ValueError):
    """Bad input JSON; the message names the fix."""


def load_model(
    config: dict[str, Any],
    weights: str | Path,
    tokenizer_file: str | Path | None = None,
    special_token: str = SPECIAL_TOKEN,
) -> Any:
    """A transformer-lens 2.18 HookedTransformer with the weights of a (transformer-lens 3.x) state dict.

    The only key difference handled: transformer-lens 3.x stores ``blocks.{L}.attn.mask`` as an
    empty placeholder (shape ``(0, 0)``) while 2.18 keeps the causal mask (``n_ctx x n_ctx``) as a
    buffer; that placeholder is dropped and 2.18's own causal mask kept. Every other tensor must
    match name and shape exactly (anything else is an error, not a silent partial load).
    """
    import torch
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    tokenizer = None
    if tokenizer_file is not None:
        from transformers import PreTrainedTokenizerFast

        tokenizer = PreTrainedTokenizerFast(
            tokenizer_file=str(tokenizer_file),
            bos_token=special_token,
            eos_token=special_token,
            pad_token=special_token,
            add_bos_token=True,
            padding_side="left",
            name_or_path="acdc-runner",
        )
    cfg = HookedTransformerConfig(**(dict(config) | {"init_weights": False, "device": "cpu"}))
    model = HookedTransformer(cfg, tokenizer=tokenizer, move_to_device=False)
    if tokenizer is not None:
        model.tokenizer.padding_side = "left"
    source = load_file(str(weights))
    target = model.state_dict()
    dropped = []
    for key in list(source):
        if key.endswith(".attn.mask") and key in target and source[key].shape != target[key].shape:
            if source[key].numel() != 0:
                raise InputError(
                    f"{key}: non-empty attention mask of shape {tuple(source[key].shape)}; "
                    f"expected {tuple(target[key].shape)} or an empty placeholder"
                )
            dropped.append(key)
            del source[key]
    try:
        missing, unexpected = model.load_state_dict(source, strict=False)
    except RuntimeError as err:  # shape mismatches
        raise InputError(
            f"state dict does not fit the config ({str(err).splitlines()[-1].strip()}); "
            "check 'config' matches 'weights'"
        ) from err
    if set(missing) != set(dropped) or unexpected:
        raise InputError(
            f"state dict does not fit the config: missing {sorted(set(missing) - set(dropped))}, "
            f"unexpected {sorted(unexpected)}; check 'config' matches 'weights'"
        )
    model.set_use_attn_result(True)  # auto-circuit's factorized graph needs per-head outputs ...
    model.set_use_split_qkv_input(True)  # ... and separate Q/K/V inputs per head
    if not cfg.attn_only:
        model.set_use_hook_mlp_in(True)
    torch.set_grad_enabled(True)
    return model.eval()


def pad_rows(rows: list[list[int]], pad_id: int | None, what: str) -> Any:
    """[batch pos] tensor; rows of different lengths are left-padded with ``pad_id``."""
    import torch

    if not rows or not all(isinstance(r, list) and r for r in rows):
        raise InputError(f"{what}: need a non-empty list of non-empty token-id lists")
    width = max(len(r) for r in rows)
    if any(len(r) != width for r in rows):
        if pad_id is None:
            raise InputError(
                f"{what}: rows have different token lengths {sorted({len(r) for r in rows})}; "
                "give 'tokenizer' (left-padding) or split the rows into tasks of equal length"
            )
        rows = [[pad_id] * (width - len(r)) + r for r in rows]
    return torch.tensor(rows, dtype=torch.long)


def last_logits(model: Any, tokens: Any) -> Any:
    import torch

    with torch.no_grad():
        return model(tokens)[:, -1]


def check_logits(model: Any, checks: list[dict[str, Any]], pad_id: int | None, tol: float = 1e-4) -> dict[str, Any]:
    """Max |logit difference| at the last position against reference logits from the main venv."""
    import torch

    worst = 0.0
    for i, check in enumerate(checks):
        got = last_logits(model, pad_rows(check["tokens"], pad_id, f"check_logits[{i}].tokens"))
        want = torch.tensor(check["logits_last"], dtype=got.dtype)
        worst = max(worst, float((got - want).abs().max()))
    if worst > tol:
        raise InputError(
            f"logits differ from the reference by {worst:.3g} (> {tol}): the weights did not "
            "load equivalently; check 'config' and 'weights'"
        )
    return {"n_checks": len(checks), "max_abs_diff": worst, "tol": tol}


def edge_key(edge: Any) -> str:
    return edge.name if edge.seq_idx is None else f"{edge.name}@{edge.seq_idx}"


def head_matrix(model: Any, per_edge: dict[Any, float], reduce: str) -> list[list[float]]:
    """[L][H] aggregate of ``per_edge`` over each head's outgoing edges (``reduce``: max | abs_sum | sum)."""
    cfg = model.cfg
    out = [[-math.inf if reduce == "max" else 0.0 for _ in range(cfg.n_heads)] for _ in range(cfg.n_layers)]
    for edge, value in per_edge.items():
        src = edge.src
        if src.head_idx is None or not src.name.startswith("A"):
            continue
        layer = int(src.module_name.split(".")[1])
        cur = out[layer][src.head_idx]
        if reduce == "max":
            out[layer][src.head_idx] = max(cur, value)
        elif reduce == "abs_sum":
            out[layer][src.head_idx] = cur + abs(value)
        else:
            out[layer][src.head_idx] = cur + value
    return out


def make_patchable(model: Any, seq_len: int | None) -> Any:
    from auto_circuit.utils.graph_utils import patchable_model

    return patchable_model(
        model, factorized=True, slice_output="last_seq", seq_len=seq_len, separate_qkv=True, device=model.cfg.device
    )


def fix_edge_order(pmodel: Any, order_seed: int | None) -> list[Any]:
    """Make ACDC's edge visiting order reproducible; return it.

    auto-circuit's ACDC visits edges by destination layer, last layer first (a stable sort), and within a
    layer in the iteration order of ``model.edges``, a ``set`` whose order changes from process to process
    (Edge hashes include ``hash(None)``, an address). Greedy ACDC on redundant heads depends on that order,
    so it is fixed here: canonical (by destination name, then source from the latest to the earliest) or,
    with an integer ``order_seed``, a seeded shuffle (then sorted by layer as ACDC does).
    """
    import random

    from ordered_set import OrderedSet

    edges = sorted(pmodel.edges, key=lambda e: (e.dest.name, -e.src.src_idx, e.seq_idx or 0))
    if order_seed is not None:
        random.Random(int(order_seed)).shuffle(edges)
    pmodel.edges = OrderedSet(edges)
    return sorted(edges, key=lambda e: e.dest.layer, reverse=True)  # exactly how acdc_prune_scores sorts them


def dataloader(clean: Any, corrupt: Any, correct: Any, incorrect: Any, seq_len: int | None) -> Any:
    """One batch holding every prompt (auto-circuit's ACDC only reads the first batch)."""
    from auto_circuit.data import PromptDataLoader, PromptDataset

    dataset = PromptDataset(list(clean), list(corrupt), [a.view(1) for a in correct], [a.view(1) for a in incorrect])
    return PromptDataLoader(dataset, seq_len=seq_len, diverge_idx=0, batch_size=len(dataset), shuffle=False)


class ForwardCounter:
    """Counts forward calls of a module (the wrapped HookedTransformer) with a forward hook."""

    def __init__(self, module: Any) -> None:
        self.n = 0
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, *_: Any) -> None:
        self.n += 1

    def close(self) -> None:
        self.handle.remove()


def acdc_settings(spec: dict[str, Any]) -> dict[str, Any]:
    acdc = dict(spec.get("acdc") or {})
    kwargs: dict[str, Any] = {}
    if "thresholds" in acdc:
        taus = [float(x) for x in acdc.pop("thresholds")]
        if not taus or any(not tau > 0 for tau in taus):
            raise InputError("acdc.thresholds: need a non-empty list of positive floats")
        kwargs["tao_bases"], kwargs["tao_exps"] = taus, [0]  # tau = base * 10**exp, so bases are the taus
    else:
        if "tao_exps" in acdc:
            kwargs["tao_exps"] = [int(x) for x in acdc.pop("tao_exps")]
        if "tao_bases" in acdc:
            kwargs["tao_bases"] = [float(x) for x in acdc.pop("tao_bases")]
    target = acdc.pop("faithfulness_target", "kl_div")
    if target not in ("kl_div", "mse"):
        raise InputError(f"acdc.faithfulness_target must be 'kl_div' or 'mse' (auto-circuit 1.0.1), got {target!r}")
    kwargs["faithfulness_target"] = target
    if acdc:
        raise InputError(
            f"acdc: unknown settings {sorted(acdc)}; use thresholds | tao_exps, tao_bases | faithfulness_target"
        )
    return kwargs


def tested_taus(kwargs: dict[str, Any]) -> list[float]:
    import inspect
    from itertools import product

    from auto_circuit.prune_algos.ACDC import acdc_prune_scores

    params = inspect.signature(acdc_prune_scores).parameters
    bases = kwargs.get("tao_bases", params["tao_bases"].default)
    exps = kwargs.get("tao_exps", params["tao_exps"].default)
    return sorted({float(f"{a * 10**b:.12g}") for a, b in product(bases, exps)})  # 3e-05, not 3.0000000000000004e-05


def run_task(spec: dict[str, Any], task: dict[str, Any], pad_id: int | None) -> dict[str, Any]:
    import torch
    from auto_circuit.prune_algos.ACDC import acdc_prune_scores
    from auto_circuit.prune_algos.mask_gradient import mask_gradient_prune_scores

    name = task.get("name", "task")
    for key in ("clean", "corrupted", "correct", "incorrect"):
        if key not in task:
            raise InputError(f"task {name!r}: missing {key!r}")
    clean = pad_rows(task["clean"], pad_id, f"{name}.clean")
    corrupt = pad_rows(task["corrupted"], pad_id, f"{name}.corrupted")
    correct = torch.tensor(task["correct"], dtype=torch.long)
    incorrect = torch.tensor(task["incorrect"], dtype=torch.long)
    if clean.shape != corrupt.shape or [len(r) for r in task["clean"]] != [len(r) for r in task["corrupted"]]:
        raise InputError(f"task {name!r}: each corrupted prompt must have its clean prompt's token length")
    if not (len(correct) == len(incorrect) == len(clean)):
        raise InputError(f"task {name!r}: need one correct and one incorrect id per prompt")
    per_position = bool(spec.get("per_position", False))
    if per_position and pad_id is not None and len({len(r) for r in task["clean"]}) > 1:
        raise InputError(f"task {name!r}: per_position needs prompts of one token length")
    seq_len = clean.shape[1] if per_position else None

    def fresh() -> Any:
        special = spec.get("special_token", SPECIAL_TOKEN)
        return load_model(spec["config"], spec["weights"], spec.get("tokenizer"), special)

    model = fresh()
    rows = torch.arange(len(clean))
    clean_logits, corrupt_logits = last_logits(model, clean), last_logits(model, corrupt)
    result: dict[str, Any] = {
        "name": name,
        "n_prompts": len(clean),
        "token_lengths": sorted({len(r) for r in task["clean"]}),
        "logit_diff": {
            "clean": float((clean_logits[rows, correct] - clean_logits[rows, incorrect]).mean()),
            "corrupted": float((corrupt_logits[rows, correct] - corrupt_logits[rows, incorrect]).mean()),
        },
    }

    # ---- ACDC
    kwargs = acdc_settings(spec)
    taus = tested_taus(kwargs)
    pmodel = make_patchable(model, seq_len)
    visit = fix_edge_order(pmodel, spec.get("order_seed"))
    loader = dataloader(clean, corrupt, correct, incorrect, seq_len)
    counter = ForwardCounter(pmodel.wrapped_model)
    start = time.perf_counter()
    scores = acdc_prune_scores(pmodel, loader, None, **kwargs)
    wall = time.perf_counter() - start
    counter.close()
    never = float(f"{10 * max(taus):.12g}")
    edge_scores: dict[Any, float] = {}
    for edge in pmodel.edges:
        value = float(edge.prune_score(scores))  # a tested tau (stored as float32) or inf
        edge_scores[edge] = never if math.isinf(value) else min(taus, key=lambda tau, v=value: abs(tau - v))
    order = sorted(pmodel.edges, key=lambda e: (-edge_scores[e], edge_key(e)))
    result["acdc"] = {
        "settings": {
            **{k: v for k, v in kwargs.items()},
            "taus": taus,
            "ablation": "resample (corrupted prompts)",
            "positions": "per position" if per_position else "all positions at once",
        },
        "wall_s": wall,
        "forward_passes": counter.n,
        "n_edges": len(pmodel.edges),
        "edge_order": [edge_key(e) for e in visit],
        "never_pruned_score": never,
        "kept_at_all_taus": [edge_key(e) for e in order if edge_scores[e] == never],
        "edge_scores": {edge_key(e): edge_scores[e] for e in order},
        "head_scores": head_matrix(model, edge_scores, "max"),
        "head_scores_reduce": "max over the head's outgoing edges",
    }

    # ---- EAP (auto-circuit's mask gradients at mask 0), fresh model so no ACDC mask state carries over
    if spec.get("eap", True):
        model = fresh()
        pmodel = make_patchable(model, seq_len)
        loader = dataloader(clean, corrupt, correct, incorrect, seq_len)
        start = time.perf_counter()
        grads = mask_gradient_prune_scores(
            pmodel, loader, None, grad_function="logit", answer_function="avg_diff", mask_val=0.0
        )
        eap_wall = time.perf_counter() - start
        eap = {edge: float(edge.prune_score(grads)) for edge in pmodel.edges}
        eap_order = sorted(pmodel.edges, key=lambda e: (-abs(eap[e]), edge_key(e)))
        result["eap"] = {
            "settings": {
                "grad_function": "logit",
                "answer_function": "avg_diff",
                "mask_val": 0.0,
                "ablation": "resample (corrupted prompts)",
            },
            "wall_s": eap_wall,
            "edge_scores": {edge_key(e): eap[e] for e in eap_order},
            "head_scores_abs_sum": head_matrix(model, eap, "abs_sum"),
            "head_scores_signed_sum": head_matrix(model, eap, "sum"),
        }
    return result


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Every task of ``spec`` (the input JSON, parsed); the output JSON as a dict."""
    from importlib.metadata import version

    import torch

    for key in ("config", "weights"):
        if key not in spec:
            raise InputError(f"input JSON: missing {key!r}")
    # 1 thread by default: on a small shared CPU, torch's intra-op threads spin against other processes
    # (measured here: one forward pass 30 ms with 1 thread, 0.2-2.5 s with 2 under load)
    torch.set_num_threads(int(spec.get("threads") or 1))
    tasks = spec.get("tasks")
    if tasks is None:
        tasks = [{"name": "task", **{k: spec[k] for k in ("clean", "corrupted", "correct", "incorrect") if k in spec}}]
    if not tasks:
        raise InputError("input JSON: 'tasks' is empty")
    acdc_settings(spec)  # validate before any model work
    start = time.perf_counter()
    model = load_model(spec["config"], spec["weights"], spec.get("tokenizer"), spec.get("special_token", SPECIAL_TOKEN))
    load_s = time.perf_counter() - start
    pad_id = model.tokenizer.pad_token_id if model.tokenizer is not None else None
    out: dict[str, Any] = {
        "versions": {
            "auto_circuit": version("auto-circuit"),
            "transformer_lens": version("transformer-lens"),
            "torch": torch.__version__,
            "python": sys.version.split()[0],
        },
        "threads": torch.get_num_threads(),
        "model_load_s": load_s,
        "edge_naming": "'<src>-><dest>': src 'Resid Start' | 'A{L}.{H}' | 'MLP {L}'; "
        "dest 'A{L}.{H}.Q|K|V' | 'MLP {L}' | 'Resid End'",
    }
    if spec.get("check_logits"):
        out["check_logits"] = check_logits(model, spec["check_logits"], pad_id)
    out["tasks"] = [run_task(spec, task, pad_id) for task in tasks]
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: acdc_runner.py INPUT.json [OUTPUT.json]", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    try:
        out = run(spec)
    except InputError as err:
        print(f"acdc_runner: {err}", file=sys.stderr)
        return 1
    text = json.dumps(out, indent=1)
    if len(argv) == 3:
        Path(argv[2]).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
