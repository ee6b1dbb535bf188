# The commands of the README. Each sets up what it needs on a fresh machine.
# The venv's bin/ goes first on PATH: nats-server comes from a pip package.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
.PHONY: up down test lint typecheck bench setup

setup:
	./scripts/bootstrap.sh

# Run the whole platform on the embedded default (foreground; Ctrl-C stops it).
up: setup
	.venv/bin/govproj dev up

down:
	.venv/bin/govproj dev down

# The whole test suite (what CI runs).
test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider --durations=40

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy libs

bench: setup
	.venv/bin/python bench/events.py
	.venv/bin/python bench/policy.py
	.venv/bin/python bench/registry.py
	.venv/bin/python bench/growth.py
	.venv/bin/python bench/approval.py
	.venv/bin/python bench/budget.py
	.venv/bin/python bench/archive.py
	.venv/bin/python bench/portal.py
	.venv/bin/python bench/http.py
