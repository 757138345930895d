"""The spec models of the four custom resources: the one source of truth.

The CRDs' OpenAPI schemas are generated from these models, and `frontier run`
reads the same manifests, so a Frontier means one thing on a laptop and in a
cluster. Fields are camelCase on the wire and snake_case in Python.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

API_GROUP = "frontier.dev"
API_VERSION = "v1alpha1"
GROUP_VERSION = f"{API_GROUP}/{API_VERSION}"

DEFAULT_UNREACHABLE_AT_MOST = 0.02
DEFAULT_SATURATED_ABOVE = 0.70
DEFAULT_K = 4
DEFAULT_OVERLAP_HARD_BELOW = 0.40
DEFAULT_SLICE_SIZE = 150

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Quantity = Annotated[
    StrictInt | str,
    Field(
        description="A Kubernetes quantity: a number (1) or a string ('500m', '4Gi').",
        json_schema_extra={"x-kubernetes-int-or-string": True},
    ),
]
"""A resource quantity as Kubernetes takes it (`x-kubernetes-int-or-string`)."""
Resources = dict[str, dict[str, Quantity]]
MODELS_BY_NAME: dict[str, Any] = {
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
}
"""A list of models is a map keyed by name to server-side apply: each model's fields are
merged and owned one by one, so the defaults the API server fills in never make the whole
list differ from what a GitOps tool applies (an atomic list conflicts on re-apply)."""
"""Requests and limits: {requests: {cpu: '1'}, limits: {nvidia.com/gpu: 1}}."""
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SpecModel(BaseModel):
    """Base of every spec model: camelCase aliases, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        # As strict as the CRD's schema: `k: true` or `k: "3"` is refused, not coerced.
        strict=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The camelCase JSON form, omitting unset optional fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- models -----------------------------------------------------------------


class SecretKeyRef(SpecModel):
    """A key in a Kubernetes Secret; locally, read from an environment variable."""

    name: str = Field(min_length=1, description="Name of the Secret.")
    key: str = Field(min_length=1, description="Key inside the Secret.")


class Pricing(SpecModel):
    """Prices in US dollars per million tokens, for cost accounting."""

    input_per_million: float = Field(0.0, ge=0.0, description="USD per million prompt tokens.")
    output_per_million: float = Field(0.0, ge=0.0, description="USD per million completion tokens.")


class ModelServer(SpecModel):
    """A model server run as a sidecar of the worker Job (for example vLLM on a GPU node)."""

    image: str = Field(min_length=1, description="The server's image.")
    args: list[str] = Field(default_factory=list, description="The server's arguments.")
    port: int = Field(8000, ge=1, le=65535, description="Port the server listens on.")
    resources: Resources = Field(
        default_factory=dict,
        description="Kubernetes resource requests and limits of the server, e.g. {limits: {nvidia.com/gpu: 1}}.",
    )
    readiness_path: str = Field(
        "/health", description="HTTP path of its readiness and startup probes."
    )


class ModelRef(SpecModel):
    """A model, referenced the same way everywhere: an OpenAI-compatible endpoint or the heuristic agent."""

    name: str = Field(
        min_length=1,
        max_length=63,
        description="Label used in status, metrics and the store (a DNS label).",
    )
    provider: Literal["heuristic", "openai"] = Field(
        "heuristic", description="'heuristic' needs no model server; 'openai' calls an endpoint."
    )
    profile: str | None = Field(
        None, description="Heuristic skill profile (e.g. hasty, careful); heuristic provider only."
    )
    skill: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description=(
            "Heuristic provider only: graded skill in [0, 1], for calibration panels of many "
            "subjects (item response theory). The agent plays its profile (with no profile, "
            "the benchmark's strongest), but each decision point is played the weak way with "
            "probability 1 - skill, drawn per (seed, task, attempt), so a stronger agent "
            "solves roughly a superset of what a weaker one solves. Skill 1 plays the profile "
            "unchanged; unset applies no skill (and the profile defaults to the weakest)."
        ),
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL, e.g. http://vllm:8000/v1."
    )
    model: str | None = Field(None, description="Model name sent to the endpoint.")
    api_key_secret: SecretKeyRef | None = Field(
        None, description="Secret holding the API key (mounted as an environment variable)."
    )
    api_key_env: str | None = Field(
        None, description="Environment variable holding the API key (local runs)."
    )
    api_key_file: str | None = Field(
        None, description="File holding the API key (a mounted Secret)."
    )
    protocol: Literal["native", "text"] = Field(
        "native",
        description="'native' function calling, or 'text' tool calls in tags for servers without a tool parser.",
    )
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(1024, ge=1, description="Largest completion per model call.")
    max_steps: int = Field(
        30, ge=1, le=500, description="Model calls (tool steps) per rollout before it stops."
    )
    concurrency: int = Field(8, ge=1, le=4096, description="Upper bound of concurrent requests.")
    timeout_seconds: float = Field(120.0, gt=0.0, description="Timeout of one model call.")
    max_retries: int = Field(
        6, ge=0, le=50, description="Retries of a failed call (429, 5xx, timeouts) with backoff."
    )
    pricing: Pricing = Field(default_factory=Pricing, description="Token prices, for cost.")
    server: ModelServer | None = Field(
        None, description="A model server run as a sidecar of each worker Job (e.g. vLLM)."
    )

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError(
                "must be a DNS label: lower-case letters, digits and '-', starting and ending alphanumeric"
            )
        return value

    @model_validator(mode="after")
    def _provider_fields(self) -> Self:
        if self.provider == "openai":
            missing = [f for f in ("base_url", "model") if getattr(self, f) is None]
            if self.server is not None and self.base_url is None:
                missing.remove("base_url")  # the sidecar's address is filled in
            if missing:
                raise ValueError(
                    "provider 'openai' needs " + " and ".join(to_camel(m) for m in missing)
                )
            wrong = [to_camel(f) for f in ("profile", "skill") if getattr(self, f) is not None]
            if wrong:
                raise ValueError(
                    f"{' and '.join(wrong)} apply only to provider 'heuristic'"
                    if len(wrong) > 1
                    else f"{wrong[0]} applies only to provider 'heuristic'"
                )
        else:
            wrong = [
                to_camel(f)
                for f in (
                    "base_url",
                    "model",
                    "api_key_secret",
                    "api_key_env",
                    "api_key_file",
                    "server",
                )
                if getattr(self, f) is not None
            ]
            if wrong:
                raise ValueError(
                    f"provider 'heuristic' takes no {', '.join(wrong)}; set provider: openai"
                )
        keys = [f for f in ("api_key_secret", "api_key_env", "api_key_file") if getattr(self, f)]
        if len(keys) > 1:
            raise ValueError("give at most one of apiKeySecret, apiKeyEnv, apiKeyFile")
        return self


class TaskSource(SpecModel):
    """Where a benchmark's base tasks come from."""

    paths: list[str] = Field(
        min_length=1,
        description="Task files or glob patterns; relative paths resolve against the manifest's folder.",
    )
    limit_per_family: int | None = Field(
        None, ge=1, description="Take at most this many tasks of each family (for quick trials)."
    )
    on_error: Literal["fail", "skip"] = Field(
        "fail", description="A malformed task line fails the load, or is skipped and reported."
    )


class BenchmarkSpec(SpecModel):
    """Which benchmark, its base tasks, and its options."""

    name: str = Field(
        min_length=1, description="Benchmark plugin (entry point in group frontier.benchmarks)."
    )
    source: TaskSource = Field(description="Where the base tasks come from.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Benchmark-specific options (catalog backend, seed, ...)."
    )


class BandSpec(SpecModel):
    """Band edges on mean reward: unreachable <= a < hillclimbable <= b < saturated."""

    unreachable_at_most: Fraction = Field(
        DEFAULT_UNREACHABLE_AT_MOST,
        description="Mean reward at or below which a task is unreachable.",
    )
    saturated_above: Fraction = Field(
        DEFAULT_SATURATED_ABOVE, description="Mean reward above which a task is saturated."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.unreachable_at_most >= self.saturated_above:
            raise ValueError(
                f"unreachableAtMost ({self.unreachable_at_most}) must be below "
                f"saturatedAbove ({self.saturated_above})"
            )
        return self


MODE_CONFIDENCE = {"budget": 0.7, "curtail": 0.9}


class AdaptiveSpec(SpecModel):
    """Sequential allocation of rollouts: stop once a task's band is settled."""

    enabled: bool = Field(False, description="Allocate rollouts adaptively instead of k each.")
    mode: Literal["budget", "curtail"] = Field(
        "budget",
        description="budget: a mean of k rollouts per task, spent where bands are uncertain; "
        "curtail: fixed-k decisions with fewer rollouts (stop once the k-rollout band is "
        "certain or predicted with the given confidence).",
    )
    min_rollouts: int = Field(1, ge=1, description="Rollouts every task gets first.")
    max_rollouts: int = Field(16, ge=1, description="Most rollouts any one task gets.")
    confidence: float | None = Field(
        None,
        gt=0.5,
        lt=1.0,
        description="When a task stops: budget mode, the posterior probability that its band "
        "is right (default 0.7); curtail mode, the probability that more rollouts leave its "
        "fixed-k band unchanged (default 0.9).",
    )

    decide: Literal["mean", "posterior"] = Field(
        "mean",
        description="How a task's band is decided: mean, the band of its observed mean reward "
        "(DESIGN.md); posterior, the most likely band under a prior fitted to the run's own "
        "rollouts, stored with the run (budget mode only; the store, status and report "
        "read bands by the same rule).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_rollouts > self.max_rollouts:
            raise ValueError("minRollouts must not exceed maxRollouts")
        if self.decide == "posterior" and self.mode != "budget":
            raise ValueError("decide: posterior needs mode: budget")
        return self

    @property
    def posterior_rule(self) -> bool:
        """Bands by the posterior's most likely band (enabled, budget mode, decide posterior)."""
        return self.enabled and self.mode == "budget" and self.decide == "posterior"

    @property
    def stop_confidence(self) -> float:
        """`confidence`, or its mode's default: the settings bench/adaptive_profiling.py
        measured best (docs/PERFORMANCE.md)."""
        if self.confidence is not None:
            return self.confidence
        return MODE_CONFIDENCE[self.mode]


def _verification_decides_by_mean(adaptive: AdaptiveSpec) -> AdaptiveSpec:
    """Verification runs band by the observed mean (the canaries and the verifiers' bands
    read their means); the posterior rule is for profile runs."""
    if adaptive.decide != "mean":
        raise ValueError("decide: posterior is for profile runs; verification decides by mean")
    return adaptive


class ProfileSpec(SpecModel):
    """How the solver is profiled on the base tasks."""

    k: int = Field(DEFAULT_K, ge=1, le=1024, description="Rollouts per task.")
    shards: int = Field(1, ge=1, le=10_000, description="Indexed Job completions.")
    seed: int = Field(0, description="Seed of the rollouts' sampling.")
    adaptive: AdaptiveSpec = Field(
        default_factory=AdaptiveSpec, description="Adaptive allocation of the rollouts."
    )


class TeacherSpec(SpecModel):
    """Who proposes mutated tasks near the boundary."""

    kind: Literal["procedural", "llm"] = Field(
        "procedural", description="Procedural mutations, or an LLM teacher (needs model)."
    )
    model: ModelRef | None = Field(None, description="The teacher model (kind llm only).")
    motifs: list[str] = Field(
        default_factory=list,
        description="Allowed mutation motifs; empty means all the benchmark has.",
    )

    @model_validator(mode="after")
    def _model_for_llm(self) -> Self:
        if self.kind == "llm" and self.model is None:
            raise ValueError("teacher kind 'llm' needs a model")
        if self.kind == "llm" and self.model is not None and self.model.provider != "openai":
            raise ValueError("an llm teacher's model must have provider 'openai'")
        return self


class MutationSpec(SpecModel):
    """How a round picks parents and asks for candidates."""

    parents_per_round: int = Field(40, ge=1, le=100_000, description="Parents chosen per round.")
    candidates_per_parent: int = Field(
        3, ge=1, le=100, description="Candidates the teacher proposes per parent."
    )
    parent_selection: Literal["boundary", "random"] = Field(
        "boundary", description="'boundary' prefers parents near the band edges."
    )
    motif_selection: Literal["failure", "random"] = Field(
        "failure", description="'failure' picks motifs from the parent's failure trace."
    )
    seed: int = Field(0, description="Seed of parent and motif choice.")


class AdmissionSpec(SpecModel):
    """How candidates are screened and rolled out before they join the slice."""

    k: int = Field(DEFAULT_K, ge=1, le=1024, description="Solver rollouts per candidate.")
    min_rollouts: int = Field(
        1,
        ge=1,
        description="Fewer successful (non-error) rollouts than this: insufficient_rollouts.",
    )
    near_duplicate_threshold: Fraction = Field(
        0.9, description="Query similarity at or above which a candidate is a near duplicate."
    )
    early_stop: bool = Field(
        True, description="Stop rolling out a candidate once its band cannot be hillclimbable."
    )
    stop_confidence: Fraction | None = Field(
        None,
        description="With earlyStop, also stop rolling out a candidate once the band of its "
        "mean so far is where its mean over k rollouts ends with at least this probability "
        "(stochastic curtailment); null: only once that band is certain.",
    )
    predict_band: bool = Field(
        True,
        description="Reject a candidate as predicted_saturated without rollouts when the solver "
        "saturated its parent and every recorded parent answer still scores saturated on it.",
    )


class SliceSpec(SpecModel):
    """The retained frontier slice."""

    size: int = Field(
        DEFAULT_SLICE_SIZE, ge=1, le=1_000_000, description="Tasks retained per slice version."
    )
    seed: int = Field(0, description="Seed of the diverse selection when more qualify.")


class VerificationSpec(SpecModel):
    """How the verifiers roll out each slice version."""

    k: int = Field(DEFAULT_K, ge=1, le=1024, description="Rollouts per task and verifier.")
    overlap_hard_below: Fraction = Field(
        DEFAULT_OVERLAP_HARD_BELOW,
        description="A task below this mean reward on every verifier is an overlap-hard canary.",
    )
    adaptive: AdaptiveSpec = Field(
        default_factory=AdaptiveSpec, description="Adaptive allocation of the rollouts."
    )

    _decides_by_mean = field_validator("adaptive")(_verification_decides_by_mean)


class SaturationSpec(SpecModel):
    """When the frontier counts as saturated, and how often a new round may start."""

    solver_saturated_fraction: Fraction | None = Field(
        0.5, description="Saturated fraction of the slice under the solver that triggers a round."
    )
    verifier_saturated_fraction: Fraction | None = Field(
        None,
        description="Saturated fraction of the slice under any verifier that triggers a round.",
    )
    min_hillclimbable_fraction: Fraction | None = Field(
        None, description="Fewer hillclimbable tasks than this fraction also triggers a round."
    )
    cooldown_seconds: float = Field(0.0, ge=0.0, description="Least time between two rounds.")
    max_rounds: int = Field(10, ge=0, le=10_000, description="Most rounds the operator starts.")

    @model_validator(mode="after")
    def _some_threshold(self) -> Self:
        if (
            self.solver_saturated_fraction is None
            and self.verifier_saturated_fraction is None
            and self.min_hillclimbable_fraction is None
        ):
            raise ValueError("set at least one saturation threshold")
        return self


class StopSpec(SpecModel):
    """When an embedded `frontier run` stops (the operator runs until deleted)."""

    max_rounds: int | None = Field(None, ge=0, description="Stop after this many rounds.")
    max_duration_seconds: float | None = Field(
        None, gt=0, description="Stop once the run has taken this long."
    )
    target_slice_size: int | None = Field(
        None, ge=1, description="Stop once a slice version holds this many tasks."
    )


class BudgetSpec(SpecModel):
    """What a frontier may spend, in USD from its models' pricing (the operator and `frontier run`)."""

    max_cost_usd: float | None = Field(
        None,
        gt=0,
        description=(
            "Total spend of the frontier (every stage, the teacher included). No round starts "
            "once it is reached, and no wave of rollouts or teacher call starts when it would "
            "cross it (estimated from the mean cost so far); raising it resumes."
        ),
    )
    max_round_cost_usd: float | None = Field(
        None,
        gt=0,
        description=(
            "Spend of one round's teacher and candidate rollouts; the round stops before "
            "a wave or teacher call that would cross it, and resumes when raised."
        ),
    )


class FailureSpec(SpecModel):
    """When a run fails instead of finishing with fewer rollouts than planned."""

    max_errored_share: Fraction = Field(
        0.1,
        description=(
            "A run (or one worker shard of it) fails when more than this share of its "
            "rollouts still ends in a harness error after their retries (an endpoint down, "
            "a timeout, a server error; never a wrong answer). It fails naming the endpoint "
            "and the last cause, publishes nothing, and running it again resumes. 0 fails on "
            "any error left; 1 never fails, and the errored rollouts are left out of the bands."
        ),
    )


class CalibrationSpec(SpecModel):
    """The item bank: a 2PL item-response fit of every stored response (docs/PERFORMANCE.md)."""

    enabled: bool = Field(
        True,
        description=(
            "Refit after each profile or verification run: every (model, task) response of "
            "the frontier, all slice versions and the base tasks together, on one scale "
            "anchored on the base tasks. Each fit is a new, immutable calibration version."
        ),
    )
    min_models: int = Field(
        3,
        ge=2,
        description=(
            "Fit only once at least this many models have graded rollouts: with fewer, "
            "discrimination is not identified."
        ),
    )
    panel: list[ModelRef] = Field(
        default_factory=list,
        description=(
            "Models profiled on the base tasks for calibration only (never a solver or a "
            "verifier): more subjects make discrimination estimable. For a laptop run, a "
            "ladder of heuristic agents of graded skill (provider heuristic, skill 0..1)."
        ),
        json_schema_extra=MODELS_BY_NAME,
    )
    exclude_suspect: bool = Field(
        True,
        description=(
            "Keep tasks the latest calibration flags suspect_grading (negative "
            "discrimination, at a 10% false discovery rate over the bank) out of the next "
            "slice version."
        ),
    )


class PlacementSpec(SpecModel):
    """Adaptive placement on the item bank (docs/PERFORMANCE.md, "Item response theory")."""

    target_se: float = Field(
        0.3, gt=0, le=10, description="Stop once the standard error of θ is at most this."
    )
    max_items: int = Field(
        15, ge=1, le=10_000, description="Ask at most this many tasks (k rollouts each)."
    )
    calibration: int | None = Field(
        None,
        ge=1,
        description="The calibration version whose items are asked (default: the latest).",
    )


class Toleration(SpecModel):
    """A taint the worker pods tolerate, as in a pod spec."""

    key: str | None = Field(None, description="The taint's key (empty with Exists: every taint).")
    operator: Literal["Exists", "Equal"] | None = Field(
        None, description="Exists, or Equal (the default) to match value."
    )
    value: str | None = Field(None, description="The taint's value (operator Equal).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="The taint effect tolerated (empty: every effect)."
    )
    toleration_seconds: int | None = Field(
        None, description="How long a NoExecute taint is tolerated."
    )


class JobTemplate(SpecModel):
    """How worker Jobs are built in a cluster."""

    image: str = Field(
        "ghcr.io/frontier-dev/frontier-operator:0.1.0",
        min_length=1,
        description="Worker image (the operator's own unless the deployment sets another).",
    )
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        "IfNotPresent", description="When the kubelet pulls the worker image."
    )
    service_account_name: str | None = Field(
        None,
        description="ServiceAccount of the worker pods (default: the chart's worker account).",
    )
    resources: Resources = Field(
        default_factory=dict,
        description="Requests and limits of the worker container, e.g. {limits: {nvidia.com/gpu: 1}}.",
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict,
        description="Node labels the worker pods need, e.g. {nvidia.com/gpu.present: 'true'}.",
    )
    tolerations: list[Toleration] = Field(
        default_factory=list, description="Taints the worker pods tolerate (a GPU node's)."
    )
    affinity: dict[str, Any] = Field(
        default_factory=dict,
        description="Node and pod affinity of the worker pods, as in a pod spec.",
    )
    priority_class_name: str | None = Field(None, description="PriorityClass of the worker pods.")
    runtime_class_name: str | None = Field(
        None, description="RuntimeClass of the worker pods (e.g. nvidia)."
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels on the worker Jobs and their pods, e.g. "
        "{kueue.x-k8s.io/queue-name: gpu} for a cluster that queues GPU work with Kueue.",
    )
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Annotations on the worker pods."
    )
    parallelism: int | None = Field(
        None, ge=1, description="Shards running at once (default: all of a run's shards)."
    )
    backoff_limit_per_index: int = Field(
        2, ge=0, description="Retries of a failed shard (exit code other than 3) before it fails."
    )
    max_failed_indexes: int = Field(
        0, ge=0, description="Failed shards tolerated before the run fails."
    )
    active_deadline_seconds: int | None = Field(
        None, ge=1, description="Wall-clock limit of one worker Job."
    )
    database_secret: SecretKeyRef | None = Field(
        None, description="Secret key holding the database DSN (defaults to the operator's)."
    )
    env: list[dict[str, Any]] = Field(
        default_factory=list, description="Extra container env entries."
    )
    volumes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Extra pod volumes, e.g. a PersistentVolumeClaim or ConfigMap holding task files.",
    )
    volume_mounts: list[dict[str, Any]] = Field(
        default_factory=list, description="Where the worker container mounts those volumes."
    )


class FrontierSpec(SpecModel):
    benchmark: BenchmarkSpec
    solver: ModelRef
    teacher: TeacherSpec = Field(default_factory=TeacherSpec)
    verifiers: list[ModelRef] = Field(
        default_factory=list,
        description="Stronger models that verify each slice version (names unique).",
        json_schema_extra=MODELS_BY_NAME,
    )
    bands: BandSpec = Field(default_factory=BandSpec)
    profile: ProfileSpec = Field(default_factory=ProfileSpec)
    mutation: MutationSpec = Field(default_factory=MutationSpec)
    admission: AdmissionSpec = Field(default_factory=AdmissionSpec)
    slice: SliceSpec = Field(default_factory=SliceSpec)
    verification: VerificationSpec = Field(default_factory=VerificationSpec)
    saturation: SaturationSpec = Field(default_factory=SaturationSpec)
    stop: StopSpec = Field(default_factory=StopSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    failure: FailureSpec = Field(default_factory=FailureSpec)
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)
    job: JobTemplate = Field(default_factory=JobTemplate)

    @model_validator(mode="after")
    def _unique_models(self) -> Self:
        names = [
            self.solver.name,
            *(v.name for v in self.verifiers),
            *(m.name for m in self.calibration.panel),
        ]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(
                    f"model name {name!r} is used twice (solver, verifiers and "
                    "calibration.panel need distinct names)"
                )
            seen.add(name)
        return self


# --- runs -------------------------------------------------------------------


class TaskSetRef(SpecModel):
    """Which tasks a run rolls out."""

    kind: Literal["base", "slice", "candidates"] = Field(
        "base", description="The base tasks, a slice version, or a round's candidates."
    )
    slice_version: int | None = Field(None, ge=1, description="The slice version (kind slice).")
    round: int | None = Field(None, ge=1, description="The round (kind candidates).")
    new_only: bool | None = Field(
        None,
        description=(
            "Kind slice, if true: only the tasks this version adds (in neither the previous version nor "
            "the base tasks), e.g. for a calibration panel that already answered the rest."
        ),
    )

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Self:
        if self.kind == "slice" and self.slice_version is None:
            raise ValueError("a task set of kind 'slice' needs sliceVersion")
        if self.kind == "candidates" and self.round is None:
            raise ValueError("a task set of kind 'candidates' needs round")
        if self.kind == "base" and (self.slice_version is not None or self.round is not None):
            raise ValueError("a task set of kind 'base' takes no sliceVersion or round")
        if self.new_only and self.kind != "slice":
            raise ValueError("newOnly applies to a task set of kind 'slice' only")
        return self


_FRONTIER = "Name of the owning Frontier (same namespace)."
_K = "Rollouts per task."
_SHARDS = "Indexed Job completions the tasks are split over."
_SEED = "Seed of the rollouts' sampling."
_SUSPEND = "Suspend the run's Jobs (their pods stop; resume by setting false)."
_ADAPTIVE = "Adaptive allocation of the rollouts."


class ProfileRunSpec(SpecModel):
    frontier: str = Field(min_length=1, description=_FRONTIER)
    model: ModelRef = Field(description="The model rolled out.")
    task_set: TaskSetRef = Field(default_factory=TaskSetRef, description="Which tasks.")
    k: int = Field(DEFAULT_K, ge=1, le=1024, description=_K)
    shards: int = Field(1, ge=1, le=10_000, description=_SHARDS)
    seed: int = Field(0, description=_SEED)
    adaptive: AdaptiveSpec = Field(default_factory=AdaptiveSpec, description=_ADAPTIVE)
    suspend: bool = Field(False, description=_SUSPEND)
    parallelism: int | None = Field(None, ge=1, description="Shards running at once.")


class MutationRoundSpec(SpecModel):
    frontier: str = Field(min_length=1, description=_FRONTIER)
    round: int = Field(ge=1, description="The round's number.")
    trigger: str = Field("manual", description="Why the round started (e.g. SaturationDetected).")
    from_slice_version: int | None = Field(
        None, ge=1, description="The slice version the round starts from."
    )
    suspend: bool = Field(False, description=_SUSPEND)


class VerificationRunSpec(SpecModel):
    frontier: str = Field(min_length=1, description=_FRONTIER)
    slice_version: int = Field(ge=1, description="The slice version verified.")
    models: list[ModelRef] = Field(
        min_length=1, description="The verifier models.", json_schema_extra=MODELS_BY_NAME
    )
    k: int = Field(DEFAULT_K, ge=1, le=1024, description=_K)
    shards: int = Field(1, ge=1, le=10_000, description=_SHARDS)
    seed: int = Field(0, description=_SEED)
    adaptive: AdaptiveSpec = Field(default_factory=AdaptiveSpec, description=_ADAPTIVE)
    suspend: bool = Field(False, description=_SUSPEND)
    placement: PlacementSpec | None = Field(
        None,
        description=(
            "Place each model on the frontier's item bank instead of rolling out every task: "
            "an adaptive test asks the slice's calibrated task of maximum Fisher information "
            "at the model's current θ, k rollouts at a time, until targetSe or maxItems; the "
            "status reports θ ± SE, the tasks asked and the expected pass@1 on every slice "
            "version. Needs a calibration; one shard per model (the test is sequential)."
        ),
    )

    _decides_by_mean = field_validator("adaptive")(_verification_decides_by_mean)


SPEC_MODELS: dict[str, type[SpecModel]] = {
    "Frontier": FrontierSpec,
    "ProfileRun": ProfileRunSpec,
    "MutationRound": MutationRoundSpec,
    "VerificationRun": VerificationRunSpec,
}
