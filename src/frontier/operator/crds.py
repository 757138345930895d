"""The CustomResourceDefinitions, generated from the domain's spec and status models.

Why generated: the pydantic models in `frontier.domain.specs` are the one source of
truth for what a Frontier means, on a laptop and in a cluster. The API server needs a
*structural* OpenAPI v3 schema, which pydantic does not emit, so this module converts:
`$ref`s are inlined, `Optional[X]` becomes `X` with `nullable: true`, titles go,
dict-of-anything fields become `x-kubernetes-preserve-unknown-fields`, and
cross-field rules the schema cannot state become CEL rules (`x-kubernetes-validations`).
`crds/*.yaml` are the rendered output; a test keeps them equal to `render_files()`.

Where kopf keeps its state (a deliberate choice, see `frontier.operator.settings`):
the handler progress and the last-handled configuration live in `status.kopf`, not in
annotations, so a GitOps tool comparing the applied manifest with the live object
sees no drift (status is not part of what users apply), and the 256 KB annotation
limit is never hit. That is why every status schema declares a free-form `kopf`
object: a structural schema would otherwise prune kopf's bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from frontier.domain.specs import (
    API_GROUP,
    API_VERSION,
    SPEC_MODELS,
    AdaptiveSpec,
    BandSpec,
    SpecModel,
)
from frontier.domain.status import STATUS_MODELS, StatusModel


@dataclass(frozen=True)
class KindInfo:
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    description: str
    columns: tuple[dict[str, Any], ...]


_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_PHASE = {"name": "Phase", "type": "string", "jsonPath": ".status.phase"}
_PROGRESS = {"name": "Progress", "type": "string", "jsonPath": ".status.progress"}
_FRONTIER = {"name": "Frontier", "type": "string", "jsonPath": ".spec.frontier"}

KINDS: dict[str, KindInfo] = {
    "Frontier": KindInfo(
        kind="Frontier",
        description="A living benchmark: the declarative spec of the loop; the operator keeps it partially unsolved.",
        plural="frontiers",
        singular="frontier",
        short_names=("fr",),
        columns=(
            {"name": "Solver", "type": "string", "jsonPath": ".spec.solver.name"},
            {"name": "Saturated", "type": "integer", "jsonPath": ".status.bands.saturated"},
            {"name": "Hillclimbable", "type": "integer", "jsonPath": ".status.bands.hillclimbable"},
            {"name": "Unreachable", "type": "integer", "jsonPath": ".status.bands.unreachable"},
            {"name": "Slice", "type": "integer", "jsonPath": ".status.sliceVersion"},
            _PHASE,
            _AGE,
        ),
    ),
    "ProfileRun": KindInfo(
        kind="ProfileRun",
        description="k rollouts of one model over one task set (base tasks, a slice version, or a round's candidates).",
        plural="profileruns",
        singular="profilerun",
        short_names=("pr",),
        columns=(
            _FRONTIER,
            {"name": "Model", "type": "string", "jsonPath": ".spec.model.name"},
            _PROGRESS,
            _PHASE,
            _AGE,
        ),
    ),
    "MutationRound": KindInfo(
        kind="MutationRound",
        description="One teacher cycle: select parents, generate, screen, roll out, admit, publish a new slice version.",
        plural="mutationrounds",
        singular="mutationround",
        short_names=("mr",),
        columns=(
            _FRONTIER,
            {"name": "Round", "type": "integer", "jsonPath": ".spec.round"},
            {"name": "Trigger", "type": "string", "jsonPath": ".spec.trigger"},
            _PROGRESS,
            _PHASE,
            _AGE,
        ),
    ),
    "VerificationRun": KindInfo(
        kind="VerificationRun",
        description="k rollouts of each verifier model over one slice version.",
        plural="verificationruns",
        singular="verificationrun",
        short_names=("vr",),
        columns=(
            _FRONTIER,
            {"name": "Models", "type": "string", "jsonPath": ".spec.models[*].name"},
            {"name": "Slice", "type": "integer", "jsonPath": ".spec.sliceVersion"},
            _PROGRESS,
            _PHASE,
            _AGE,
        ),
    ),
}

CATEGORIES = ["frontier-operator"]
"""`kubectl get frontier-operator` lists all four kinds. Not "frontier": kubectl expands a
category before a singular name, so `kubectl get frontier NAME` would name four kinds."""


def _ordered_rule(model: type[SpecModel], low: str, op: str, high: str) -> dict[str, str]:
    """A CEL rule `low op high` over two camelCase fields of `model`.

    Each side falls back to the model's default, so the rule holds whether or not the
    API server has applied the defaults before it evaluates the rule.
    """
    fields = {info.alias or name: info for name, info in model.model_fields.items()}

    def side(name: str) -> str:
        return f"(has(self.{name}) ? self.{name} : {fields[name].default!r})"

    words = {"<": "must be below", "<=": "must not exceed"}[op]
    return {"rule": f"{side(low)} {op} {side(high)}", "message": f"{low} {words} {high}"}


# Cross-field rules the OpenAPI schema cannot state, keyed by the pydantic model name.
CEL_RULES: dict[str, list[dict[str, str]]] = {
    "BandSpec": [_ordered_rule(BandSpec, "unreachableAtMost", "<", "saturatedAbove")],
    "AdaptiveSpec": [_ordered_rule(AdaptiveSpec, "minRollouts", "<=", "maxRollouts")],
}

# JSON Schema keywords copied as they are.
_KEPT = {
    "type",
    "description",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "required",
    "format",
}


class SchemaConversionError(ValueError):
    """The pydantic schema uses a construct a structural schema cannot express."""


def structural_schema(model: type[SpecModel] | type[StatusModel]) -> dict[str, Any]:
    """A model's JSON schema converted into a Kubernetes structural schema."""
    raw = model.model_json_schema(by_alias=True)
    defs: dict[str, Any] = raw.get("$defs", {})
    root = {k: v for k, v in raw.items() if k != "$defs"}
    return _convert(root, defs, path=model.__name__, def_name=model.__name__)


def _convert(
    node: dict[str, Any],
    defs: dict[str, Any],
    path: str,
    def_name: str | None = None,
    siblings_only: bool = False,
) -> dict[str, Any]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in defs:
            raise SchemaConversionError(f"{path}: unresolved $ref {node['$ref']}")
        inlined = _convert(defs[name], defs, path, def_name=name)
        siblings = _convert(
            {k: v for k, v in node.items() if k != "$ref"}, defs, path, siblings_only=True
        )
        siblings.pop("type", None)
        return {**inlined, **siblings}

    if node.get("x-kubernetes-int-or-string"):
        kept = {"x-kubernetes-int-or-string": True}
        return {**kept, **({"description": node["description"]} if "description" in node else {})}

    if "anyOf" in node:
        options = node["anyOf"]
        non_null = [o for o in options if o != {"type": "null"}]
        if len(non_null) != 1:
            raise SchemaConversionError(
                f"{path}: a union of several types cannot be a structural schema"
            )
        merged = _convert(non_null[0], defs, path)
        rest = _convert(
            {k: v for k, v in node.items() if k != "anyOf"}, defs, path, siblings_only=True
        )
        merged.update(rest)
        if len(non_null) < len(options):
            merged["nullable"] = True
            if "enum" in merged and None not in merged["enum"]:
                merged["enum"] = [*merged["enum"], None]
        return merged

    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key == "default":
            if value is not None:
                out["default"] = value
        elif key == "properties":
            out["properties"] = {
                name: _convert(sub, defs, f"{path}.{name}") for name, sub in value.items()
            }
        elif key == "items":
            out["items"] = _convert(value, defs, f"{path}[]")
        elif key == "additionalProperties":
            if "properties" in node:
                continue  # unknown fields are pruned; the two keywords are exclusive
            if value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict):
                out["additionalProperties"] = _convert(value, defs, f"{path}.*")
        elif key == "exclusiveMinimum":
            out["minimum"] = value
            out["exclusiveMinimum"] = True
        elif key == "exclusiveMaximum":
            out["maximum"] = value
            out["exclusiveMaximum"] = True
        elif key in _KEPT or key.startswith("x-kubernetes-"):
            out[key] = value
        else:
            raise SchemaConversionError(f"{path}: unsupported schema keyword {key!r}")
    if not node and not siblings_only:  # `Any`: no type to state, so keep whatever the user wrote
        out["x-kubernetes-preserve-unknown-fields"] = True
    if def_name in CEL_RULES:
        out["x-kubernetes-validations"] = [dict(rule) for rule in CEL_RULES[def_name]]
    return out


def status_schema(kind: str) -> dict[str, Any]:
    """The status schema of a kind, plus the free-form `kopf` stanza kopf writes to."""
    schema = structural_schema(STATUS_MODELS[kind])
    schema.setdefault("properties", {})["kopf"] = {
        "type": "object",
        "description": "kopf's handler progress and last-handled configuration (operator-internal).",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    return schema


def crd(kind: str) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    info = KINDS[kind]
    spec_schema = structural_schema(SPEC_MODELS[kind])
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{info.plural}.{API_GROUP}",
            "labels": {"app.kubernetes.io/part-of": "frontier-operator"},
        },
        "spec": {
            "group": API_GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": list(info.short_names),
                "categories": list(CATEGORIES),
            },
            "versions": [
                {
                    "name": API_VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(c) for c in info.columns],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": info.description,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema,
                                "status": status_schema(kind),
                            },
                        }
                    },
                }
            ],
        },
    }


def all_crds() -> list[dict[str, Any]]:
    return [crd(kind) for kind in KINDS]


def file_name(kind: str) -> str:
    return f"{API_GROUP}_{KINDS[kind].plural}.yaml"


_HEADER = "# Generated by `frontier crds --write crds/` from frontier.domain.specs. Do not edit.\n"


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared sub-objects out in full: anchors and aliases confuse readers of CRDs."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(kind: str) -> str:
    body = yaml.dump(crd(kind), Dumper=_NoAliasDumper, sort_keys=False, width=100)
    return _HEADER + body


def render_files() -> dict[str, str]:
    """File name -> content of every file in `crds/`, including the kustomization."""
    files = {file_name(kind): render(kind) for kind in KINDS}
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [file_name(kind) for kind in KINDS],
    }
    files["kustomization.yaml"] = _HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return files


def render_all() -> str:
    """Every CRD in one multi-document YAML stream (for `kubectl apply -f -`)."""
    return "---\n".join(render(kind) for kind in KINDS)
