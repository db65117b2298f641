"""Indirect-object identification prompts for a real tokenizer (GPT-2, Llama, SmolLM2 …).

The IOI task (Wang et al. 2022): "When Mary and John went to the store, John gave a drink to" →
" Mary". A circuit analysis compares the logit of the indirect object (IO) with the repeated subject
(S) and needs each answer to be one token, so :func:`ioi_prompt_set` keeps only the names, places
and objects that are a single token with a leading space in the model's tokenizer (checked, not
assumed), fills the templates of the IOI paper in ABBA and BABA order, and makes each prompt's
corrupted twin:

* ``"abc"`` (default): the second-clause subject becomes a third name C, so nothing tells the model
  which of A and B to pick;
* ``"io"``: the IO in the first clause becomes C.

Clean and corrupted prompts then have the same number of tokens, as patching needs.

Example:
    >>> from glassbox_jupyter.demos.ioi_real import TEMPLATES
    >>> TEMPLATES[0]
    'When {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to'
"""

from __future__ import annotations

import random
from typing import Any, Literal

from glassbox_jupyter.circuits.prompts import PromptError
from glassbox_jupyter.demos.ioi import IOIPrompt

#: Templates of the IOI paper's dataset (A, B in the first clause; S the repeated subject).
TEMPLATES = (
    "When {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to",
    "When {A} and {B} got a {OBJECT} at the {PLACE}, {S} decided to give it to",
    "Then, {A} and {B} went to the {PLACE}. {S} gave a {OBJECT} to",
    "Then, {A} and {B} had a lot of fun at the {PLACE}. {S} gave a {OBJECT} to",
    "While {A} and {B} were working at the {PLACE}, {S} gave a {OBJECT} to",
    "After {A} and {B} went to the {PLACE}, {S} gave a {OBJECT} to",
    "Friends {A} and {B} found a {OBJECT} at the {PLACE}. {S} gave it to",
    "The {PLACE} {A} and {B} went to had a {OBJECT}. {S} gave it to",
)
NAMES = (
    "Mary", "John", "Alice", "Bob", "Sarah", "James", "Emma", "David", "Anna", "Paul", "Kate", "Mark",
    "Lisa", "Tom", "Laura", "Peter", "Julia", "Michael", "Rachel", "Daniel", "Emily", "Chris", "Linda",
    "Steve", "Susan", "Brian", "Karen", "Kevin", "Amy", "Eric", "Jessica", "Ryan", "Helen", "Jack",
    "Grace", "Adam", "Sophie", "Andrew", "Claire", "Simon", "Lucy", "George", "Anne", "Frank", "Jane",
    "Martin", "Ruth", "Henry", "Alex", "Sam", "Max", "Ben", "Dan", "Joe", "Tim", "Jim", "Bill", "Ted",
)  # fmt: skip
PLACES = ("store", "garden", "restaurant", "school", "hospital", "office", "station", "house", "park", "market")
OBJECTS = ("drink", "ring", "book", "bone", "ball", "computer", "necklace", "snack", "flower", "gift", "letter")


def single_tokens(model: Any, words: tuple[str, ...]) -> list[str]:
    """The words that are one token with a leading space (" Mary") in ``model``'s tokenizer."""
    keep = []
    for word in words:
        ids = model.to_tokens(" " + word, prepend_bos=False)
        if ids.shape[-1] == 1:
            keep.append(word)
    return keep


def ioi_prompt_set(
    model: Any, n: int, seed: int = 0, corruption: Literal["abc", "io"] = "abc", min_names: int = 8
) -> list[IOIPrompt]:
    """``n`` IOI prompts for ``model``'s tokenizer (seeded), each with its corrupted twin.

    Raises :class:`~glassbox_jupyter.circuits.prompts.PromptError` when the tokenizer has fewer than
    ``min_names`` single-token names (or no single-token place or object) to draw from.
    """
    if corruption not in ("abc", "io"):
        raise ValueError(f"corruption must be 'abc' or 'io', got {corruption!r}")
    names, places, objects = single_tokens(model, NAMES), single_tokens(model, PLACES), single_tokens(model, OBJECTS)
    if len(names) < min_names or not places or not objects:
        raise PromptError(
            f"this tokenizer has {len(names)} single-token names, {len(places)} places and {len(objects)} objects "
            f"among GlassBox's IOI lists (need {min_names} names and one of each other): build the prompts "
            "yourself as (prompt, correct, incorrect, corrupted) tuples with one-token answers"
        )
    rng = random.Random(seed)
    prompts = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        io, s, c = rng.sample(names, 3)
        place, obj = rng.choice(places), rng.choice(objects)
        a, b = (io, s) if rng.random() < 0.5 else (s, io)  # ABBA or BABA

        def fill(a_: str, b_: str, s_: str, template: str = template, place: str = place, obj: str = obj) -> str:
            return template.format(A=a_, B=b_, S=s_, PLACE=place, OBJECT=obj)

        clean = fill(a, b, s)
        if corruption == "abc":
            corrupted = fill(a, b, c)
        else:
            corrupted = fill(c if a == io else a, c if b == io else b, s)
        prompts.append(IOIPrompt(clean, " " + io, " " + s, corrupted))
    return prompts
