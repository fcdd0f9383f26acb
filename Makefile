# CNN Math Lab — every target bootstraps .venv itself (only Python 3.11 needed).
#
# `make help` lists the targets; it is generated from the `## ` line(s) right above each target,
# so a new target documents itself by carrying such a line.
#
# The venv is (re)installed only when requirements*.txt or pyproject.toml change
# (stamp file .venv/.cnnlab-installed).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cnnlab-installed
HTML   := _build/html
# Sources whose change makes the built site stale (used by `make test`).
BOOK_SOURCES := _config.yml _toc.yml $(shell find book site_assets tools -type f \
	-not -path '*/.ipynb_checkpoints/*' -not -name '*.pyc' 2>/dev/null)
# Jupyter refuses to run as root (containers) unless told to.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)
# `make test` runs in TEST_WORKERS processes (pytest-xdist; one per core, at most 4): a notebook,
# a test module, stays in one process (--dist loadscope), so a notebook's cells run in order in
# one kernel; tests/conftest.py spreads the browser tests of the widget pages over the processes.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(4, os.cpu_count() or 1))")
XDIST_ARGS := $(if $(filter 1,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadscope)
# Long cells (training a small network) need more than nbconvert's default 30 s.
EXEC_TIMEOUT ?= 1800

.PHONY: venv book test lab student student-site assignments grade slides bench execute clean help

## this list (generated from the `## ` lines above the targets)
help:
	@awk '/^## /{d = d (d ? " " : "") substr($$0, 4); next} /^#/{next} \
	     /^[a-zA-Z][a-zA-Z0-9_-]*:/ && d {split($$1, t, ":"); printf "  make %-14s %s\n", t[1], d} \
	     {d = ""}' $(firstword $(MAKEFILE_LIST))

## create .venv and install requirements-dev.txt and cnnlab (editable); redone when they change
venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	$(BIN)/python -m pip install -e .
	touch $@

# Offline assets (MathJax, widget manager, require.js, font-awesome) come from the
# npm registry into _build/offline/vendor; nothing from a CDN at page load.
_build/offline/vendor/.complete: tools/vendor_assets.py
	$(PYTHON) tools/vendor_assets.py _build/offline/vendor

## build the website into _build/html (warnings are errors)
book: $(STAMP) _build/offline/vendor/.complete
	rm -rf $(HTML)
	$(BIN)/jupyter-book build . --all -W --keep-going
	@touch $(HTML)/.built

# `make test` rebuilds the site only when a source changed since the last build.
$(HTML)/.built: $(BOOK_SOURCES) | $(STAMP)
	$(MAKE) book

## pytest over tests/ and nbval over every notebook in book/ (one run; PYTEST_ARGS=... to narrow,
## TEST_WORKERS=1 for one process)
test: $(STAMP) $(HTML)/.built
	$(BIN)/python -m pytest --nbval --nbval-current-env \
		--nbval-sanitize-with book/nbval_sanitize.cfg $(XDIST_ARGS) $(PYTEST_ARGS)

## Jupyter Lab on book/ (jupyterlab-myst renders the MyST)
# jupyterlab-myst renders the book's MyST in Lab (requirements.txt pins Lab < 4.5 for it);
# the settings in tools/lab-settings (windowingMode "none") are copied, so Lab can save its own.
lab: $(STAMP)
	@mkdir -p _build/lab-settings && cp -rn tools/lab-settings/. _build/lab-settings/
	JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/_build/lab-settings $(BIN)/jupyter lab --notebook-dir=book $(LAB_ARGS)

## student handout (no solutions) into _build/student/
student: $(STAMP)
	rm -rf _build/student
	$(BIN)/python tools/student.py book _build/student

## the website without solutions and teacher pages, into _build/student-site
## (STUDENT_REPO=url STUDENT_BRANCH=student: where _build/student is published)
student-site: $(STAMP) _build/offline/vendor/.complete student
	$(BIN)/python tools/student_site.py _build/student-site-src
	rm -rf _build/student-site
	$(BIN)/jupyter-book build _build/student-site-src --path-output _build/student-site -W --keep-going
	@echo "student site: _build/student-site/_build/html/index.html"

## one otter-grader assignment per chapter into _build/assignments/ (hand out dist/student/)
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py _build/assignments

## grade submitted notebooks with otter run (no Docker): make grade SUBMISSIONS=dir -> dir/gradebook.csv
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir/of/notebooks"; exit 2; }
	@test -d _build/assignments || $(MAKE) assignments
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" _build/assignments "$(SUBMISSIONS)/gradebook.csv"

## reveal.js slides per chapter into _build/slides/
slides: $(STAMP) _build/offline/vendor/.complete
	$(BIN)/python tools/slides.py book _build/slides

## benchmarks/conv_speed.py: convolution layers, then LeNet-5 training (it runs train_lenet.py --threads 2), ratios vs references
bench: $(STAMP)
	$(BIN)/python benchmarks/conv_speed.py

## execute one notebook in place: make execute NB=book/01_convolution.ipynb
execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=book/01_convolution.ipynb"; exit 2; }
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False \
		--ExecutePreprocessor.timeout=$(EXEC_TIMEOUT) \
		--ExecutePreprocessor.kernel_name=python3 "$(NB)"

## remove _build
clean:
	rm -rf _build
