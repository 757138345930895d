"""The Kubernetes operator (kopf): one module per kind, pure manifest builders, thin handlers.

Entry point: `frontier.operator.main` (`kopf run -m frontier.operator.main`, or
`frontier operator`). Decisions come from `frontier.pipeline`; this package turns
them into child resources, Jobs, status conditions and Events.
"""
