# The two set-up-and-go commands of the README. Each creates .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-pythons venv bench

$(BIN)/greengate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/greengate

# greengate's main job on the shipped example: no account, no network, no configuration.
demo: venv
	$(BIN)/greengate run --policy examples/greengate.yml --job train -- $(BIN)/python examples/train.py

# The test suite, lint and types (what .ci/run runs).
test: venv
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check greengate tests bench examples
	$(BIN)/ruff format --check greengate tests bench examples
	$(BIN)/mypy

# The suite on the other Pythons pyproject claims, each in its own .venv-X.Y (.ci/run runs it).
test-pythons:
	for v in 3.10 3.12 3.13; do .ci/test-python $$v || exit 1; done

bench: venv
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/accuracy.py
