"""frontier: keep LLM-agent benchmarks alive on Kubernetes."""

__version__ = "0.1.0"
