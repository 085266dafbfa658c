# Two entry points (see README): `make run` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
QUESTION ?= How many US troops are in Syria?

.PHONY: setup browser run test lint eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first, pinned: it is the local CPU wheel; a plain `torch` would pull GBs of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	# the llm extra compiles llama-cpp-python from source (~6 min on 2 cores, once per venv)
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --quiet -e '.[dev,llm]'
	touch $(STAMP)

setup: $(STAMP)

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
