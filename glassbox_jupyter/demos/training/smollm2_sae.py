"""Train the ``smollm2`` demo's sparse autoencoder: a sae-lens ``StandardSAE`` on SmolLM2's residual stream
after layer 15 (the middle of its 30 layers).

Seeded, one thread, CPU (a few minutes here). Run ``python -m glassbox_jupyter.demos.training.smollm2_sae`` to
rewrite ``glassbox_jupyter/demos/models/smollm2_sae/`` (sae-lens's own format: ``sae_weights.safetensors`` and
``cfg.json``, the recipe and held-out metrics under ``metadata``), which
:func:`glassbox_jupyter.demos.load_sae` reads offline. 1,024 features × 576 dimensions in float32 is 4.7 MB.

Data, at every token position except the first: SmolLM2 (like many Llama-family models) turns its first token
(``<|im_start|>``, the BOS it prepends) into an attention sink whose residual stream is about 150× larger than
any other position's (norm ≈ 25,000 against ≈ 175 at this layer), so that position is left out of training and
the SAE is never spliced in there (``metadata.exclude_special_tokens``; the attribution honours it).

* IOI sentences: 1,500 prompts of :func:`~glassbox_jupyter.demos.ioi_real.ioi_prompt_set` (seed 1) and their
  ABC twins: the task the attribution studies;
* general English: the docstring paragraphs of a fixed list of Python standard-library modules (public
  documentation that is installed everywhere; every tenth paragraph held out) and the CC0 sentences of
  ``demos/corpora/topics.json``, each cut to 64 tokens.

Activations are scaled to a mean norm of √576 for training, and the scale is folded back into the weights
afterwards (sae-lens's ``fold_activation_norm_scaling_factor``), so the shipped SAE reads the raw residual
stream. SAE: sae-lens's ``StandardTrainingSAE`` (ReLU encoder; loss = summed squared error + L1 × Σ|f_i|‖W_dec,i‖
warmed up over 500 steps); Adam, lr 1e-3 decayed linearly over the last fifth; 3,000 batches of 1,024 vectors.

Metrics (in ``cfg.json``): fraction of variance explained, L0 and dead features on held-out IOI prompts (seed 2,
never trained on) and held-out docstring paragraphs; and on those IOI prompts the IO − S logit difference of
the model with the reconstruction in place of the activation (no error term) at every position but the first.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import torch

from glassbox_jupyter.demos.training.common import MODELS, seed_everything
from glassbox_jupyter.demos.training.ioi_sae import ioi_texts
from glassbox_jupyter.demos.training.sae_common import cli, sae_metrics, train_loop

NAME = "smollm2_sae"
LAYER = 15
HOOK = f"blocks.{LAYER}.hook_resid_post"
SEED = 0
D_SAE = 1024
L1 = 2.0
STEPS = 3000
BATCH = 1024
LR = 1e-3
WARMUP_L1 = 500
N_IOI, N_EVAL = 1500, 200
MAX_TOKENS = 64
#: Standard-library modules whose docstrings are the general-English part of the data.
DOC_MODULES = (
    "argparse", "asyncio", "bisect", "calendar", "collections", "configparser", "contextlib", "csv", "datetime",
    "decimal", "difflib", "email.message", "enum", "fractions", "functools", "heapq", "http.client", "inspect",
    "ipaddress", "itertools", "json", "logging", "mailbox", "os", "pathlib", "pickle", "queue", "random", "re",
    "sched", "shutil", "smtplib", "socket", "statistics", "string", "subprocess", "tarfile", "tempfile",
    "textwrap", "threading", "typing", "unittest", "urllib.parse", "uuid", "zipfile",
)  # fmt: skip


def doc_paragraphs() -> list[str]:
    """Prose paragraphs (≥ 8 words, no code) of :data:`DOC_MODULES`' docstrings, in a fixed order."""
    seen: set[str] = set()
    out = []
    for module_name in DOC_MODULES:
        module = importlib.import_module(module_name)
        objects = [module] + [obj for _, obj in sorted(vars(module).items()) if inspect.isclass(obj) or callable(obj)]
        for obj in objects:
            if getattr(obj, "__module__", module_name) != module_name and obj is not module:
                continue
            for paragraph in (inspect.getdoc(obj) or "").split("\n\n"):
                text = " ".join(paragraph.split())
                if len(text.split()) >= 8 and ">>>" not in text and not re.search(r"[{}\[\]=]{2}", text):
                    if text not in seen:
                        seen.add(text)
                        out.append(text)
    return out


def topic_sentences() -> list[str]:
    """The CC0 sentences of the neuron-graph demo's corpus."""
    path = Path(__file__).resolve().parent.parent / "corpora" / "topics.json"
    topics = json.loads(path.read_text(encoding="utf-8"))["topics"]
    return [s for name in sorted(topics) for s in topics[name]]


def collect(model: Any, texts: list[str], hook: str = HOOK, batch: int = 64) -> torch.Tensor:
    """Activations ``[n_tokens d]`` at ``hook`` for every token but the first (the BOS sink) of ``texts``,
    each cut to :data:`MAX_TOKENS` tokens; runs only the blocks up to the hook."""
    by_length: dict[int, list[torch.Tensor]] = {}
    for text in texts:
        ids = model.to_tokens(text)[0][:MAX_TOKENS]
        by_length.setdefault(len(ids), []).append(ids)
    layer = int(hook.split(".")[1])
    out = []
    with torch.no_grad():
        for length in sorted(by_length):
            group = by_length[length]
            for start in range(0, len(group), batch):
                tokens = torch.stack(group[start : start + batch])
                _, cache = model.run_with_cache(tokens, names_filter=hook, stop_at_layer=layer + 1)
                out.append(cache[hook][:, 1:].reshape(-1, cache[hook].shape[-1]))
    return torch.cat(out)


def logit_diff_fidelity(model: Any, sae: Any, prompts: list[Any], hook: str = HOOK) -> dict[str, float]:
    """Mean IO − S logit difference of the model, and of the model with the SAE's reconstruction in place of
    the activation (no error term) at every position but the first, over ``prompts``."""
    from glassbox_jupyter.circuits.prompts import PromptSet, logit_diff

    def replace(x: torch.Tensor, hook: Any) -> torch.Tensor:
        out = x.clone()
        out[:, 1:] = sae.decode(sae.encode(x[:, 1:]))
        return out

    ps = PromptSet.build(model, prompts)
    clean, spliced = [], []
    with torch.no_grad():
        for b in ps.buckets:
            clean.append(logit_diff(model(b.clean), b.correct, b.incorrect))
            spliced.append(
                logit_diff(model.run_with_hooks(b.clean, fwd_hooks=[(hook, replace)]), b.correct, b.incorrect)
            )
    c, s = torch.cat(clean), torch.cat(spliced)
    return {
        "logit_diff": round(float(c.mean()), 4),
        "logit_diff_sae": round(float(s.mean()), 4),
        "logit_diff_fidelity": round(float(1 - (s - c).abs().mean() / c.abs().mean()), 4),
        "accuracy_io_vs_s_sae": round(float((s > 0).float().mean()), 4),
    }


def recipe(steps: int, d_sae: int, l1: float, seed: int, scale: float) -> dict[str, Any]:
    """How the SAE is trained and measured (stored in its ``cfg.json`` metadata)."""
    return {
        "data": (
            f"{HOOK} of glassbox.demos.load('smollm2') at every position but the first (the BOS attention sink) of "
            f"{N_IOI} IOI prompts (ioi_prompt_set(model, {N_IOI}, seed={seed + 1})) and their ABC twins, plus the "
            f"docstring paragraphs of {len(DOC_MODULES)} standard-library modules (Python "
            f"{sys.version_info.major}.{sys.version_info.minor}; every tenth held out) and the topics.json "
            f"sentences, each cut to {MAX_TOKENS} tokens"
        ),
        "eval": (
            f"ioi: {N_EVAL} IOI prompts never trained on (ioi_prompt_set(model, {N_EVAL}, seed={seed + 2})) with "
            "their twins for fve/l0, the clean prompts for the logit difference; docs: the held-out docstring "
            "paragraphs"
        ),
        "metrics_notes": (
            "fve: 1 - sum|x - x_hat|^2 / sum|x - mean x|^2 over token positions (the first excluded); l0: mean "
            "active features per position; dead_features: never active on that set; logit_diff_sae: mean IO - S "
            "logit difference with the reconstruction in place of the activation (no error term) at every "
            "position but the first; logit_diff_fidelity: 1 - mean|ld_sae - ld| / mean|ld|"
        ),
        "d_sae": d_sae,
        "loss": "sae-lens StandardTrainingSAE.training_forward_pass: summed squared error + l1 * sum(|f| * |W_dec|)",
        "l1_coefficient": l1,
        "l1_warm_up_steps": WARMUP_L1,
        "activation_scale": f"inputs multiplied by {scale:.6g} (mean norm sqrt(d_in)) in training, folded into the "
        "weights afterwards",
        "optimiser": f"Adam lr {LR}, linear decay to 0 over the last 20% of steps",
        "steps": steps,
        "batch": BATCH,
        "b_dec_init": "mean of the scaled training activations",
        "seed": seed,
        "device": "cpu, 1 thread, torch.use_deterministic_algorithms(True)",
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
    }


def fit(acts: torch.Tensor, model_name: str, steps: int, d_sae: int, l1: float, seed: int) -> tuple[Any, float]:
    """Train a ``StandardTrainingSAE`` on ``acts`` (scaled to a mean norm of √d_in) and return the inference
    ``StandardSAE`` with the scale folded back into its weights, and that scale."""
    from sae_lens import StandardSAE, StandardSAEConfig, StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.saes.sae import SAEMetadata

    scale = float(acts.shape[1] ** 0.5 / acts.norm(dim=-1).mean())
    scaled = acts * scale
    metadata = SAEMetadata(
        model_name=model_name,
        hook_name=HOOK,
        hook_head_index=None,
        prepend_bos=True,
        context_size=MAX_TOKENS,
        exclude_special_tokens=True,
    )
    cfg = StandardTrainingSAEConfig(
        d_in=acts.shape[1], d_sae=d_sae, l1_coefficient=l1, l1_warm_up_steps=WARMUP_L1, metadata=metadata
    )
    torch.manual_seed(seed)
    sae = StandardTrainingSAE(cfg)
    with torch.no_grad():
        sae.b_dec.copy_(scaled.mean(dim=0))
    train_loop(sae, scaled, steps=steps, l1=l1, warm_up=WARMUP_L1, lr=LR, batch=BATCH, seed=seed)
    inference = StandardSAE(StandardSAEConfig(d_in=cfg.d_in, d_sae=d_sae, metadata=metadata))
    inference.load_state_dict({k: v for k, v in sae.state_dict().items() if k in inference.state_dict()})
    inference.fold_activation_norm_scaling_factor(scale)
    inference.eval()
    return inference, scale


def train(
    model: Any = None, steps: int = STEPS, d_sae: int = D_SAE, l1: float = L1, seed: int = SEED
) -> tuple[Any, dict[str, Any]]:
    """Train the SAE (seeded); returns the inference ``StandardSAE`` (raw-scale weights, recipe in
    ``cfg.metadata.training``) and its metrics. Smaller ``steps`` make a quick smoke run."""
    import glassbox_jupyter.demos as demos
    from glassbox_jupyter.demos.ioi_real import ioi_prompt_set

    seed_everything(seed)
    model = demos.load("smollm2") if model is None else model
    started = time.perf_counter()
    docs = doc_paragraphs()
    train_docs = [d for i, d in enumerate(docs) if i % 10 != 9]
    test_docs = [d for i, d in enumerate(docs) if i % 10 == 9]
    acts = torch.cat(
        [
            collect(model, ioi_texts(ioi_prompt_set(model, N_IOI, seed=seed + 1))),
            collect(model, train_docs + topic_sentences()),
        ]
    )
    inference, scale = fit(acts, model.cfg.model_name, steps, d_sae, l1, seed)
    seconds = time.perf_counter() - started
    metrics: dict[str, Any] = {f"train_{k}": v for k, v in sae_metrics(inference, acts).items()}
    eval_prompts = ioi_prompt_set(model, N_EVAL, seed=seed + 2)
    metrics |= {f"ioi_{k}": v for k, v in sae_metrics(inference, collect(model, ioi_texts(eval_prompts))).items()}
    metrics |= {f"ioi_{k}": v for k, v in logit_diff_fidelity(model, inference, eval_prompts).items()}
    metrics |= {f"docs_{k}": v for k, v in sae_metrics(inference, collect(model, test_docs)).items()}
    metrics |= {"n_train_vectors": len(acts), "n_doc_paragraphs": len(docs), "train_seconds": round(seconds, 1)}
    inference.cfg.metadata.training = recipe(steps, d_sae, l1, seed, scale)
    return inference, metrics


def save(sae: Any, metrics: dict[str, Any], folder: Path) -> Path:
    """Write the SAE in sae-lens's format (``sae_weights.safetensors`` + ``cfg.json``) with the recipe and
    metrics in its metadata; returns the weights' path."""
    sae.cfg.metadata.glassbox_demo = NAME
    sae.cfg.metadata.metrics = metrics
    sae.cfg.metadata.description = (
        f"sparse autoencoder ({sae.cfg.d_sae} features) of SmolLM2-135M-Instruct's residual stream after layer "
        f"{LAYER}, trained without the first (BOS) position"
    )
    weights, _ = sae.save_model(folder)
    return weights


def main() -> None:
    cli(__doc__ or "", MODELS / NAME, {"steps": STEPS, "d_sae": D_SAE, "l1": L1}, train, save)


if __name__ == "__main__":
    main()
