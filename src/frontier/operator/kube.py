"""A small async facade over the Kubernetes API for the handlers: plain dicts in and out.

Why not kopf's own client: it is private API. Why not the generated typed APIs: the
operator deals in four custom kinds, Jobs and Events as JSON, and the typed models only
get in the way. The kubernetes client still does the hard part (in-cluster service
account tokens, kubeconfig contexts, TLS), so the operator authenticates exactly as
kopf's default login does. Calls run in threads, off the operator's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import kubernetes.client
import kubernetes.config

PLURALS: dict[str, str] = {
    "Frontier": "frontiers",
    "ProfileRun": "profileruns",
    "MutationRound": "mutationrounds",
    "VerificationRun": "verificationruns",
    "Job": "jobs",
    "Pod": "pods",
    "Event": "events",
}


class KubeError(RuntimeError):
    """A Kubernetes API call failed; `status` is the HTTP status (0 when unreachable)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Ref:
    """Where an object lives: its apiVersion, plural, namespace and (optionally) name."""

    api_version: str
    plural: str
    namespace: str
    name: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Ref:
        meta = body.get("metadata") or {}
        return cls(
            body["apiVersion"],
            PLURALS[body["kind"]],
            meta.get("namespace") or "default",
            meta.get("name"),
        )

    def path(self, subresource: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        out = f"{base}/namespaces/{quote(self.namespace)}/{self.plural}"
        if self.name is not None:
            out += f"/{quote(self.name)}"
        if subresource is not None:
            out += f"/{subresource}"
        return out


def load_configuration() -> kubernetes.client.Configuration:
    """In-cluster service account first, then the kubeconfig (as kopf's default login).

    $KUBECONFIG is read now, not when the kubernetes package was imported.
    """
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=os.environ.get("KUBECONFIG") or None, client_configuration=configuration
        )
    return configuration


class Kube:
    """Create, read, list and patch objects as dicts; a create that finds the name taken adopts."""

    def __init__(
        self,
        configuration: kubernetes.client.Configuration | None = None,
        *,
        request_timeout: float = 30.0,
    ) -> None:
        self._client = kubernetes.client.ApiClient(configuration or load_configuration())
        self._timeout = request_timeout

    @staticmethod
    def plural(kind: str) -> str:
        return PLURALS[kind]

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        if query:
            path = f"{path}?{urlencode(query)}"
        method_, url, headers, payload, _ = self._client.param_serialize(
            method,
            path,
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._client.call_api(
                method_, url, headers, payload, _request_timeout=self._timeout
            )
        except kubernetes.client.ApiException as exc:
            raise KubeError(exc.status or 0, str(exc.reason), str(exc.body or "")) from None
        raw = response.read()  # type: ignore[no-untyped-call]
        if not 200 <= response.status < 300:
            message = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
            with contextlib.suppress(ValueError, AttributeError):
                message = json.loads(message).get("message", message)
            raise KubeError(response.status, str(response.reason), message)
        if not raw:
            return {}
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else {}

    async def _run(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self._call, method, path, **kwargs)

    async def get(self, ref: Ref) -> dict[str, Any] | None:
        try:
            return await self._run("GET", ref.path())
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    async def list(
        self, ref: Ref, *, labels: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        query = (
            {"labelSelector": ",".join(f"{k}={v}" for k, v in labels.items())} if labels else None
        )
        found = await self._run("GET", ref.path(), query=query)
        return list(found.get("items") or [])

    async def create(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create `body`; if its name is taken, return the existing object. (object, created)."""
        ref = Ref.of(body)
        collection = Ref(ref.api_version, ref.plural, ref.namespace)
        try:
            return await self._run("POST", collection.path(), body=dict(body)), True
        except KubeError as exc:
            if exc.status != 409:
                raise
        existing = await self.get(ref)
        if existing is None:  # deleted between the two calls: the next reconcile retries
            raise KubeError(409, "Conflict", f"{ref.plural}/{ref.name} exists and vanished")
        return existing, False

    async def patch(self, ref: Ref, patch: Mapping[str, Any]) -> dict[str, Any]:
        return await self._run(
            "PATCH", ref.path(), body=dict(patch), content_type="application/merge-patch+json"
        )

    async def patch_status(self, ref: Ref, status: Mapping[str, Any]) -> dict[str, Any]:
        return await self._run(
            "PATCH",
            ref.path("status"),
            body={"status": dict(status)},
            content_type="application/merge-patch+json",
        )

    async def delete(self, ref: Ref) -> bool:
        """Delete the object, its dependents in the background; False if it was gone."""
        try:
            await self._run(
                "DELETE",
                ref.path(),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": "Background",
                },
            )
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True
