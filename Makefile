# Two commands for a fresh machine (see README):
#   make search Q="What does paragraph 9 say?"   set up, index the corpus, answer from it
#   make test                                      set up, run the whole test suite
# Setup is idempotent: a stamp records which requirements the venv holds.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
Q       ?= What does the initiative say about climate change?
# llama.cpp built for any x86-64 with AVX2: a -march=native build used AMX
# instructions that crash in this VM (SIGSEGV in ggml_backend_amx_mul_mat).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: setup search index test bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

search: setup
	$(BIN)/python -m rag search "$(Q)"

index: setup
	$(BIN)/python -m rag index

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m eval retrieval

clean:
	rm -rf .index .pytest_cache
