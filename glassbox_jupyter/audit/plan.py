"""The probes of an audit: base contexts, single-variable counterfactual swaps, paraphrases, retests.

For each base context (every combination of the context variables' values when there are at most
``n_contexts`` of them, else a seeded sample of ``n_contexts`` distinct combinations) the plan asks:

- the decision prompt itself (``kind="base"``);
- one counterfactual per variable and per other value of it, every other variable held fixed
  (``kind="counterfactual"``);
- each paraphrase of the prompt (``kind="paraphrase"``).

Identical prompts are asked once (a prompt id per distinct text). A seeded random subset of the prompts
(``retest_fraction`` of them, at most ``max_retest``) is asked a second time, to measure how reproducible the
decisions are; each of those is asked twice in a row at the start, so that even an interrupted audit has them.

Example:
    >>> plan = make_plan("Age {age}, income {income}. Decision:", {"age": [30, 70], "income": [1, 2, 3]},
    ...                  protected=["age"], paraphrases=[], n_contexts=10, seed=0)
    >>> len(plan.contexts), len(plan.prompts), plan.probes[1]["kind"]
    (6, 6, 'counterfactual')
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassbox_jupyter.audit.errors import AuditInputError
from glassbox_jupyter.audit.templates import check_template, named_paraphrases, render


@dataclass
class AuditPlan:
    """What an audit asks, before anything is asked."""

    template: str
    variables: dict[str, list[Any]]
    protected: list[str]
    variants: list[tuple[str, str]]
    contexts: list[dict[str, Any]]
    probes: list[dict[str, Any]]
    prompts: list[str]
    retest_ids: list[int]
    n_combinations: int

    def jobs(self) -> list[tuple[str, int]]:
        """``("first" | "retest", prompt id)`` in the order they are asked: each retested prompt twice in a row
        first (so that even an interrupted audit can measure its test–retest agreement), then the others."""
        chosen = set(self.retest_ids)
        rest = [("first", i) for i in range(len(self.prompts)) if i not in chosen]
        return [(kind, i) for i in self.retest_ids for kind in ("first", "retest")] + rest


def check_answers(positive: str, negative: str) -> None:
    """The two expected words must be distinct non-empty strings, neither found inside the other."""
    for name, word in (("expected_positive", positive), ("expected_negative", negative)):
        if not isinstance(word, str) or not word.strip():
            raise AuditInputError(f"{name} must be the non-empty word that answer stands for, got {word!r}")
    for a, b in ((positive, negative), (negative, positive)):
        if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", b, flags=re.IGNORECASE):
            raise AuditInputError(
                f"the expected answers {positive!r} and {negative!r} overlap ({a!r} occurs in {b!r}), so no answer "
                "could be told apart; use two distinct words such as 'approve' and 'deny'"
            )


def check_variables(context_variables: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """``{name: [values]}`` with at least two distinct values each (a clear error otherwise)."""
    if not isinstance(context_variables, Mapping) or not context_variables:
        raise AuditInputError(
            "context_variables must be a non-empty dict {name: [values]}, e.g. {'age': [25, 45, 65], 'income': [...]}"
        )
    out: dict[str, list[Any]] = {}
    for name, values in context_variables.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise AuditInputError(f"context variable names must be identifiers (used as {{name}}), got {name!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, set, frozenset)):
            raise AuditInputError(f"context_variables[{name!r}] must be a list of values, got {values!r}")
        values = list(values)
        texts = [str(v) for v in values]
        if len(set(texts)) != len(texts):
            raise AuditInputError(f"context_variables[{name!r}] lists a value twice: {texts}")
        if len(values) < 2:
            raise AuditInputError(
                f"context_variables[{name!r}] has {len(values)} value; give at least two so that it can be swapped"
            )
        out[name] = values
    return out


def check_protected(protected: str | Sequence[str] | None, variables: Sequence[str]) -> list[str]:
    names = [protected] if isinstance(protected, str) else list(protected or [])
    unknown = [n for n in names if n not in variables]
    if unknown:
        raise AuditInputError(
            f"protected names {unknown}, which are not context variables; choose from: {', '.join(variables)}"
        )
    return list(dict.fromkeys(names))


def _base_contexts(sizes: list[int], n_contexts: int, seed: int) -> list[tuple[int, ...]]:
    total = math.prod(sizes)
    if total <= n_contexts:
        return list(itertools.product(*(range(s) for s in sizes)))
    rng = np.random.default_rng(seed)
    if total <= 1_000_000:
        picks = rng.choice(total, size=n_contexts, replace=False)
        return [tuple(int(d) for d in np.unravel_index(int(p), sizes)) for p in picks]
    chosen: dict[tuple[int, ...], None] = {}
    while len(chosen) < n_contexts:
        chosen.setdefault(tuple(int(rng.integers(s)) for s in sizes), None)
    return list(chosen)


def make_plan(
    template: str,
    context_variables: Mapping[str, Sequence[Any]],
    *,
    protected: str | Sequence[str] | None = None,
    paraphrases: Sequence[str] | Mapping[str, str] | None = None,
    n_contexts: int = 40,
    seed: int = 0,
    retest_fraction: float = 0.2,
    max_retest: int = 50,
) -> AuditPlan:
    """Check the audit's inputs and list every probe (see the module docstring)."""
    variables = check_variables(context_variables)
    names = list(variables)
    check_template(template, names)
    variants = named_paraphrases(paraphrases, template)
    for name, text in variants[1:]:
        check_template(text, names, what=f"paraphrase {name!r}")
    if int(n_contexts) < 2:
        raise AuditInputError(f"n_contexts must be at least 2, got {n_contexts}")
    if not 0 < retest_fraction <= 1 or int(max_retest) < 2:
        raise AuditInputError("retest_fraction must lie in (0, 1] and max_retest be at least 2")

    sizes = [len(v) for v in variables.values()]
    contexts = [
        {n: variables[n][i] for n, i in zip(names, combo)} for combo in _base_contexts(sizes, int(n_contexts), seed)
    ]
    ids: dict[str, int] = {}
    probes: list[dict[str, Any]] = []

    def add(context_id: int, kind: str, variant: str, variable: str | None, context: dict[str, Any], tpl: str) -> None:
        prompt = render(tpl, context)
        probes.append(
            {
                "probe_id": len(probes),
                "prompt_id": ids.setdefault(prompt, len(ids)),
                "context_id": context_id,
                "kind": kind,
                "variant": variant,
                "variable": variable,
                "value": context[variable] if variable else None,
                "context": dict(context),
            }
        )

    for c, context in enumerate(contexts):
        add(c, "base", "original", None, context, template)
        for name in names:
            for value in variables[name]:
                if value is not context[name]:
                    add(c, "counterfactual", "original", name, {**context, name: value}, template)
        for variant, text in variants[1:]:
            add(c, "paraphrase", variant, None, context, text)

    prompts = list(ids)
    n_retest = min(len(prompts), int(max_retest), max(2, round(retest_fraction * len(prompts))))
    retest = np.random.default_rng([seed, 1]).choice(len(prompts), size=n_retest, replace=False)
    return AuditPlan(
        template=template,
        variables=variables,
        protected=check_protected(protected, names),
        variants=variants,
        contexts=contexts,
        probes=probes,
        prompts=prompts,
        retest_ids=sorted(int(i) for i in retest),
        n_combinations=math.prod(sizes),
    )
