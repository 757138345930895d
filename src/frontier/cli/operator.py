"""`frontier operator`: run the Kubernetes operator (kopf) in the foreground.

Equivalent to `kopf run -m frontier.operator.main` with the options the deployment
needs: which namespaces to serve, a liveness endpoint, and peering so that only one
of several replicas is active (or `--standalone` for a single replica without the
kopf peering CRDs). Unless `--priority` or FRONTIER_PEERING_PRIORITY sets one, each
replica draws a random negative priority at start (frontier.operator.main), so the
replicas never tie: the highest is active, the others pause until it is gone.
"""

from __future__ import annotations

from typing import Annotated

import typer


def operator(
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Serve this namespace (repeatable; globs allowed)."),
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Serve every namespace.")
    ] = False,
    liveness: Annotated[
        str | None,
        typer.Option(help="Liveness endpoint, e.g. http://0.0.0.0:8080/healthz."),
    ] = None,
    standalone: Annotated[
        bool, typer.Option(help="Run without peering (a single replica).")
    ] = False,
    peering: Annotated[
        str, typer.Option(help="Peering name shared by the replicas of one operator.")
    ] = "frontier-operator",
    priority: Annotated[
        int | None,
        typer.Option(
            help="Peering priority of this replica (the highest live one is active). "
            "Default: FRONTIER_PEERING_PRIORITY, else a random negative one.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    """Run the operator: reconcile Frontiers, runs and rounds into Jobs, until stopped."""
    if all_namespaces == bool(namespace):
        raise typer.BadParameter(
            "give either --all-namespaces or at least one --namespace", param_hint="--namespace"
        )
    import kopf

    import frontier.operator.main  # noqa: F401  (registers the handlers)

    kopf.configure(verbose=verbose, log_prefix=True)
    settings = kopf.OperatorSettings()
    # Named namespaces (or all of them) need no scanning: without this kopf lists and
    # watches every CRD, and every Namespace when serving some, to follow changes, which
    # the chart's Role and ClusterRole do not grant (403s retried for about a minute before
    # it serves what it found). Only namespace globs need the Namespace watch.
    settings.scanning.disabled = not any(
        ch in pattern for pattern in namespace or () for ch in "*?[!"
    )
    kopf.run(
        settings=settings,
        clusterwide=all_namespaces,
        namespaces=namespace or (),
        standalone=standalone,
        # with a peering name kopf waits for the peering resource even when standalone
        peering_name=None if standalone else peering,
        priority=priority,
        liveness_endpoint=liveness,
    )
