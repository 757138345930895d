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

pytest: install
	scripts/ensure-postgres
	scripts/ensure-chromium
	helm_python=$$(scripts/ensure-helm-python) && FRONTIER_HELM_PYTHON=$$helm_python $(BIN)/pytest

test: lint typecheck layers pytest

clean:
	rm -rf $(VENV) .venv-helm .pytest_cache .mypy_cache .ruff_cache
