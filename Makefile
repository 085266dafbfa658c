# Two entry points (see README): `make run` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
QUESTION ?= How many US troops are in Syria?

# The local LLM runtime, llama-cpp-python, compiles from source for one CPU level, never -march=native
# (nothing may depend on extensions the compiler happened to see). The level is the fastest that the CPU
# `make setup` runs on has every instruction of (rag/llm/cpu.py reads /proc/cpuinfo): avx512 (AVX-512
# F/CD/BW/DQ/VL + VBMI/VNNI/BF16: AMD Zen 4, Intel Sapphire Rapids), avx2 (AMD Zen 2, any x86-64 since
# 2013), sse42, x86-64. AMX is never on: its Q4_K_M path segfaults (ggml-org/llama.cpp#20824).
# `LLM_CPU=<level>` overrides the choice. The build's level, the CPU flags it needs and its libraries'
# hashes are recorded in $(LLAMA_RECORD); the service compares that record with /proc/cpuinfo before
# it runs any llama.cpp code, and setup rebuilds when the recorded build is not this CPU's level (a
# venv moved to another machine, say).
# Why not one build with every level (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS, chosen at run time):
# ggml's x86 list holds 14 variants (14 compiles of the CPU backend where this builds one, on 2 cores),
# llama-cpp-python never loads such backends itself (abetlen/llama-cpp-python#2069), and on
# Sapphire Rapids ggml would pick its "sapphirerapids" variant, which is the AMX one that crashes.
CPUINFO ?= /proc/cpuinfo
ifndef LLM_CPU
LLM_CPU := $(shell $(PY) rag/llm/cpu.py choose --cpuinfo $(CPUINFO))
endif
LLAMA_VERSION := $(shell sed -n 's/.*"llama-cpp-python\[server\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
LLAMA_CMAKE_ARGS := $(shell $(PY) rag/llm/cpu.py cmake $(LLM_CPU))
LLAMA_RECORD := $(VENV)/llama-cpp-build.json

.PHONY: setup llm-runtime llm-cpu browser run test lint eval clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first, pinned: it is the local CPU wheel; a plain `torch` would pull GBs of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	$(MAKE) --no-print-directory llm-runtime
	$(BIN)/pip install --quiet -e '.[dev,llm]'
	touch $(STAMP)

setup: $(STAMP) llm-runtime

# (Re)builds llama-cpp-python when the recorded build is not this version at this level (≈4-5 min on
# 2 cores, once per venv and CPU level). No pip cache: a wheel cached from another level would be reused.
llm-runtime:
	@test -n "$(LLAMA_CMAKE_ARGS)" || exit 2
	@$(PY) rag/llm/cpu.py lacks $(LLM_CPU) --cpuinfo $(CPUINFO)
	@if ! $(BIN)/python rag/llm/cpu.py current --level $(LLM_CPU) --version $(LLAMA_VERSION) --record $(LLAMA_RECORD); then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) for CPU level $(LLM_CPU), without AMX (≈5 min, once)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet \
	    --no-cache-dir --no-binary llama-cpp-python --force-reinstall --no-deps "llama-cpp-python==$(LLAMA_VERSION)" \
	  && $(BIN)/python rag/llm/cpu.py record --level $(LLM_CPU) --version $(LLAMA_VERSION) --record $(LLAMA_RECORD); \
	fi

# What setup builds for this CPU (or for CPUINFO=<a copy of another CPU's /proc/cpuinfo>).
llm-cpu:
	@echo "$(LLM_CPU): $(LLAMA_CMAKE_ARGS)"

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
