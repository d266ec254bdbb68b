"""Stage 4b: a question in another language, translated into English for retrieval.

The document is English. A Chinese question is otherwise ranked by the
multilingual e5 alone; translated, it gets BM25 and MiniLM too. Measured side
by side in ``eval/reports/retrieval.md`` (``hybrid`` against ``hybrid-notranslate``). It needs the
answerer's chat model (``local``, ``ollama`` or ``openai``): ``ask``, the chat
and ``python -m rag search`` translate with it (search loads the model only for
a question that needs it); with the extractive answerer e5 ranks the original.

The translation is a retrieval query only: the question is answered in its own
words, and a paragraph it names ("第9段") is pinned from the original. A reply
that is not an English sentence (a small model may answer instead of
translating) is discarded, and retrieval falls back to e5.

The same model can also write the sentence a formal document would answer a
close call with (``query_expander``) and rewrite a follow-up into a standalone
English question (``follow_up_rewriter``); both are off by default, measured.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from .cite import CITATION
from .prompts import PROMPTS_DIR, render
from .refs import names_paragraphs
from .retrieve import mostly_latin

log = logging.getLogger(__name__)


def needs_translation(question: str) -> bool:
    """Whether retrieval would gain from an English ``question``: it is not English, and it does
    not name its paragraph (by number or by place), which is pinned from the original anyway.

    >>> needs_translation("文件如何描述贫富差距？"), needs_translation("What about peace?"), needs_translation("第9段讲了什么？")
    (True, False, False)
    """
    return not (mostly_latin(question) or names_paragraphs(question))


class QueryTranslator:
    """Text in another language -> English, by the chat model, cached. By default it translates a
    question for retrieval; ``prompt`` and ``needed`` make it translate an answer's sentences for
    verification (``claim_translator``), write a question's expansion for retrieval (``query_expander``),
    or, given the previous question too, rewrite a follow-up as a standalone one (``follow_up_rewriter``)."""

    def __init__(self, chat_model, timeout: float = 20.0, cache_size: int = 256, prompt: str = "translate_user",
                 needed: Callable[[str], bool] = needs_translation, system: str = "answer_system",
                 folder: Path = PROMPTS_DIR) -> None:
        self.chat_model = chat_model
        self.prompt = prompt
        self.folder = folder  # where ``prompt`` is (an evaluation's variant is under eval/prompts)
        self.system = system
        self.needed = needed
        self.timeout = timeout  # a backend that stalls costs the question at most this, then e5 ranks it
        self._cache: OrderedDict[tuple, str | None] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def __call__(self, question: str, **context: str) -> str | None:
        """``question`` (or, with another prompt, a sentence) in English; None when it needs none
        (``needed``: by default it is English, or names its paragraph) or no usable translation came back.
        ``context``: more of the prompt's fields (``follow_up_rewriter``'s ``previous`` question)."""
        if not self.needed(question):
            return None
        key = (question, *sorted(context.items()))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        from langchain_core.messages import HumanMessage, SystemMessage

        from .answer import with_deadline

        # By default the answer prompt's system message: the model's KV cache keeps that prefix for the answer.
        messages = [SystemMessage(render(self.system)),
                    HumanMessage(render(self.prompt, self.folder, text=question, **context))]
        try:
            # one line is all a translation needs: a model that goes on to answer is cut off there
            chunks = (str(chunk.content) for chunk in self.chat_model.stream(messages, stop=["\n"]))
            reply = "".join(with_deadline(chunks, self.timeout, self.timeout))
        except Exception as err:  # no translation is no worse than before: e5 ranks the original
            log.warning("translating the question failed: %s: %s", type(err).__name__, err)
            return None
        english = clean(reply, " ".join([*context.values(), question]))  # a rewrite may repeat the context
        with self._lock:
            self._cache[key] = english
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return english


def clean(reply: str, question: str) -> str | None:
    """The first line of ``reply`` without citation marks, if it reads as an English question.

    >>> clean("How many countries took part? [1]", "有多少个国家参加？")
    'How many countries took part?'
    >>> clean("第13段讲了中国的历史。", "第13段讲了什么？") is None
    True
    """
    from .llm import REFUSAL_MARK  # LangChain loads with the chat model, not on import

    lines = [line for line in reply.strip().splitlines() if line.strip()]
    text = " ".join(CITATION.sub("", lines[0]).split()) if lines else ""
    if not text or REFUSAL_MARK in text or not mostly_latin(text) or len(text) > 4 * len(question) + 200:
        return None
    return text


def claim_translator(chat_model, timeout: float = 20.0) -> QueryTranslator:
    """Translates an answer sentence that is not English, so that it can be checked word by word
    against the English paragraph it cites (``Asker._draft_support``)."""
    return QueryTranslator(chat_model, timeout, prompt="translate_claim", needed=lambda s: not mostly_latin(s))


def query_expander(chat_model, timeout: float = 20.0) -> QueryTranslator:
    """Writes the sentence a formal document would answer an (English) question with, for retrieval to rank by
    beside the question (``Retriever.search``'s ``expand``): "Can I bring my mate for a swim?" -> "Members may
    bring a guest ...", words a paragraph shares where the question's do not. Its facts may be invented; only
    its wording counts, and only when the question alone leaves two paragraphs close (``expand_margin``).

    Its own system message, not the answer prompt's: under that one the model replied NOT IN DOCUMENT to 39 of
    the 104 close questions (no passages to answer from), and the gain was gone (recall@1 over the seven sets
    0.857 against 0.870). The cost: the answer prompt's system message is read again after it."""
    return QueryTranslator(chat_model, timeout, prompt="expand_user", needed=lambda s: True, system="expand_system")


def follow_up_rewriter(chat_model, timeout: float = 20.0) -> QueryTranslator:
    """Rewrites a follow-up as the standalone English question retrieval ranks by, from the previous user
    question: "And at weekends?" after "What are the opening hours during the week?" -> "What are the opening
    hours on weekends?" (``RAG_REWRITE_FOLLOW_UPS=true``; off by default).

    Measured on the seven sets' 33 answerable follow-ups that borrow words (eval/reports/follow_ups.md): the
    right paragraph first for 29, against 26 with the two questions joined (and a part in another language
    translated apart), and 27 with the same prompt under the answer prompt's system message. But in a run of
    all 51 follow-ups by the local answerer (eval/reports/follow_ups/answers.md) the answers were no better
    (31 of 38 answerable ones cited a right paragraph, against 33 joined; 8 of 13 unanswerable ones declined,
    against 9), and the first token came 3.7 s later at the median: under a system message of its own, the
    answer prompt's, which llama.cpp keeps read from one question to the next, is read again."""
    return QueryTranslator(chat_model, timeout, prompt="condense_user", needed=lambda s: True,
                           system="condense_system")


def rewrite_follow_up(rewriter: Callable[..., str | None], parts: list[str]) -> str | None:
    """``rewriter``'s standalone question for a follow-up's query parts (``Asker.query_parts``): the follow-up,
    with the questions it borrows from joined as the earlier question its prompt names."""
    return rewriter(parts[-1], previous=" ".join(parts[:-1]))
