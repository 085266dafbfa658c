# Two entry points (see README): `make run` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
QUESTION ?= How many US troops are in Syria?

# The local LLM runtime, llama-cpp-python, compiles from source for a fixed CPU level, never
# -march=native: nothing may depend on the CPU the build happened to run on. AMX is always off (its
# Q4_K_M path segfaults: ggml-org/llama.cpp#20824). LLM_CPU=avx512 (default): AVX-512 F/BW/DQ/VL +
# VBMI/VNNI/BF16, which both CPUs of this project's machines have (AMD EPYC Zen 4, Intel Xeon Sapphire
# Rapids), and the fastest here (BENCHMARKS.md). LLM_CPU=avx2: any x86-64 CPU since 2013, slower.
LLM_CPU ?= avx512
LLAMA_VERSION := $(shell sed -n 's/.*"llama-cpp-python\[server\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
LLAMA_BASE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_CMAKE_avx2 := $(LLAMA_BASE) -DGGML_AVX512=OFF
LLAMA_CMAKE_avx512 := $(LLAMA_BASE) -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON
LLAMA_CMAKE_ARGS := $(LLAMA_CMAKE_$(LLM_CPU))
LLAMA_STAMP := $(VENV)/.llama-cpp-build

.PHONY: setup llm-runtime browser run test lint eval clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first, pinned: it is the local CPU wheel; a plain `torch` would pull GBs of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(MAKE) --no-print-directory llm-runtime
	$(BIN)/pip install --quiet -e '.[dev,llm]'
	touch $(STAMP)

setup: $(STAMP) llm-runtime

# (Re)builds llama-cpp-python when the installed build is not the one these flags make (≈4-5 min on 2
# cores, once per venv). No pip cache: a wheel cached from a native build would be reused silently.
llm-runtime:
	@test -n "$(LLAMA_CMAKE_ARGS)" || { echo "LLM_CPU must be avx512 or avx2, not '$(LLM_CPU)'"; exit 2; }
	@if [ "$$(cat $(LLAMA_STAMP) 2>/dev/null)" != "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" ]; then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) for $(LLM_CPU), without AMX (≈5 min, once)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet \
	    --no-cache-dir --no-binary llama-cpp-python --force-reinstall --no-deps "llama-cpp-python==$(LLAMA_VERSION)" \
	  && echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" > $(LLAMA_STAMP); \
	fi

# The UI tests drive Debian's chromium with Playwright (its own browser download is unreachable here).
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; }

# Ingest the seeds into the default index, answer the sample question (local LLM, cited), then serve
# the API (and UI) on http://127.0.0.1:7860 until Ctrl-C.
run: setup
	$(BIN)/rag ingest seeds/
	$(BIN)/rag ask "$(QUESTION)" --stream
	$(BIN)/rag serve --host 127.0.0.1 --port 7860

lint: setup
	$(BIN)/ruff check rag ui tests scripts
	$(BIN)/ruff format --check rag ui tests scripts
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/pytest

# Retrieval figures on the SQuAD-it DEV split (../shared), with the peers, as in BENCHMARKS.md.
eval: setup
	$(BIN)/rag eval --corpus ../shared/eval/squad_it/corpus.jsonl --questions ../shared/eval/squad_it/questions.jsonl --lang both

clean:
	rm -rf $(VENV) indexes/*/ .pytest_cache .mypy_cache .ruff_cache
