"""The contract of circuit helper results (provenance and JSON), checked on a minimal result."""

from dataclasses import dataclass

import numpy as np
import pytest

from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.teacher.transformer import TransformerAdapter
from glassbox_jupyter.testing import check_measured

from .conftest import MANY


@dataclass
class Scores(MeasuredResult):
    scores: np.ndarray
    provenance: Provenance | None = None
    kind = "scores"

    def result_dict(self):
        return {"scores": self.scores}


def test_a_measured_result_names_the_model_the_prompts_and_the_method(toy_model, tmp_path):
    prompts = PromptSet.build(toy_model, MANY)
    result = Scores(np.array([1.0, np.nan]), capture(toy_model, prompts, {"name": "demo", "steps": 3}, seed=2))
    digest = TransformerAdapter(toy_model).describe()["sha256"]
    check_measured(result, model_hash=digest, n_prompts=len(MANY))
    exported = result.to_dict()
    assert exported["result"]["scores"] == [1.0, None]
    assert exported["provenance"]["method"] == {"name": "demo", "steps": 3} and exported["provenance"]["seed"] == 2
    assert exported["provenance"]["probe"]["texts"][0] == list(prompts.texts[0])
    path = tmp_path / "scores.json"
    assert result.to_json(path) == path.read_text(encoding="utf-8").rstrip("\n")


def test_a_result_without_provenance_fails_the_contract(toy_model):
    with pytest.raises(AssertionError, match="no provenance"):
        check_measured(Scores(np.zeros(2)))
