# The two front-door commands: `make reproduce` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

JOBS   ?= 2

.PHONY: test reproduce tune bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

reproduce: $(STAMP)
	$(VENV)/bin/chainrule reproduce --out results

# The built-in search (MNIST-1D, 40 trials), then its best configuration and the default
# MLP retrained with 5 seeds on the test split; --resume continues an interrupted search.
tune: $(STAMP)
	$(PY) -m pip install --quiet -e ".[tune]"
	$(VENV)/bin/chainrule tune mnist1d_mlp --out results/tune --jobs $(JOBS) --resume
	$(VENV)/bin/chainrule tune --best mnist1d_mlp --out results/tune --jobs $(JOBS)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_optim.py
	$(PY) benchmarks/bench_training.py --markdown docs/performance.md

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
