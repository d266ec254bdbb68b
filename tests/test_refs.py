"""Explicit paragraph references in questions (rag/refs.py)."""

from __future__ import annotations

import pytest

from rag.refs import (as_the_document, asks_what_it_says, asks_where, document_names, label_refs, paragraph_refs,
                      position_refs, relative_ref, says_only_where, unit_refs)

REF_CASES = [
    # English forms
    pytest.param("What does paragraph 9 say?", [9], id="paragraph-N"),
    pytest.param("Summarise para. 9 please", [9], id="para-dot-N"),
    pytest.param("Para 9", [9], id="Para-N-capitalised"),
    pytest.param("PARAGRAPH 9?", [9], id="upper-case"),
    pytest.param("What is in ¶9?", [9], id="pilcrow-no-space"),
    pytest.param("¶ 9", [9], id="pilcrow-space"),
    pytest.param("see § 9", [9], id="section-sign"),
    pytest.param("paragraph no. 7", [7], id="paragraph-no-N"),
    pytest.param("paragraph #7", [7], id="paragraph-hash-N"),
    pytest.param("Para.9", [9], id="para-dot-no-space"),
    pytest.param("What do paragraphs 3-5 say?", [3, 4, 5], id="range-hyphen"),
    pytest.param("paragraphs 3–5", [3, 4, 5], id="range-en-dash"),
    pytest.param("paragraphs 3 to 5", [3, 4, 5], id="range-to"),
    pytest.param("paragraphs 3 through 5", [3, 4, 5], id="range-through"),
    pytest.param("paragraphs 3 to5", [3, 4, 5], id="range-to-missing-space"),
    pytest.param("Compare paragraphs 3 and 7.", [3, 7], id="pair-and"),
    pytest.param("paragraph 3 or 4", [3, 4], id="pair-or"),
    pytest.param("paragraphs 3, 5 and 7", [3, 5, 7], id="list"),
    pytest.param("paragraphs 3-5 and 7", [3, 4, 5, 7], id="range-then-number"),
    pytest.param("paragraphs 5-3", [5, 3], id="backwards-range-is-two-numbers"),
    pytest.param("paragraphs 1-100", [1, 100], id="huge-range-is-two-numbers"),
    pytest.param("What does paragraph 42 say?", [42], id="number-beyond-document"),
    pytest.param("What does the 9th paragraph say?", [9], id="ordinal-digits"),
    pytest.param("What does the twelfth paragraph say?", [12], id="ordinal-word"),
    pytest.param("the twenty-first para", [21], id="ordinal-compound-word"),
    pytest.param("Summarise the 3rd, 5th and 7th paragraphs", [3, 5, 7], id="ordinal-list"),
    pytest.param("the first and second paragraphs", [1, 2], id="ordinal-list-from-first"),
    pytest.param("What does the 30th paragraph say?", [30], id="ordinal-beyond-document"),
    # Chinese forms
    pytest.param("第9段讲了什么？", [9], id="zh-arabic"),
    pytest.param("第十二段讲了什么？", [12], id="zh-numeral-12"),
    pytest.param("第十段", [10], id="zh-numeral-10"),
    pytest.param("第二十段", [20], id="zh-numeral-20"),
    pytest.param("第一百零五段", [105], id="zh-numeral-105"),
    pytest.param("第９段", [9], id="zh-full-width-digit"),
    pytest.param("第3至5段", [3, 4, 5], id="zh-range-zhi"),
    pytest.param("第3到第5段", [3, 4, 5], id="zh-range-dao"),
    pytest.param("第三和第五段", [3, 5], id="zh-pair"),
    pytest.param("第3、5段", [3, 5], id="zh-list"),
    pytest.param("段落9", [9], id="zh-duanluo-N"),
    pytest.param("第9段和paragraph 3", [9, 3], id="mixed-languages"),
    pytest.param("关于paragraph 3", [3], id="english-right-after-chinese"),
    pytest.param("What does paragraph 12345 say?", [12345], id="five-digits-whole"),
    pytest.param("What does paragraph -1 say?", [-1], id="negative-is-no-paragraph-1"),
    pytest.param("And para −2?", [-2], id="negative-unicode-minus"),
    pytest.param("What does [12] say?", [12], id="the-answers-citation-mark"),
    pytest.param("【9】讲了什么？", [9], id="zh-citation-mark"),
    pytest.param("倒数第二段讲了什么？", [], id="zh-penultimate-is-a-place-not-2"),
    # No reference
    pytest.param("no paragraph mentioned", [], id="word-paragraph-without-number"),
    pytest.param("How many paragraphs are there?", [], id="how-many-paragraphs"),
    pytest.param("Write 3 paragraphs about peace.", [], id="count-before-word"),
    pytest.param("What is the parameter 5?", [], id="para-inside-word"),
    pytest.param("subparagraph 3", [], id="subparagraph"),
    pytest.param("What happened in 2017?", [], id="bare-number"),
    pytest.param("What does the first paragraph say?", [], id="the-first-paragraph-is-a-place"),
    pytest.param("Is there a second paragraph about trade?", [], id="a-second-paragraph-is-another-one"),
    pytest.param("the 30th anniversary paragraph", [], id="ordinal-of-something-else"),
    pytest.param("", [], id="empty"),
]


@pytest.mark.parametrize(("question", "expected"), REF_CASES)
def test_paragraph_refs(question, expected):
    assert paragraph_refs(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("paragraph 7, then paragraph 3", [7, 3]),
        ("第9段和第2段", [9, 2]),
        ("¶12 and paragraph 2 and 第五段", [12, 2, 5]),
    ],
    ids=["english", "chinese", "mixed"],
)
def test_order_of_mention_is_kept(question, expected):
    assert paragraph_refs(question) == expected


@pytest.mark.parametrize(
    "question",
    ["paragraph 9 and para 9 and ¶9", "第9段, paragraph 9", "paragraphs 3-5 and paragraph 4"],
    ids=["same-number-three-ways", "zh-and-en", "inside-a-range"],
)
def test_no_duplicates(question):
    refs = paragraph_refs(question)
    assert len(refs) == len(set(refs)) > 0


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("What does water:3 say?", [("water", 3)], id="label"),
        pytest.param("Compare [water:3] and transit:12.", [("water", 3), ("transit", 12)], id="two-labels"),
        pytest.param("Meet at 10:30 in room 3.", [], id="a-time"),
        pytest.param("See https://example.org:8080/x", [], id="a-port"),
    ],
)
def test_label_refs(question, expected):
    assert label_refs(question) == expected


def test_returns_plain_ints():
    refs = paragraph_refs("paragraph 9 and 第十段")
    assert refs == [9, 10] and all(type(n) is int for n in refs)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("What does the last paragraph say?", ["last"], id="last-paragraph"),
        pytest.param("Summarise the final paragraph.", ["last"], id="final-paragraph"),
        pytest.param("And the concluding paragraph?", ["last"], id="concluding-paragraph"),
        pytest.param("What is in the opening paragraph?", ["first"], id="opening-paragraph"),
        pytest.param("First paragraph vs last paragraph", ["first", "last"], id="both-in-order"),
        pytest.param("How does the declaration end?", ["last"], id="how-does-it-end"),
        pytest.param("How does it conclude", ["last"], id="conclude-no-mark"),
        pytest.param("How does the document begin?", ["first"], id="how-does-it-begin"),
        pytest.param("文件的最后一段说了什么？", ["last"], id="zh-last"),
        pytest.param("倡议的开头讲了什么？", ["first"], id="zh-opening"),
        pytest.param("What does the penultimate paragraph say?", ["penultimate"], id="penultimate"),
        pytest.param("And the second-to-last paragraph?", ["penultimate"], id="second-to-last-not-last"),
        pytest.param("the next to last paragraph", ["penultimate"], id="next-to-last"),
        pytest.param("倒数第二段讲了什么？", ["penultimate"], id="zh-penultimate"),
        # not places in the document
        pytest.param("Does the text mention the last century's standoff?", [], id="last-century"),
        pytest.param("What use per person is the aim by the end of the decade?", [], id="end-of-the-decade"),
        pytest.param("How does the text open the door to cooperation?", [], id="open-the-door"),
        pytest.param("How do conflicts end?", [], id="not-the-document"),
        pytest.param("How does the war in Ukraine end?", [], id="how-does-the-war-end"),
        pytest.param("How does the application process start?", [], id="a-process-not-the-document"),
        pytest.param("What are the first steps?", [], id="first-steps"),
        pytest.param("What do paragraphs say?", [], id="no-place"),
    ],
)
def test_position_refs(question, expected):
    assert position_refs(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("And the one before it?", -1, id="one-before-it"),
        pytest.param("And the one after?", 1, id="one-after"),
        pytest.param("What about the paragraph after that?", 1, id="paragraph-after-that"),
        pytest.param("And the previous paragraph?", -1, id="previous-paragraph"),
        pytest.param("What does the next paragraph say?", 1, id="next-paragraph"),
        pytest.param("The following paragraph?", 1, id="following-paragraph"),
        pytest.param("上一段呢？", -1, id="zh-previous"),
        pytest.param("下一段讲了什么？", 1, id="zh-next"),
        # not a paragraph next to another
        pytest.param("文件的最后一段说了什么？", None, id="zh-last-is-no-step"),
        pytest.param("前一段时间发生了什么？", None, id="zh-a-while-ago"),
        pytest.param("When is the next one held?", None, id="next-one-held"),
        pytest.param("Does it replace the previous one?", None, id="previous-one"),
        pytest.param("Was there no one before that?", None, id="no-one-before-that"),
        pytest.param("What was the one before the war?", None, id="one-before-the-war"),
        pytest.param("What happened before that?", None, id="before-that-is-not-a-paragraph"),
        pytest.param("What are the next steps?", None, id="next-steps"),
        pytest.param("What does paragraph 9 say?", None, id="absolute"),
        # the paragraph the conversation was about itself
        pytest.param("And is poverty covered in that same paragraph?", 0, id="that-same-paragraph"),
        pytest.param("What else does this paragraph say?", 0, id="this-paragraph"),
        pytest.param("这一段提到贫困了吗？", 0, id="zh-this-paragraph"),
        pytest.param("同一段还说了什么？", 0, id="zh-same-paragraph"),
        pytest.param("这段时间发生了什么？", None, id="zh-this-period"),
        pytest.param("Is that the same thing?", None, id="same-thing"),
    ],
)
def test_relative_ref(question, expected):
    assert relative_ref(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("Which paragraph says that?", True, id="which-paragraph"),
        pytest.param("Which paragraphs discuss the Belt and Road Initiative?", True, id="which-paragraphs"),
        pytest.param("In which parts do the delegates commend the CPC's achievements?", True, id="in-which-parts"),
        pytest.param("Where does the text mention the United Nations?", True, id="where-does-the-text"),
        pytest.param("And where does it say how parties should respond?", True, id="where-does-it-say"),
        pytest.param("Where is climate change discussed?", True, id="where-is-discussed"),
        pytest.param("哪一段提到了水价？", True, id="zh-which-paragraph"),
        pytest.param("文件在哪里提到联合国？", True, id="zh-where"),
        # where something is, not where the text says it
        pytest.param("Where is the Customer Centre?", False, id="a-place"),
        pytest.param("Where in Chinese political theory is the idea highlighted?", False, id="where-in-theory"),
        pytest.param("Where was the meeting held?", False, id="where-held"),
        pytest.param("What does paragraph 9 say?", False, id="names-its-paragraph"),
        pytest.param("会议在哪里举行？", False, id="zh-where-held"),
    ],
)
def test_asks_where(question, expected):
    assert asks_where(question) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Protectionism and trade are discussed in [10] and [13].", True, id="discussed-in"),
        pytest.param("The WTO is mentioned in paragraph 10.", True, id="mentioned-in-paragraph"),
        pytest.param("Climate change is also addressed in [3], [12].", True, id="addressed-in-two"),
        # it says what, or where and what
        pytest.param("The WTO's rules should be upheld [10].", False, id="says-what"),
        pytest.param("Trade is discussed in [10]. Countries should oppose protectionism [10].", False, id="and-what"),
        pytest.param("Trade is discussed in [10] as a force for growth.", False, id="where-with-what"),
        pytest.param("Disputes are settled in the courts [9].", False, id="in-a-place-of-the-world"),
        pytest.param("", False, id="empty"),
    ],
)
def test_says_only_where(text, expected):
    assert says_only_where(text) is expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("What does paragraph 9 say?", True, id="what-does-it-say"),
        pytest.param("What is paragraph 9 about?", True, id="about"),
        pytest.param("What's in paragraph 4?", True, id="whats-in"),
        pytest.param("Summarise paragraphs 3-5.", True, id="summarise-range"),
        pytest.param("What are the main points of the last paragraph?", True, id="main-points-of-a-place"),
        pytest.param("How does the declaration end?", True, id="how-does-it-end"),
        pytest.param("And the one before it?", True, id="relative"),
        pytest.param("第13段讲了什么？", True, id="zh-what-does-it-say"),
        pytest.param("第十三段的内容是什么？", True, id="zh-content"),
        pytest.param("那上一段呢？", True, id="zh-relative"),
        pytest.param("¶3 in short?", True, id="in-short"),
        pytest.param("Para 11 - what's the main call there?", True, id="main-call"),
        pytest.param("How do paragraphs 9 and 10 differ?", True, id="differ"),
        pytest.param("Compare paragraph 3 with paragraph 5.", True, id="compare"),
        pytest.param("第9段和第10段有哪些不同？", True, id="zh-differ"),
        # something in particular of a named paragraph: its text need not answer
        pytest.param("What does paragraph 12 say about football?", False, id="about-something"),
        pytest.param("Who signed paragraph 12 on behalf of the UN?", False, id="who-signed"),
        pytest.param("Does paragraph 9 mention terrorism?", False, id="mention"),
        pytest.param("Is poverty covered in that same paragraph?", False, id="same-paragraph-topic"),
        pytest.param("第12段有没有提到足球？", False, id="zh-about-something"),
        pytest.param("What does para. 2 say about 2017?", False, id="a-year"),
        pytest.param("How do paragraphs 9 and 10 differ on security?", False, id="differ-on-something"),
        # names no paragraph
        pytest.param("What does the document say?", False, id="no-paragraph"),
        pytest.param("What is the UN's role?", False, id="a-question"),
    ],
)
def test_asks_what_it_says(question, expected):
    assert asks_what_it_says(question) is expected


@pytest.mark.parametrize(("question", "unit", "roman", "expected"), [
    ("Compare Article 3 and art. 12 with articles 4-5.", "article", False, [3, 12, 4, 5]),
    ("Does Article IV say more than Article II?", "article", False, []),  # roman only where articles are so numbered
    ("Does Article IV say more than Article II?", "article", True, [4, 2]),
    ("Articles II to IV and 7", "article", True, [2, 3, 4, 7]),
    ("What does article iv say?", "article", True, []),  # lower case "iv" is a word, not a numeral
    ("Does the article I mentioned apply, or Article II?", "article", True, [2]),  # "I mentioned": the pronoun
    ("Was Article I amended, and can Article I be read alone?", "article", True, [1]),
    ("Is Article IIII or Article IC valid?", "article", True, []),  # malformed numerals name nothing
    ("What do Section 2 and secs. 4-5 say?", "section", False, [2, 4, 5]),
    ("What does Section 2 say?", "article", False, []),
    ("What does paragraph 2 say?", "section", False, []),
], ids=["articles", "roman-not-asked-for", "roman", "roman-range-then-number", "lower-case", "pronoun-i",
        "numeral-i-before-a-verb", "malformed",
        "sections", "a-section-is-no-article", "a-paragraph-is-no-section"])
def test_unit_refs(question, unit, roman, expected):
    assert unit_refs(question, unit, roman) == expected


def test_naming_an_article_or_section_asks_what_it_says():
    assert asks_what_it_says("What does Article III say?") and asks_what_it_says("And Section 2?")
    assert not asks_what_it_says("What does Section 2 say about fees?")


BEIJING = (["北京倡议 Beijing Initiative"], ["We hail the Belt and Road Initiative.", "Peace is like air."])
CHARTER = (["Riverside City Water Charter"], ["This Charter comes into force on 1 May.", "Water is tested daily."])
LEISURE = (["Membership Terms and House Rules"], ["These terms apply to members.", "Guests must sign in."])


@pytest.mark.parametrize("document, question, ranked", [
    (BEIJING, "What does the Beijing Initiative say about climate change?",
     "What does the document say about climate change?"),
    (BEIJING, "Does the initiative back the WTO?", "Does the document back the WTO?"),
    (BEIJING, "Does this Initiative mention the UN?", "Does the document mention the UN?"),
    (BEIJING, "How does the declaration describe peace, according to the text?",
     "How does the document describe peace, according to the document?"),
    (BEIJING, "What has the Belt and Road Initiative achieved?", "What has the Belt and Road Initiative achieved?"),
    (BEIJING, "Which initiatives does it praise?", "Which initiatives does it praise?"),  # no "the": not its name
    (BEIJING, "Can I get the text message in Chinese?", "Can I get the text message in Chinese?"),
    (CHARTER, "When does the charter come into force?", "When does the charter come into force?"),  # "This Charter"
    (CHARTER, "Who wrote the text?", "Who wrote the document?"),
    (LEISURE, "Which house rules apply to guests under the house rules?",
     "Which house rules apply to guests under the document?"),
    (LEISURE, "What do the terms say about guests?", "What do the terms say about guests?"),  # "These terms"
    (LEISURE, "Are the fees and rules fair?", "Are the fees and rules fair?"),  # "the fees and rules": no name of it
], ids=["title", "title-noun", "this-title-noun", "generic-words", "another-initiative", "no-article", "text-message",
        "calls-itself-so", "generic-word-kept-apart", "house-rules", "terms-it-calls-itself", "not-its-title"])
def test_what_a_question_calls_the_document_is_ranked_as_the_document(document, question, ranked):
    assert as_the_document(question, document_names(*document)) == ranked


def test_a_document_that_calls_itself_by_every_such_word_has_no_names():
    itself = ["This agreement ends.", "This text and this declaration bind."]
    assert document_names(["Tenancy Agreement"], itself) is None
    assert as_the_document("What does the agreement say?", None) == "What does the agreement say?"
