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
	.venv/bin/python -m bench.events
	.venv/bin/python -m bench.policy
	.venv/bin/python -m bench.registry
	.venv/bin/python -m bench.growth
	.venv/bin/python -m bench.approval
	.venv/bin/python -m bench.budget
	.venv/bin/python -m bench.archive
	.venv/bin/python -m bench.portal
	.venv/bin/python -m bench.http_path
