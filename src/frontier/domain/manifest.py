"""Reading a custom-resource document into its typed spec, with errors that name the field.

Both the local YAML path and the operator go through `parse_resource`, so an
invalid spec reads the same in a terminal and in a `SpecValid=False` condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from frontier.domain.specs import GROUP_VERSION, SPEC_MODELS, SpecModel

S = TypeVar("S", bound=SpecModel)


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SpecError(ValueError):
    """An invalid resource document; `errors` lists each bad field by its path."""

    def __init__(self, source: str, errors: list[FieldError]) -> None:
        self.source = source
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{source}: invalid spec\n{lines}")


@dataclass(frozen=True)
class Resource(Generic[S]):
    kind: str
    name: str
    namespace: str | None
    spec: S
    labels: dict[str, str] = field(default_factory=dict)


def _path(loc: tuple[int | str, ...], prefix: str) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def field_errors(exc: ValidationError, prefix: str = "spec") -> list[FieldError]:
    """Pydantic's errors as (camelCase field path, message) pairs."""
    errors: list[FieldError] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        errors.append(FieldError(_path(loc, prefix), message))
    return errors


def parse_spec(model: type[S], spec: Any, source: str = "<spec>", prefix: str = "spec") -> S:
    try:
        return model.model_validate(spec if spec is not None else {})
    except ValidationError as exc:
        raise SpecError(source, field_errors(exc, prefix)) from None


_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _quoted(value: Any, limit: int = 80) -> str:
    """`value` as an error quotes it, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def parse_resource(doc: Any, source: str = "<document>") -> Resource[Any]:
    """Validate one custom-resource document (apiVersion, kind, metadata, spec)."""
    if not isinstance(doc, dict):
        raise SpecError(source, [FieldError("<root>", "a resource must be a mapping")])
    errors: list[FieldError] = []
    api_version = doc.get("apiVersion")
    if api_version != GROUP_VERSION:
        errors.append(
            FieldError("apiVersion", f"must be {GROUP_VERSION!r}, got {_quoted(api_version)}")
        )
    kind = doc.get("kind")
    if not isinstance(kind, str) or kind not in SPEC_MODELS:
        errors.append(
            FieldError("kind", f"must be one of {', '.join(SPEC_MODELS)}, got {_quoted(kind)}")
        )
    metadata = doc.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        errors.append(FieldError("metadata", "must be a mapping"))
    meta = metadata if isinstance(metadata, dict) else {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        errors.append(FieldError("metadata.name", "is required"))
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        errors.append(
            FieldError(
                "metadata.name",
                f"must be a DNS-1123 subdomain as Kubernetes names are (lower-case letters, "
                f"digits, '-' and '.', at most 253), got {_quoted(name)}",
            )
        )
    namespace = meta.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not namespace):
        errors.append(
            FieldError("metadata.namespace", f"must be a string, got {_quoted(namespace)}")
        )
    elif isinstance(namespace, str) and (len(namespace) > 63 or not _DNS_LABEL.match(namespace)):
        errors.append(
            FieldError(
                "metadata.namespace",
                f"must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), "
                f"got {_quoted(namespace)}",
            )
        )
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        errors.append(FieldError("metadata.labels", "must be a mapping of strings to strings"))
    if errors:
        raise SpecError(source, errors)
    assert isinstance(name, str) and isinstance(kind, str) and isinstance(labels, dict)
    spec = parse_spec(SPEC_MODELS[kind], doc.get("spec"), source)
    return Resource(kind=kind, name=name, namespace=namespace, spec=spec, labels=dict(labels))
