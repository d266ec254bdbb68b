"""Chat-model backends (rag/llm.py): the fake model, and the factory. Nothing
here loads a real model or contacts a server."""

from __future__ import annotations

import threading
import time
import weakref

import numpy as np
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

import rag.llm
from rag.answer import Asker, with_deadline
from rag.errors import BackendError, ConfigError
from rag.llm import REFUSAL_MARK, FakeChatModel, make_chat_model
from rag.prompts import render
from rag.settings import Settings

PROMPT = render("answer_user", passages=[
    {"label": "5", "text": "Peace is like air and sunshine. Nobody can live without it."},
    {"label": "6", "text": "Win-win cooperation matters."},
], history=[], question="Why is peace like air?")


def ask(model: FakeChatModel, prompt: str = PROMPT) -> str:
    return model.invoke([SystemMessage(content=render("answer_system")), HumanMessage(content=prompt)]).content


# --------------------------------------------------------------------------- FakeChatModel


def test_fake_model_cites_the_first_sentence_of_the_first_passage():
    assert ask(FakeChatModel()) == "Peace is like air and sunshine [5]."


def test_fake_model_is_deterministic():
    assert ask(FakeChatModel()) == ask(FakeChatModel()) == ask(FakeChatModel())


def test_fake_model_declines_without_passages():
    prompt = render("answer_user", passages=[], history=[], question="Why is peace like air?")
    assert ask(FakeChatModel(), prompt) == REFUSAL_MARK == "NOT IN DOCUMENT"


def test_scripted_responses_pop_in_order_then_ground_again():
    script = ["First reply [1].", "Second reply [2]."]
    model = FakeChatModel(responses=script)
    assert [ask(model), ask(model), ask(model)] == ["First reply [1].", "Second reply [2].",
                                                    "Peace is like air and sunshine [5]."]
    assert script == ["First reply [1].", "Second reply [2]."]  # the caller's list is not consumed
    assert FakeChatModel().responses == []  # and no queue is shared between instances


def test_failing_fake_model_raises_a_backend_error():
    with pytest.raises(BackendError, match="told to fail"):
        ask(FakeChatModel(fail=True))


def test_fake_model_streams_through_a_langchain_chain():
    chain = ChatPromptTemplate.from_messages([("system", "{system}"), ("human", "{user}")]) \
        | FakeChatModel() | StrOutputParser()
    chunks = list(chain.stream({"system": render("answer_system"), "user": PROMPT}))
    assert all(isinstance(c, str) for c in chunks)
    words = [c for c in chunks if c]  # LangChain may close the stream with an empty chunk
    assert len(words) >= 3 and words[0] == "Peace "
    assert "".join(chunks) == "Peace is like air and sunshine [5]."
    assert chain.invoke({"system": "s", "user": PROMPT}) == "".join(chunks)


# --------------------------------------------------------------------------- make_chat_model


def settings(**overrides) -> Settings:
    return Settings(embedders=("hash",), **overrides)


def test_fake_judge_reads_how_much_of_the_question_the_passages_contain():
    passages = [{"label": "4", "text": "Peace is like air and sunshine."}]
    fake = FakeChatModel()
    system = render("answer_system")
    covered = fake.p_yes(system, render("answerable_user", passages=passages, question="Is peace like sunshine?"))
    partly = fake.p_yes(system, render("answerable_user", passages=passages, question="Is peace rainfall?"))
    unrelated = fake.p_yes(system, render("answerable_user", passages=passages, question="Who chaired it?"))
    assert covered == 1.0 and partly == 0.5 and unrelated == 0.0


def test_scripted_judgements_pop_in_order():
    fake = FakeChatModel(judgements=[0.9, 0.1])
    assert [fake.p_yes("s", "u"), fake.p_yes("s", "u")] == [0.9, 0.1]


def test_make_fake():
    model = make_chat_model(settings(answerer="fake"))
    assert isinstance(model, FakeChatModel)
    assert isinstance(make_chat_model(settings(), "fake"), FakeChatModel)


@pytest.mark.parametrize("backend", ["extractive", "bogus", "Local"])
def test_an_answerer_without_a_chat_model_is_one_sentence(backend, one_sentence):
    with pytest.raises(ConfigError) as err:
        make_chat_model(settings(), backend)
    one_sentence(str(err.value), repr(backend), "local, fake, ollama, openai")


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_backend_without_a_model_name_names_the_setting(backend, one_sentence):
    with pytest.raises(ConfigError) as err:
        make_chat_model(settings(), backend)
    one_sentence(str(err.value), "RAG_LLM_MODEL", backend)


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "MY_LLM_KEY"])
def test_openai_without_key_or_server_names_the_variable(monkeypatch, variable, one_sentence):
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError) as err:
        make_chat_model(settings(llm_model="gpt-x", llm_api_key_env=variable), "openai")
    one_sentence(str(err.value), variable)


def test_openai_with_a_key_builds_a_client_without_calling_it(monkeypatch):
    from langchain_openai import ChatOpenAI

    monkeypatch.setenv("MY_LLM_KEY", "sk-test")
    model = make_chat_model(settings(llm_model="gpt-x", llm_api_key_env="MY_LLM_KEY"), "openai")
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-x" and model.openai_api_key.get_secret_value() == "sk-test"
    assert model.max_retries == 0


def test_openai_compatible_server_needs_no_key(monkeypatch):
    from langchain_openai import ChatOpenAI

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = make_chat_model(settings(llm_model="local-x", llm_base_url="http://127.0.0.1:9/v1"), "openai")
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"


def test_ollama_builds_without_contacting_a_server():
    from langchain_ollama import ChatOllama

    # Port 9 (discard) has no server: building must not connect anywhere.
    model = make_chat_model(settings(llm_model="llama3", llm_base_url="http://127.0.0.1:9", max_answer_tokens=64),
                            "ollama")
    assert isinstance(model, ChatOllama)
    assert (model.model, model.base_url, model.num_predict, model.temperature) == \
        ("llama3", "http://127.0.0.1:9", 64, 0)


def test_ollama_defaults_to_the_local_server():
    model = make_chat_model(settings(llm_model="llama3"), "ollama")
    assert model.base_url == "http://127.0.0.1:11434"


def test_unknown_backend_is_a_config_error(one_sentence):
    with pytest.raises(ConfigError) as err:
        make_chat_model(settings(llm_model="x"), "mystery")
    one_sentence(str(err.value), "mystery")


# --------------------------------------------------------------------------- a generation abandoned after a timeout


def test_a_stream_abandoned_at_the_deadline_is_closed_when_its_next_token_arrives():
    state = {"closed": False, "tokens": 0}
    release = threading.Event()

    def slow():  # a model still reading its prompt when the deadline passes
        try:
            release.wait(5)
            for tok in ["a", "b", "c"]:
                state["tokens"] += 1
                yield tok
        finally:
            state["closed"] = True

    with pytest.raises(TimeoutError, match="no first token within 0.05 s"):
        list(with_deadline(slow(), 0.05, 5))
    assert not state["closed"]  # the model is still busy
    release.set()
    deadline = time.monotonic() + 5
    while not state["closed"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state == {"closed": True, "tokens": 1}  # it stopped at its first token, not at its last


def test_models_are_closed_at_exit_only_when_no_call_is_running(monkeypatch):
    events: list[str] = []

    class Model:  # stands in for llama_cpp.Llama
        def close(self) -> None:
            events.append("closed")

    lock = threading.Lock()
    model = Model()
    monkeypatch.setattr(rag.llm, "_OPEN", weakref.WeakKeyDictionary({model: lock}))
    lock.acquire()  # a call abandoned after a timeout is still generating

    def finish() -> None:
        time.sleep(0.2)
        events.append("call ended")
        lock.release()

    threading.Thread(target=finish).start()
    rag.llm._close_all()
    assert events == ["call ended", "closed"] and not rag.llm._OPEN


def test_llama_compiled_for_instructions_this_cpu_lacks_is_refused_before_loading(monkeypatch, tmp_path):
    # a .venv (or cached wheel) built on an AVX-512 machine, run on one without it: SIGILL, unless refused
    import llama_cpp

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse2 avx avx2 fma f16c bmi2\n")
    monkeypatch.setattr(rag.llm, "CPUINFO", cpuinfo)
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: b"CPU : AVX2 = 1 | AVX512 = 1 | OPENMP = 1 |")
    monkeypatch.setattr(llama_cpp, "Llama", lambda **kw: pytest.fail("loaded a model it cannot run"))
    with pytest.raises(BackendError, match=r"compiled for AVX512, which this CPU lacks; run `make setup`"):
        rag.llm.open_llama(model_path="unused.gguf")


def test_llama_compiled_for_this_cpu_opens(monkeypatch, tmp_path):
    import llama_cpp

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags : avx2 fma avx512f avx512_vnni\n")
    monkeypatch.setattr(rag.llm, "CPUINFO", cpuinfo)
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: b"AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 |")
    opened = []
    monkeypatch.setattr(llama_cpp, "Llama", lambda **kw: opened.append(kw) or object())
    monkeypatch.setattr(rag.llm, "_OPEN", {})
    rag.llm.open_llama(model_path="m.gguf")
    assert opened == [{"model_path": "m.gguf"}]


class _TinyLlama:
    """Just enough of llama_cpp.Llama for YesNoReader: a context of 8 tokens, one token per character."""

    n_tokens = 0
    input_ids: list[int] = []

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
        return list(text)

    def n_ctx(self) -> int:
        return 8


def test_a_yes_no_prompt_longer_than_the_context_is_a_backend_error_not_a_cut():
    from rag.errors import BackendError
    from rag.llm import YesNoReader

    with pytest.raises(BackendError, match="more than the model's context of 8"):
        YesNoReader(_TinyLlama()).p_yes("system", "Do the passages answer the question?")


# --------------------------------------------------------------------------- steering the embedded model's script

class _GreedyLlama:
    """A stand-in for llama_cpp.Llama with a vocabulary of five tokens, whose next token is the argmax of fixed
    logits after the call's logits processors: it prefers to copy the English word."""

    vocab = [b" parties", "政党".encode(), b" CPC", b"[11]", "。".encode()]
    logits = [3.0, 1.0, 0.5, 0.2, 0.0]

    def __init__(self) -> None:
        self.calls = 0

    def n_vocab(self) -> int:
        return len(self.vocab)

    def detokenize(self, ids: list[int]) -> bytes:
        return b"".join(self.vocab[i] for i in ids)

    def create_chat_completion(self, messages, stream, stop, max_tokens, temperature, logits_processor=None):
        self.calls += 1
        scores = np.array(self.logits)
        for steer in logits_processor or []:
            scores = steer(np.array([], dtype=np.intc), scores)
        token = self.detokenize([int(np.argmax(scores))]).decode()
        yield {"choices": [{"delta": {"content": token}}]}


def _local(penalty: float) -> rag.llm.LlamaCppChatModel:
    model = rag.llm.LlamaCppChatModel(model_path="unused.gguf", latin_penalty=penalty)
    model._llama = _GreedyLlama()  # loaded: nothing is read from disk
    return model


def test_only_lower_case_english_word_tokens_are_steered_away_from():
    assert rag.llm._latin_tokens(_GreedyLlama()).tolist() == [0]  # not "政党", the name "CPC", "[11]" or "。"


@pytest.mark.parametrize(("penalty", "keep_script", "expected"),
                         [(3.0, True, "政党"), (3.0, False, " parties"), (0.0, True, " parties")],
                         ids=["steered", "not-asked-to", "penalty-off"])
def test_a_call_that_keeps_the_questions_script_writes_the_translated_word(penalty, keep_script, expected):
    model = _local(penalty).bind(keep_script=True) if keep_script else _local(penalty)
    assert model.invoke([HumanMessage(content="倡议怎么说？")]).content == expected


@pytest.mark.parametrize(("question", "steered"), [("倡议怎么说政党？", True), ("What about parties?", False)])
def test_the_asker_steers_the_local_model_only_for_a_question_in_another_script(question, steered):
    asker = Asker(retriever=None, scorer=None, chat_model=(model := _local(3.0)), name="local")
    tokens = "".join(asker._generate(question, [], []))
    assert tokens == ("政党" if steered else " parties")
    assert model._llama.calls == 1
