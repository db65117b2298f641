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


@dataclass(frozen=True)
class JobKind:
    """A capability a job can run: its parameters, its run function, and an optional check of the
    parameters against the loaded model made when the job is submitted."""

    params: type[BaseModel]
    run: Callable[..., Any]
    check: Callable[[Any, Any], None] | None = None


KINDS: dict[str, JobKind] = {
    "math": JobKind(MathParams, run_math),
    "logic": JobKind(LogicParams, run_logic),
    "circuit": JobKind(CircuitParams, run_circuit, check_circuit),
}
