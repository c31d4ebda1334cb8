# Two entry points (see README): `make book` builds the quick book, `make test` runs the tests.
# Both create or refresh the local virtual environment .venv when pyproject.toml or
# constraints.txt changed. torch is pinned through constraints.txt and installed before the
# package, so pip never pulls a multi-GB CUDA build on a CPU-only machine.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.me-core-installed
PROFILE ?= quick
WIDGETS_DIR := book/_extra/widgets
HTML_MANAGER_VERSION := 1.0.15
REQUIREJS_VERSION := 2.3.7

.PHONY: book test venv widgets bench clean

book: $(STAMP) $(WIDGETS_DIR)/embed-amd.js
	$(PY) -m me_core book --profile $(PROFILE)

test: $(STAMP) $(WIDGETS_DIR)/embed-amd.js
	$(PY) -m pytest

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt torch
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,test]"
	touch $(STAMP)

# ipywidgets' HTML manager and require.js, from the npm registry, served from the book itself
# (no CDN at reading time). Written to a temporary folder first, then moved into place.
widgets: $(WIDGETS_DIR)/embed-amd.js
$(WIDGETS_DIR)/embed-amd.js:
	rm -rf $(WIDGETS_DIR).tmp && mkdir -p $(WIDGETS_DIR).tmp
	cd $(WIDGETS_DIR).tmp && npm pack --silent \
	    @jupyter-widgets/html-manager@$(HTML_MANAGER_VERSION) requirejs@$(REQUIREJS_VERSION) >/dev/null \
	  && tar xzf jupyter-widgets-html-manager-$(HTML_MANAGER_VERSION).tgz \
	  && tar xzf requirejs-$(REQUIREJS_VERSION).tgz package/require.js \
	  && mv package/dist/* . && mv package/require.js . \
	  && rm -rf package *.tgz *.map
	rm -rf $(WIDGETS_DIR) && mv $(WIDGETS_DIR).tmp $(WIDGETS_DIR)

bench: $(STAMP)
	$(PY) benchmarks/bench_information_abundance.py

clean:
	rm -rf _build $(WIDGETS_DIR) $(WIDGETS_DIR).tmp
