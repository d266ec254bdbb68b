"""Property test over the question path: arbitrary Unicode, control characters,
huge and empty inputs never crash; errors are one sentence; answers are cited."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.errors import RagError
from rag.pipeline import load_pipeline


@pytest.fixture(scope="module")
def asker(built):
    return load_pipeline(built).asker("fake")


questions = st.one_of(
    st.text(max_size=300),  # any Unicode, control characters included
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3990, max_size=4100),  # around the length limit
    st.sampled_from(["", " ", "\x00", "\n\t", "[0] [99] 【】", "paragraph 0", "第零段", "<script>alert(1)</script>"]),
)


@given(question=questions)
def test_any_question_is_answered_cited_declined_or_refused_in_one_sentence(asker, question):
    try:
        result = asker.ask(question)
    except RagError as err:
        message = str(err)
        assert message and "\n" not in message and message.endswith(".")
        return
    if not result.refused:
        assert result.citations, result.answer
        assert "<script" not in result.answer or "<script" in question
    else:
        assert result.refusal_reason and result.answer
