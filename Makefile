# Autograd Explorer: `make run` to use it, `make test` to check it. Both set everything up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8501
RUN_DEBS := graphviz fonts-dejavu-core libseccomp2
CLASS_DEBS := nginx
TEST_DEBS := $(RUN_DEBS) $(CLASS_DEBS) chromium
REPLICAS ?= $(shell nproc 2>/dev/null || echo 2)
LISTEN ?=
CLASS_ARGS ?=

.PHONY: run test setup setup-test lint typecheck format bench clean serve-class stop-class

# Install the Debian packages in $(1) that are missing (apt-get update only when needed).
define debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing \
	    || { echo "error: could not install Debian packages:$$missing" >&2; exit 1; }; \
	fi
endef

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Python 3.11 is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first, from TORCH_SPEC, so the project's own range never pulls a CUDA build.
$(VENV)/.run-ok: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test-ok: pyproject.toml $(VENV)/.run-ok
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

setup: $(VENV)/.run-ok
	$(call debs,$(RUN_DEBS))

setup-test: $(VENV)/.test-ok
	$(call debs,$(TEST_DEBS))

run: setup
	@echo "Autograd Explorer: http://localhost:$(PORT)"
	$(BIN)/streamlit run app.py --server.headless true --server.port $(PORT)

# A class: REPLICAS Streamlit replicas on loopback ports behind nginx on PORT (default 8500),
# watched and restarted (class_server/). Ctrl+C or `make stop-class PORT=...` stops it all.
# LISTEN=address limits nginx to one address; CLASS_ARGS adds options (python -m class_server
# serve --help).
serve-class stop-class: PORT = 8500
serve-class: setup
	$(call debs,$(CLASS_DEBS))
	$(BIN)/python -m class_server serve --replicas $(REPLICAS) --port $(PORT) --listen "$(LISTEN)" $(CLASS_ARGS)

stop-class:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -m class_server stop --port $(PORT)

# Lint and types first: they take seconds, and any error stops the run before pytest.
# The player's JS maths has unit tests of its own, in node's built-in runner (no npm).
test: lint typecheck setup-test
	$(call debs,nodejs)
	node --test tests/js/
	$(BIN)/python -m pytest -q

# Both ruff checks run, so one run lists every problem; either failing fails the target.
lint: $(VENV)/.test-ok
	@status=0; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "$(BIN)/ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	[ $$status = 0 ] || echo "error: lint failed (see ruff above; \`make format\` fixes most of it)" >&2; \
	exit $$status

# mypy reads its settings and the files to check from [tool.mypy] in pyproject.toml.
typecheck: $(VENV)/.test-ok
	@echo "$(BIN)/mypy"; $(BIN)/mypy || { echo "error: type check failed (see mypy above)" >&2; exit 1; }

format: $(VENV)/.test-ok
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: setup-test
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
