# Two commands: `make run` (set up, ingest, serve) and `make test` (set up, run every test).
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP   = $(VENV)/.installed-$(LLAMA_TAG)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

CHROMIUM := /usr/bin/chromium

.PHONY: setup run test lint clean browser audit

# llama-cpp-python is built from source with explicit CPU flags, never -march=native: a native build on a host that
# advertises AMX emits tile instructions that die with SIGILL (llama.cpp asks for AMX permission on one thread only).
# The build targets AVX-512 where /proc/cpuinfo advertises the five parts llama.cpp's AVX-512 code needs (F, CD, VL,
# DQ, BW), with its VBMI, VNNI and BF16 parts each only where advertised too, and AVX2 elsewhere; `make setup
# LLAMA_CPU=avx2` forces AVX2. Measured here with the default model, AVX-512 reads prompts 50% faster (110 vs 72
# tokens/s), which is most of the time to the first token, and writes no faster (14 tokens/s); its other rounding
# changes some greedy drafts (eval/EXPERIMENTS.md), so the quick eval's bounds are committed per build. The wheel is kept under a name derived from the flags, because pip's own
# cache keys it by the sdist alone and would silently bring back a wheel built with other flags.
LLAMA_VERSION := 0.3.36
CPU_FLAGS     := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has_cpu        = $(if $(filter $(1),$(CPU_FLAGS)),ON,OFF)
AVX512_BASE   := avx512f avx512cd avx512vl avx512dq avx512bw
LLAMA_CPU     ?= $(if $(filter-out $(CPU_FLAGS),$(AVX512_BASE)),avx2,avx512)
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
ifeq ($(LLAMA_CPU),avx512)
LLAMA_CMAKE += -DGGML_AVX512=ON -DGGML_AVX512_VBMI=$(call has_cpu,avx512vbmi) \
	-DGGML_AVX512_VNNI=$(call has_cpu,avx512_vnni) -DGGML_AVX512_BF16=$(call has_cpu,avx512_bf16)
else
LLAMA_CMAKE += -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF
endif
else
LLAMA_CMAKE := -DGGML_NATIVE=OFF
endif
LLAMA_TAG    := $(shell printf '%s' '$(LLAMA_VERSION) $(LLAMA_CMAKE)' | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(HOME)/.cache/alliance-qa/wheels/$(LLAMA_TAG)

setup: $(STAMP)

# Reinstalls only when pyproject.toml, this file or the CPU flags change; a second `make run` or `make test` reuses
# the venv.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_VERSION) with $(LLAMA_CMAKE) (about 4-7 minutes)"; \
		rm -rf $(LLAMA_WHEELS).tmp && \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) wheel --quiet --no-cache-dir --no-deps --no-binary llama-cpp-python \
			llama-cpp-python==$(LLAMA_VERSION) -w $(LLAMA_WHEELS).tmp && \
		rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS); \
	fi
	$(PIP) install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install --quiet -e '.[test]'
	$(PY) -m rag.llm.smoke
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: setup
	$(VENV)/bin/alliance-qa serve

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
browser: $(CHROMIUM)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The dependency audit runs after the tests and prints every finding; see .ci/audit.py.
test: setup browser
	$(VENV)/bin/pytest -q
	$(PY) .ci/audit.py

audit: setup
	$(PY) .ci/audit.py

lint: setup
	$(VENV)/bin/ruff format --check rag ingest ui eval tests
	$(VENV)/bin/ruff check rag ingest ui eval tests

clean:
	rm -rf .alliance-qa test-artifacts
