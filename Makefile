# Portwise: `make run` sets everything up, ingests the sample library and serves; `make test` runs the tests.
# Both are idempotent: the virtualenv is rebuilt only when pyproject.toml changes.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PORTWISE_STORE__PATH ?= .portwise/store
export GRADIO_ANALYTICS_ENABLED = False
export ANONYMIZED_TELEMETRY = False
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export PYTHAINLP_OFFLINE = 1

.PHONY: run test setup lint clean-store

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build lies on this machine's disk; a bare requirement pulls CUDA.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/portwise ingest kb/
	$(BIN)/portwise search "ท่าเรือ ตู้คอนเทนเนอร์"

test: $(STAMP)
	$(BIN)/python -m pytest -m "not llm and not browser and not bench"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-store:
	rm -rf .portwise/store
