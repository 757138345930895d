"""A checker for the rules the API server enforces on a CRD's openAPIV3Schema.

Follows the Kubernetes documentation, "Specifying a structural schema" and the
apiextensions.k8s.io/v1 validation: every node has a type (unless it is
int-or-string or preserves unknown fields), logical junctors carry no types,
defaults or descriptions, there is no $ref, `properties` and `additionalProperties`
are exclusive, arrays have `items`, metadata is restricted to name/generateName,
defaults validate against their schema, and CEL rules are strings.
Also the translation to JSON Schema used to validate example manifests.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema

JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
FORBIDDEN_IN_JUNCTORS = ("description", "type", "default", "additionalProperties", "nullable")

# The fields of apiextensions.k8s.io/v1 JSONSchemaProps; anything else is rejected.
ALLOWED_KEYS = {
    "type", "format", "title", "description", "default", "maximum", "exclusiveMaximum",
    "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "multipleOf", "enum", "maxProperties", "minProperties", "required", "items",
    "allOf", "oneOf", "anyOf", "not", "properties", "additionalProperties", "nullable",
    "example", "externalDocs",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
    "x-kubernetes-map-type", "x-kubernetes-validations",
}  # fmt: skip
TYPES = {"object", "array", "string", "integer", "number", "boolean"}


def violations(schema: dict[str, Any]) -> list[str]:
    """Every structural-schema violation of a CRD version's openAPIV3Schema, by path."""
    out: list[str] = []
    _node(schema, "", out, in_junctor=False, is_root=True)
    if schema.get("type") != "object":
        out.append("<root>: type must be object")
    metadata = schema.get("properties", {}).get("metadata")
    if metadata is not None:
        _metadata(metadata, out)
    return out


def _node(node: Any, path: str, out: list[str], *, in_junctor: bool, is_root: bool = False) -> None:
    where = path or "<root>"
    if not isinstance(node, dict):
        out.append(f"{where}: a schema must be a mapping")
        return
    for key in node:
        if key not in ALLOWED_KEYS:
            out.append(f"{where}: keyword {key!r} is not allowed in a CRD schema")
    if in_junctor:
        for key in FORBIDDEN_IN_JUNCTORS:
            if key in node:
                out.append(f"{where}: {key!r} must not be set inside allOf/anyOf/oneOf/not")
    else:
        exempt = node.get("x-kubernetes-int-or-string") or node.get(
            "x-kubernetes-preserve-unknown-fields"
        )
        if "type" not in node and not exempt:
            out.append(f"{where}: missing type")
    if "type" in node and node["type"] not in TYPES:
        out.append(f"{where}: type {node['type']!r} is not one of {sorted(TYPES)}")
    if "nullable" in node and not isinstance(node["nullable"], bool):
        out.append(f"{where}: nullable must be a boolean")
    if node.get("x-kubernetes-preserve-unknown-fields") is False:
        out.append(f"{where}: x-kubernetes-preserve-unknown-fields must be true or absent")
    if "properties" in node and "additionalProperties" in node:
        out.append(f"{where}: properties and additionalProperties are mutually exclusive")
    if node.get("additionalProperties") is False:
        out.append(f"{where}: additionalProperties: false is not allowed")
    if node.get("uniqueItems") is True:
        out.append(f"{where}: uniqueItems: true is not allowed")
    if node.get("type") == "array" and "items" not in node:
        out.append(f"{where}: an array needs items")
    if "items" in node and not isinstance(node["items"], dict):
        out.append(f"{where}: items must be one schema")
    if "required" in node:
        missing = [r for r in node["required"] if r not in node.get("properties", {})]
        if missing and not in_junctor:
            out.append(f"{where}: required names unknown properties {missing}")
    if "default" in node and not in_junctor:
        if is_root:
            out.append(f"{where}: the root must not have a default")
        else:
            for error in schema_errors(node, node["default"]):
                out.append(f"{where}: default {node['default']!r} is invalid: {error}")
    for rule in node.get("x-kubernetes-validations", []):
        if not isinstance(rule, dict) or not isinstance(rule.get("rule"), str) or not rule["rule"]:
            out.append(f"{where}: a x-kubernetes-validations entry needs a rule string")
    for name, sub in node.get("properties", {}).items():
        _node(sub, f"{path}.{name}", out, in_junctor=in_junctor)
    if isinstance(node.get("additionalProperties"), dict):
        _node(node["additionalProperties"], f"{path}.*", out, in_junctor=in_junctor)
    if isinstance(node.get("items"), dict):
        _node(node["items"], f"{path}[]", out, in_junctor=in_junctor)
    for junctor in JUNCTORS:
        subs = node.get(junctor)
        if subs is None:
            continue
        for i, sub in enumerate(subs if isinstance(subs, list) else [subs]):
            _node(sub, f"{path}.{junctor}[{i}]", out, in_junctor=True)
            for name in sub.get("properties", {}) if isinstance(sub, dict) else ():
                if name not in node.get("properties", {}):
                    out.append(f"{where}: {junctor} names field {name!r} not specified outside it")


def _metadata(node: dict[str, Any], out: list[str]) -> None:
    if node.get("type") != "object":
        out.append(".metadata: type must be object")
    for name in node.get("properties", {}):
        if name not in ("name", "generateName"):
            out.append(f".metadata.{name}: only name and generateName may be restricted")
    for name, sub in node.get("properties", {}).items():
        extra = set(sub) - {"type", "maxLength", "pattern", "description"}
        if extra or sub.get("type") != "string":
            out.append(f".metadata.{name}: only a string type, maxLength and pattern are allowed")
    extra = set(node) - {"type", "properties", "description"}
    if extra:
        out.append(
            f".metadata: only restrictions of name and generateName are allowed, got {sorted(extra)}"
        )


def to_json_schema(node: Any) -> Any:
    """An OpenAPI v3.0 CRD schema as JSON Schema draft 4, with strict unknown-field checks.

    `nullable` becomes a null type; objects with properties and no preserve-unknown-fields
    reject unknown fields, as `kubectl apply --validate=strict` does; CEL rules are dropped
    (jsonschema cannot evaluate them).
    """
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    for key in ("properties",):
        if key in node:
            out[key] = {name: to_json_schema(sub) for name, sub in node[key].items()}
    if node.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Messages of every way `instance` breaks the CRD `schema` (empty when valid)."""
    validator = jsonschema.Draft4Validator(to_json_schema(copy.deepcopy(schema)))
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
