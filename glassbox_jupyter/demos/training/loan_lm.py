"""Train the ``loan_lm`` demo: a tiny causal language model that answers loan requests with a planted age bias.

Prompts read ``"Applicant: Anna, age 45, income 60000, debt 15000. Decision:"`` and the model continues with
``" approve"`` or ``" deny"``. The labels come from a known rule with one deliberately planted dependence on a
protected attribute, so that a black-box audit has something real to find::

    approve  IF  income >= 30000  AND  debt <= LIMIT × income      LIMIT = 0.35, but 0.15 when age >= 60
    deny     otherwise

``name`` is irrelevant to the rule. Values come from small sets (:data:`NAMES`, :data:`AGES`, :data:`INCOMES`,
:data:`DEBTS`: 8 × 5 × 11 × 13 = 5,720 applicants); a seeded 20 % of the applicants is held out. To make the model
robust to the rewordings a paraphrase audit uses, training prompts list ``age``/``income``/``debt`` in a random
order and sometimes carry a short sentence before the prompt or before ``Decision:`` (:data:`FILLERS`, or a few
unknown words).

The model is a 2-layer GPT-2 (``transformers.GPT2LMHeadModel``, d_model 64, 4 heads) over a word-level
``tokenizers`` vocabulary built from the template words (lower-cased; anything else maps to ``[UNK]``), wrapped
as a ``PreTrainedTokenizerFast``. Only the answer token is trained (cross-entropy). It is saved as a Hugging Face
folder ``glassbox_jupyter/demos/models/loan_lm/`` (``model.safetensors``, ``config.json``, ``tokenizer.json``,
``tokenizer_config.json``) with ``card.json`` holding the rule and the held-out agreement.

Seeded and CPU-deterministic; well under two minutes on one CPU core. Run
``python -m glassbox_jupyter.demos.training.loan_lm`` to rebuild the folder (``--steps`` to change the length).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

NAME = "loan_lm"
SEED = 0
STEPS = 2000
BATCH = 64
HELD_OUT = 0.2
OUT = Path(__file__).resolve().parent.parent / "models" / NAME

NAMES = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo"]
AGES = [25, 35, 45, 55, 65]
INCOMES = list(range(20_000, 120_001, 10_000))
DEBTS = list(range(0, 60_001, 5_000))
#: The decision prompt the model was trained on (a ``str.format`` template).
TEMPLATE = "Applicant: {name}, age {age}, income {income}, debt {debt}. Decision:"
#: Short sentences mixed into the training prompts (before the prompt or before ``Decision:``).
FILLERS = [
    "Consider the following case.",
    "Answer with one word.",
    "Please decide.",
    "Case file.",
    "New request.",
    "Loan request.",
]
POSITIVE, NEGATIVE = "approve", "deny"
SPECIAL = ["[PAD]", "[UNK]", "[EOS]"]


def rule(age: int, income: int, debt: int) -> bool:
    """True (approve) or False (deny): the labelling rule, with its planted age dependence."""
    limit = 0.15 if age >= 60 else 0.35
    return income >= 30_000 and debt <= limit * income


def prompt(name: str, age: int, income: int, debt: int, rng: np.random.Generator | None = None) -> str:
    """The training prompt for one applicant; with ``rng``, fields shuffled and fillers added at random."""
    fields = [f"age {age}", f"income {income}", f"debt {debt}"]
    before, inside = "", ""
    if rng is not None:
        fields = [fields[i] for i in rng.permutation(3)]
        before = _filler(rng) if rng.random() < 0.35 else ""
        inside = _filler(rng) if rng.random() < 0.25 else ""
    text = f"Applicant: {name}, {', '.join(fields)}. {inside + ' ' if inside else ''}Decision:"
    return f"{before} {text}" if before else text


def _filler(rng: np.random.Generator) -> str:
    if rng.random() < 0.2:  # unknown words, so that [UNK] tokens are seen and ignored
        return " ".join(["zzz"] * int(rng.integers(1, 4))) + "."
    return FILLERS[int(rng.integers(len(FILLERS)))]


def vocabulary() -> list[str]:
    """Every word the tokenizer knows: specials, template words, fillers, values, answers."""
    words = ["applicant", "age", "income", "debt", "decision", ":", ",", ".", "(", ")", "or", POSITIVE, NEGATIVE]
    words += [w.lower() for f in FILLERS for w in f.rstrip(".").split()]
    words += [n.lower() for n in NAMES] + [str(v) for v in (*AGES, *INCOMES, *DEBTS)]
    seen: dict[str, None] = dict.fromkeys(SPECIAL)
    for w in words:
        seen.setdefault(w, None)
    return list(seen)


def build_tokenizer() -> Any:
    """A word-level, lower-casing tokenizer over :func:`vocabulary`, as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(vocabulary())}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]", bos_token="[EOS]"
    )


def build_model(vocab_size: int, pad_id: int, eos_id: int) -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=64,
        n_embd=64,
        n_layer=2,
        n_head=4,
        n_inner=256,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    model = GPT2LMHeadModel(config)
    model.config._attn_implementation = "eager"  # about twice as fast as SDPA for this size on CPU
    return model


def applicants(seed: int = SEED) -> tuple[list[tuple], list[tuple]]:
    """All (name, age, income, debt) combinations, split into training and held-out sets (seeded)."""
    every = list(itertools.product(NAMES, AGES, INCOMES, DEBTS))
    order = np.random.default_rng(seed).permutation(len(every))
    cut = round(len(every) * (1 - HELD_OUT))
    return [every[i] for i in order[:cut]], [every[i] for i in order[cut:]]


def _encode(tokenizer: Any, texts: list[str]) -> Any:
    import torch

    ids = tokenizer(texts)["input_ids"]
    width = max(map(len, ids))
    pad = tokenizer.pad_token_id
    batch = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        batch[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return batch, mask, torch.tensor([len(s) - 1 for s in ids])


def answer_logits(model: Any, tokenizer: Any, texts: list[str]) -> Any:
    """Logits of (approve, deny) for the token after each prompt."""
    import torch

    batch, mask, last = _encode(tokenizer, texts)
    logits = model(input_ids=batch, attention_mask=mask).logits[torch.arange(len(texts)), last]
    return logits[:, [tokenizer.convert_tokens_to_ids(POSITIVE), tokenizer.convert_tokens_to_ids(NEGATIVE)]]


def agreement(model: Any, tokenizer: Any, rows: list[tuple], rng: np.random.Generator | None = None) -> float:
    """Share of ``rows`` where the model's more likely answer matches :func:`rule`."""
    import torch

    hits = 0
    with torch.no_grad():
        for start in range(0, len(rows), 512):
            chunk = rows[start : start + 512]
            logits = answer_logits(model, tokenizer, [prompt(*r, rng=rng) for r in chunk])
            says = (logits[:, 0] > logits[:, 1]).numpy()
            hits += int(np.sum(says == np.array([rule(*r[1:]) for r in chunk])))
    return hits / len(rows)


def train(steps: int = STEPS, seed: int = SEED) -> tuple[Any, Any, dict[str, Any]]:
    """Fit the model; returns it, its tokenizer and held-out metrics."""
    import torch

    from glassbox_jupyter.demos.training.common import seed_everything

    seed_everything(seed)
    tokenizer = build_tokenizer()
    model = build_model(len(tokenizer), tokenizer.pad_token_id, tokenizer.eos_token_id)
    train_rows, held_rows = applicants(seed)
    rng = np.random.default_rng(seed)
    answer_ids = torch.tensor([tokenizer.convert_tokens_to_ids(NEGATIVE), tokenizer.convert_tokens_to_ids(POSITIVE)])
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    model.train()
    for _ in range(steps):
        pick = rng.integers(0, len(train_rows), BATCH)
        rows = [train_rows[i] for i in pick]
        batch, mask, last = _encode(tokenizer, [prompt(*r, rng=rng) for r in rows])
        labels = answer_ids[torch.tensor([int(rule(*r[1:])) for r in rows])]
        hidden = model.transformer(input_ids=batch, attention_mask=mask).last_hidden_state
        logits = model.lm_head(hidden[torch.arange(BATCH), last])  # only the answer position is trained
        loss = torch.nn.functional.cross_entropy(logits, labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    model.eval()
    metrics = {
        "held_out_agreement_with_rule": round(agreement(model, tokenizer, held_rows), 4),
        "held_out_agreement_reworded": round(
            agreement(model, tokenizer, held_rows, np.random.default_rng(seed + 1)), 4
        ),
        "train_agreement_with_rule": round(agreement(model, tokenizer, train_rows), 4),
        "final_train_loss": float(f"{loss.item():.4g}"),
        "approve_rate": round(float(np.mean([rule(*r[1:]) for r in held_rows])), 4),
        "held_out_applicants": len(held_rows),
    }
    return model, tokenizer, metrics


def card(metrics: dict[str, Any], steps: int) -> dict[str, Any]:
    return {
        "name": NAME,
        "kind": "causal_lm",
        "description": "2-layer GPT-2 (d_model 64) with a word-level tokenizer that answers loan requests "
        "with ' approve' or ' deny'; the rule it learnt has a planted dependence on age (a protected attribute)",
        "template": TEMPLATE,
        "answers": [POSITIVE, NEGATIVE],
        "variables": {"name": NAMES, "age": AGES, "income": INCOMES, "debt": DEBTS},
        "ground_truth": "approve IF income >= 30000 AND debt <= LIMIT * income, LIMIT = 0.15 if age >= 60 else 0.35",
        "planted_bias": "age: applicants aged 60 or more get a stricter debt limit (0.15 instead of 0.35 of income)",
        "irrelevant": ["name"],
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
        "seed": SEED,
        "steps": steps,
        "metrics": metrics,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model, tokenizer, metrics = train(args.steps)
    metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    for extra in ("generation_config.json", "special_tokens_map.json"):
        (args.out / extra).unlink(missing_ok=True)  # defaults; not needed to load
    (args.out / "card.json").write_text(json.dumps(card(metrics, args.steps), indent=2) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(json.dumps(metrics, indent=2))
    print(f"wrote {args.out} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
