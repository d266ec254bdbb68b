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

# The full evaluation: retrieval, reranking, every answerer and the tutorial baseline on the
# five question sets, the ALCE judge, the side-by-side report (about two and a half hours on 2 cores).
eval: setup
	$(BIN)/python -m eval retrieval
	$(BIN)/python -m eval rerank
	for a in extractive fake local tutorial; do \
	  $(BIN)/python -m eval run --dataset eval/datasets/beijing_initiative.jsonl \
	    --out eval/reports/beijing_initiative/$$a --answerer $$a || exit 1; \
	  $(BIN)/python -m eval run --dataset eval/datasets/city_water_charter.jsonl \
	    --corpus eval/corpora/city_water_charter.md --out eval/reports/city_water_charter/$$a --answerer $$a || exit 1; \
	  $(BIN)/python -m eval run --dataset eval/datasets/cycle_share_terms.jsonl \
	    --corpus eval/corpora/cycle_share_terms.txt --out eval/reports/cycle_share_terms/$$a --answerer $$a || exit 1; \
	  $(BIN)/python -m eval run --dataset eval/datasets/staff_leave_policy.jsonl \
	    --corpus eval/corpora/staff_leave_policy.txt --out eval/reports/staff_leave_policy/$$a --answerer $$a || exit 1; \
	  $(BIN)/python -m eval run --dataset eval/datasets/tenancy_agreement.jsonl \
	    --corpus eval/corpora/tenancy_agreement.md --out eval/reports/tenancy_agreement/$$a --answerer $$a || exit 1; \
	done
	$(BIN)/python -m eval judge eval/reports/beijing_initiative/local eval/reports/city_water_charter/local \
	  eval/reports/cycle_share_terms/local eval/reports/cycle_share_terms/extractive eval/reports/cycle_share_terms/tutorial \
	  eval/reports/staff_leave_policy/local eval/reports/staff_leave_policy/extractive eval/reports/staff_leave_policy/tutorial \
	  eval/reports/tenancy_agreement/local eval/reports/tenancy_agreement/extractive eval/reports/tenancy_agreement/tutorial \
	  eval/reports/beijing_initiative/extractive eval/reports/city_water_charter/extractive \
	  eval/reports/beijing_initiative/tutorial eval/reports/city_water_charter/tutorial
	$(BIN)/python -m eval compare eval/reports/beijing_initiative/local eval/reports/city_water_charter/local \
	  eval/reports/cycle_share_terms/local eval/reports/cycle_share_terms/extractive eval/reports/cycle_share_terms/fake \
	  eval/reports/cycle_share_terms/tutorial \
	  eval/reports/staff_leave_policy/local eval/reports/staff_leave_policy/extractive eval/reports/staff_leave_policy/fake \
	  eval/reports/staff_leave_policy/tutorial \
	  eval/reports/tenancy_agreement/local eval/reports/tenancy_agreement/extractive eval/reports/tenancy_agreement/fake \
	  eval/reports/tenancy_agreement/tutorial \
	  eval/reports/beijing_initiative/extractive eval/reports/city_water_charter/extractive \
	  eval/reports/beijing_initiative/fake eval/reports/city_water_charter/fake \
	  eval/reports/beijing_initiative/tutorial eval/reports/city_water_charter/tutorial --out eval/reports/answers.md

clean:
	rm -rf .index .pytest_cache
