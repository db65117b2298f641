"""What a job can run, and its parameters, checked when the job is submitted (422 naming the field).

Each kind is a Pydantic model of its parameters and a function ``run(model, params, progress)``
that returns a Finding. ``model`` is the loaded model (a Teacher, or a HookedTransformer for a
circuit analysis); ``progress(dict)`` stores how far the job got, so a cancelled or failed job
keeps what it found.

Example:
    >>> MathParams(spec={"names": ["x"], "low": [0], "high": [1]}, generations=20).generations
    20
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Progress = Callable[[dict[str, Any]], None]


class SpecIn(BaseModel):
    """An InputSpec in JSON: one name, bound and unit per input."""

    names: list[str] = Field(min_length=1, max_length=200)
    low: list[float]
    high: list[float]
    units: list[str] | None = None

    @field_validator("low", "high")
    @classmethod
    def _finite(cls, values: list[float]) -> list[float]:
        for i, v in enumerate(values):
            if not math.isfinite(v):
                raise ValueError(f"bound {i} is {v}: every bound must be a finite number")
        return values

    def check(self) -> None:
        n = len(self.names)
        if len(self.low) != n or len(self.high) != n or (self.units is not None and len(self.units) != n):
            raise ValueError(f"give one low, high (and unit) per name: {n} names")
        for name, lo, hi in zip(self.names, self.low, self.high):
            if not lo < hi:
                raise ValueError(f"input {name!r}: low ({lo}) must be below high ({hi})")

    def to_input_spec(self) -> Any:
        from glassbox_jupyter.teacher.spec import InputSpec

        return InputSpec(names=self.names, low=self.low, high=self.high, units=self.units)


class TeacherParams(BaseModel):
    spec: SpecIn | None = Field(default=None, description="the inputs; a demo or a card with a spec may omit it")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    n: int = Field(default=2000, ge=50, le=200_000, description="probes")

    @field_validator("spec")
    @classmethod
    def _spec_ok(cls, spec: SpecIn | None) -> SpecIn | None:
        if spec is not None:
            spec.check()
        return spec


class MathParams(TeacherParams):
    generations: int = Field(default=100, ge=1, le=5000, description="search budget (reproducible)")


class LogicParams(TeacherParams):
    max_leaves: int = Field(default=16, ge=2, le=256)


def run_math(teacher: Any, params: MathParams, progress: Progress) -> Any:
    from glassbox_jupyter.distill import distill

    spec = params.spec.to_input_spec() if params.spec else None
    progress({"step": "searching", "generations": params.generations})
    return distill(teacher, spec, mode="math", generations=params.generations, seed=params.seed, n=params.n, live=False)


def run_logic(teacher: Any, params: LogicParams, progress: Progress) -> Any:
    from glassbox_jupyter.distill import distill

    spec = params.spec.to_input_spec() if params.spec else None
    progress({"step": "fitting rules", "max_leaves": params.max_leaves})
    return distill(teacher, spec, mode="logic", max_leaves=params.max_leaves, n=params.n, seed=params.seed)


class CircuitParams(BaseModel):
    prompts: list[list[str]] = Field(
        min_length=1, max_length=500, description="[prompt, correct, incorrect(, corrupted)] per prompt"
    )
    method: Literal["taylor", "integrated_gradients", "exact"] = "integrated_gradients"
    n_boot: int = Field(default=1000, ge=100, le=10_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("prompts")
    @classmethod
    def _shape(cls, prompts: list[list[str]]) -> list[list[str]]:
        for row, item in enumerate(prompts):
            if len(item) not in (3, 4):
                raise ValueError(
                    f"prompt {row}: give [prompt, correct, incorrect] or [..., corrupted], got {len(item)} items"
                )
        return prompts


class ParamsError(ValueError):
    """Parameters that do not fit the job's model; ``loc`` names the field (under ``params``)."""

    def __init__(self, loc: list[str | int], message: str):
        super().__init__(message)
        self.loc = loc


def check_circuit(model: Any, params: CircuitParams) -> None:
    """Every prompt must tokenize for ``model``: single-token answers, equal clean/corrupted lengths."""
    from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, require_hooked_transformer

    try:
        require_hooked_transformer(model)
    except (PromptError, TypeError) as exc:
        raise ParamsError(["model_id"], f"a circuit analysis needs a transformer model: {exc}") from exc
    for row, item in enumerate(params.prompts):
        try:
            PromptSet.build(model, [item])
        except PromptError as exc:
            raise ParamsError(["prompts", row], str(exc).replace("prompt 0", f"prompt {row}")) from exc


def run_circuit(model: Any, params: CircuitParams, progress: Progress) -> Any:
    from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer

    progress({"step": "attributing heads", "prompts": len(params.prompts), "method": params.method})
    analyzer = CircuitAnalyzer(model, method=params.method, n_boot=params.n_boot, seed=params.seed)
    return analyzer.analyze(prompts=[tuple(p) for p in params.prompts])


KEY_ENV = re.compile(r"^GLASSBOX_ENDPOINT_KEY_[A-Z0-9_]+$")


class AuditParams(BaseModel):
    """A black-box audit of an OpenAI-compatible endpoint. Its key never travels with the job: the
    job names an environment variable of the server (``GLASSBOX_ENDPOINT_KEY_…``) that holds it."""

    base_url: str = Field(pattern=r"^https?://", max_length=500, description="e.g. http://127.0.0.1:8000/v1")
    model: str = Field(min_length=1, max_length=200)
    key_env: str | None = Field(default=None, description="GLASSBOX_ENDPOINT_KEY_<NAME> in the server's environment")
    decision_prompt: str = Field(min_length=1, max_length=5000, description="a str.format template")
    expected_positive: str = Field(min_length=1, max_length=50)
    expected_negative: str = Field(min_length=1, max_length=50)
    context_variables: dict[str, list[str]] = Field(min_length=1)
    protected: list[str] = Field(default_factory=list)
    n_contexts: int = Field(default=40, ge=2, le=1000)
    n_boot: int = Field(default=1000, ge=100, le=10_000)
    timeout: float = Field(default=30, gt=0, le=300, description="seconds per request")
    max_retries: int = Field(default=2, ge=0, le=10)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("key_env")
    @classmethod
    def _key_env(cls, name: str | None) -> str | None:
        if name is not None and not KEY_ENV.match(name):
            raise ValueError("key_env must be GLASSBOX_ENDPOINT_KEY_<NAME>: only those server variables hold keys")
        return name

    @field_validator("context_variables")
    @classmethod
    def _values(cls, variables: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, values in variables.items():
            if len(values) < 2:
                raise ValueError(f"variable {name!r} needs at least two values to swap between")
        return variables

    def check(self) -> None:
        import string

        fields = {f for _, f, _, _ in string.Formatter().parse(self.decision_prompt) if f}
        if fields != set(self.context_variables):
            raise ParamsError(
                ["decision_prompt"],
                f"the prompt's placeholders {sorted(fields)} must be exactly the context variables "
                f"{sorted(self.context_variables)}",
            )
        unknown = sorted(set(self.protected) - set(self.context_variables))
        if unknown:
            raise ParamsError(["protected"], f"protected variables {unknown} are not context variables")


def check_audit_server(params: AuditParams, endpoint_hosts: tuple[str, ...]) -> None:
    """The endpoint must be on a host the server was started with (``--endpoint-host``): a job must
    not make the server call whatever address a user names (its own network included)."""
    from urllib.parse import urlsplit

    params.check()
    host = urlsplit(params.base_url).hostname or ""
    if host not in endpoint_hosts:
        allowed = ", ".join(endpoint_hosts) or "none"
        raise ParamsError(
            ["base_url"],
            f"this server audits only endpoints on the hosts it was started with (--endpoint-host); "
            f"{host!r} is not one of them (allowed: {allowed})",
        )


def run_audit(_model: Any, params: AuditParams, progress: Progress) -> Any:
    from glassbox_jupyter.audit.auditor import BlackBoxAuditor
    from glassbox_jupyter.audit.endpoint import OpenAIProvider

    provider = OpenAIProvider(
        params.base_url,
        params.model,
        api_key_env=params.key_env,
        timeout=params.timeout,
        max_retries=params.max_retries,
    )
    progress({"step": "auditing", "endpoint": params.base_url, "model": params.model})
    auditor = BlackBoxAuditor(provider, progress=False, seed=params.seed, stop_after_failures=5)
    return auditor.audit(
        params.decision_prompt,
        params.expected_positive,
        params.expected_negative,
        context_variables=params.context_variables,
        protected=params.protected or None,
        n_contexts=params.n_contexts,
        n_boot=params.n_boot,
    )


@dataclass(frozen=True)
class JobKind:
    """A capability a job can run: its parameters, its run function, and checks made when the job is
    submitted: ``check`` against the loaded model, ``check_server`` against the server's settings."""

    params: type[BaseModel]
    run: Callable[..., Any]
    check: Callable[[Any, Any], None] | None = None
    needs_model: bool = True
    check_server: Callable[[Any, tuple[str, ...]], None] | None = None


KINDS: dict[str, JobKind] = {
    "math": JobKind(MathParams, run_math),
    "logic": JobKind(LogicParams, run_logic),
    "circuit": JobKind(CircuitParams, run_circuit, check_circuit),
    "audit": JobKind(AuditParams, run_audit, needs_model=False, check_server=check_audit_server),
}
