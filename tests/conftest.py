"""Shared fixtures: small real models built here (offline), the shipped demo, an IPython shell."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import glassbox


@pytest.fixture(scope="session")
def friedman() -> glassbox.Teacher:
    """The shipped demo MLP teacher."""
    return glassbox.demos.load("friedman_mlp")


@pytest.fixture(scope="session")
def friedman_probes(friedman: glassbox.Teacher) -> glassbox.ProbeSet:
    return glassbox.Probe(friedman, n=600, method="sobol", seed=0).run()


@pytest.fixture(scope="session")
def smollm2():
    """SmolLM2-135M-Instruct (a real pretrained Llama-architecture LM) as a HookedTransformer, loaded once.
    The setup installs its package; without it the test fails with the install command."""
    return glassbox.demos.load("smollm2")


@pytest.fixture()
def small_mlp() -> nn.Module:
    """A tiny random 3-input MLP (weights seeded)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.fixture()
def spec3() -> glassbox.InputSpec:
    return glassbox.InputSpec(names=["a", "b", "c"], low=[-1, 0, 0], high=[1, 2, 5], units=["m", None, "s"])


@pytest.fixture()
def additive_teacher() -> glassbox.Teacher:
    """y = 3·u + v² on [0, 1]²: partial dependence is known in closed form."""
    spec = glassbox.InputSpec(names=["u", "v"], low=[0, 0], high=[1, 1])
    return glassbox.Teacher(lambda X: 3 * X[:, 0] + X[:, 1] ** 2, spec, name="additive")


@pytest.fixture()
def ipython():
    """A real IPython shell with the extension loaded."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or get_ipython()  # the global test shell is created once
    shell.run_line_magic("load_ext", "glassbox")
    yield shell
    shell.run_line_magic("unload_ext", "glassbox")
    shell.user_ns.pop("probes", None)


def r2(truth: np.ndarray, guess: np.ndarray) -> float:
    truth, guess = np.ravel(truth), np.ravel(guess)
    return float(1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2))


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright, shared by the whole session (the e2e tests and the
    report's offline-rendering test): Playwright's sync API allows one running instance per thread."""
    from tests.e2e.jupyterlab import CHROMIUM, launch_chromium, sync_playwright

    if sync_playwright is None or not CHROMIUM.exists():
        pytest.skip(f"needs Playwright and Chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()
