"""BlackBoxAuditor: the measures on models whose behaviour is known, bad inputs, partial results, no leaked key."""

from __future__ import annotations

import _thread
import json
import threading

import numpy as np
import pytest

from glassbox_jupyter.audit import (
    AuditError,
    AuditFinding,
    AuditInputError,
    BlackBoxAuditor,
    CallableProvider,
    OpenAIProvider,
    TemplateError,
)
from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.testing import check_finding

from .conftest import KEY_ENV, LOAN_PROMPT, LOAN_VARIABLES

PROMPT = "Applicant {name}, age {age}, income {income}. Decision:"
VARIABLES = {"name": ["A", "B"], "age": [30, 50, 70], "income": ["low", "high"]}


def biased(prompt: str) -> str:
    """Approves high incomes, except for applicants aged 70 (the planted bias)."""
    return "approve" if "income high" in prompt and "age 70" not in prompt else "deny"


def audit(fn, **kwargs) -> AuditFinding:
    options = {"context_variables": VARIABLES, "progress": False, **kwargs}
    return BlackBoxAuditor(fn, progress=False).audit(
        kwargs.pop("prompt", PROMPT), "approve", "deny", **{k: v for k, v in options.items() if k != "prompt"}
    )


@pytest.fixture(scope="module")
def finding() -> AuditFinding:
    return audit(biased, protected=["age"])


def test_flip_rates_match_the_known_model(finding):
    rates = finding.sensitivity.set_index("variable")
    # income flips whenever age is not 70 (2 of 3 ages); age flips only at high income, between 70 and the others
    assert rates.loc["income", "flip_rate"] == pytest.approx(2 / 3)
    assert rates.loc["age", "flip_rate"] == pytest.approx(1 / 3)
    assert rates.loc["name", "flip_rate"] == 0 and rates.loc["name", "ci_high"] == 0
    assert finding.sensitive_variables() == ["age", "income"]
    assert rates.loc["age", "protected"] and not rates.loc["income", "protected"]
    assert finding.flip_rate.n == 12 * (1 + 2 + 1)  # 12 contexts × (1 + 2 + 1) swaps


def test_parity_compares_groups_on_the_same_contexts(finding):
    parity = finding.parity.set_index("group")
    assert parity.loc[30, "positive_rate"] == parity.loc[50, "positive_rate"] == 0.5
    assert parity.loc[70, "positive_rate"] == 0 and (parity["n"] == 12).all()
    gap = finding.parity_gaps.set_index("variable").loc["age"]
    assert gap.parity_difference == 0.5 and gap.ci_low <= 0.5 <= gap.ci_high
    assert gap.flip_rate == pytest.approx(1 / 3)


def test_every_prompt_is_asked_once_and_the_retests_again():
    calls: list[str] = []
    lock = threading.Lock()

    def counting(prompt: str) -> str:
        with lock:
            calls.append(prompt)
        return biased(prompt)

    found = audit(counting)
    retested = found.counts["retested"]
    assert len(calls) == found.counts["prompts"] + retested
    assert len(set(calls)) == found.counts["prompts"] < found.counts["probes"]
    assert found.fidelity.metric == "agreement" and found.fidelity.value == 1.0 and found.fidelity.n == retested


def test_default_paraphrases_and_consistency():
    found = audit(biased, paraphrases=None)
    assert [n for n, _ in found.variants] == ["original", "preamble", "reordered", "instruction"]
    assert found.consistency.value == 1.0
    wording_matters = audit(lambda p: "approve" if p.startswith("Consider") else "deny")
    assert wording_matters.consistency.value == 0.0 and wording_matters.consistency.ci_high == 0.0
    assert audit(biased, paraphrases=[]).consistency is None
    named = audit(biased, paraphrases={"short": "{name} {age} {income}?"})
    assert [n for n, _ in named.variants] == ["original", "short"]


def test_probabilities_give_mean_absolute_change():
    found = audit(lambda p: 0.9 if "income high" in p else 0.2)
    rates = found.sensitivity.set_index("variable")
    assert rates.loc["income", "mean_abs_delta_p"] == pytest.approx(0.7)
    assert rates.loc["age", "mean_abs_delta_p"] == 0
    assert np.isnan(audit(biased).sensitivity["mean_abs_delta_p"]).all()


def test_unparsed_answers_are_counted_not_guessed():
    found = audit(lambda p: "maybe" if "Applicant B" in p else biased(p))
    assert found.counts["unparsed"] > 0
    name_pairs = found.pairs[found.pairs.variable == "name"]
    assert not name_pairs.valid.any() and not name_pairs.flipped.any()
    assert found.sensitivity.set_index("variable").loc["name", "n_pairs"] == 0


def test_select_variable_lists_the_flipped_pairs(finding):
    flips = finding.select_variable("age")
    assert finding.selected_variable == "age" and len(flips) > 0
    assert set(flips.value_to) | set(flips.value_from) >= {70}
    assert (flips.decision_from != flips.decision_to).all()
    assert finding.selection == "age" and finding.selection_details()["flips"]["total"] == len(flips)
    with pytest.raises(AuditInputError, match="choose from: name, age, income") as refused:
        finding.select_variable("gender")
    assert isinstance(refused.value, SelectionError) and finding.selected_variable == "age"
    assert finding.select_variable(None).empty and finding.selected_variable is None
    assert finding.selection_details() == {"flips": None}


def test_the_finding_honours_the_contract(finding):
    check_finding(finding, selection="age")
    sections = [item.section for item in finding.evidence()]
    assert sections == ["2(g)", "3", "5"]
    assert "RISK" in finding.evidence()[2].body


def test_without_protected_attributes_the_risk_item_is_missing():
    items = audit(biased).evidence()
    assert items[2].section == "5" and items[2].status == "missing"
    assert audit(biased).parity.empty


@pytest.mark.parametrize(
    ("prompt", "variables", "error", "match"),
    [
        (
            "Income {income}, age {agee}.",
            {"income": [1, 2], "age": [3, 4]},
            TemplateError,
            r"uses \{agee\}.*variables are: income, age",
        ),
        ("Income {income}.", {"income": [1, 2], "age": [3, 4]}, TemplateError, "never uses the context variable age"),
        ("Income {income.real}.", {"income": [1, 2]}, TemplateError, "plain context-variable names"),
        ("Income {0}.", {"income": [1, 2]}, TemplateError, "plain context-variable names"),
        ("Income {income}.", {"income": [1]}, AuditInputError, "at least two"),
        ("Income {income}.", {"income": "12"}, AuditInputError, "list of values"),
        ("Income {income}.", {}, AuditInputError, "non-empty dict"),
    ],
)
def test_bad_templates_and_variables_are_refused_before_any_query(prompt, variables, error, match):
    calls = []
    with pytest.raises(error, match=match):
        BlackBoxAuditor(lambda p: calls.append(p) or "deny").audit(prompt, "approve", "deny", variables)
    assert calls == []


def test_bad_answers_and_protected_names_are_refused():
    auditor = BlackBoxAuditor(biased, progress=False)
    with pytest.raises(AuditInputError, match="overlap"):
        auditor.audit(PROMPT, "approve", "not approve", VARIABLES)
    with pytest.raises(AuditInputError, match="gender.*choose from: name, age, income"):
        auditor.audit(PROMPT, "approve", "deny", VARIABLES, protected=["gender"])
    with pytest.raises(TemplateError, match="paraphrase 'p1' never uses"):
        auditor.audit(PROMPT, "approve", "deny", VARIABLES, paraphrases={"p1": "{name} {age}?"})


def test_many_combinations_are_sampled_with_the_seed():
    variables = {f"v{i}": list(range(10)) for i in range(6)}
    prompt = " ".join(f"{{v{i}}}" for i in range(6))
    runs = [
        BlackBoxAuditor(lambda p: "yes" if p.startswith("1") else "no", seed=s, progress=False).audit(
            prompt, "yes", "no", variables, n_contexts=5, paraphrases=[], n_boot=100
        )
        for s in (0, 0, 1)
    ]
    contexts = [r.probes[r.probes.kind == "base"].context.tolist() for r in runs]
    assert len(contexts[0]) == 5 and contexts[0] == contexts[1] != contexts[2]
    assert runs[0].counts["combinations"] == 10**6


def test_a_failing_probe_is_recorded_and_the_rest_measured():
    def flaky(prompt: str) -> str:
        if "Applicant B, age 70" in prompt:
            raise ConnectionError("lost the connection")
        return biased(prompt)

    with pytest.warns(RuntimeWarning, match="partial"):
        found = audit(flaky)
    assert not found.complete and found.counts["failed"] > 0 and found.counts["answered"] > 0
    assert {e["error"] for e in found.errors} == {"ConnectionError"}
    assert "partial" in found.summary() and "failed" in found.completeness()
    assert found.probes.status.value_counts()["failed"] == found.probes.error.notna().sum()
    check_finding(found, selection="income")


def test_nothing_answered_is_a_clear_error():
    def broken(prompt: str) -> str:
        raise ValueError("model not loaded")

    with pytest.raises(AuditError, match="0 of .* prompts answered.*model not loaded"):
        audit(broken)


def test_ctrl_c_keeps_what_finished():
    calls = []

    def interrupting(prompt: str) -> str:
        calls.append(prompt)
        if len(calls) == 20:
            _thread.interrupt_main()  # what Ctrl-C does
        return biased(prompt)

    variables = {"name": ["A", "B", "C"], "age": [30, 50, 70], "income": ["low", "mid", "high"]}
    with pytest.warns(RuntimeWarning, match="interrupted"):
        found = audit(interrupting, context_variables=variables)
    assert found.interrupted and not found.complete
    assert 20 <= len(calls) < found.counts["prompts"]
    assert found.counts["not_asked"] > 0 and found.fidelity.n >= 2


def test_a_persistent_endpoint_failure_keeps_partial_results(endpoint):
    provider = OpenAIProvider(endpoint.base_url, "zed500", api_key_env=KEY_ENV, backoff=0, max_retries=1)
    with pytest.warns(RuntimeWarning, match="partial"):
        found = BlackBoxAuditor(provider, progress=False).audit(
            LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, protected="age", paraphrases=[]
        )
    failed = found.probes[found.probes.status == "failed"]
    assert len(failed) > 0 and failed.prompt.str.contains("Zed").all()
    assert found.errors[0]["error"] == "ProviderUnavailableError"
    ages = found.sensitivity.set_index("variable").loc["age"]
    assert ages.ci_low > 0  # the planted age bias is still found from what was answered
    assert found.counts["answered"] == found.counts["prompts"] - found.counts["failed"]


def test_a_key_revoked_mid_audit_stops_and_keeps_the_answers(endpoint):
    provider = OpenAIProvider(endpoint.base_url, "auth-after:10", api_key_env=KEY_ENV, max_concurrency=1)
    with pytest.warns(RuntimeWarning, match="ProviderAuthError"):
        found = BlackBoxAuditor(provider, progress=False).audit(
            LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, paraphrases=[]
        )
    assert found.stopped and "was refused" in found.stopped
    assert found.counts["answered"] + found.counts["retested"] == 10 and found.counts["not_asked"] > 0
    assert endpoint.state.counts["auth-after:10"] == 11  # nothing more was sent after the refusal


def test_a_refused_key_at_the_start_is_a_clear_error(endpoint, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-wrong-0123456789")
    provider = OpenAIProvider(endpoint.base_url, "rule", api_key_env=KEY_ENV)
    with pytest.raises(AuditError, match=rf"ProviderAuthError.*\${KEY_ENV} was refused"):
        BlackBoxAuditor(provider, progress=False).audit(LOAN_PROMPT, "approve", "deny", LOAN_VARIABLES)
    assert endpoint.state.counts["rule"] <= 4  # the requests already in flight, then nothing more


def test_the_endpoint_audit_finds_the_planted_bias_and_never_leaks_the_key(endpoint, secret):
    provider = OpenAIProvider(endpoint.base_url, "echo", api_key_env=KEY_ENV, max_retries=0)
    with pytest.warns(RuntimeWarning) as warned:
        found = BlackBoxAuditor(provider, progress=False).audit(
            LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, protected=["age"]
        )
    # prompts naming Zed got a body echoing the Authorization header: recorded, redacted
    assert found.errors and all(e["error"] == "ProviderResponseError" for e in found.errors)
    assert "Bearer [redacted]" in found.errors[0]["message"]
    rates = found.sensitivity.set_index("variable")
    assert rates.loc["age", "ci_low"] > 0 and rates.loc["name", "flip_rate"] == 0
    check_finding(found, selection="age")
    widget = found.widget()
    assert widget.request_selection("age")["error"] is None
    state = json.dumps({name: getattr(widget, name) for name in ("_data", "_selection", "_request", "_reply")})
    texts = [
        found.to_json(),
        repr(found),
        found.static_html(),
        state,
        found.probes.to_csv(),
        found.pairs.to_csv(),
        json.dumps(found.errors),
        repr(provider),
        json.dumps(found.provenance.to_dict()),
        *(str(w.message) for w in warned),
    ]
    assert not [t[:80] for t in texts if secret in t]
    assert found.provenance.teacher["base_url"] == endpoint.base_url


def test_a_callable_provider_can_be_asked_concurrently():
    seen = set()
    lock = threading.Lock()

    def slow(prompt: str) -> str:
        with lock:
            seen.add(threading.get_ident())
        threading.Event().wait(0.01)
        return biased(prompt)

    found = BlackBoxAuditor(CallableProvider(slow, max_concurrency=3), progress=False).audit(
        PROMPT, "approve", "deny", VARIABLES
    )
    assert found.complete and 1 <= len(seen) <= 3


def test_a_key_echoed_inside_an_answer_is_redacted(endpoint, secret):
    provider = OpenAIProvider(endpoint.base_url, "echoanswer", api_key_env=KEY_ENV)
    found = BlackBoxAuditor(provider, progress=False).audit(
        LOAN_PROMPT, "approve", "deny", context_variables=LOAN_VARIABLES, paraphrases=[]
    )
    assert found.probes.answer.str.contains(r"Bearer \[redacted\]").all()
    assert secret not in found.probes.to_csv() and secret not in found.to_json()
