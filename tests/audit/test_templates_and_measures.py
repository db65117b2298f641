"""Templates (strict filling, default paraphrases) and the cluster-bootstrap measures."""

from __future__ import annotations

import numpy as np
import pytest

from glassbox_jupyter.audit import TemplateError
from glassbox_jupyter.audit.measures import group_rates, ratio_ci
from glassbox_jupyter.audit.templates import INSTRUCTION, PREAMBLE, default_paraphrases, named_paraphrases, render


def test_templates_are_filled_strictly():
    assert render("{income:,} a year", {"income": 52000}) == "52,000 a year"
    assert render("{{literal}} {x}", {"x": 1}) == "{literal} 1"
    with pytest.raises(TemplateError, match="needs {age}.*only: income"):
        render("{income} {age}", {"income": 1})
    with pytest.raises(TemplateError, match="could not fill"):
        render("{income:,}", {"income": "high"})


def test_default_paraphrases_keep_the_question_last():
    template = "Applicant: {name}, age {age}, income {income}, debt {debt}. Decision:"
    variants = dict(default_paraphrases(template))
    assert variants["preamble"] == f"{PREAMBLE} {template}"
    assert variants["reordered"] == "Applicant: {name}, debt {debt}, income {income}, age {age}. Decision:"
    assert variants["instruction"].endswith(f"{INSTRUCTION} Decision:")
    one = dict(default_paraphrases("Should {name} get a loan?"))
    assert (
        set(one) == {"preamble", "instruction"} and one["instruction"] == f"{INSTRUCTION} Should {{name}} get a loan?"
    )
    assert dict(default_paraphrases("{a}, {b}?"))["reordered"] == "{b}, {a}?"


def test_paraphrase_names_must_be_unique():
    with pytest.raises(TemplateError, match="unique"):
        named_paraphrases({"original": "{a}"}, "{a}?")
    with pytest.raises(TemplateError, match="list"):
        named_paraphrases("{a}!", "{a}?")


def test_ratio_ci_resamples_contexts():
    value, low, high = ratio_ci(np.array([1, 1, 1]), np.array([1, 1, 1]), seed=0)
    assert (value, low, high) == (1.0, 1.0, 1.0)
    value, low, high = ratio_ci(np.array([0, 3, 1, 0, 2]), np.array([3, 3, 3, 3, 3]), n_boot=500, seed=1)
    assert value == pytest.approx(6 / 15) and 0 <= low < value < high <= 1
    assert np.isnan(ratio_ci(np.zeros(3), np.zeros(3))[0])  # nothing answered: no number, no crash


def test_group_rates_and_their_gap():
    positive = np.array([[1, 0], [1, 0], [1, 1], [0, 0]])
    answered = np.ones((4, 2))
    groups, gap = group_rates(positive, answered, n_boot=300, confidence=0.9, seed=0)
    assert [g.value for g in groups] == [0.75, 0.25] and gap.value == 0.5
    assert gap.ci_low <= 0.5 <= gap.ci_high and gap.n_contexts == 4
