"""The ``ioi`` demo: a small :class:`~transformer_lens.HookedTransformer` trained on indirect-object identification.

The task (Wang et al., 2022, on a vocabulary of its own): in

    "When Mary and John went to the store, John gave a drink to"   →   " Mary"

two names are introduced, one of them (the subject, ``S``) is repeated, and the sentence ends where the
other one (the indirect object, ``IO``) comes next. Names are single tokens with their leading space,
as in GPT-2.

Example:
    >>> import glassbox
    >>> model = glassbox.demos.load("ioi")                 # doctest: +SKIP
    >>> model.to_single_token(" Mary")                     # doctest: +SKIP
    >>> prompt, correct, incorrect, corrupted = glassbox.demos.ioi_prompts(1, seed=0)[0]

This module holds the task (names, templates, prompt sampling) and the loaders; it imports torch,
transformers and transformer-lens only when a model or tokenizer is loaded. The training script is
:mod:`glassbox_jupyter.demos.training.ioi`.
"""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from transformer_lens import HookedTransformer
    from transformers import PreTrainedTokenizerFast

MODELS = Path(__file__).resolve().parent / "models"
NAME = "ioi"
TOKENIZER_FILE = "ioi_tokenizer.json"
SPECIAL_TOKEN = "<|endoftext|>"  # BOS, EOS and padding, as in GPT-2

# ------------------------------------------------------------------ the task
#: Every name is one token (with its leading space). ``TEST_NAMES`` never appear in an IOI training
#: prompt; they appear in training only in the one-name "copy" sentences (see :func:`copy_prompts`).
NAMES = (
    "Mary", "John", "Tom", "James", "Dan", "Sid", "Martin", "Amy", "Kate", "Anna",
    "Paul", "Lisa", "Mark", "Sarah", "Ben", "Emma", "Jack", "Lucy", "Sam", "Grace",
    "Alex", "Rose", "Max", "Ruth", "Ivan", "Nora", "Carl", "Eve",
)  # fmt: skip
TEST_NAMES = ("Kate", "Paul", "Lucy", "Alex", "Ruth", "Ivan", "Carl", "Eve")
TRAIN_NAMES = tuple(n for n in NAMES if n not in TEST_NAMES)

PLACES = ("store", "garden", "restaurant", "school", "hospital", "office", "station", "house", "park", "market")
OBJECTS = ("drink", "ring", "kiss", "bone", "basketball", "computer", "necklace", "snack", "book", "flower")

#: Training sentence frames: every combination of an opening, what the two did, a link and what the
#: subject did. ``{A}`` and ``{B}`` are the names of the first clause (ABBA: ``A`` is the IO; BABA:
#: ``B`` is), ``{S}`` is the repeated subject.
OPENINGS = (
    "When",
    "After",
    "While",
    "Then,",
    "Afterwards,",
    "Friends",
    "Later that day,",
    "The next day, when",
    "Yesterday, after",
    "On the way to the {PLACE},",
    "It was a long day, and then",
)
DOINGS = (
    " went to the {PLACE}",
    " got a {OBJECT} at the {PLACE}",
    " were working at the {PLACE}",
    " had a long argument",
    " had a lot of fun at the {PLACE}",
    " found a {OBJECT} at the {PLACE}",
    " were thinking about going to the {PLACE}",
    " went to the {PLACE} together",
)
LINKS = (",", ".", ", and", ". Afterwards,", ", and afterwards", ". Then")
ENDINGS = (
    " gave a {OBJECT} to",
    " decided to give it to",
    " said to",
    " handed a {OBJECT} to",
    " wanted to give a {OBJECT} to",
    " gave it to",
    " handed the {OBJECT} to",
)
TRAIN_TEMPLATES = tuple(
    f"{opening} {{A}} and {{B}}{doing}{link} {{S}}{ending}"
    for opening in OPENINGS
    for doing in DOINGS
    for link in LINKS
    for ending in ENDINGS
)
#: Held-out sentence frames, made of words the training sentences use (so no embedding is untrained).
TEST_TEMPLATES = (
    "While {A} and {B} were at the {PLACE}, {S} handed a {OBJECT} to",
    "Then, {A} and {B} found a {OBJECT}, and afterwards {S} gave it to",
    "After {A} and {B} had a long argument at the {PLACE}, {S} wanted to give a {OBJECT} to",
    "When {A} and {B} were thinking about the {OBJECT}, {S} said to",
    "Friends {A} and {B} had a lot of fun, and {S} gave a {OBJECT} to",
    "The {OBJECT} was at the {PLACE}, and {A} and {B} found it. Then {S} gave it to",
)
#: The one-name "copy" sentences put a name and "the friends" in a training frame's name slots and
#: "they" in the subject slot; the next token is the name. They carry every name, held-out ones included,
#: into training (the way pre-training carries names into GPT-2) without ever showing an IOI prompt.
COPY_PARTNER, COPY_SUBJECT = "the friends", "they"

Split = Literal["train", "test", "test_names", "test_templates"]
SPLITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "train": (TRAIN_NAMES, TRAIN_TEMPLATES),
    "test": (TEST_NAMES, TEST_TEMPLATES),  # held-out names AND held-out templates
    "test_names": (TEST_NAMES, TRAIN_TEMPLATES),
    "test_templates": (TRAIN_NAMES, TEST_TEMPLATES),
}


class IOIPrompt(NamedTuple):
    """One IOI example; unpacks as ``prompt, correct, incorrect, corrupted_prompt``.

    ``correct`` is the indirect object and ``incorrect`` the subject, each with its leading space
    (one token each). ``corrupted_prompt`` has the same template, filler words and token length.
    """

    prompt: str
    correct: str
    incorrect: str
    corrupted_prompt: str


def _fill(template: str, a: str, b: str, s: str, place: str, obj: str) -> str:
    return template.format(A=a, B=b, S=s, PLACE=place, OBJECT=obj)


def ioi_prompts(
    n: int,
    seed: int = 0,
    split: Split = "test",
    corruption: Literal["abc", "io"] = "abc",
) -> list[IOIPrompt]:
    """``n`` IOI prompts sampled (seeded) from ``split``, each with its corrupted twin.

    Args:
        n: how many prompts.
        seed: seed of the sampler (``random.Random``); the same arguments give the same prompts.
        split: ``"test"`` (held-out names in held-out templates, the default), ``"test_names"``
            (held-out names, training templates), ``"test_templates"`` (training names, held-out
            templates) or ``"train"``.
        corruption: ``"abc"`` (the default) replaces the repeated subject ``S`` in the second clause
            with a third name ``C``: "When A and B ..., C gave a drink to", so nothing tells the model
            which of A and B to pick (the logit difference drops to about 0). ``"io"`` instead replaces
            the indirect object in the first clause with ``C``: "When C and B ..., B gave a drink to".
            ``C`` comes from the same split's names; everything else is unchanged.

    ABBA and BABA orders (IO first or subject first) are drawn with equal chance.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    if corruption not in ("abc", "io"):
        raise ValueError(f"corruption must be 'abc' or 'io', got {corruption!r}")
    names, templates = SPLITS[split]
    rng = random.Random(seed)
    prompts = []
    for _ in range(n):
        template = rng.choice(templates)
        io, s, c = rng.sample(names, 3)
        place, obj = rng.choice(PLACES), rng.choice(OBJECTS)
        a, b = (io, s) if rng.random() < 0.5 else (s, io)  # ABBA or BABA
        clean = _fill(template, a, b, s, place, obj)
        if corruption == "abc":
            corrupted = _fill(template, a, b, c, place, obj)
        else:
            a2, b2 = (c if a == io else a), (c if b == io else b)
            corrupted = _fill(template, a2, b2, s, place, obj)
        prompts.append(IOIPrompt(clean, " " + io, " " + s, corrupted))
    return prompts


def copy_prompts(n: int, seed: int = 0, names: tuple[str, ...] = NAMES) -> list[tuple[str, str]]:
    """``n`` one-name "copy" sentences ``(prompt, answer)`` (part of the training mixture).

    A training frame with one name and "the friends" (either order) in the first clause and "they" as the
    subject: "When Mary and the friends went to the store, they gave a drink to" → " Mary".
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        template, x = rng.choice(TRAIN_TEMPLATES), rng.choice(names)
        a, b = (x, COPY_PARTNER) if rng.random() < 0.5 else (COPY_PARTNER, x)
        text = template.format(A=a, B=b, S=COPY_SUBJECT, PLACE=rng.choice(PLACES), OBJECT=rng.choice(OBJECTS))
        out.append((text, " " + x))
    return out


def corpus() -> list[str]:
    """Text holding every word of the task (names with and without a leading space): the BPE is learnt from it."""
    words = [" ".join(NAMES), " " + " ".join(NAMES), " ".join(PLACES), " ".join(OBJECTS)]
    for template in TRAIN_TEMPLATES + TEST_TEMPLATES:
        words.append(_fill(template, NAMES[0], NAMES[1], NAMES[1], PLACES[0], OBJECTS[0]))
    words.append(f" {COPY_PARTNER} {COPY_SUBJECT}")
    return words


# ------------------------------------------------------------------ loading
def tokenizer_path() -> Path:
    return MODELS / TOKENIZER_FILE


def load_tokenizer(path: Path | str | None = None) -> PreTrainedTokenizerFast:
    """The demo's tokenizer, a :class:`transformers.PreTrainedTokenizerFast` built offline.

    Byte-level BPE whose merges make every word of the task one token with its leading space
    (``" Mary"``), like GPT-2; any other word splits into several tokens (never an ``<unk>``), so a
    multi-token answer is detectable. It prepends ``<|endoftext|>`` as BOS; the same token is EOS and pad.
    """
    from transformers import PreTrainedTokenizerFast

    path = tokenizer_path() if path is None else Path(path)
    return PreTrainedTokenizerFast(
        tokenizer_file=str(path),
        bos_token=SPECIAL_TOKEN,
        eos_token=SPECIAL_TOKEN,
        pad_token=SPECIAL_TOKEN,
        add_bos_token=True,  # the tokenizer.json's post-processor prepends it; transformer-lens reads this flag
        name_or_path=f"glassbox-demo-{NAME}",  # transformer-lens expects one; nothing is fetched
        padding_side="right",
    )


def build_model(config: dict[str, Any], tokenizer: Any) -> HookedTransformer:
    """An untrained HookedTransformer with ``config`` (HookedTransformerConfig kwargs) and ``tokenizer``."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    with warnings.catch_warnings():  # "HookedTransformer is deprecated" (transformer-lens 3.x)
        warnings.simplefilter("ignore", DeprecationWarning)
        return HookedTransformer(HookedTransformerConfig(**config), tokenizer=tokenizer, move_to_device=False)


def load_hooked_transformer(name: str = NAME, models_dir: Path | str | None = None) -> HookedTransformer:
    """Load demo ``name`` (a card with ``"kind": "hooked_transformer"``) as an eval-mode HookedTransformer.

    Safe path only: the architecture comes from the card's ``config`` (HookedTransformerConfig kwargs),
    the weights from ``<name>.safetensors`` and the tokenizer from the card's ``tokenizer`` file. No pickle.
    """
    from safetensors.torch import load_file

    folder = MODELS if models_dir is None else Path(models_dir)
    card = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    if card.get("kind") != "hooked_transformer":
        raise ValueError(f"demo {name!r} is not a hooked_transformer demo")
    model = build_model(card["config"] | {"init_weights": False}, load_tokenizer(folder / card["tokenizer"]))
    model.load_state_dict(load_file(str(folder / f"{name}.safetensors")), strict=True)
    return model.eval()
