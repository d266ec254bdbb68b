"""Citations (rag/cite.py): parse labels, split an answer into claims, verify
each claim against the paragraphs it cites, render cited sentences.

``verify`` is exercised with a deterministic lexical support function (no
embedder): a paragraph supports a claim when one of its sentences contains all
of the claim's words.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.chunk import split_sentences
from rag.cite import Verification, parse_labels, render_sentence, split_claims, verify
from rag.records import Paragraph

# --------------------------------------------------------------------------- parse_labels


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("Peace matters [6].", ["6"]),
        ("Peace matters [3, 7].", ["3", "7"]),
        ("Peace matters [3-5].", ["3", "4", "5"]),
        ("Peace matters [3–5].", ["3", "4", "5"]),  # en dash
        ("和平很重要【6】。", ["6"]),  # full-width brackets
        ("Peace matters [doc:6].", ["doc:6"]),
        ("Peace matters [doc:3-5].", ["doc:3", "doc:4", "doc:5"]),
        ("Peace matters [0].", ["0"]),  # kept here; verify() removes it as invalid
        ("Peace matters [x].", []),  # not a citation
        ("Peace matters [ 6 ].", ["6"]),
        ("Peace matters [3 and 5].", ["3", "5"]),
        ("Peace matters [3; 4] and [3、4].", ["3", "4"]),
        ("Peace [3] and fairness [6] and peace again [3].", ["3", "6"]),  # in order, no repeats
        ("Peace matters [1-51].", [str(n) for n in range(1, 52)]),  # 50 steps: still expanded
        ("Peace matters [1-100].", ["1", "100"]),  # too long: never 100 labels; endpoints get checked
        ("Peace matters [1-52].", ["1", "52"]),
        ("Peace matters [5-3].", ["5", "3"]),  # reversed: endpoints get checked (and reported if invalid)
        ("No citation at all.", []),
    ],
    ids=["single", "list", "range", "en-dash-range", "full-width", "doc-prefixed", "doc-range", "zero",
         "letter-ignored", "inner-spaces", "and", "semicolon-and-ideographic-comma", "dedup-in-order",
         "range-at-limit", "range-too-long", "range-just-too-long", "reversed-range", "none"],
)
def test_parse_labels(text, labels):
    assert parse_labels(text) == labels


# --------------------------------------------------------------------------- split_claims


@pytest.mark.parametrize(
    ("answer", "claims"),
    [
        ("Peace matters [3]. Fairness counts [6].", [("Peace matters.", ["3"]), ("Fairness counts.", ["6"])]),
        ("和平很重要[5]。我们同意【6】。", [("和平很重要。", ["5"]), ("我们同意。", ["6"])]),
        ("They pursue win-win cooperation. [6]", [("They pursue win-win cooperation.", ["6"])]),
        ("Peace matters. [6] Fairness counts. [3][5]",
         [("Peace matters.", ["6"]), ("Fairness counts.", ["3", "5"])]),
        ("和平很重要。【5】", [("和平很重要。", ["5"])]),
        ("Peace matters [3]; [5]", [("Peace matters;", ["3", "5"])]),  # a sentence that is only a citation
        ("Peace matters [3]. [3] [5]", [("Peace matters.", ["3", "5"])]),
        ("Peace matters. Fairness counts.", [("Peace matters.", []), ("Fairness counts.", [])]),
        ("Is peace noticed [5]? Rarely [5]!", [("Is peace noticed?", ["5"]), ("Rarely!", ["5"])]),
        ("[5]", []),  # nothing to attach the citation to
        ("", []),
    ],
    ids=["english", "chinese", "after-full-stop", "after-full-stop-twice", "chinese-after-full-stop",
         "citation-only-sentence", "repeat-merged", "missing-citations", "question-and-exclamation",
         "only-a-citation", "empty"],
)
def test_split_claims(answer, claims):
    assert split_claims(answer) == claims


@pytest.mark.parametrize(
    ("answer", "claims"),
    [
        ("According to paragraph [5], peace is like air.", [("According to paragraph 5, peace is like air.", ["5"])]),
        ("In passage [9], it says: parties matter [9].", [("In passage 9, it says: parties matter.", ["9"])]),
        ("Trade is mentioned in [10] and [13].", [("Trade is mentioned in paragraphs 10 and 13.", ["10", "13"])]),
        ("Trade is discussed in passages [10], [13], and [9].",
         [("Trade is discussed in passages 10, 13 and 9.", ["10", "13", "9"])]),
        ("As stated in [6], we need cooperation.", [("As stated in paragraph 6, we need cooperation.", ["6"])]),
        ("The UN is mentioned in [13] and [6] of the text.",
         [("The UN is mentioned in paragraphs 13 and 6 of the text.", ["13", "6"])]),
        ("The UN is mentioned in [13].", [("The UN is mentioned in.", ["13"])]),  # renders back as "in [13]."
        ("Peace matters [3] and [5].", [("Peace matters.", ["3", "5"])]),  # two citations, not words
        ("Options [a] and [b] exist [4].", [("Options [a] and [b] exist.", ["4"])]),  # brackets, not citations
        ("根据 paragraphs [12] and [13], 低收入家庭有优惠。", [("根据 paragraphs 12 and 13, 低收入家庭有优惠。", ["12", "13"])]),
    ],
    ids=["named-mid-sentence", "passage-then-citation", "after-preposition-chain", "oxford-comma-chain",
         "after-preposition-mid-sentence", "chain-mid-sentence", "after-preposition-at-the-end",
         "plain-chain-at-the-end", "brackets-that-are-not-citations", "named-in-chinese-answer"],
)
def test_citations_used_as_words_are_written_out(answer, claims):
    assert split_claims(answer) == claims


def test_mid_sentence_citation_leaves_clean_text():
    [(text, labels)] = split_claims("Peace [3] and fairness [6] go together.")
    assert labels == ["3", "6"]
    assert text == "Peace and fairness go together."


# --------------------------------------------------------------------------- verify

P3 = Paragraph("d", 3, "Peace and development remain the call of our day. The world is changing fast.", "3")
P5 = Paragraph("d", 5, "Peace is like air and sunshine. Nobody can live without it.", "5")
P6 = Paragraph("d", 6, "Fairness and justice require equal rights. Win-win cooperation matters.", "6")
CONTEXT = [P3, P5, P6]
KNOWN = {"1", "2", "3", "4", "5", "6", "7", "8", "9"}
_WORD = re.compile(r"[\w-]+")


def lexical_support(claim: str, p: Paragraph) -> tuple[float, str]:
    """1.0 and the sentence when one sentence of ``p`` holds every word of the claim, else 0.0."""
    words = {w.lower() for w in _WORD.findall(claim)}
    sentences = split_sentences(p.text)
    for s in sentences:
        if words and words <= {w.lower() for w in _WORD.findall(s)}:
            return 1.0, s
    return 0.0, sentences[0]


def check(answer: str) -> Verification:
    return verify(answer, CONTEXT, KNOWN, lexical_support, threshold=0.5)


def test_valid_citation_is_checked_with_a_verbatim_quote():
    v = check("Peace is like air and sunshine [5].")
    [claim] = v.claims
    assert (claim.status, claim.labels, claim.cited) == ("checked", ["5"], ["5"])
    assert claim.quotes == {"5": "Peace is like air and sunshine."}
    assert claim.quotes["5"] in split_sentences(P5.text)
    assert claim.score == 1.0
    assert v.invalid == [] and v.changes() == []
    assert v.text() == "Peace is like air and sunshine [5]."


@pytest.mark.parametrize("label", ["42", "0", "9"], ids=["not-in-corpus", "zero", "in-corpus-not-in-context"])
def test_citation_outside_the_context_is_removed_and_reported(label):
    v = check(f"Peace is like air and sunshine [{label}].")
    [claim] = v.claims
    assert v.invalid == [label]
    assert claim.removed == [label] and label not in claim.labels
    assert f"[{label}]" not in v.text()
    assert any(f"removed citation [{label}]" in note for note in v.changes())
    # the sentence itself is supported elsewhere in the context, so it is re-cited, not kept uncited
    assert (claim.status, claim.labels) == ("recited", ["5"])


def test_a_cited_clause_is_its_paragraph_where_the_paragraph_holds_it():
    clauses = Paragraph("d", 2, "2.1 Book leave early. 2.2 Your manager approves leave.", "2")
    v = verify("Your manager approves leave [2.2]. Book leave early [2.7].", [clauses, P5], KNOWN, lexical_support,
               threshold=0.5)
    assert [(c.status, c.labels) for c in v.claims] == [("checked", ["2"]), ("dropped", [])]
    assert v.clauses == [("2.2", "2")] and "read [2.2] as [2], the paragraph that holds clause 2.2" in v.changes()
    # a clause no paragraph holds is no citation ("[2.7]", "[5.1]" of a paragraph with no clauses): never cited
    assert "[2.7]" not in v.text()
    assert check("Peace is like air and sunshine [5.1].").clauses == []


def test_unsupported_sentence_is_recited_to_the_paragraph_that_supports_it():
    v = check("Fairness and justice require equal rights [5].")
    [claim] = v.claims
    assert claim.cited == ["5"]
    assert (claim.status, claim.labels) == ("recited", ["6"])
    assert claim.quotes == {"6": "Fairness and justice require equal rights."}
    assert v.text() == "Fairness and justice require equal rights [6]."
    assert v.changes() == ["re-cited to [6]: Fairness and justice require equal rights."]


def test_sentence_unsupported_by_any_paragraph_is_dropped():
    v = check("Peace is like air and sunshine [5]. Mars has two moons [5].")
    assert [c.status for c in v.claims] == ["checked", "dropped"]
    assert [c.text for c in v.kept] == ["Peace is like air and sunshine."]
    assert "Mars" not in v.text()
    assert v.changes() == ["dropped, unsupported by the document: Mars has two moons."]


@pytest.mark.parametrize(
    ("answer", "status", "labels"),
    [("Win-win cooperation matters.", "recited", ["6"]), ("Mars has two moons.", "dropped", [])],
    ids=["supported-somewhere", "supported-nowhere"],
)
def test_uncited_sentence_is_never_kept_uncited(answer, status, labels):
    v = check(answer)
    [claim] = v.claims
    assert claim.cited == []
    assert (claim.status, claim.labels) == (status, labels)
    assert all(c.labels for c in v.kept)
    assert all(parse_labels(sentence) for sentence in split_sentences(v.text()))


def test_every_kept_sentence_of_a_mixed_answer_is_cited():
    v = check("Peace is like air and sunshine [0]. Win-win cooperation matters. Mars has moons [9]. "
              "The world is changing fast [3].")
    assert [c.status for c in v.claims] == ["recited", "recited", "dropped", "checked"]
    assert v.invalid == ["0", "9"]
    assert v.text() == ("Peace is like air and sunshine [5]. Win-win cooperation matters [6]. "
                        "The world is changing fast [3].")
    assert v.changes() == [
        "removed citation [0] (no such paragraph)",
        "removed citation [9] (not among the passages given)",
        "re-cited to [5]: Peace is like air and sunshine.",
        "re-cited to [6]: Win-win cooperation matters.",
        "dropped, unsupported by the document: Mars has moons.",
    ]


def test_threshold_is_inclusive_and_respected():
    half = lambda claim, p: (0.5, split_sentences(p.text)[0])  # noqa: E731
    assert verify("Anything [5].", CONTEXT, KNOWN, half, threshold=0.5).claims[0].status == "checked"
    assert verify("Anything [5].", CONTEXT, KNOWN, half, threshold=0.51).claims[0].status == "dropped"


def test_text_puts_citations_before_the_final_punctuation():
    v = check("Win-win cooperation matters. [6] Is peace like air and sunshine? [5]")
    assert v.text() == "Win-win cooperation matters [6]. Is peace like air and sunshine [5]?"
    assert not re.search(r"[.!?]\s*\[", v.text())


def test_citation_that_does_not_support_is_trimmed():
    v = check("Peace is like air and sunshine [5, 6].")
    [claim] = v.claims
    assert (claim.status, claim.labels) == ("checked", ["5"])
    assert v.text() == "Peace is like air and sunshine [5]."


def real_check(answer: str) -> Verification:
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    return verify(answer, CONTEXT, KNOWN, SentenceScorer(HashEmbedder(), None).support, threshold=0.65)


def test_a_sentence_naming_its_paragraphs_in_words_keeps_them_as_citations():
    v = real_check("According to paragraph [5], peace is like air and sunshine. Peace is mentioned in [3] and [5].")
    assert [(c.status, c.labels) for c in v.claims] == [("checked", ["5"]), ("checked", ["3", "5"])]
    assert v.text() == ("According to paragraph 5, peace is like air and sunshine [5]. "
                        "Peace is mentioned in paragraphs 3 and 5 [3][5].")


def test_a_sentence_naming_a_cited_paragraph_that_does_not_support_it_is_dropped():
    # [6] supports "win-win cooperation"; [3] does not, and the words still say "paragraphs 6 and 3"
    v = real_check("Win-win cooperation is mentioned in [6] and [3].")
    [claim] = v.claims
    assert claim.status == "dropped" and v.text() == ""
    assert v.changes() == ["dropped, it names paragraph 3, which does not support it: "
                           "Win-win cooperation is mentioned in paragraphs 6 and 3."]


def test_a_sentence_naming_a_paragraph_its_citation_does_not_back_is_dropped():
    v = real_check("Paragraph 3 says that peace is like air and sunshine [5].")
    [claim] = v.claims
    assert claim.status == "dropped" and "names paragraph 3" in v.changes()[0]


@pytest.mark.parametrize(("answer", "status"), [
    ("The 5th paragraph says that peace is like air and sunshine [5].", "checked"),  # 5 is a place, not a fact
    ("The fifth paragraph says that peace is like air and sunshine [5].", "checked"),
    ("The third paragraph says that peace is like air and sunshine [5].", "dropped"),  # [5] does not back it
], ids=["ordinal-digits", "ordinal-word", "ordinal-not-backed"])
def test_a_paragraph_named_by_its_ordinal_is_a_reference(answer, status):
    [claim] = real_check(answer).claims
    assert claim.status == status


def test_a_paragraph_named_by_the_supporting_sentence_itself_is_backed():
    from rag.embed import HashEmbedder
    from rag.support import SentenceScorer

    p7 = Paragraph("d", 7, "Flow may be restricted, but never below the minimum in paragraph 2.", "7")
    v = verify("Flow is never restricted below the minimum in paragraph 2 [7].", [p7], KNOWN,
               SentenceScorer(HashEmbedder(), None).support, threshold=0.65)
    assert [(c.status, c.labels) for c in v.claims] == [("checked", ["7"])]


def test_a_supported_sentence_that_only_restates_the_question_is_dropped():
    # the hook decides what restates the question (rag.support.restates, tested in test_support.py)
    v = verify("Peace is like air and sunshine [5]. Nobody can live without it [5].", CONTEXT, KNOWN,
               lexical_support, threshold=0.5, restates=lambda claim: claim.startswith("Peace is like"))
    assert [c.status for c in v.claims] == ["dropped", "checked"]
    assert v.text() == "Nobody can live without it [5]."
    assert v.changes() == ["dropped, it only restates the question: Peace is like air and sunshine."]


def test_changes_mention_a_trimmed_citation():
    v = check("Peace is like air and sunshine [5, 6].")
    assert any("[6]" in note for note in v.changes()), v.changes()


# --------------------------------------------------------------------------- render_sentence


@pytest.mark.parametrize(
    ("text", "labels", "rendered"),
    [
        ("Peace matters.", ["3"], "Peace matters [3]."),
        ("Peace matters", ["3", "5"], "Peace matters [3][5]."),
        ("Is peace noticed?", ["5"], "Is peace noticed [5]?"),
        ("Peace matters!", ["5"], "Peace matters [5]!"),
        ("Peace matters.", [], "Peace matters."),
        ("和平很重要。", ["5"], "和平很重要[5]。"),
        ("和平很重要", ["5"], "和平很重要[5]。"),
        ("和平很重要吗？", ["5", "6"], "和平很重要吗[5][6]？"),
        ("Peace matters", [], "Peace matters."),
    ],
    ids=["english", "no-stop-two-labels", "question", "exclamation", "no-labels", "chinese",
         "chinese-no-stop", "chinese-question", "adds-full-stop"],
)
def test_render_sentence(text, labels, rendered):
    assert render_sentence(text, labels) == rendered


_words = st.lists(st.sampled_from(["peace", "fairness", "cooperation", "world", "development", "Countries"]),
                  min_size=1, max_size=8)
_labels = st.lists(st.integers(min_value=1, max_value=99).map(str), min_size=1, max_size=4, unique=True)


@given(words=_words, labels=_labels, stop=st.sampled_from([".", "?", "!"]))
def test_render_then_split_round_trips(words, labels, stop):
    text = " ".join(words) + stop
    assert split_claims(render_sentence(text, labels)) == [(text, labels)]
