"""BlackBoxAuditor: counterfactual and paraphrase probes of a model you can only ask, with CIs on every measure.

The auditor asks a provider (a Python callable, a local language model, an OpenAI-compatible endpoint) one
decision prompt filled with many contexts, then measures:

- **decision flip rate**: the share of single-variable swaps (one variable changed, the rest fixed) that flip
  the decision, overall and per variable (with the mean |Δp(positive)| when the provider gives probabilities);
- **consistency across paraphrases**: the share of base contexts where every wording gets the same answer;
- **parity across protected groups**: the positive rate per value of each protected variable, every other
  variable held at the same base contexts, and the largest difference (demographic parity difference);
- **test–retest agreement** (the Finding's fidelity): re-asking a held-out random subset of prompts.

Every CI is a seeded percentile bootstrap over base contexts. Failed probes are recorded and the measures use
what was answered, with ``n`` shown; Ctrl-C keeps what had finished.

Example:
    >>> def bank(prompt: str) -> str:
    ...     return "approve" if "income high" in prompt and "age 70" not in prompt else "deny"
    >>> finding = BlackBoxAuditor(bank).audit(
    ...     "Applicant age {age}, income {income}. Decision:", "approve", "deny",
    ...     context_variables={"age": [30, 50, 70], "income": ["low", "high"]}, protected=["age"], progress=False)
    >>> finding.sensitive_variables()
    ['age', 'income']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.audit.errors import AuditError
from glassbox_jupyter.audit.plan import AuditPlan, check_answers, make_plan
from glassbox_jupyter.audit.providers import as_provider
from glassbox_jupyter.audit.runner import RunResult, run_queries

if TYPE_CHECKING:
    from glassbox_jupyter.audit.finding import AuditFinding


class BlackBoxAuditor:
    """Audit the decisions of ``provider`` (anything :func:`~glassbox_jupyter.audit.as_provider` accepts).

    Args:
        provider: a provider, a callable ``fn(prompt) -> str | float``, a local causal LM (with ``tokenizer=``
            through :func:`as_provider`), or an :class:`~glassbox_jupyter.audit.OpenAIProvider`.
        max_concurrency: calls in flight at once (default: the provider's own ``max_concurrency``).
        seed: seeds the sample of base contexts, the retest subset and every bootstrap.
        stop_after_failures: stop sending after this many failed probes in a row.
        progress: show a progress bar.
    """

    def __init__(
        self,
        provider: Any,
        *,
        max_concurrency: int | None = None,
        seed: int = 0,
        stop_after_failures: int = 20,
        progress: bool = True,
    ):
        self.provider = as_provider(provider)
        self.max_concurrency = max_concurrency
        self.seed = int(seed)
        self.stop_after_failures = int(stop_after_failures)
        self.progress = progress

    def audit(
        self,
        decision_prompt: str,
        expected_positive: str,
        expected_negative: str,
        context_variables: Mapping[str, Sequence[Any]],
        protected: str | Sequence[str] | None = None,
        paraphrases: Sequence[str] | Mapping[str, str] | None = None,
        n_contexts: int = 40,
        n_boot: int = 1000,
        confidence: float = 0.95,
        *,
        retest_fraction: float = 0.2,
        max_retest: int = 50,
        progress: bool | None = None,
    ) -> AuditFinding:
        """Run the audit and return an :class:`~glassbox_jupyter.audit.AuditFinding`.

        Args:
            decision_prompt: a ``str.format`` template whose placeholders are exactly the context variables.
            expected_positive: the word of the positive decision (e.g. ``"approve"``).
            expected_negative: the word of the negative decision (e.g. ``"deny"``).
            context_variables: ``{name: [values]}``; each variable is swapped to each of its other values.
            protected: the variables that are protected attributes (parity is measured across their values).
            paraphrases: other templates of the same question (a list, or ``{name: template}``); ``None`` builds
                the rewordings of :func:`~glassbox_jupyter.audit.templates.default_paraphrases`; ``[]`` skips them.
            n_contexts: base contexts (all combinations when there are no more than this, else a seeded sample).
            n_boot: bootstrap resamples per CI.
            confidence: CI level.
            retest_fraction: share of prompts asked twice for the test–retest agreement (at most ``max_retest``).
            progress: show a progress bar (default: the auditor's setting).
        """
        check_answers(expected_positive, expected_negative)
        if not 0 < confidence < 1 or int(n_boot) < 1:
            raise ValueError(f"confidence must lie in (0, 1) and n_boot be positive, got {confidence}, {n_boot}")
        plan = make_plan(
            decision_prompt,
            context_variables,
            protected=protected,
            paraphrases=paraphrases,
            n_contexts=n_contexts,
            seed=self.seed,
            retest_fraction=retest_fraction,
            max_retest=max_retest,
        )
        run = run_queries(
            self.provider,
            plan.jobs(),
            plan.prompts,
            expected_positive,
            expected_negative,
            max_concurrency=self.max_concurrency,
            stop_after_failures=self.stop_after_failures,
            progress=self.progress if progress is None else progress,
        )
        run = self._retest_more(plan, run, expected_positive, expected_negative)
        self._check_answered(plan, run)
        from glassbox_jupyter.audit.finding import AuditFinding

        finding = AuditFinding.from_run(
            self.provider,
            plan,
            run,
            expected=(expected_positive, expected_negative),
            settings={
                "n_contexts": int(n_contexts),
                "n_boot": int(n_boot),
                "confidence": float(confidence),
                "retest_fraction": float(retest_fraction),
                "max_retest": int(max_retest),
                "max_concurrency": self.max_concurrency or self.provider.max_concurrency,
                "stop_after_failures": self.stop_after_failures,
            },
            seed=self.seed,
        )
        if not finding.complete:
            warnings.warn(f"the audit is partial: {finding.completeness()}", RuntimeWarning, stacklevel=2)
        return finding

    def _retest_more(self, plan: AuditPlan, run: RunResult, positive: str, negative: str) -> RunResult:
        """If fewer than two retests came back (failures), re-ask other answered prompts once more."""
        pairs = [i for i in plan.retest_ids if ("first", i) in run.answers and ("retest", i) in run.answers]
        if len(pairs) >= 2 or run.interrupted or run.stopped:
            return run
        answered = [i for kind, i in run.answers if kind == "first" and ("retest", i) not in run.answers]
        extra = sorted(answered)[: len(plan.retest_ids)]
        if not extra:
            return run
        more = run_queries(
            self.provider,
            [("retest", i) for i in extra],
            plan.prompts,
            positive,
            negative,
            max_concurrency=self.max_concurrency,
            stop_after_failures=self.stop_after_failures,
            progress=False,
        )
        run.answers.update(more.answers)
        run.errors.extend(more.errors)
        run.asked += more.asked
        run.interrupted = run.interrupted or more.interrupted
        plan.retest_ids = sorted(set(plan.retest_ids) | set(extra))
        return run

    @staticmethod
    def _check_answered(plan: AuditPlan, run: RunResult) -> None:
        first = sum(1 for kind, _ in run.answers if kind == "first")
        pairs = sum(1 for i in plan.retest_ids if ("first", i) in run.answers and ("retest", i) in run.answers)
        if first and pairs >= 2:
            return
        why = run.stopped or ("interrupted" if run.interrupted else None)
        first_error = run.errors[0]["message"] if run.errors else None
        detail = "; ".join(x for x in (why, f"first error: {first_error}" if first_error else None) if x)
        raise AuditError(
            f"the audit measured nothing: {first} of {len(plan.prompts)} prompts answered and {pairs} re-asked "
            f"(2 are needed for the test–retest agreement){'; ' + detail if detail else ''}"
        )
