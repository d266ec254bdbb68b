# Two commands for a fresh machine (see README):
#   make run     set up, build the index if missing, start the chat on http://127.0.0.1:7860
#   make test    set up (with Debian's chromium for the browser test), run the whole test suite
# Setup is idempotent: a stamp records which requirements the venv holds.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
Q       ?= What does the initiative say about climate change?
# llama.cpp is compiled from source for this CPU's vector units: AVX2, plus AVX-512 (with VNNI,
# VBMI, BF16) where /proc/cpuinfo lists them. Never -march=native: that build used AMX
# instructions that crash in this VM (SIGSEGV in ggml_backend_amx_mul_mat), so AMX stays off.
# AVX-512 reads the answer prompt 1.38x faster here (eval/reports/llm_speed.md).
CPU     := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has      = $(filter $(1),$(CPU))
AVX512  := $(and $(call has,avx512f),$(call has,avx512cd),$(call has,avx512vl),$(call has,avx512dq),$(call has,avx512bw))
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  $(if $(AVX512),-DGGML_AVX512=ON $(if $(call has,avx512_vnni),-DGGML_AVX512_VNNI=ON) \
  $(if $(call has,avx512vbmi),-DGGML_AVX512_VBMI=ON) $(if $(call has,avx512_bf16),-DGGML_AVX512_BF16=ON))
LLAMA   := $(shell sed -n 's/^llama-cpp-python==//p' requirements.txt)
# pip's own wheel cache ignores CMAKE_ARGS, so the wheel is kept per version and flags instead.
WHEELS  := $(HOME)/.cache/cited-answers/wheels/llama-$(shell echo "$(LLAMA) $(LLAMA_CMAKE_ARGS)" | sha256sum | cut -c1-12)
STAMP   := $(VENV)/.installed-$(shell { cat requirements.txt requirements-dev.txt; echo "$(LLAMA_CMAKE_ARGS)"; } | sha256sum | cut -c1-12)

.PHONY: setup browser run ask search index test bench load model-server eval clean llama-flags

setup: $(STAMP)

llama-flags:  # what setup compiles llama.cpp with here (tests/test_setup.py gives it other CPUs)
	@echo $(LLAMA_CMAKE_ARGS) $(WHEELS)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	ls $(WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
	  $(BIN)/python -m pip wheel --quiet --no-deps --no-cache-dir --wheel-dir $(WHEELS) llama-cpp-python==$(LLAMA)
	$(BIN)/python -m pip install --quiet --find-links $(WHEELS) -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-*.whl  # over an older build
	rm -f $(VENV)/.installed-* && touch $@

run: setup
	$(BIN)/python app.py

ask: setup
	$(BIN)/python -m rag ask "$(Q)"

search: setup
	$(BIN)/python -m rag search "$(Q)"

index: setup
	$(BIN)/python -m rag index

# Playwright cannot download its own browser here: the test uses Debian's chromium.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: setup browser
	$(BIN)/python -m pytest

# Cost and growth at 16 and 100,000 paragraphs -> eval/reports/bench.md (about an hour on 2 cores).
bench: setup
	$(BIN)/python -m eval bench --paragraphs 100000

# 8 gradio_client users against the app on loopback: 100 extractive + 20 embedded-model questions.
load: setup
	$(BIN)/python -m eval load

# The bundled model behind an OpenAI-compatible API on loopback (RAG_ANSWERER=openai, see README).
model-server: setup
	$(BIN)/python -m llama_cpp.server --model "$$($(BIN)/python -m rag model)" --model_alias qwen \
	  --host 127.0.0.1 --port 8001 --n_ctx 4096

# The full evaluation: retrieval, reranking, every answerer and the tutorial baseline on every
# question set, the ALCE judge, the side-by-side report, the answer rules each switched off
# over the local runs just made, and the judge prompts compared on them (about four hours on 2 cores).
# Beijing's set is about the default corpus; every other set X is about eval/corpora/X.txt or X.md.
CORPORA := $(sort $(wildcard eval/corpora/*.txt eval/corpora/*.md))
REPORTS := eval/reports/beijing_initiative $(patsubst eval/corpora/%,eval/reports/%,$(basename $(CORPORA)))
eval: setup
	$(BIN)/python -m eval retrieval
	$(BIN)/python -m eval rerank
	$(BIN)/python -m eval weights
	for a in extractive fake local tutorial; do \
	  $(BIN)/python -m eval run --dataset eval/datasets/beijing_initiative.jsonl \
	    --out eval/reports/beijing_initiative/$$a --answerer $$a || exit 1; \
	  for c in $(CORPORA); do n=$$(basename $${c%.*}); \
	    $(BIN)/python -m eval run --dataset eval/datasets/$$n.jsonl --corpus $$c \
	      --out eval/reports/$$n/$$a --answerer $$a || exit 1; \
	  done; \
	done
	$(BIN)/python -m eval judge $(foreach a,local extractive tutorial,$(REPORTS:%=%/$(a)))
	$(BIN)/python -m eval compare $(foreach a,local extractive fake tutorial,$(REPORTS:%=%/$(a))) \
	  --out eval/reports/answers.md
	$(BIN)/python -m eval ablate
	$(BIN)/python -m eval judges

clean:
	rm -rf .index .pytest_cache
