# CNN Math Lab — every target bootstraps .venv itself (only Python 3.11 needed).
#
#   make book      build the website into _build/html (warnings are errors)
#   make test      pytest over tests/ and nbval over every notebook in book/ (one run)
#   make lab       Jupyter Lab on book/
#   make student   student handout (no solutions, plain Markdown, caches) into _build/student/
#   make student-site  website without solutions; launch buttons open the student notebooks
#                  (STUDENT_REPO=url STUDENT_BRANCH=student: where _build/student is published)
#   make slides    reveal.js slides per chapter into _build/slides/
#   make bench     benchmarks/conv_speed.py
#   make execute NB=book/01_convolution.ipynb   execute one notebook in place
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
# Long cells (training a small network) need more than nbconvert's default 30 s.
EXEC_TIMEOUT ?= 1800

.PHONY: venv book test lab student student-site slides bench execute clean help

help:
	@sed -n '2,13p' Makefile

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

book: $(STAMP) _build/offline/vendor/.complete
	rm -rf $(HTML)
	$(BIN)/jupyter-book build . --all -W --keep-going
	@touch $(HTML)/.built

# `make test` rebuilds the site only when a source changed since the last build.
$(HTML)/.built: $(BOOK_SOURCES) | $(STAMP)
	$(MAKE) book

test: $(STAMP) $(HTML)/.built
	$(BIN)/python -m pytest --nbval --nbval-current-env \
		--nbval-sanitize-with book/nbval_sanitize.cfg $(PYTEST_ARGS)

lab: $(STAMP)
	@$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install 'jupyterlab>=4,<5'
	$(BIN)/jupyter lab --notebook-dir=book $(LAB_ARGS)

student: $(STAMP)
	rm -rf _build/student
	$(BIN)/python tools/student.py book _build/student

# The book minus solutions and teacher pages, built from _build/student-site-src.
student-site: $(STAMP) _build/offline/vendor/.complete student
	$(BIN)/python tools/student_site.py _build/student-site-src
	rm -rf _build/student-site
	$(BIN)/jupyter-book build _build/student-site-src --path-output _build/student-site -W --keep-going
	@echo "student site: _build/student-site/_build/html/index.html"

slides: $(STAMP) _build/offline/vendor/.complete
	$(BIN)/python tools/slides.py book _build/slides

bench: $(STAMP)
	$(BIN)/python benchmarks/conv_speed.py
	$(BIN)/python benchmarks/train_lenet.py --threads 2

execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=book/01_convolution.ipynb"; exit 2; }
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False \
		--ExecutePreprocessor.timeout=$(EXEC_TIMEOUT) \
		--ExecutePreprocessor.kernel_name=python3 "$(NB)"

clean:
	rm -rf _build
