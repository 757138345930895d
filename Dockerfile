# syntax=docker/dockerfile:1.7
# One image for the operator (`frontier operator`) and its worker Jobs (`frontier worker`).
#
#   docker build -t ghcr.io/frontier-dev/frontier-operator:0.1.0 \
#     --build-context shoppingbench=../shared/data/shoppingbench .
#
# The optional `shoppingbench` build context puts ShoppingBench's dev tasks under
# /opt/frontier/data/shoppingbench (the path the examples in manifests/ use); without it
# the folder stays empty and Frontiers must point at tasks of their own.

ARG PYTHON_VERSION=3.11

# --- build: resolve and install the package into a self-contained virtualenv -------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/frontier
# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/frontier/bin/pip install . \
    && /opt/frontier/bin/python -m compileall -q /opt/frontier/lib \
    && /opt/frontier/bin/pip uninstall -y pip setuptools wheel

# --- tasks: empty unless `--build-context shoppingbench=...` is given ---------------------
FROM scratch AS shoppingbench

# --- final: the interpreter and the virtualenv, no compilers, no package installer --------
FROM python:${PYTHON_VERSION}-slim-bookworm
LABEL org.opencontainers.image.title="frontier-operator" \
      org.opencontainers.image.description="Kubernetes operator and workers that keep LLM-agent benchmarks alive" \
      org.opencontainers.image.source="https://github.com/frontier-dev/frontier-operator" \
      org.opencontainers.image.licenses="Apache-2.0"
# No installer in the runtime image: pip and setuptools go with the build stage.
RUN rm -rf /usr/local/lib/python3*/site-packages/pip* \
           /usr/local/lib/python3*/site-packages/setuptools* \
           /usr/local/lib/python3*/site-packages/wheel* \
           /usr/local/bin/pip* \
    && groupadd --system --gid 65532 frontier \
    && useradd --system --uid 65532 --gid 65532 --home-dir /tmp --no-create-home \
               --shell /usr/sbin/nologin frontier
COPY --from=build /opt/frontier /opt/frontier
COPY --from=shoppingbench / /opt/frontier/data/shoppingbench/
ENV PATH=/opt/frontier/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
WORKDIR /tmp
# The root filesystem is read-only in the cluster; /tmp is an emptyDir.
USER 65532:65532
# 8080: kopf's health endpoint; 9090: Prometheus metrics.
EXPOSE 8080 9090
ENTRYPOINT ["frontier"]
CMD ["operator", "--liveness=http://0.0.0.0:8080/healthz"]
