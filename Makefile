# Two entry points (see README): `make book` builds the quick book, `make test` runs the linter
# and the tests. `make test-fast` (under a minute) leaves out tests marked slow or network.
# `make check-book` runs the browser test against the built quick book (CI runs all three).
# Both create or refresh the local virtual environment .venv when pyproject.toml or
# constraints.txt changed. torch is pinned through constraints.txt and installed before the
# package, so pip never pulls a multi-GB CUDA build on a CPU-only machine.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.me-core-installed
PROFILE ?= quick
EXTRA_DIR := book/_extra
WIDGETS_DIR := $(EXTRA_DIR)/widgets
MATHJAX_DIR := $(EXTRA_DIR)/mathjax
HTML_MANAGER_VERSION := 1.0.15
REQUIREJS_VERSION := 2.3.7
MATHJAX_VERSION := 3.2.2
ASSETS := $(WIDGETS_DIR)/embed-amd.js $(MATHJAX_DIR)/tex-mml-chtml.js

.PHONY: book test test-fast lint check-book chromium venv lab assets bench clean

book: $(STAMP) $(ASSETS)
	$(PY) -m me_core book --profile $(PROFILE)

test: lint $(STAMP) $(ASSETS) chromium
	$(PY) -m pytest

# the inner loop: no book builds, browser, multi-model training or downloads
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not network" -q

lint: $(STAMP)
	$(PY) -m ruff check me_core notebooks book benchmarks tests

# the browser test (tests/test_browser.py) against the quick book in _build/html
check-book: $(STAMP) chromium
	test -f _build/html/index.html || { echo "no book in _build/html: run make book first"; exit 1; }
	ME_CORE_BOOK_HTML=_build/html $(PY) -m pytest tests/test_browser.py

# Debian's chromium for the browser test (Playwright drives it; it never downloads a browser).
# Installed when missing and running as root (CI); otherwise the test says how to install it.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || [ -n "$$ME_CORE_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "note: no chromium, so the browser test is skipped (Debian: apt-get install chromium)"; \
	fi

venv: $(STAMP)

# JupyterLab (pinned in constraints.txt) in .venv, set to open the chapters' .py files as
# notebooks on a double click (Jupytext); then it starts in notebooks/
LAB_STAMP := $(VENV)/.me-core-lab
lab: $(LAB_STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter lab

$(LAB_STAMP): $(STAMP) notebooks/jupyterlab-overrides.json
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[lab]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp notebooks/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(LAB_STAMP)

$(STAMP): pyproject.toml constraints.txt me_core/data/_valuetable.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt torch
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,test,ray]"
	$(PY) -c "from me_core.data.movielens import fetch_movielens_100k as f; print('MovieLens-100k:', f())"
	$(PY) -c "from me_core.companion.chapters.text_models import fetch_text_model as f; print('text model:', f())"
	$(PY) -c "from me_core.data.flights import fetch_flights as f; print('NYC flights demo table:', f())"
	$(PY) -c "from me_core.data.insteval import fetch_insteval as f; print('InstEval ratings:', f())"
	touch $(STAMP)

# ipywidgets' HTML manager, require.js and MathJax, from the npm registry, served from the book
# itself (no CDN at reading time). Each is unpacked into a temporary folder, then moved into place.
assets: $(ASSETS)
$(WIDGETS_DIR)/embed-amd.js:
	rm -rf $(WIDGETS_DIR).tmp && mkdir -p $(WIDGETS_DIR).tmp
	cd $(WIDGETS_DIR).tmp && npm pack --silent \
	    @jupyter-widgets/html-manager@$(HTML_MANAGER_VERSION) requirejs@$(REQUIREJS_VERSION) >/dev/null \
	  && tar xzf jupyter-widgets-html-manager-$(HTML_MANAGER_VERSION).tgz \
	  && tar xzf requirejs-$(REQUIREJS_VERSION).tgz package/require.js \
	  && mv package/dist/* . && mv package/require.js . \
	  && rm -rf package *.tgz *.map
	rm -rf $(WIDGETS_DIR) && mv $(WIDGETS_DIR).tmp $(WIDGETS_DIR)

$(MATHJAX_DIR)/tex-mml-chtml.js:
	rm -rf $(MATHJAX_DIR).tmp && mkdir -p $(MATHJAX_DIR).tmp
	cd $(MATHJAX_DIR).tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
	  && tar xzf mathjax-$(MATHJAX_VERSION).tgz package/es5/tex-mml-chtml.js \
	       package/es5/output/chtml/fonts/woff-v2 \
	  && mv package/es5/* . && rm -rf package *.tgz
	rm -rf $(MATHJAX_DIR) && mv $(MATHJAX_DIR).tmp $(MATHJAX_DIR)

bench: $(STAMP)
	$(PY) benchmarks/bench_information_abundance.py
	$(PY) benchmarks/bench_models.py
	$(PY) benchmarks/bench_preprocess.py
	$(PY) benchmarks/bench_train.py

clean:
	rm -rf _build $(WIDGETS_DIR) $(WIDGETS_DIR).tmp $(MATHJAX_DIR) $(MATHJAX_DIR).tmp
