# Every target sets up .venv on its own, so each works first on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test vectors sizes bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/credential demo --out out

test: $(STAMP)
	$(PY) -m pytest -q

vectors: $(STAMP)
	$(PY) test-vectors/generate.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
