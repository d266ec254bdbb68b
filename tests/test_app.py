"""app.py without a server: ``respond`` over a real pipeline (hash embedder, fake /
extractive answerers), ``_plain``, and ``build_app`` building the Blocks.

The index is built once per module in its own tmp folder (only read afterwards);
every test opens its own pipeline on it. Nothing is launched here.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import app

gr = pytest.importorskip("gradio")  # imported once at collection (about 2 s), not inside a timed test
from app import _plain, build_app, respond
from rag.answer import AnswerResult
from rag.render import esc, sources_html

pytestmark = pytest.mark.integration

BEIJING = Path(__file__).resolve().parents[1] / "corpus" / "beijing_initiative_2017.txt"
PARIS = "Which agreement on climate, the Paris Agreement, should be implemented for ecology?"
PENDING = sources_html(None, {}, pending=True)
EMPTY = sources_html(None, {})
CITE_LINK = re.compile(r'<a class="cite" href="#para-(\d+)" title="[^"]*">\[\d+\]</a>')
PREVIOUS = "What does the document say about peace and development?"


@pytest.fixture
def texts(pipeline) -> dict[str, str]:
    return {p.label: p.text for p in pipeline.index.paragraphs}


def last_assistant(messages: list[dict]) -> str:
    assert messages and messages[-1]["role"] == "assistant", messages
    return messages[-1]["content"]


def assert_user_facing(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text and "line " not in text, text


# --------------------------------------------------------------------------- streaming


def test_fake_model_streams_drafts_then_a_cited_answer(pipeline, texts):
    updates = list(respond(PARIS, [], pipeline))
    assert len(updates) >= 3
    *intermediate, final = updates

    drafts = []
    for messages, sources, result in intermediate:
        assert result is None and sources == PENDING
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[0]["content"] == esc(PARIS)
        drafts.append(last_assistant(messages))
    growing = [d.removesuffix(" ▌").rstrip() for d in drafts if d.endswith(" ▌")]
    assert len(set(growing)) >= 3, drafts  # token updates with the cursor, each a longer draft
    assert all(b.startswith(a) for a, b in zip(growing, growing[1:])), growing

    messages, sources, result = final
    assert isinstance(result, AnswerResult) and not result.refused and result.answerer == "fake"
    assert result.draft and esc(result.draft).rstrip().startswith(growing[-1])  # the drafts were the model's text
    bubble = last_assistant(messages)
    cited = CITE_LINK.findall(bubble)
    assert cited and cited == [str(n) for n in result.cited_numbers][: len(cited)]
    assert "▌" not in bubble and "declined" not in bubble
    for c in result.citations:
        assert f'id="para-{c.label}"' in sources
        assert esc(texts[c.label]) in sources.replace("<mark>", "").replace("</mark>", "")  # in full
        assert f"<mark>{esc(c.quote)}</mark>" in sources
    assert sources != PENDING


def test_the_question_shows_before_anything_is_loaded_or_searched(pipeline, monkeypatch):
    """The user's turn (and a status) is the first update, before the asker is even made: the model's first
    token takes a second or more, and under load many; till then the question must not look unsent."""
    calls = []
    monkeypatch.setattr(pipeline, "asker", lambda answerer=None: calls.append(answerer) or _Rereading())
    updates = respond(PARIS, [], pipeline)
    messages, sources, result = next(updates)
    assert calls == [] and result is None and sources == PENDING
    assert messages == [{"role": "user", "content": esc(PARIS)},
                        {"role": "assistant", "content": '<span class="status">Searching the document…</span>'}]
    list(updates)
    assert calls == [None]


def test_extractive_answerer_yields_no_token_drafts(pipeline):
    updates = list(respond(PARIS, [], pipeline, answerer="extractive"))
    assert all("▌" not in last_assistant(m) for m, _, _ in updates)
    assert updates[-1][2].answerer == "extractive" and CITE_LINK.search(last_assistant(updates[-1][0]))


@pytest.mark.parametrize("k", [1, 3.0, "2"], ids=["int", "slider-float", "string"])
def test_k_from_the_slider_limits_retrieval(pipeline, k):
    result = list(respond(PARIS, [], pipeline, k=k))[-1][2]
    assert len(result.retrieved) == int(float(k))


# --------------------------------------------------------------------------- input edge cases


@pytest.mark.parametrize("message", ["", "   ", "\n\t ", None], ids=["empty", "spaces", "whitespace", "none"])
def test_empty_message_changes_nothing(pipeline, message):
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello [3]."}]
    before = [dict(t) for t in history]
    updates = list(respond(message, history, pipeline))
    assert len(updates) == 1
    messages, sources, result = updates[0]
    assert messages == before and history == before and result is None
    assert sources == EMPTY


def test_too_long_message_is_one_sentence(pipeline, one_sentence):
    message = "peace " * 833 + "??"
    assert len(message) == 5000
    updates = list(respond(message, [], pipeline))
    assert len(updates) == 2  # the question at once, then the error
    messages, sources, result = updates[-1]
    assert result is None and sources == EMPTY
    bubble = last_assistant(messages)
    assert 'class="declined"' in bubble
    assert_user_facing(bubble)
    one_sentence(_plain(messages[-1]), "5000", "4000")


def test_script_in_the_question_is_escaped(pipeline):
    question = "<script>alert(1)</script> What does the initiative say about climate change?"
    updates = list(respond(question, [], pipeline))
    for messages, sources, _ in updates:
        assert messages[0]["role"] == "user"
        assert messages[0]["content"] == esc(question)
        for m in messages:
            assert "<script" not in m["content"].lower()
        assert "<script" not in sources.lower()
    assert "&lt;script&gt;" in updates[-1][0][0]["content"]
    assert updates[-1][2] is not None


@pytest.mark.parametrize(
    ("question", "reason"),
    [("What does paragraph 42 say?", "missing_paragraph"), ("段落42说了什么？", "missing_paragraph")],
    ids=["english", "chinese"],
)
def test_unanswerable_question_renders_a_declined_bubble(pipeline, question, reason):
    messages, sources, result = list(respond(question, [], pipeline))[-1]
    assert result.refused and result.refusal_reason == reason
    bubble = last_assistant(messages)
    assert bubble.startswith('<div class="declined">') and "42" in bubble
    assert not CITE_LINK.search(bubble)  # closest paragraphs are hints, not citations
    assert 'class="declined"' in sources


class _Rereading:
    """An asker whose model declines, then answers on a second reading."""

    def stream(self, question, history=None, k=None):
        yield "status", "rewriting"
        yield "status", "translating"
        yield "status", "generating"
        yield "token", "NOT IN DOCUMENT"
        yield "status", "rereading"
        yield "token", "Peace "
        yield "token", "matters"


def test_rewriting_translating_and_a_second_reading_show_and_start_a_fresh_draft(pipeline, monkeypatch):
    monkeypatch.setattr(pipeline, "asker", lambda answerer=None: _Rereading())
    bubbles = [last_assistant(messages) for messages, _, _ in respond(PARIS, [], pipeline)]
    assert bubbles == ['<span class="status">Searching the document…</span>',
                       '<span class="status">Reading the follow-up with the question before it…</span>',
                       '<span class="status">Translating the question for the search…</span>',
                       '<span class="status">Reading the passages…</span>',
                       "NOT IN DOCUMENT ▌", '<span class="status">Reading the whole paragraph…</span>',
                       "Peace  ▌", "Peace matters ▌"]


class _Failing:
    """An asker whose stream fails, before or after some tokens."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens

    def stream(self, question, history=None, k=None):
        yield "status", "generating"
        for i in range(self.tokens):
            yield "token", f"tok{i} "
        raise RuntimeError('secret detail\nTraceback (most recent call last):\n  File "/x.py", line 1')


@pytest.mark.parametrize("tokens", [0, 2], ids=["at-once", "mid-stream"])
def test_backend_failure_is_a_short_message_without_traceback(pipeline, monkeypatch, caplog, tokens):
    monkeypatch.setattr(pipeline, "asker", lambda answerer=None: _Failing(tokens))
    with caplog.at_level(logging.ERROR, logger="app"):
        updates = list(respond(PARIS, [], pipeline))
    assert len(updates) == tokens + 3  # searching, reading the passages, the tokens, the message
    messages, sources, result = updates[-1]
    bubble = last_assistant(messages)
    assert result is None and sources == EMPTY
    assert bubble.startswith("Something went wrong") and "RuntimeError" in bubble
    assert "secret" not in bubble and "\n" not in bubble and len(bubble) < 100
    assert_user_facing(bubble)
    assert any(r.exc_info for r in caplog.records)  # the traceback goes to the log instead


# --------------------------------------------------------------------------- history


HTML_HISTORY = [
    {"role": "user", "content": esc(PREVIOUS)},
    {"role": "assistant", "content": 'Peace and development remain the call of our day '
                                     '<a class="cite" href="#para-3" title="As we are witnessing it">[3]</a>.'},
]


def test_follow_up_is_rewritten_from_plain_history(pipeline):
    question = "And what about fairness?"
    updates = list(respond(question, HTML_HISTORY, pipeline))
    messages, _, result = updates[-1]
    assert result.question == question and result.query != question
    assert result.query == f"{PREVIOUS} {question}"  # tags and entities gone
    assert messages[:2] == HTML_HISTORY and messages[2] == {"role": "user", "content": esc(question)}


def test_history_with_escaped_user_text_is_unescaped_for_the_model(pipeline):
    history = [{"role": "user", "content": esc("What about <peace> & development?")},
               {"role": "assistant", "content": "Peace [3]."}]
    result = list(respond("And fairness?", history, pipeline))[-1][2]
    assert result.query == "What about <peace> & development? And fairness?"


@pytest.mark.parametrize(
    ("content", "plain"),
    [
        ("plain text", "plain text"),
        ('Peace <a class="cite" href="#para-3" title="x &quot;y&quot;">[3]</a>.', "Peace [3]."),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("A &amp; B &#x27;C&#x27; &quot;D&quot;", "A & B 'C' \"D\""),
        ('<div class="declined">⊘ No.<br><small>Closest: <a href="#para-8">[8]</a></small></div>',
         "⊘ No."),  # the hint is not what was said: "the one before it" must not step from [8]
        ('Peace [3].<br><small class="notice">Answered from the document\'s own sentences.</small>',
         "Peace [3]."),
        ("Drafting the answer ▌", "Drafting the answer"),
        ("  padded  ", "padded"),
        ("", ""),
    ],
    ids=["plain", "link", "escaped-script", "entities", "declined-bubble", "fallback-notice", "cursor",
         "whitespace", "empty"],
)
def test_plain_strips_tags_and_unescapes(content, plain):
    assert _plain({"role": "assistant", "content": content}) == plain


def test_plain_without_content():
    assert _plain({"role": "user"}) == ""


def gradio_round_trip(messages: list[dict]) -> list[dict]:
    """What the browser sends back: the Chatbot's postprocess then preprocess (Gradio 6 content blocks)."""
    chatbot = gr.Chatbot()
    return chatbot.preprocess(chatbot.postprocess(messages))


def test_plain_reads_gradio_content_blocks():
    turns = gradio_round_trip(HTML_HISTORY)
    assert [_plain(t) for t in turns] == [PREVIOUS, "Peace and development remain the call of our day [3]."]


def test_follow_up_after_a_gradio_round_trip(pipeline):
    history = gradio_round_trip(HTML_HISTORY)
    result = list(respond("And what about fairness?", history, pipeline))[-1][2]
    assert result.query == f"{PREVIOUS} And what about fairness?"


# --------------------------------------------------------------------------- build_app


def _fns(demo) -> list:
    fns = demo.fns
    return list(fns.values()) if isinstance(fns, dict) else list(fns)


def _ask_fn(demo):
    """The function behind the "ask" API endpoint, located via the fns or the config."""
    for block_fn in _fns(demo):
        if getattr(block_fn, "api_name", None) == "ask":
            return block_fn.fn
    names = [d.get("api_name") for d in demo.config.get("dependencies", [])]
    raise AssertionError(f"no 'ask' endpoint; api names: {names}")


def test_build_app_returns_blocks_with_an_ask_endpoint(pipeline):
    demo = build_app(pipeline)
    assert isinstance(demo, gr.Blocks)
    api_names = {getattr(f, "api_name", None) for f in _fns(demo)}
    api_names |= {d.get("api_name") for d in demo.config.get("dependencies", [])}
    assert "ask" in api_names
    ask = [f for f in _fns(demo) if getattr(f, "api_name", None) == "ask"]
    assert len(ask) == 1
    assert getattr(ask[0], "api_visibility", "public") not in ("private", "undocumented")
    assert not getattr(demo, "is_running", False)  # built, not launched


def test_build_app_shows_the_document(pipeline):
    demo = build_app(pipeline)
    html_values = [getattr(b, "value", None) for b in demo.blocks.values() if getattr(b, "elem_id", None) == "document"]
    assert len(html_values) == 1
    assert 'id="doc-para-1"' in html_values[0] and 'id="doc-para-16"' in html_values[0]


@pytest.mark.parametrize(
    ("question", "check"),
    [
        (PARIS, lambda d: d["refused"] is False and 12 in d["cited_paragraphs"] and d["citations"]),
        ("What does paragraph 42 say?", lambda d: d["refused"] is True and d["refusal_reason"] == "missing_paragraph"),
        ("", lambda d: d["refused"] is True and d["error"].startswith("Ask a question") and d["citations"] == []),
        ("peace " * 833 + "??", lambda d: "error" in d and "4000" in d["answer"]),
    ],
    ids=["answered", "declined", "empty", "too-long"],
)
def test_ask_endpoint_returns_a_structured_result(pipeline, question, check):
    data = _ask_fn(build_app(pipeline))(question)
    assert isinstance(data, dict) and check(data), data


def test_ask_endpoint_uses_history_and_answerer(pipeline):
    ask = _ask_fn(build_app(pipeline))
    history = [{"role": "user", "content": PREVIOUS}, {"role": "assistant", "content": "Peace [3]."}]
    data = ask("And what about fairness?", history, "extractive")
    assert data["answerer"] == "extractive" and data["query"] == f"{PREVIOUS} And what about fairness?"


def test_ask_endpoint_with_an_unknown_answerer_is_one_sentence(pipeline, one_sentence):
    data = _ask_fn(build_app(pipeline))(PARIS, None, "Extractive")
    assert data["citations"] == [] and "error" in data
    one_sentence(data["error"], "Unknown answerer 'Extractive'", "local, extractive, ollama, openai, fake")


def test_retry_asks_the_last_user_question_again(pipeline):
    demo = build_app(pipeline)
    retry = next(f.fn for f in _fns(demo) if getattr(f.fn, "__name__", "") == "retry")
    history = [*HTML_HISTORY, {"role": "user", "content": esc("What about <climate> change?")},
               {"role": "assistant", "content": "Old answer [12]."}]
    updates = list(retry(history, "extractive", 5, None))
    messages, sources = updates[-1]
    assert messages[:2] == HTML_HISTORY
    assert messages[2] == {"role": "user", "content": esc("What about <climate> change?")}
    assert messages[3]["role"] == "assistant" and messages[3]["content"] != "Old answer [12]."
    assert len(messages) == 4 and 'class="source"' in sources


def test_retry_after_a_gradio_round_trip_asks_the_same_question(pipeline):
    demo = build_app(pipeline)
    retry = next(f.fn for f in _fns(demo) if getattr(f.fn, "__name__", "") == "retry")
    history = gradio_round_trip([{"role": "user", "content": esc("What about <climate> change?")},
                                 {"role": "assistant", "content": "Old answer [12]."}])
    messages, _ = list(retry(history, "extractive", 5, None))[-1]
    assert _plain(messages[-2]) == "What about <climate> change?"


def test_retry_with_no_user_turn_changes_nothing(pipeline):
    demo = build_app(pipeline)
    retry = next(f.fn for f in _fns(demo) if getattr(f.fn, "__name__", "") == "retry")
    assert list(retry([], "fake", 5, None)) == [([], EMPTY)]


def test_slider_reaches_the_configured_k(pipeline, monkeypatch):
    """RAG_K may be up to 100; a slider ending at 10 would refuse its own default on every Ask."""
    monkeypatch.setattr(pipeline, "settings", pipeline.settings.model_copy(update={"k": 20}))
    sliders = [b for b in build_app(pipeline).blocks.values() if isinstance(b, gr.Slider)]
    assert [(s.value, s.maximum) for s in sliders] == [(20, 20)]


class _Loaded:
    """What ``main`` needs of a pipeline: an asker whose model fails to load, and an index."""

    class index:
        paragraphs = [object()]

    def __init__(self, warm_error: Exception | None) -> None:
        self.warm_error = warm_error

    def asker(self):
        outer = self

        class Asker:
            name = "local"

            def warm(self):
                if outer.warm_error:
                    raise outer.warm_error

        return Asker()


def test_app_serves_when_the_model_cannot_load_and_exits_when_the_index_cannot(monkeypatch, caplog):
    import rag.pipeline
    from rag.errors import BackendError, CorpusError

    launched = []
    monkeypatch.setattr(app, "build_app", lambda pipeline: type("Demo", (), {"launch": lambda self, **kw:
                                                                             launched.append(kw)})())
    monkeypatch.setattr(rag.pipeline, "load_pipeline", lambda settings, progress=None: _Loaded(
        BackendError("llama.cpp was compiled for avx512f, which this CPU lacks; run `make setup` again.")))
    with caplog.at_level(logging.WARNING, logger="app"):
        app.main()
    # no public link (loopback is Gradio's default host); uploads past RAG_MAX_OPEN_BYTES refused before stored
    assert launched == [{"share": False, "css": app.CSS, "max_file_size": 200_000}]
    assert any("which this CPU lacks" in r.getMessage() and "extractive answerer" in r.getMessage()
               for r in caplog.records)

    def broken(settings, progress=None):
        raise CorpusError("corpus/x.txt: no numbered paragraphs found.")

    monkeypatch.setattr(rag.pipeline, "load_pipeline", broken)
    with pytest.raises(SystemExit) as exit_:
        app.main()
    assert exit_.value.code == 2 and len(launched) == 1


def test_module_exposes_examples_and_css():
    assert len(app.EXAMPLES) >= 3 and all(isinstance(e, str) and e.strip() for e in app.EXAMPLES)
    for cls in (".declined", ".source mark", ".pending", "a.cite"):
        assert cls in app.CSS


def _fn(demo, name: str):
    return next(f.fn for f in _fns(demo) if getattr(f.fn, "__name__", "") == name)


CHARTER = ("Rowing Club Charter\n\nArticle I – Purpose\nThe club exists to row on the river.\n\n"
           "Article II – Members\nAnyone over sixteen may join the club.\n")


def test_an_opened_document_is_what_this_session_asks(pipeline, write):
    demo = build_app(pipeline)
    open_document, chat, back = _fn(demo, "open_document"), _fn(demo, "chat"), _fn(demo, "main_document")
    no_progress = lambda *args, **kwargs: None  # noqa: E731
    key, title, text, messages, sources, upload, tries = open_document(str(write("up/charter.md", CHARTER)), None,
                                                                       no_progress)
    assert key and "Rowing Club Charter" in title and 'id="doc-para-2"' in text and 'id="doc-para-3"' not in text
    assert messages == [] and sources == EMPTY and upload is None  # a new document, a new conversation
    assert [q for [q] in tries.raw_samples][0] == "What does paragraph 1 say?"  # not the Beijing Initiative's
    assert "<b>2.</b> <small>Article II</small>" in text  # what the charter calls it, beside its number
    *_, (box, messages, sources) = list(chat("Who may join the club?", [], "extractive", 5, key))
    assert CITE_LINK.findall(last_assistant(messages)) == ["2"] and "sixteen" in sources
    assert "<b>¶ 2</b> <small>Article II · charter</small>" in sources
    *_, (box, messages, sources) = list(chat(PARIS, [], "extractive", 5, None))  # another session: the corpus
    assert "12" in CITE_LINK.findall(last_assistant(messages)) and "Article" not in sources  # numbered "1."
    assert back(None)[2:5] == ({"__type__": "update"},) * 3  # already on the corpus: the conversation stays
    key, title, text, messages, sources, upload, tries = back(key)
    assert key is None and "Beijing Initiative" in title and 'id="doc-para-16"' in text
    assert [q for [q] in tries.raw_samples] == app.EXAMPLES


def test_a_bad_file_leaves_the_session_on_its_document(pipeline, write):
    demo = build_app(pipeline)
    open_document, chat = _fn(demo, "open_document"), _fn(demo, "chat")
    no_progress = lambda *args, **kwargs: None  # noqa: E731
    key, *_ = open_document(str(write("up/charter.md", CHARTER)), None, no_progress)
    with pytest.warns(UserWarning, match="no numbered paragraphs"):
        after = open_document(str(write("up/notes.txt", "Notes without numbers.\n")), key, no_progress)
    assert after[0] == key and after[5] is None  # the same document; the upload box is emptied
    assert all(isinstance(update, dict) for update in (*after[1:5], after[6]))  # nothing else changes
    *_, (box, messages, sources) = list(chat("Who may join the club?", [], "extractive", 5, key))
    assert CITE_LINK.findall(last_assistant(messages)) == ["2"]


def test_a_session_whose_document_is_gone_keeps_its_question(pipeline, write):
    demo = build_app(pipeline)
    open_document, chat = _fn(demo, "open_document"), _fn(demo, "chat")
    key, *_ = open_document(str(write("up/charter.md", CHARTER)), None, lambda *args, **kwargs: None)
    import shutil  # the server's disk was cleaned meanwhile, and the app restarted
    shutil.rmtree(Path(pipeline.settings.index_dir) / ".opened")
    demo = build_app(pipeline)
    with pytest.warns(UserWarning, match="no longer on the server; open it again"):
        updates = list(_fn(demo, "chat")("Who may join the club?", [], "extractive", 5, key))
    assert updates == [("Who may join the club?", [], {"__type__": "update"})]


def test_the_title_is_text_not_markup(pipeline, write):
    demo = build_app(pipeline)
    _, title, *_ = _fn(demo, "open_document")(
        str(write("up/t.md", "# Rules ![x](http://tracker.example/p.png) <b>bold</b>\n\n1. One.\n")), None,
        lambda *args, **kwargs: None)
    assert "<img" not in title and "&lt;b&gt;" in title and title.startswith("<h3>")
