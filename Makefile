# The README's two commands: `make book` and `make test`.
# Both create .venv when it is missing and install what they need themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

# Verified MedMNIST files, when the shared folder exists next to the project
# (never required: without it coursekit downloads, or falls back offline).
SHARED_DATA := $(abspath ../shared/data/medmnist)
ifneq ($(wildcard $(SHARED_DATA)/*.npz),)
export COURSEKIT_DATA ?= $(SHARED_DATA)
endif

.PHONY: help book test test-floors assign grade-solutions benchmark gpu-prep clean

help:
	@echo "make book   - install, execute every notebook (quick profile), build _build/html"
	@echo "make test   - install the dev extra and run the whole test suite"
	@echo "make test-floors - the whole test suite on the lowest versions pyproject.toml allows"
	@echo "make assign - regenerate exercises/ from solutions/"
	@echo "make grade-solutions - grade solutions/ (every task should get full marks)"
	@echo "make benchmark - run benchmarks/*.py in the active profile"
	@echo "make gpu-prep - gather what benchmarks/gpu_session.sh needs on a GPU machine without internet"

# pyproject.toml sets no ceiling on Python. NEWEST_PYTHON is the newest on which the whole suite
# has passed with the packages pip picks; a newer Python is told so before pip runs, because pip
# builds a package that has no wheel for it yet from source, which needs compilers and can fail
# (scikit-image had no wheel for Python 3.15 on 2026-12-06).
NEWEST_PYTHON := 3.14

# On Linux pip installs PyTorch's CUDA build even where there is no GPU, and the venv takes about
# 6 GB (6.2 GB for `make test` on 2026-12-07). A disk that fills part-way stops pip with
# "[Errno 28] No space left on device" after minutes of downloads, as a CI run did on 2026-12-07,
# so a disk with less than VENV_GB free is told so before pip starts.
VENV_GB := 8

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; v > tuple(map(int, "$(NEWEST_PYTHON)".split("."))) and print(f"note: Python {v[0]}.{v[1]} is newer than any this course has been tested on (3.10 to $(NEWEST_PYTHON)). If pip fails below while building a package from source, start again with an older Python: rm -rf $(VENV) && make $(MAKECMDGOALS) PYTHON=python$(NEWEST_PYTHON)")'
	@$(PYTHON) -c 'import shutil; free = shutil.disk_usage(".").free / 2**30; free < $(VENV_GB) and print(f"note: {free:.1f} GB free on this disk; on Linux $(VENV) takes about 6 GB (PyTorch with its CUDA libraries). If pip stops with No space left on device, free $(VENV_GB) GB and run make again.")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed-book: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[book]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[dev]"
	touch $@ $(VENV)/.installed-book

# Notebooks execute in the quick profile, without live progress bars (static pages).
book: $(VENV)/.installed-book
	COURSEKIT_PROFILE=quick COURSEKIT_PROGRESS=0 $(BIN)/jupyter-book build . --all --warningiserror --nitpick --keep-going
	@echo "Site built: $(abspath _build/html/index.html)"

test: $(VENV)/.installed-dev
	COURSEKIT_PROFILE=quick $(BIN)/python -m pytest

assign: $(VENV)/.installed-dev
	$(BIN)/coursekit assign solutions/*.ipynb --out exercises --force

grade-solutions: $(VENV)/.installed-dev
	$(BIN)/coursekit grade solutions/*.ipynb --out grading-output --force

benchmark: $(VENV)/.installed-dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

# What benchmarks/gpu_session.sh needs on a GPU machine that has PyTorch but no internet and no
# data: the medmnist wheel (for its file names and checksums) in .whl/, and the verified
# OrganAMNIST and PneumoniaMNIST files in .devdata/ (both git-ignored; carry them with the command).
gpu-prep: $(VENV)/.installed-dev
	rm -rf .whl .devdata && $(PIP) download -q --no-deps --only-binary=:all: -d .whl \
		"medmnist==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("medmnist"))')"
	mkdir -p .devdata && for f in organamnist pneumoniamnist; do \
		cp "$$($(BIN)/python -c 'from coursekit import data; print(data.data_dir())')/$$f.npz" .devdata/ || exit 1; done
	$(BIN)/python -c "from coursekit import data; import os; os.environ['COURSEKIT_DATA'] = '.devdata'; \
		[print(len(data.load_medmnist(f, 'train')), f, 'training images in .devdata, verified') for f in ('organamnist', 'pneumoniamnist')]"
	@echo "ready: run 'bash benchmarks/gpu_session.sh' there, carrying .whl and .devdata"

# The floors pyproject.toml declares, checked: a second venv holds the lowest allowed version of
# every direct requirement (uv's lowest-direct resolution, the dev and book extras included) on
# the oldest allowed Python, and runs the whole test suite there. Not part of `make test` (it
# installs a second torch): run it when a floor changes.
# The check runs the interpreter rather than looking it up: pyenv puts a python3.10 shim on the
# PATH that `command -v` finds and that fails when run unless 3.10 is pyenv's active version.
FLOORS_VERSION := 3.10
FLOORS_PYTHON ?= python$(FLOORS_VERSION)
FLOORS        := .venv-floors
test-floors:
	@$(FLOORS_PYTHON) -c 'import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" != "$(FLOORS_VERSION)")' >/dev/null 2>&1 || { echo "make test-floors needs $(FLOORS_PYTHON) to run Python $(FLOORS_VERSION), the oldest pyproject.toml allows; set FLOORS_PYTHON=/path/to/python$(FLOORS_VERSION)"; exit 1; }
	rm -rf $(FLOORS) && $(FLOORS_PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install -q uv
	$(FLOORS)/bin/python -m uv pip install --python $(FLOORS)/bin/python --resolution lowest-direct -e ".[dev]"
	COURSEKIT_PROFILE=quick $(FLOORS)/bin/python -m pytest -p no:cacheprovider

clean:
	rm -rf _build .pytest_cache
