# The two commands: `make demo` (set up, process an example call) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck setup bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	CS_AGENT_COMPANY_NAME="$${CS_AGENT_COMPANY_NAME:-Brightwave}" \
		$(BIN)/cs-agent process examples/acme-renewal.vtt --metadata examples/acme-renewal.meta.json

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/linear.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/agent_tokens.py
	$(BIN)/python bench/slack_ack.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
