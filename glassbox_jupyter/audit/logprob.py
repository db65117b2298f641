"""LogprobProvider: decisions of a local causal language model, read from its token log-probabilities.

For a prompt and the two expected words, the provider scores the continuations ``" " + positive`` and
``" " + negative`` (no space when the prompt already ends in whitespace) by their summed token
log-probabilities; ``p_positive`` is the softmax over the two, and the decision is the likelier word. Nothing is
sampled, so a local audit is exactly repeatable. Works with a Hugging Face causal LM (an object with its tokenizer,
or a saved folder, loaded from safetensors only, offline) and with a TransformerLens ``HookedTransformer``.

Example:
    >>> from glassbox_jupyter.demos.loan_lm import load_loan_lm
    >>> provider = load_loan_lm()
    >>> decision = provider.decide("Applicant: Anna, age 35, income 90000, debt 5000. Decision:", "approve", "deny")
    >>> decision.label, decision.p_positive > 0.9
    ('positive', True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glassbox_jupyter.audit.errors import ProviderTypeError
from glassbox_jupyter.teacher.blackbox import Decision, Provider


def _is_hooked(model: Any) -> bool:
    return hasattr(model, "to_tokens") and hasattr(model, "cfg")


class LogprobProvider(Provider):
    """A local causal LM as an audit provider (log-probabilities of the two expected answers).

    Args:
        model: a Hugging Face causal LM, a folder holding one, or a TransformerLens ``HookedTransformer``.
        tokenizer: the Hugging Face tokenizer (read from the folder, or ``model.tokenizer`` for TransformerLens).
        name: how the model is named in findings (default: its folder or class name).
        batch_size: prompts scored per forward pass (Hugging Face models).
    """

    kind = "logprob"

    def __init__(self, model: Any, tokenizer: Any = None, *, name: str | None = None, batch_size: int = 16):
        if isinstance(model, (str, Path)):
            name = name or Path(model).name
            from glassbox_jupyter.teacher.hf_loading import load_hf_folder

            model, tokenizer = load_hf_folder(model, causal_lm=True, tokenizer=tokenizer, safetensors_only=True)
        self.hooked = _is_hooked(model)
        if not self.hooked and not (hasattr(model, "config") and callable(model)):
            raise ProviderTypeError(
                f"LogprobProvider needs a Hugging Face causal LM, a folder holding one, or a TransformerLens "
                f"HookedTransformer; got {type(model).__name__}"
            )
        if tokenizer is None:
            tokenizer = getattr(model, "tokenizer", None)
        if tokenizer is None:
            raise ProviderTypeError(
                "LogprobProvider needs the model's tokenizer: pass tokenizer=AutoTokenizer.from_pretrained(...)"
            )
        self.model = model.eval() if hasattr(model, "eval") else model
        self.tokenizer = tokenizer
        self.name = name or getattr(getattr(model, "config", None), "name_or_path", None) or type(model).__name__
        self.batch_size = max(1, int(batch_size)) if not self.hooked else 1
        self._weights_sha256: str | None = None

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": str(self.name),
            "class": type(self.model).__name__,
            "tokenizer": type(self.tokenizer).__name__,
            "n_parameters": int(sum(p.numel() for p in self.model.parameters())),
            "weights_sha256": self.weights_sha256,
        }

    @property
    def weights_sha256(self) -> str:
        """SHA-256 of the model's state dict, computed once, the way every torch model is hashed (TorchAdapter)."""
        if self._weights_sha256 is None:
            from glassbox_jupyter.teacher.adapters import TorchAdapter

            self._weights_sha256 = TorchAdapter(self.model).weights_hash()
        return self._weights_sha256

    # ------------------------------------------------------------------ scoring
    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        return self.decide_batch([prompt], positive, negative)[0]

    def decide_batch(self, prompts: Sequence[str], positive: str, negative: str) -> list[Decision]:
        pairs = [self._split(p, c) for p in prompts for c in (_continuation(p, positive), _continuation(p, negative))]
        scores = self._score_hooked(pairs) if self.hooked else self._score_hf(pairs)
        out = []
        for i in range(len(prompts)):
            lp_pos, lp_neg = scores[2 * i], scores[2 * i + 1]
            p = 1.0 / (1.0 + math.exp(max(-700.0, min(700.0, lp_neg - lp_pos))))
            label = "positive" if p >= 0.5 else "negative"
            answer = f"log p({positive}) = {lp_pos:.3f}, log p({negative}) = {lp_neg:.3f}"
            out.append(Decision(label, p, answer))
        return out

    def _ids(self, text: str, special: bool = True) -> list[int]:
        if self.hooked:
            return [int(t) for t in self.model.to_tokens(text, prepend_bos=special)[0].tolist()]
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _split(self, prompt: str, continuation: str) -> tuple[list[int], list[int]]:
        """Token ids of the prompt and of the continuation as it is tokenized after that prompt."""
        head = self._ids(prompt)
        full = self._ids(prompt + continuation)
        tail = full[len(head) :] if full[: len(head)] == head else self._ids(continuation, special=False)
        if not head or not tail:
            raise ValueError(f"the prompt or the answer {continuation!r} tokenizes to nothing")
        return head, tail

    def _score_hf(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        import torch

        device = next(self.model.parameters()).device
        pad = self.tokenizer.pad_token_id
        pad = 0 if pad is None else int(pad)
        scores: list[float] = []
        step = 2 * self.batch_size
        for start in range(0, len(pairs), step):
            chunk = pairs[start : start + step]
            seqs = [h + t for h, t in chunk]
            width = max(map(len, seqs))
            ids = torch.full((len(seqs), width), pad, dtype=torch.long)
            mask = torch.zeros((len(seqs), width), dtype=torch.long)
            for row, seq in enumerate(seqs):  # right padding: causal attention never looks at the pads
                ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            with torch.no_grad():
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            for row, (head, tail) in enumerate(chunk):
                positions = torch.arange(len(head) - 1, len(head) + len(tail) - 1)
                scores.append(float(logp[row, positions, torch.tensor(tail)].sum()))
        return scores

    def _score_hooked(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        import torch

        scores = []
        device = self.model.cfg.device
        for head, tail in pairs:
            tokens = torch.tensor([head + tail], device=device)
            with torch.no_grad():
                logp = torch.log_softmax(self.model(tokens, return_type="logits")[0].float(), dim=-1).cpu()
            positions = torch.arange(len(head) - 1, len(head) + len(tail) - 1)
            scores.append(float(logp[positions, torch.tensor(tail)].sum()))
        return scores


def _continuation(prompt: str, word: str) -> str:
    return word if not prompt or prompt[-1].isspace() else " " + word
