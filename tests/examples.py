"""One small, real example of every Finding class, for the shared contract suite (tests/test_contract.py).

Each factory builds its Finding from a real (tiny, seeded) model through the public API and returns it with
a valid selection other than the one it starts with. A new Finding class needs a factory here: the contract
test fails for any class of the package that has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import glassbox
from glassbox_jupyter.finding.base import Finding

Example = tuple[Finding, Any]


def response_example() -> Example:
    teacher = glassbox.demos.load("friedman_mlp")
    return glassbox.response(teacher, features=["x1", "x2"], n=300), 5


def symbolic_example() -> Example:
    spec = glassbox.InputSpec(names=["x"], low=-3, high=3, units=["m"])
    teacher = glassbox.Teacher(lambda X: 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0]), spec, name="quadratic_cosine")
    finding = glassbox.distill(teacher, generations=20, seed=0, live=False)
    return finding, next(eq.id for eq in finding.pareto_front if eq.id != finding.best_index)


def rules_example() -> Example:
    return glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic", max_leaves=8, n=800, seed=0), 0


def circuit_example() -> Example:
    prompts = glassbox.demos.ioi_prompts(10, seed=0)  # 3 of them held out
    finding = glassbox.CircuitAnalyzer(glassbox.demos.load("ioi"), n_boot=200).analyze(prompts=prompts)
    return finding, [[0, 0], [1, 2]]


class _TinyImageNet(torch.nn.Module):
    """4×4 one-channel images → fc1 (6) → fc2 (4) → 2 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 6)
        self.fc2 = torch.nn.Linear(6, 4)
        self.out = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.fc2(torch.relu(self.fc1(x.flatten(1))))))


def tiny_image_twin() -> Finding:
    """A real TwinFinding (3 clusters in fc1 and fc2, both classes predicted) in about a second."""
    torch.manual_seed(0)
    net = _TinyImageNet()
    X = np.random.default_rng(0).normal(size=(80, 1, 4, 4)).astype(np.float32)
    y = torch.from_numpy((X.reshape(80, -1)[:, :8].sum(1) > 0).astype(np.int64))
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(150):  # learn "the first two rows sum above zero", so that both classes appear
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), y).backward()
        optimiser.step()
    return glassbox.readable_twin(net.eval(), X, layers="fc1,fc2", n_clusters=3)


def twin_example() -> Example:
    twin: Any = tiny_image_twin()
    best = next(paths[0] for paths in twin.paths.values() if paths)
    return twin, list(best.nodes[:2])


def identity_layer() -> torch.nn.Module:
    """Layer "0" passes its 4 inputs through, so its 4 neurons are the inputs."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(4))
        model[0].bias.zero_()
    return model


def chained_inputs(sign: float, n: int, seed: int) -> np.ndarray:
    """x0, x1, x3 independent; x2 = sign · x0 + noise: the 0–2 edge flips sign with ``sign``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    X[:, 2] = sign * X[:, 0] + 0.6 * rng.standard_normal(n)
    return X.astype(np.float32)


def neuron_graph_example() -> Example:
    inputs = torch.from_numpy(chained_inputs(1.0, 400, 0))
    return glassbox.neuron_graph(identity_layer(), inputs, layer="0", seed=0), 2


def comparison_example() -> Example:
    topics = {"up": chained_inputs(1.0, 300, 2), "down": chained_inputs(-1.0, 300, 3)}
    return glassbox.compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=5, seed=0), 2


def latent_laws_example() -> Example:
    X = np.random.default_rng(0).uniform(-2, 2, size=(300, 4))
    encoder = lambda X: np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])])  # noqa: E731 - a toy encoder
    laws = glassbox.latent_laws(encoder, X, ["a", "b", "c", "d"], generations=10, population_size=200)
    return laws, 1


def reconstruction_example() -> Example:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6)) + 0.05 * rng.normal(size=(300, 6))
    law = glassbox.reconstruction_law(X, [1, 2, 3, 4], epochs=40)
    return law, next(eq.id for eq in law.law.pareto_front if eq.id != law.selection)


def audit_example() -> Example:
    def biased(prompt: str) -> str:
        return "approve" if "income high" in prompt and "age 70" not in prompt else "deny"

    audit = glassbox.BlackBoxAuditor(biased, progress=False).audit(
        "Applicant {name}, age {age}, income {income}. Decision:",
        "approve",
        "deny",
        context_variables={"name": ["A", "B"], "age": [30, 50, 70], "income": ["low", "high"]},
        protected=["age"],
    )
    return audit, "age"


EXAMPLES: dict[str, Callable[[], Example]] = {
    "ResponseFinding": response_example,
    "SymbolicFinding": symbolic_example,
    "RuleFinding": rules_example,
    "CircuitFinding": circuit_example,
    "TwinFinding": twin_example,
    "NeuronGraphFinding": neuron_graph_example,
    "NeuronGraphComparison": comparison_example,
    "LatentLawsFinding": latent_laws_example,
    "ReconstructionLawFinding": reconstruction_example,
    "AuditFinding": audit_example,
}
