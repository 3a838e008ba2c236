# stackops.platform — `make demo` tries it on the emulator, `make test` proves it. Only python3 is needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 45123
EMULATOR_STATE := .emulator
INVENTORY ?= inventories/local
# --durations: every run (CI included) prints its slowest tests, where CI time goes.
PYTEST_ARGS ?= --durations=15
# pytest-xdist for the unit and integration tests: two workers, each with its own emulator (files stay whole on
# one worker: loadfile). The integration suite took 17 min this way on 2 cores; XDIST= runs them serially.
XDIST ?= -n 2

export PYTHONPATH := $(CURDIR)/tests/emulator
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export STACKOPS_EMULATOR_URL ?= http://127.0.0.1:$(EMULATOR_PORT)
EMULATOR := $(BIN)/python -m stackops_emulator --state-dir $(EMULATOR_STATE)

.DEFAULT_GOAL := help
.PHONY: help setup demo status emulator emulator-stop emulator-status test lint unit integration molecule \
        sanity bench build changelog clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(STAMP)  ## create .venv and install everything (ansible, amazon.aws, moto, linters)

emulator: $(STAMP)  ## start the emulator in the background (port $(EMULATOR_PORT))
	@$(EMULATOR) start --port $(EMULATOR_PORT)

emulator-stop:  ## stop the background emulator
	@if [ -x $(BIN)/python ]; then $(EMULATOR) stop; else echo "emulator is not running"; fi

emulator-status:  ## is the emulator running, and where
	@$(EMULATOR) status

demo: emulator  ## set up, start the emulator, converge site.yml on inventories/local, show what exists
	$(BIN)/ansible-playbook site.yml -i $(INVENTORY)
	@$(MAKE) --no-print-directory status
	@echo ""
	@echo "Try a deploy on the demo (runbooks; docs/runbooks/ explains each):"
	@echo "  $(BIN)/ansible-playbook playbooks/runbooks/deploy.yml -i $(INVENTORY) -e service=api -e tag=1.1.0 --check"
	@echo "  $(BIN)/ansible-playbook playbooks/runbooks/deploy.yml -i $(INVENTORY) -e service=api -e tag=1.1.0"
	@echo "  $(BIN)/ansible-playbook playbooks/runbooks/rollback.yml -i $(INVENTORY) -e service=api"
	@echo "  $(BIN)/ansible-playbook playbooks/runbooks/diagnose.yml -i $(INVENTORY) -e service=api"
	@echo "  (each run leaves a timeline in runbook-records/)"

status: $(STAMP)  ## show what exists in $(INVENTORY) (read calls only)
	@$(BIN)/ansible-playbook playbooks/status.yml -i $(INVENTORY)

test: lint sanity unit integration molecule  ## everything CI runs: lint, sanity, unit, integration, molecule
	@echo "make test: all passed"

lint: $(STAMP)  ## ansible-lint (production profile), ruff, yamllint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --offline --profile production

unit: $(STAMP)  ## pytest: plugins, module_utils, the emulator (XDIST="-n 2": two workers)
	$(BIN)/python -m pytest tests/unit $(if $(XDIST),$(XDIST) --dist loadfile) $(PYTEST_ARGS)

integration: $(STAMP)  ## pytest: converge playbooks against emulators the tests start themselves (XDIST="-n 2": two workers)
	$(BIN)/python -m pytest tests/integration $(if $(XDIST),$(XDIST) --dist loadfile) $(PYTEST_ARGS)

molecule: $(STAMP)  ## the roles' molecule scenarios (vpc, storage, edge, monitoring, backups) against an emulator started for them
	@# Scenarios end without a destroy step (the emulator they ran on is gone); reset molecule's memory of a
	@# finished prepare step so that a second `make molecule` prepares its fresh emulator again.
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/molecule reset --all >/dev/null 2>&1
	$(EMULATOR) run -- bash -c 'cd $(CURDIR) && PATH=$(CURDIR)/$(BIN):$$PATH molecule test --all'

sanity: $(STAMP)  ## ansible-test sanity (offline: see tests/sanity.sh)
	tests/sanity.sh

bench: $(STAMP)  ## benchmarks: our converge vs an amazon.aws-only playbook, on the emulator
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

build: $(STAMP)  ## build the collection tarball
	$(BIN)/ansible-galaxy collection build --force

changelog: $(STAMP)  ## release the changelog from changelogs/fragments
	$(BIN)/antsibull-changelog release

clean: emulator-stop  ## remove the venv, the emulator state and build output
	rm -rf $(VENV) $(EMULATOR_STATE) .pytest_cache .ruff_cache stackops-platform-*.tar.gz
