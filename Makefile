# The two commands: `make demo` (set up, process an example call) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck imports setup bench clean

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
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# Every benchmark runs even when an earlier one misses its target; the exit status says if any did.
BENCHES := parse rules_eval linear inbox agent_tokens slack_ack intake throughput loop_latency

bench: $(STAMP)
	@status=0; for name in $(BENCHES); do \
		echo "== bench/$$name.py"; $(BIN)/python bench/$$name.py || status=1; echo; \
	done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
