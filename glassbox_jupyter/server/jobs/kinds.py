"""What a job can run, and its parameters, checked when the job is submitted (422 naming the field).

Kinds: ``math`` and ``logic`` (distillation of a model with an InputSpec), ``circuit`` (prompts on
a transformer), ``twin`` (readable twin of a classifier), ``neurons`` (neuron dependency graph of
one layer), ``latent`` (one law per output of an encoder) and ``audit`` (an endpoint, no model).

Each kind is a Pydantic model of its parameters and a function ``run(model, params, progress)``
that returns a Finding. ``model`` is the loaded model (a Teacher, or a HookedTransformer for a
circuit analysis); ``progress(dict)`` stores how far the job got, so a cancelled or failed job
keeps what it found. Kinds that run on data (``JobKind.data``) also get ``data=``: the project's
dataset the job names (``params.dataset_id``), or None to draw probes from the InputSpec.

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

from pydantic import BaseModel, Field, field_validator, model_validator

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
    generations: int | None = Field(
        default=None, ge=1, le=5000, description="search budget in generations (reproducible); 100 when no budget"
    )
    time_limit: float | None = Field(
        default=None, gt=0, le=3600, description="search budget in seconds (depends on the machine's load)"
    )

    @model_validator(mode="after")
    def _one_budget(self) -> MathParams:
        if self.generations is not None and self.time_limit is not None:
            raise ValueError("give either generations (reproducible) or time_limit (seconds), not both")
        if self.generations is None and self.time_limit is None:
            self.generations = 100
        return self


class LogicParams(TeacherParams):
    max_leaves: int = Field(default=16, ge=2, le=256)


def run_math(teacher: Any, params: MathParams, progress: Progress) -> Any:
    from glassbox_jupyter.distill import distill

    spec = params.spec.to_input_spec() if params.spec else None
    budget = {"generations": params.generations} if params.time_limit is None else {"time_limit": params.time_limit}
    progress({"step": "searching", **budget})
    rounds = {"n": 0}

    def on_front(finding: Any) -> None:  # the front so far, as the ParetoPicker draws it (a dashboard shows it live)
        rounds["n"] += 1
        progress({"round": rounds["n"], "output": finding.output_name, "front_view": finding.view_data()})

    return distill(
        teacher,
        spec,
        mode="math",
        **budget,
        seed=params.seed,
        n=params.n,
        live=False,
        on_front=on_front,
    )


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


class DataParams(BaseModel):
    """What a job runs the model on: a dataset of the project, or probes drawn from the model's
    InputSpec when it has one."""

    dataset_id: str | None = Field(
        default=None, description="a dataset of the project; a model with an InputSpec may omit it (probes are drawn)"
    )
    rows: int = Field(default=2000, ge=50, le=200_000, description="probes drawn from the InputSpec without a dataset")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class TwinParams(DataParams):
    layers: list[str] = Field(min_length=1, max_length=12, description="layer names, in the order the graph follows")
    n_clusters: int = Field(default=10, ge=2, le=100)
    method: Literal["ward", "birch", "kmeans"] = "ward"
    conv: Literal["pooled", "per_filter"] = "pooled"
    tnorm: Literal["einstein", "minimum", "product", "lukasiewicz", "nilpotent_minimum", "drastic"] = "einstein"
    top_k: int = Field(default=3, ge=1, le=20)
    held_out: float = Field(default=0.25, ge=0, lt=0.9)


class NeuronParams(DataParams):
    layer: int | str = Field(description="block number (a transformer) or layer name (any other model)")
    neurons: int | list[int] | None = Field(default=None, description="k most variable, or neuron ids; all by default")
    alpha: float | Literal["1se"] | None = Field(default=None, description="graphical-lasso penalty; CV by default")
    pooling: Literal["token", "sequence", "max"] = "token"
    max_neurons: int = Field(default=256, ge=2, le=1024)
    test_size: float = Field(default=0.25, gt=0, lt=0.9)
    cv: int = Field(default=3, ge=2, le=10)

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, alpha: float | str | None) -> float | str | None:
        if isinstance(alpha, float) and not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha must be a positive number, '1se' or left out, got {alpha}")
        return alpha


class LatentParams(DataParams):
    latents: list[int] | None = Field(default=None, description="which outputs to explain (indices); all by default")
    latent_names: list[str] | None = None
    generations: int = Field(default=100, ge=1, le=5000, description="search budget per latent (reproducible)")
    test_size: float = Field(default=0.25, gt=0, lt=0.9)


def _module(model: Any) -> Any:
    """The ``nn.Module`` inside a Teacher (or the model itself)."""
    return getattr(model, "model", model)


def check_inputs(model: Any, params: DataParams) -> None:
    """Without a dataset the model must have an InputSpec to draw probes from."""
    if params.dataset_id is None and getattr(model, "spec", None) is None:
        raise ParamsError(
            ["dataset_id"], "the model has no InputSpec to draw probes from: upload a dataset and give its dataset_id"
        )


def check_twin(model: Any, params: TwinParams) -> None:
    """The layers must exist in the model (the error lists the ones that do)."""
    from glassbox_jupyter.teacher.layers import LayerError, resolve_layers

    check_inputs(model, params)
    try:
        resolve_layers(_module(model), params.layers)
    except LayerError as exc:
        raise ParamsError(["layers"], str(exc)) from exc
    except TypeError as exc:
        raise ParamsError(["model_id"], f"a readable twin needs a PyTorch classifier: {exc}") from exc


def check_neurons(model: Any, params: NeuronParams) -> None:
    """The layer must hold MLP neurons (the error lists the layers that do)."""
    from glassbox_jupyter.neurons.activations import mlp_layers

    check_inputs(model, params)
    layers = mlp_layers(model)
    if not layers:
        raise ParamsError(["model_id"], f"{type(model).__name__} has no MLP neurons (an attention-only model?)")
    if isinstance(params.layer, str) and params.layer not in layers and not params.layer.isdigit():
        raise ParamsError(["layer"], f"no MLP layer {params.layer!r}; the model's are: {', '.join(layers)}")


def job_inputs(model: Any, params: DataParams, data: Any) -> Any:
    """The dataset's values, or ``rows`` probes drawn from the model's InputSpec."""
    from glassbox_jupyter.teacher.sampling import sample_inputs

    if data is not None:
        return data.values
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ParamsError(["dataset_id"], "the model has no InputSpec to draw probes from: give a dataset_id")
    return sample_inputs(spec, params.rows, "sobol", params.seed)


def run_twin(model: Any, params: TwinParams, progress: Progress, data: Any = None) -> Any:
    from glassbox_jupyter.twin.build import readable_twin

    X = job_inputs(model, params, data)
    progress({"step": "clustering activations", "rows": len(X), "layers": params.layers})
    return readable_twin(
        model,
        X,
        params.layers,
        params.n_clusters,
        method=params.method,
        conv=params.conv,
        tnorm=params.tnorm,
        top_k=params.top_k,
        held_out=params.held_out,
        seed=params.seed,
    )


def run_neurons(model: Any, params: NeuronParams, progress: Progress, data: Any = None) -> Any:
    from glassbox_jupyter.neurons.build import neuron_graph

    inputs = job_inputs(model, params, data)
    layer: int | str = int(params.layer) if isinstance(params.layer, str) and params.layer.isdigit() else params.layer
    progress({"step": "collecting activations", "rows": len(inputs), "layer": layer})
    return neuron_graph(
        model,
        inputs,
        layer,
        neurons=params.neurons,
        alpha=params.alpha,
        pooling=params.pooling,
        max_neurons=params.max_neurons,
        test_size=params.test_size,
        seed=params.seed,
        cv=params.cv,
    )


def run_latent(model: Any, params: LatentParams, progress: Progress, data: Any = None) -> Any:
    from glassbox_jupyter.latent.laws import latent_laws

    X = job_inputs(model, params, data)
    spec = getattr(model, "spec", None)
    names = (data.facts.get("columns") if data is not None else None) or (list(spec.names) if spec else None)
    progress({"step": "searching laws", "rows": len(X), "generations": params.generations})
    return latent_laws(
        model,
        X,
        names,
        latents=params.latents,
        latent_names=params.latent_names,
        name=getattr(model, "name", None),
        generations=params.generations,
        seed=params.seed,
        test_size=params.test_size,
    )


KEY_ENV = re.compile(r"^GLASSBOX_ENDPOINT_KEY_[A-Z0-9_]+$")


class AuditParams(BaseModel):
    """A black-box audit of an OpenAI-compatible endpoint. Its key never travels with the job: the
    job names a key stored in the project (``key_id``, see ``routes/endpoint_keys.py``) or an
    environment variable of the server (``GLASSBOX_ENDPOINT_KEY_…``) that holds it."""

    base_url: str = Field(pattern=r"^https?://", max_length=500, description="e.g. http://127.0.0.1:8000/v1")
    model: str = Field(min_length=1, max_length=200)
    key_env: str | None = Field(default=None, description="GLASSBOX_ENDPOINT_KEY_<NAME> in the server's environment")
    key_id: str | None = Field(default=None, max_length=16, description="a key stored in the project (endpoint-keys)")
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

        if self.key_env is not None and self.key_id is not None:
            raise ParamsError(["key_id"], "give key_id (a key stored in the project) or key_env, not both")

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


def run_audit(_model: Any, params: AuditParams, progress: Progress, api_key: str | None = None) -> Any:
    """``api_key``: the stored key ``params.key_id`` names, decrypted by the worker."""
    from glassbox_jupyter.audit.auditor import BlackBoxAuditor
    from glassbox_jupyter.audit.endpoint import OpenAIProvider

    provider = OpenAIProvider(
        params.base_url,
        params.model,
        api_key_env=params.key_env,
        api_key=api_key,
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
    data: tuple[str, ...] = ()  # the dataset formats it runs on (then ``run`` takes ``data=``)
    needs_spec: bool = False  # the model must have an InputSpec (its card's, or params.spec)


KINDS: dict[str, JobKind] = {
    "math": JobKind(MathParams, run_math, needs_spec=True),
    "logic": JobKind(LogicParams, run_logic, needs_spec=True),
    "circuit": JobKind(CircuitParams, run_circuit, check_circuit),
    "twin": JobKind(TwinParams, run_twin, check_twin, data=("csv", "npy")),
    "neurons": JobKind(NeuronParams, run_neurons, check_neurons, data=("csv", "npy", "texts")),
    "latent": JobKind(LatentParams, run_latent, check_inputs, data=("csv", "npy")),
    "audit": JobKind(AuditParams, run_audit, needs_model=False, check_server=check_audit_server),
}
