"""Train the ``ioi`` demo: a 2-layer attention-only HookedTransformer that does indirect-object identification.

Seeded and CPU-deterministic (one thread; about 2.5 minutes). Run
``python -m glassbox_jupyter.demos.training.ioi`` to rewrite
``glassbox_jupyter/demos/models/ioi.{safetensors,json}`` and ``ioi_tokenizer.json``.

Task (:mod:`glassbox_jupyter.demos.ioi`): "When Mary and John went to the store, John gave a drink to"
→ " Mary". 28 single-token names, 8 of them held out; 3,696 training frames (openings × what the two did
× links × endings) and 6 held-out frames of other shapes; ABBA and BABA orders.

Tokenizer: byte-level BPE learnt with ``tokenizers`` from the task's words, so each word is one token with
GPT-2's leading space and any other string splits into pieces (never an ``<unk>``); BOS ``<|endoftext|>``.

Model: ``HookedTransformerConfig(n_layers=2, d_model=64, n_heads=4, d_head=16, n_ctx=32, d_vocab=550,
act_fn="gelu", normalization_type="LN", attn_only=True)``, about 107k parameters (429 kB).

Training: cross-entropy of the answer token at the last position only (next-token prediction over the
whole vocabulary), AdamW (lr 2e-3, weight decay 0.01, warm-up then cosine) for 3,000 steps of 128 rows
drawn from 24,000 IOI prompts (training names in training frames) and 8,000 one-name copy sentences
("When Eve and the friends went to the park, they gave a ring to" → " Eve") over all names. In half of
the IOI rows the two names are swapped for random other tokens (training names or BPE fragments), which
forces a name-agnostic algorithm. Held-out names are never in an IOI training prompt: they reach
training only through the copy sentences, the way pre-training gives GPT-2 its names.

Held-out results (1,000 fresh prompts each, seed 0): held-out names in held-out frames 99.2 % argmax over
the whole vocabulary (99.2 % IO vs S), mean logit difference 12.2 (ABC-corrupted: −0.02); held-out names
in training frames 99.7 %; training names in held-out frames 100 %. Other seeds give 92–99 % on the
held-out names (the held-out frames stay at ≥ 99.7 %); seed 0 is the one shipped and re-trained by the tests.

Circuit (:func:`circuit_analysis`, 400 held-out prompts; exact activation patching of each head's
``hook_z`` from the clean into the corrupted run, as a fraction of the clean − corrupted logit difference
12.00 − 0.36 for the ABC corruption, where the repeated subject S2 becomes a third name):

* **Name movers, L1H0–L1H3.** All four layer-1 heads look from the last token at the IO's slot (0.36–0.40
  on the IO token, 0.51–0.54 on the token right after it) and hardly at the subject's first mention (S1
  and the token after it ≤ 0.07). Their direct logit attributions are +3.03, +2.88, +2.96, +3.14 (together
  the whole clean logit difference of 12.0); patching each recovers 0.26–0.28 of the ABC gap (1.08 together).
* **Subject readers, L0H0 (and L0H2).** At the last token L0H0 attends to the repeated subject S2 (0.90,
  L0H2 0.45). Patching L0H0 alone recovers 0.89 of the ABC gap, 0.86 when patched at the last position
  only (L0H2: 0.38); its direct effect is nil (DLA −0.003), so it acts through the layer-1 queries: the
  name movers are told which name to avoid. This plays the part of GPT-2's duplicate-token and
  S-inhibition heads (in two layers the last token reads the repeated name directly).
* **Previous-name heads, all of layer 0.** From the token after a first-clause name every layer-0 head
  attends to that name (IO+1→IO 0.93–0.98, S1+1→S1 the same), while its mean attention to the previous
  token over all positions is only 0.25–0.27. With the IO corruption (the IO in the first clause becomes a
  third name) each layer-0 head recovers 0.23–0.30 of the gap when patched at every position but ≤ 0.012
  at the last position alone: they carry the names' identities into the slots the name movers read
  (keys and values), which is why the name movers attend to the token *after* the IO more than to the IO.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from glassbox_jupyter.demos import ioi as task
from glassbox_jupyter.demos.training.common import MODELS, seed_everything

NAME = task.NAME
SEED = 0
STEPS = 3000
BATCH = 128
LR = 2e-3
WEIGHT_DECAY = 0.01
AUGMENT = 0.5  # share of IOI rows whose names are swapped for random tokens
N_IOI, N_COPY = 24_000, 8_000  # training sentences (sampled once, seeded); batches draw from them
CONFIG: dict[str, Any] = {
    "n_layers": 2,
    "d_model": 64,
    "n_heads": 4,
    "d_head": 16,
    "n_ctx": 32,
    "d_vocab": -1,  # set from the tokenizer in build_tokenizer()
    "act_fn": "gelu",
    "normalization_type": "LN",
    "positional_embedding_type": "standard",
    "attn_only": True,
    "default_prepend_bos": True,
    "model_name": "glassbox-demo-ioi",
}
#: What circuit_analysis() of the shipped model shows (the numbers are in the card's "circuit").
CIRCUIT_NOTES = [
    "Exact activation patching of each head's hook_z (clean -> corrupted), 400 held-out prompts. ABC "
    "corruption (S2 replaced by a third name): logit difference 12.00 clean, 0.36 corrupted.",
    "L1H0, L1H1, L1H2, L1H3 are name movers: from the last token they attend to the IO's slot (IO 0.36-0.40, "
    "the token after IO 0.51-0.54) and hardly to S1's (<= 0.07); direct logit attribution +3.03, +2.88, "
    "+2.96, +3.14 (summing to the clean 12.0); each recovers 0.26-0.28 of the ABC gap when patched.",
    "L0H0 (with L0H2) reads the subject: at the last token it attends to the repeated name S2 (0.90; L0H2 "
    "0.45). Patching L0H0 alone recovers 0.89 of the ABC gap (0.86 at the last position only; L0H2 0.38) "
    "with no direct effect (DLA -0.003): it tells the name movers' queries which name to avoid, the part "
    "GPT-2's duplicate-token and S-inhibition heads play.",
    "All four layer-0 heads are previous-name heads: from the token after a first-clause name they attend "
    "to that name (IO+1->IO 0.93-0.98, S1+1->S1 the same; mean previous-token attention only 0.25-0.27). "
    "With the IO corruption each recovers 0.23-0.30 of the gap patched at every position but <= 0.012 at "
    "the last position: they put the names' identities into the slots the name movers read, which is why "
    "the name movers look at the token after the IO more than at the IO.",
]


# ------------------------------------------------------------------ tokenizer
def build_tokenizer(path: Path) -> Any:
    """Learn the byte-level BPE vocabulary of :func:`task.corpus` (deterministic) and save it to ``path``.

    Every word of the task ends up as one token (checked), with GPT-2's leading-space convention.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=10_000,  # more than the corpus can merge into: every word becomes one token
        special_tokens=[task.SPECIAL_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(task.corpus(), trainer)
    bos = tokenizer.token_to_id(task.SPECIAL_TOKEN)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{task.SPECIAL_TOKEN} $A", special_tokens=[(task.SPECIAL_TOKEN, bos)]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(path))
    loaded = task.load_tokenizer(path)
    for word in task.NAMES + task.PLACES + task.OBJECTS:
        assert len(loaded(" " + word)["input_ids"]) == 2, word  # BOS + one token
    return loaded


def token_coverage_gaps(tokenizer: Any) -> set[str]:
    """Tokens of the held-out templates that no training sentence contains (should be empty)."""

    def tokens(texts: list[str]) -> set[str]:
        return {tok for text in texts for tok in tokenizer.tokenize(text)}

    held_out = [task._fill(t, "Mary", "John", "John", "store", "drink") for t in task.TEST_TEMPLATES]
    seen = [task._fill(t, "Mary", "John", "John", "store", "drink") for t in task.TRAIN_TEMPLATES]
    seen += [text for text, _ in task.copy_prompts(200)]
    return tokens(held_out) - tokens(seen)


# ------------------------------------------------------------------ data and metrics
def encode(tokenizer: Any, prompts: list[str], answers: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded token ids, the index of each prompt's last token, and each answer's token id."""
    batch = tokenizer(prompts, padding=True, return_tensors="pt")
    last = batch["attention_mask"].sum(dim=1) - 1
    answer_ids = [tokenizer(a, add_special_tokens=False)["input_ids"] for a in answers]
    assert all(len(ids) == 1 for ids in answer_ids), "answers must be single tokens"
    return batch["input_ids"], last, torch.tensor([ids[0] for ids in answer_ids])


def final_logits(model: Any, tokens: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """Logits at each prompt's last token (right padding cannot leak backwards: attention is causal)."""
    logits = model(tokens, return_type="logits")
    return logits[torch.arange(len(tokens)), last]


@torch.no_grad()
def evaluate(model: Any, prompts: list[task.IOIPrompt]) -> dict[str, float]:
    """Accuracy (argmax over the whole vocabulary, and IO vs S) and logit differences on ``prompts``."""
    tokenizer = model.tokenizer
    tokens, last, correct = encode(tokenizer, [p.prompt for p in prompts], [p.correct for p in prompts])
    _, _, incorrect = encode(tokenizer, [p.prompt for p in prompts], [p.incorrect for p in prompts])
    corrupt_tokens, corrupt_last, _ = encode(
        tokenizer, [p.corrupted_prompt for p in prompts], [p.correct for p in prompts]
    )
    logits = final_logits(model, tokens, last)
    rows = torch.arange(len(prompts))
    diff = logits[rows, correct] - logits[rows, incorrect]
    corrupt = final_logits(model, corrupt_tokens, corrupt_last)
    corrupt_diff = corrupt[rows, correct] - corrupt[rows, incorrect]
    return {
        "accuracy": float((logits.argmax(-1) == correct).float().mean()),
        "accuracy_io_vs_s": float((diff > 0).float().mean()),
        "mean_logit_diff": float(diff.mean()),
        "mean_logit_diff_corrupted": float(corrupt_diff.mean()),
        "mean_prob_correct": float(logits.softmax(-1)[rows, correct].mean()),
    }


def single_token_id(tokenizer: Any, text: str) -> int:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == 1, f"{text!r} is {len(ids)} tokens"
    return ids[0]


def substitute_names(
    tokens: torch.Tensor,
    last: torch.Tensor,
    target: torch.Tensor,
    tokenizer: Any,
    n_rows: int,
    fraction: float,
    seed: int,
) -> None:
    """In a seeded ``fraction`` of the first ``n_rows`` (IOI) rows, stand random other tokens in for the two names.

    The IO and the subject (every occurrence, and the target) become two tokens the row does not otherwise
    contain, drawn from the training names and the BPE's sub-word fragments (never a held-out name, nor a
    place, object or template word, which would teach the model to answer with those).
    This keeps the model from learning name-specific shortcuts: the
    circuit has to work for whatever tokens fill the name slots. In place.
    """
    names = {single_token_id(tokenizer, " " + n) for n in task.NAMES}
    held_out = {single_token_id(tokenizer, " " + n) for n in task.TEST_NAMES}
    words = {i for text in task.corpus() for i in tokenizer(text, add_special_tokens=False)["input_ids"]}
    excluded = held_out | {tokenizer.bos_token_id} | (words - names)  # no word of the task but training names
    pool = np.array([i for i in range(len(tokenizer)) if i not in excluded])
    rng = np.random.default_rng(seed)
    for row in np.flatnonzero(rng.random(n_rows) < fraction):
        ids = tokens[row, : int(last[row]) + 1]
        io = int(target[row])
        present = set(ids.tolist())
        (s,) = {i for i in present if i in names and i != io and int((ids == i).sum()) == 2}
        new: list[int] = []
        while len(new) < 2:  # rejection sampling: tokens absent from the row, distinct
            pick = int(rng.choice(pool))
            if pick not in present and pick not in new:
                new.append(pick)
        ids[ids == io], ids[ids == s] = new[0], new[1]
        target[row] = new[0]


# ------------------------------------------------------------------ circuit analysis
def _positions(tokens: torch.Tensor, io: torch.Tensor, s: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per row: where the IO name, the token after it, the subject's two mentions and the token after S1 are."""
    io_pos = (tokens == io[:, None]).float().argmax(1)
    s_hits = tokens == s[:, None]
    s1 = s_hits.float().argmax(1)
    s2 = ((s_hits.cumsum(1) == 2) & s_hits).float().argmax(1)
    return {"IO": io_pos, "IO+1": io_pos + 1, "S1": s1, "S1+1": s1 + 1, "S2": s2}


@torch.no_grad()
def head_patching(model: Any, prompts: list[task.IOIPrompt]) -> tuple[float, float, dict[str, dict[str, float]]]:
    """Exact activation patching of each head's ``hook_z`` between the clean and corrupted prompts.

    Returns the clean and corrupted mean logit differences (IO − S at the last token) and, per head:
    ``patch`` (denoising: the corrupted run with the head's ``z`` at every position taken from the clean
    run; the fraction of the clean − corrupted gap it recovers), ``patch_end`` (the same, last position
    only) and ``knockout`` (noising: the clean run with the head's ``z`` from the corrupted run; the
    fraction of the gap lost).
    """
    tokenizer, n = model.tokenizer, len(prompts)
    clean, last, io = encode(tokenizer, [p.prompt for p in prompts], [p.correct for p in prompts])
    corrupt, _, s = encode(tokenizer, [p.corrupted_prompt for p in prompts], [p.incorrect for p in prompts])
    rows = torch.arange(n)

    def logit_diff(logits: torch.Tensor) -> float:
        return float((logits[rows, last, io] - logits[rows, last, s]).mean())

    only_z = lambda name: name.endswith("hook_z")  # noqa: E731
    clean_logits, clean_cache = model.run_with_cache(clean, names_filter=only_z)
    corrupt_logits, corrupt_cache = model.run_with_cache(corrupt, names_filter=only_z)
    ld_clean, ld_corrupt = logit_diff(clean_logits), logit_diff(corrupt_logits)
    gap = ld_clean - ld_corrupt

    def run(tokens: torch.Tensor, source: Any, layer: int, head: int, end_only: bool) -> float:
        def hook(z: torch.Tensor, hook: Any) -> torch.Tensor:
            if end_only:
                z[rows, last, head] = source[hook.name][rows, last, head]
            else:
                z[:, :, head] = source[hook.name][:, :, head]
            return z

        return logit_diff(model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)]))

    heads = {}
    for layer in range(model.cfg.n_layers):
        for head in range(model.cfg.n_heads):
            heads[f"L{layer}H{head}"] = {
                "patch": (run(corrupt, clean_cache, layer, head, False) - ld_corrupt) / gap,
                "patch_end": (run(corrupt, clean_cache, layer, head, True) - ld_corrupt) / gap,
                "knockout": (ld_clean - run(clean, corrupt_cache, layer, head, False)) / gap,
            }
    return ld_clean, ld_corrupt, heads


@torch.no_grad()
def head_roles(model: Any, prompts: list[task.IOIPrompt]) -> dict[str, dict[str, float]]:
    """Per head: direct logit attribution and mean attention patterns on the clean ``prompts``.

    ``dla``: the head's direct contribution (through the final LayerNorm, frozen at the clean run's scale)
    to logit(IO) − logit(S) at the last token. ``end->X``: attention from the last token to
    position ``X`` (``IO``, ``IO+1`` the
    token after the IO, ``S1``, ``S1+1``, ``S2``, ``BOS``). ``S2->S1``: from the repeated subject to its
    first mention; ``IO+1->IO`` and ``S1+1->S1``: from the token after a first-clause name to
    that name. ``prev``: mean attention of every token to the token before it.
    """
    tokenizer, n = model.tokenizer, len(prompts)
    tokens, last, io = encode(tokenizer, [p.prompt for p in prompts], [p.correct for p in prompts])
    _, _, s = encode(tokenizer, [p.prompt for p in prompts], [p.incorrect for p in prompts])
    rows = torch.arange(n)
    where = _positions(tokens, io, s)
    _, cache = model.run_with_cache(
        tokens, names_filter=lambda name: name.endswith(("hook_z", "hook_pattern", "scale"))
    )
    direction = (model.W_U[:, io] - model.W_U[:, s]).T  # (n, d_model)
    final_scale = cache["ln_final.hook_scale"][rows, last]  # (n, 1)
    width = tokens.shape[1]
    valid = torch.arange(1, width)[None, :] <= last[:, None]  # query positions 1..last of each row
    roles = {}
    for layer in range(model.cfg.n_layers):
        z, pattern = cache[f"blocks.{layer}.attn.hook_z"], cache[f"blocks.{layer}.attn.hook_pattern"]
        for head in range(model.cfg.n_heads):
            out = z[rows, last, head] @ model.W_O[layer, head]
            out = (out - out.mean(-1, keepdim=True)) / final_scale * model.ln_final.w  # through ln_final
            end = pattern[rows, head, last]  # (n, key)
            prev = pattern[:, head].diagonal(offset=-1, dim1=-2, dim2=-1)  # (n, width - 1)
            roles[f"L{layer}H{head}"] = {
                "dla": float((out * direction).sum(-1).mean()),
                **{f"end->{k}": float(end[rows, v].mean()) for k, v in where.items()},
                "end->BOS": float(end[:, 0].mean()),
                "IO+1->IO": float(pattern[rows, head, where["IO+1"], where["IO"]].mean()),
                "S1+1->S1": float(pattern[rows, head, where["S1+1"], where["S1"]].mean()),
                "S2->S1": float(pattern[rows, head, where["S2"], where["S1"]].mean()),
                "prev": float(prev[valid].mean()),
            }
    return roles


def circuit_analysis(model: Any, n: int = 400, seed: int = 20_000, split: task.Split = "test") -> dict[str, Any]:
    """Everything :func:`head_patching` and :func:`head_roles` measure, on ``n`` prompts of ``split``.

    Patching is run for both corruptions of :func:`task.ioi_prompts`: ``abc`` (the repeated subject
    replaced by a third name) finds the heads that know *which* name is repeated; ``io`` (the IO replaced
    by a third name in the first clause) finds the heads that carry the IO's identity.
    """
    result: dict[str, Any] = {"split": split, "n_prompts": n, "seed": seed}
    heads: dict[str, dict[str, float]] = {}
    for corruption in ("abc", "io"):
        prompts = task.ioi_prompts(n, seed=seed, split=split, corruption=corruption)
        ld_clean, ld_corrupt, patched = head_patching(model, prompts)
        result["logit_diff_clean"] = round(ld_clean, 3)
        result[f"logit_diff_corrupted_{corruption}"] = round(ld_corrupt, 3)
        for head, values in patched.items():
            heads.setdefault(head, {}).update({f"{k}_{corruption}": v for k, v in values.items()})
    for head, values in head_roles(model, prompts).items():
        heads[head].update(values)
    result["heads"] = {h: {k: round(v, 3) for k, v in d.items()} for h, d in heads.items()}
    return result


# ------------------------------------------------------------------ training
def train(
    steps: int = STEPS, seed: int = SEED, tokenizer_path: Path | None = None, config: dict[str, Any] | None = None
) -> tuple[Any, dict]:
    """Train the model (seeded, CPU-deterministic); returns it with held-out metrics.

    ``config`` overrides entries of :data:`CONFIG` (the benchmarks train other sizes this way, e.g.
    ``{"n_layers": 3, "n_heads": 8, "attn_only": False, "d_mlp": 256}``).

    The tokenizer is rebuilt (deterministically) and written to ``tokenizer_path`` (a temporary
    folder when not given, so a re-run leaves the shipped file alone).
    """
    import tempfile

    seed_everything(seed)
    if tokenizer_path is None:
        tokenizer_path = Path(tempfile.mkdtemp()) / task.TOKENIZER_FILE
    tokenizer = build_tokenizer(tokenizer_path)
    gaps = token_coverage_gaps(tokenizer)
    assert not gaps, f"held-out templates use tokens no training sentence has: {gaps}"
    config = CONFIG | (config or {}) | {"d_vocab": len(tokenizer)}
    model = task.build_model(config, tokenizer)

    ioi = task.ioi_prompts(N_IOI, seed=seed, split="train")
    copy = task.copy_prompts(N_COPY, seed=seed + 1)
    texts = [p.prompt for p in ioi] + [text for text, _ in copy]
    answers = [p.correct for p in ioi] + [answer for _, answer in copy]
    tokens, last, target = encode(tokenizer, texts, answers)
    if AUGMENT:
        substitute_names(tokens, last, target, tokenizer, n_rows=len(ioi), fraction=AUGMENT, seed=seed)

    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: min(1.0, (i + 1) / warmup) * 0.5 * (1 + np.cos(np.pi * min(i, steps) / steps))
    )
    model.train()
    start = time.perf_counter()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        index = torch.randint(len(tokens), (BATCH,), generator=generator)
        width = int(last[index].max()) + 1
        logits = final_logits(model, tokens[index, :width], last[index])
        loss = torch.nn.functional.cross_entropy(logits, target[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    seconds = time.perf_counter() - start
    model.eval()

    metrics: dict[str, Any] = {"train_loss": round(float(loss.detach()), 5), "train_seconds": round(seconds, 1)}
    for split in ("test", "test_names", "test_templates", "train"):
        scores = evaluate(model, task.ioi_prompts(1000, seed=10_000 + seed, split=split))
        metrics |= {f"{split}_{k}": round(v, 4) for k, v in scores.items()}
    return model, metrics


def card(model: Any, metrics: dict[str, Any], circuit: dict[str, Any]) -> dict[str, Any]:
    """The demo's card: how to rebuild the model (config + tokenizer), what it learnt, and how well."""
    cfg = model.cfg
    return {
        "name": NAME,
        "kind": "hooked_transformer",
        "description": (
            f"{cfg.n_layers}-layer attention-only transformer (d_model {cfg.d_model}, {cfg.n_heads} heads of "
            f"{cfg.d_head}) trained on indirect-object identification: 'When Mary and John went to the store, "
            "John gave a drink to' -> ' Mary'"
        ),
        "task": "next_token_prediction",
        "inputs": ["prompt"],
        "output_names": ["next-token logits"],
        "config": CONFIG | {"d_vocab": cfg.d_vocab},
        "tokenizer": task.TOKENIZER_FILE,
        "tokenizer_notes": (
            "byte-level BPE (tokenizers) learnt offline from the task's words: each name, place, object and "
            "template word is one token with its GPT-2-style leading space (' Mary'); any other word splits "
            "into several tokens. '<|endoftext|>' is BOS (prepended), EOS and padding."
        ),
        "task_description": {
            "summary": (
                "Two names are introduced ('A and B'), one of them (the subject S) is repeated, and the "
                "next token is the other one (the indirect object IO), with its leading space. ABBA and BABA "
                "orders are equally likely."
            ),
            "names": list(task.NAMES),
            "held_out_names": list(task.TEST_NAMES),
            "n_train_templates": len(task.TRAIN_TEMPLATES),
            "held_out_templates": list(task.TEST_TEMPLATES),
            "copy_sentences": (
                f"a training frame with one name and '{task.COPY_PARTNER}' in the first clause and "
                f"'{task.COPY_SUBJECT}' as the subject; the answer is the name (all names, held-out ones included)"
            ),
            "places": list(task.PLACES),
            "objects": list(task.OBJECTS),
            "prompts": "glassbox_jupyter.demos.ioi_prompts(n, seed, split='test', corruption='abc')",
        },
        "training": {
            "loss": (
                "cross-entropy of the next token at the last position only (the answer), over the whole vocabulary"
            ),
            "data": (
                f"{N_IOI} IOI prompts with training names in training templates, {AUGMENT:.0%} of them with the "
                "two names replaced by random other tokens (training names or BPE fragments; never a held-out "
                f"name, place, object or template word), plus {N_COPY} one-name copy sentences over all names "
                "(the only place held-out names occur in training)"
            ),
            "optimiser": f"AdamW lr {LR}, weight decay {WEIGHT_DECAY}, 5% warm-up then cosine decay",
            "steps": STEPS,
            "batch": BATCH,
            "device": "cpu, 1 thread, torch.use_deterministic_algorithms(True)",
        },
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
        "seed": SEED,
        "metrics": metrics,
        "metrics_notes": (
            "1,000 fresh prompts per split (seed 10000): 'test' = held-out names in held-out templates, "
            "'test_names' = held-out names in training templates, 'test_templates' = training names in held-out "
            "templates. accuracy: argmax over the whole vocabulary is the IO; accuracy_io_vs_s: logit(IO) > "
            "logit(S); mean_logit_diff: logit(IO) - logit(S) at the last token, on the clean and on the "
            "ABC-corrupted prompts."
        ),
        "circuit_notes": CIRCUIT_NOTES,
        "circuit": circuit,
    }


def main() -> None:
    import argparse

    from glassbox_jupyter.demos.training.common import save_demo

    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODELS, help="folder for the weights, tokenizer and card")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    model, metrics = train(steps=args.steps, tokenizer_path=args.out / task.TOKENIZER_FILE)
    circuit = circuit_analysis(model)
    path = save_demo(NAME, model, card(model, metrics, circuit), args.out)
    print(f"wrote {path} ({path.stat().st_size} bytes); {json.dumps(metrics)}")


if __name__ == "__main__":
    main()
