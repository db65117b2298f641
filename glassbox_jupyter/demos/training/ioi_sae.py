"""Train the ``ioi`` demo's sparse autoencoder: a sae-lens ``StandardSAE`` on ``blocks.0.hook_resid_post``.

Seeded and CPU-deterministic (one thread; about 40 s of training): bit-identical on one kind of CPU; on CPUs
with other vector units (AVX2 vs AVX-512) the weights drift by up to a few percent but the features are the same
(direction cosine > 0.99) and so are the metrics. Run
``python -m glassbox_jupyter.demos.training.ioi_sae`` to rewrite ``glassbox_jupyter/demos/models/ioi_sae/``,
which holds sae-lens's own on-disk format: ``sae_weights.safetensors`` and ``cfg.json`` (the config, with the
training recipe and the metrics under ``metadata``), so ``sae_lens.SAE.load_from_disk(folder)`` loads it;
:func:`glassbox_jupyter.demos.ioi_sae.load_ioi_sae` does that offline. (A folder, not ``ioi_sae.json`` beside
``ioi_sae.safetensors`` in ``models/``: that pair would be read as a demo card by ``glassbox.demos.list()``.)

Data: the residual stream after layer 0 of the shipped ``ioi`` model (``glassbox.demos.load("ioi")``) at every
token position (BOS included) of 4,000 training-split IOI prompts (training names in training frames) and their
ABC-corrupted twins, plus 2,000 of the model's one-name "copy" sentences: about 200,000 vectors of width 64. The
copy sentences matter: they are where the model itself meets the held-out names, and without them the SAE never
sees those names' embeddings (in trial runs its FVE on held-out-name prompts then fell to 0.4–0.6).

SAE: 256 features. sae-lens's ``StandardTrainingSAE`` (ReLU encoder, linear decoder, ``b_dec`` subtracted from
the input and initialised to the data mean); loss = summed squared error + ``l1_coefficient`` (0.5, warmed up
linearly over 300 steps) × Σ |f_i| ‖W_dec,i‖, from sae-lens's own ``training_forward_pass``; Adam (lr 1e-3,
decayed linearly to 0 over the last fifth), 2,500 batches of 2,048 vectors drawn with a seeded generator.
Saved as the inference ``StandardSAE``.

Metrics (in ``cfg.json``; 500 prompts + twins never trained on): on fresh training-split prompts FVE 0.931, L0
9.7 features per position, no dead features, and the model with the reconstruction in place of the activation
(no error term) keeps its logit difference (12.93 → 13.21, fidelity 0.97, IO > S on every prompt); on the
held-out split (held-out names in held-out frames) FVE 0.896, L0 14.1, fidelity 0.93 (IO > S on 98 %).
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch

from glassbox_jupyter.demos import ioi as task
from glassbox_jupyter.demos.training.common import MODELS, seed_everything
from glassbox_jupyter.demos.training.sae_common import cli, sae_metrics, train_loop

NAME = "ioi_sae"
HOOK = "blocks.0.hook_resid_post"
SEED = 0
N_TRAIN, N_COPY, N_EVAL = 4000, 2000, 500  # IOI prompts (each with its ABC twin), copy sentences, eval prompts
D_SAE = 256
L1 = 0.5
STEPS = 2500
BATCH = 2048
LR = 1e-3
WARMUP_L1 = 300


def ioi_texts(prompts: list[task.IOIPrompt]) -> list[str]:
    """Each prompt and its corrupted twin."""
    return [text for p in prompts for text in (p.prompt, p.corrupted_prompt)]


def collect(model: Any, texts: list[str], hook: str = HOOK) -> torch.Tensor:
    """Activations ``[n_tokens d]`` at ``hook`` for every token (BOS included) of ``texts``."""
    groups: dict[int, list[torch.Tensor]] = defaultdict(list)
    for text in texts:
        ids = model.to_tokens(text)[0]
        groups[len(ids)].append(ids)
    out = []
    with torch.no_grad():
        for length in sorted(groups):
            _, cache = model.run_with_cache(torch.stack(groups[length]), names_filter=hook)
            out.append(cache[hook].reshape(-1, cache[hook].shape[-1]))
    return torch.cat(out)


def logit_diff_fidelity(model: Any, sae: Any, prompts: list[task.IOIPrompt], hook: str = HOOK) -> dict[str, float]:
    """Mean IO − S logit difference of the model and of the model with the SAE's reconstruction spliced in at
    ``hook`` (no error term), over ``prompts``."""
    from glassbox_jupyter.circuits.prompts import PromptSet, logit_diff

    ps = PromptSet.build(model, prompts)
    clean, spliced = [], []
    with torch.no_grad():
        for b in ps.buckets:
            clean.append(logit_diff(model(b.clean), b.correct, b.incorrect))
            logits = model.run_with_hooks(b.clean, fwd_hooks=[(hook, lambda x, hook: sae.decode(sae.encode(x)))])
            spliced.append(logit_diff(logits, b.correct, b.incorrect))
    c, s = torch.cat(clean), torch.cat(spliced)
    return {
        "logit_diff": round(float(c.mean()), 4),
        "logit_diff_sae": round(float(s.mean()), 4),
        "logit_diff_fidelity": round(float(1 - (s - c).abs().mean() / c.abs().mean()), 4),
        "accuracy_io_vs_s_sae": round(float((s > 0).float().mean()), 4),
    }


def recipe(
    steps: int = STEPS,
    d_sae: int = D_SAE,
    l1: float = L1,
    seed: int = SEED,
    n_train: int = N_TRAIN,
    n_copy: int = N_COPY,
    n_eval: int = N_EVAL,
) -> dict[str, Any]:
    """How the SAE is trained and measured (stored in its ``cfg.json`` metadata)."""
    return {
        "data": (
            f"{HOOK} of glassbox.demos.load('ioi') at every position (BOS included) of {n_train} training-split IOI "
            f"prompts (ioi_prompts(seed={seed + 1}, split='train')) and their ABC twins, plus {n_copy} one-name copy "
            f"sentences (copy_prompts(seed={seed + 3}): the model's own training sentences, which carry every name)"
        ),
        "eval": (
            f"held_out: {n_eval} fresh training-split prompts (ioi_prompts(seed={seed + 2}, split='train')); test: "
            f"{n_eval} held-out-split prompts (ioi_prompts(seed={seed + 2}, split='test'): held-out names in "
            "held-out frames); each with its ABC twin for fve/l0, the clean prompts for the logit difference"
        ),
        "metrics_notes": (
            "fve: 1 - sum|x - x_hat|^2 / sum|x - mean x|^2 over token positions; l0: mean active features per "
            "position; dead_features: never active on that set; logit_diff_sae: mean IO - S logit difference with "
            "the reconstruction spliced in without its error term; logit_diff_fidelity: "
            "1 - mean|ld_sae - ld| / mean|ld|"
        ),
        "d_sae": d_sae,
        "loss": "sae-lens StandardTrainingSAE.training_forward_pass: summed squared error + l1 * sum(|f| * |W_dec|)",
        "l1_coefficient": l1,
        "l1_warm_up_steps": WARMUP_L1,
        "optimiser": f"Adam lr {LR}, linear decay to 0 over the last 20% of steps",
        "steps": steps,
        "batch": BATCH,
        "b_dec_init": "mean of the training activations",
        "seed": seed,
        "device": "cpu, 1 thread, torch.use_deterministic_algorithms(True)",
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
    }


def train(
    model: Any = None,
    steps: int = STEPS,
    d_sae: int = D_SAE,
    l1: float = L1,
    seed: int = SEED,
    n_train: int = N_TRAIN,
    n_copy: int = N_COPY,
    n_eval: int = N_EVAL,
) -> tuple[Any, dict[str, Any]]:
    """Train the SAE (seeded); returns the sae-lens ``StandardTrainingSAE`` (its recipe in
    ``cfg.metadata.training``) and its metrics. The defaults are the shipped recipe; smaller numbers make a
    quick smoke run."""
    from sae_lens import StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.saes.sae import SAEMetadata

    import glassbox_jupyter.demos as demos

    seed_everything(seed)
    model = demos.load("ioi") if model is None else model
    started = time.perf_counter()
    ioi = collect(model, ioi_texts(task.ioi_prompts(n_train, seed=seed + 1, split="train")))
    copies = collect(model, [text for text, _ in task.copy_prompts(n_copy, seed=seed + 3)])
    acts = torch.cat([ioi, copies])
    evals = {
        "held_out": task.ioi_prompts(n_eval, seed=seed + 2, split="train"),  # fresh prompts, same distribution
        "test": task.ioi_prompts(n_eval, seed=seed + 2, split="test"),  # held-out names in held-out frames
    }
    cfg = StandardTrainingSAEConfig(
        d_in=acts.shape[1],
        d_sae=d_sae,
        l1_coefficient=l1,
        l1_warm_up_steps=WARMUP_L1,
        metadata=SAEMetadata(
            model_name=model.cfg.model_name,
            hook_name=HOOK,
            hook_head_index=None,
            prepend_bos=True,
            context_size=model.cfg.n_ctx,
        ),
    )
    torch.manual_seed(seed)
    sae = StandardTrainingSAE(cfg)
    with torch.no_grad():
        sae.b_dec.copy_(acts.mean(dim=0))
    train_loop(sae, acts, steps=steps, l1=l1, warm_up=WARMUP_L1, lr=LR, batch=BATCH, seed=seed)
    seconds = time.perf_counter() - started
    metrics: dict[str, Any] = {f"train_{k}": v for k, v in sae_metrics(sae, acts).items()}
    for split, prompts in evals.items():
        eval_acts = collect(model, ioi_texts(prompts))
        metrics |= {f"{split}_{k}": v for k, v in sae_metrics(sae, eval_acts).items()}
        metrics |= {f"{split}_{k}": v for k, v in logit_diff_fidelity(model, sae, prompts).items()}
        metrics[f"{split}_n_vectors"] = len(eval_acts)
    metrics |= {"n_train_vectors": len(acts), "train_seconds": round(seconds, 1)}
    sae.cfg.metadata.training = recipe(steps, d_sae, l1, seed, n_train, n_copy, n_eval)
    return sae, metrics


def save(sae: Any, metrics: dict[str, Any], folder: Path) -> Path:
    """Write the inference SAE in sae-lens's format (``sae_weights.safetensors`` + ``cfg.json``) with the
    recipe and metrics in its metadata; returns the weights' path."""
    sae.cfg.metadata.glassbox_demo = NAME
    sae.cfg.metadata.metrics = metrics
    sae.cfg.metadata.description = (
        f"sparse autoencoder ({sae.cfg.d_sae} features) of the ioi demo's residual stream after layer 0"
    )
    weights, _ = sae.save_inference_model(folder)
    return weights


def main() -> None:
    cli(__doc__ or "", MODELS / NAME, {"steps": STEPS, "d_sae": D_SAE, "l1": L1}, train, save)


if __name__ == "__main__":
    main()
