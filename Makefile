# Every target sets up .venv on its own, so each works first on a fresh clone. Each stamp records one
# set of packages: the run-time ones (what `make demo` needs), then the test tools on top (`make test`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test vectors sizes bench fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# The package and its run-time dependencies only (pyproject.toml: dependencies).
$(RUN_STAMP): pyproject.toml | $(PY)
	$(PIP) -e .
	$(PY) -m compileall -q credential  # bytecode now, so the CLI starts fast even where Python may not write it
	touch $@

# The test tools on top (pyproject.toml: the test extra).
$(TEST_STAMP): $(RUN_STAMP)
	$(PIP) -e '.[test]'
	touch $@

# Issue a sample credential, render its QR code to out/credential.png, scan it back, verify it.
demo: $(RUN_STAMP)
	$(VENV)/bin/credential demo --out out

test: $(TEST_STAMP)
	$(PY) -m pytest -q

vectors: $(RUN_STAMP)
	$(PY) test-vectors/generate.py
	$(PY) test-vectors/presentations.py
	$(PY) test-vectors/generate_trust.py
	$(PY) test-vectors/status_vectors.py
	$(PY) test-vectors/generate_templates.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis

# Coverage-guided fuzzing of every reader of outside input (fuzz/README.md): make fuzz runs the
# verifier's harness for 60 s; make fuzz FUZZ_TARGET=trust FUZZ_SECONDS=1800 another for 30 minutes.
# Targets: verify presentation status trust templates conformance.
# New inputs go to fuzz/corpus-run/<target>/, findings to fuzz/artifacts/<target>/ (both ignored by git).
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?= verify
FUZZ_STAMP := $(VENV)/.installed-fuzz

$(FUZZ_STAMP): $(TEST_STAMP)
	$(PIP) -e '.[test,fuzz]'
	touch $@

fuzz: $(FUZZ_STAMP)
	mkdir -p fuzz/corpus-run/$(FUZZ_TARGET) fuzz/artifacts/$(FUZZ_TARGET)
	$(PY) fuzz/fuzz_$(FUZZ_TARGET).py fuzz/corpus-run/$(FUZZ_TARGET) fuzz/seeds/$(FUZZ_TARGET) \
		-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=4500 -print_final_stats=1 \
		-artifact_prefix=fuzz/artifacts/$(FUZZ_TARGET)/

# Speed, sizes, frame-to-verdict scanning, batch throughput and scanning robustness, written to bench/results.md
# (a few minutes on 2 cores; run it on an otherwise idle machine). make sizes prints the size table alone.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(TEST_STAMP)
	$(PIP) -e '.[test,bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(PY) bench/run.py --out bench/results.md

sizes: $(BENCH_STAMP)
	$(PY) bench/sizes.py
