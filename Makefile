# Every target sets up .venv on its own, so each works first on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test vectors sizes bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m compileall -q credential  # bytecode now, so the CLI starts fast even where Python may not write it
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/credential demo --out out

test: $(STAMP)
	$(PY) -m pytest -q

vectors: $(STAMP)
	$(PY) test-vectors/generate.py
	$(PY) test-vectors/generate_templates.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis

# Coverage-guided fuzzing of decode and verify: make fuzz FUZZ_SECONDS=3600 for an hour.
# New inputs go to fuzz/corpus-run/, findings to fuzz/artifacts/ (both ignored by git).
FUZZ_SECONDS ?= 60
FUZZ_STAMP := $(VENV)/.installed-fuzz

$(FUZZ_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	mkdir -p fuzz/corpus-run fuzz/artifacts
	$(PY) fuzz/fuzz_verify.py fuzz/corpus-run fuzz/seeds -max_total_time=$(FUZZ_SECONDS) \
		-timeout=10 -rss_limit_mb=2048 -max_len=4500 -print_final_stats=1 -artifact_prefix=fuzz/artifacts/

# Speed, sizes, batch throughput and scanning robustness, written to bench/results.md
# (a few minutes on 2 cores; run it on an otherwise idle machine). make sizes prints the size table alone.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
	$(PY) bench/run.py --out bench/results.md

sizes: $(BENCH_STAMP)
	$(PY) bench/sizes.py
