"""Stage 2: sentence splitting and chunking (rag/chunk.py)."""

from __future__ import annotations

import pytest

from rag.chunk import chunk_paragraphs, split_sentences
from rag.ingest import load_corpus
from rag.records import Paragraph

SPLIT_CASES = [
    pytest.param("One. Two. Three.", ["One.", "Two.", "Three."], id="english-full-stops"),
    pytest.param("Is it? Yes! No.", ["Is it?", "Yes!", "No."], id="english-question-exclamation"),
    pytest.param(
        "We care for the environment.As there is one planet, we act.",
        ["We care for the environment.", "As there is one planet, we act."],
        id="missing-space-environment.As",
    ),
    pytest.param("Growth was 3.5 percent. It rose.", ["Growth was 3.5 percent.", "It rose."], id="decimal-not-split"),
    pytest.param("We met in 2017. 2018 was calm.", ["We met in 2017.", "2018 was calm."], id="next-sentence-starts-with-digit"),
    pytest.param("It ended. “Good,” he said.", ["It ended.", "“Good,” he said."], id="next-sentence-opens-quote"),
    pytest.param('He said "yes." Then he left.', ['He said "yes."', "Then he left."], id="closing-quote-stays"),
    pytest.param("It ended (finally.) Then more.", ["It ended (finally.)", "Then more."], id="closing-bracket-stays"),
    pytest.param("lower case. after a stop", ["lower case. after a stop"], id="no-split-before-lower-case"),
    pytest.param("the UN.The end.", ["the UN.The end."], id="no-split-after-acronym-without-space"),
    pytest.param("和平很重要。我们同意。", ["和平很重要。", "我们同意。"], id="chinese-full-stops"),
    pytest.param("真的吗？是的！好。", ["真的吗？", "是的！", "好。"], id="chinese-question-exclamation"),
    pytest.param("和平；发展。", ["和平；", "发展。"], id="chinese-semicolon"),
    pytest.param("他说：“好。”我们走了。", ["他说：“好。”", "我们走了。"], id="chinese-closing-quote-stays"),
    pytest.param(
        "Peace matters. We agree! 和平很重要。我们同意。",
        ["Peace matters.", "We agree!", "和平很重要。", "我们同意。"],
        id="mixed-english-chinese",
    ),
    pytest.param("No final stop", ["No final stop"], id="no-punctuation"),
    pytest.param("One.\nTwo.", ["One.", "Two."], id="newline-as-space"),
    pytest.param("", [], id="empty"),
    pytest.param("   ", [], id="whitespace"),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def _para(text: str, number: int = 3, doc: str = "d", label: str | None = None, section: str | None = None):
    return Paragraph(doc=doc, number=number, text=text, label=label or str(number), section=section)


def test_window_chunks_from_the_module_docstring():
    chunks = chunk_paragraphs([_para("One. Two. Three.")], window=2, stride=1)
    assert [(c.kind, c.text) for c in chunks] == [
        ("paragraph", "One. Two. Three."), ("window", "One. Two."), ("window", "Two. Three."),
    ]


@pytest.mark.parametrize(
    ("sentences", "window", "stride", "windows"),
    [
        (1, 2, 1, 0),
        (2, 2, 1, 0),  # a window as long as the paragraph would only repeat it
        (3, 2, 1, 2),
        (5, 2, 1, 4),
        (5, 3, 1, 3),
        (5, 2, 2, 3),  # starts 0, 2 and a tail window 3..4
        (6, 2, 2, 3),
        (7, 2, 3, 3),  # starts 0, 3 and a tail window 5..6
    ],
)
def test_window_count(sentences, window, stride, windows):
    text = " ".join(f"Sentence {i}." for i in range(sentences))
    chunks = chunk_paragraphs([_para(text)], window=window, stride=stride)
    assert sum(c.kind == "paragraph" for c in chunks) == 1
    assert sum(c.kind == "window" for c in chunks) == windows


# With stride <= window, windows overlap or touch, so every sentence is in one
# (the tail included). A stride larger than the window skips sentences by design.
@pytest.mark.parametrize(("window", "stride"), [(2, 1), (2, 2), (3, 2), (3, 3), (4, 3)])
def test_every_sentence_is_in_some_window(window, stride):
    sentences = [f"Sentence number {i}." for i in range(9)]
    chunks = chunk_paragraphs([_para(" ".join(sentences))], window=window, stride=stride)
    windows = [c.text for c in chunks if c.kind == "window"]
    assert windows
    for s in sentences:
        assert any(s in w for w in windows), f"{s!r} is in no window (window={window}, stride={stride})"
    for w in windows:
        assert len(split_sentences(w)) == window


@pytest.fixture
def real_paragraphs(beijing):
    [doc] = load_corpus(beijing)
    return list(doc.paragraphs)


@pytest.mark.parametrize(("window", "stride"), [(2, 1), (3, 2), (1, 1)])
def test_chunks_never_cross_paragraphs(real_paragraphs, window, stride):
    by_key = {p.key: p for p in real_paragraphs}
    chunks = chunk_paragraphs(real_paragraphs, window=window, stride=stride)
    assert len(chunks) > len(real_paragraphs)
    for c in chunks:
        p = by_key[(c.doc, c.number)]
        # every sentence of a chunk occurs in the one paragraph the chunk names
        for sentence in split_sentences(c.text):
            assert sentence in p.text, f"chunk of paragraph {p.number} holds foreign text {sentence!r}"
        # and it is not the paragraph's neighbour in disguise
        for other in real_paragraphs:
            if other.key != p.key and c.kind == "window":
                assert c.text not in other.text


def test_chunks_carry_their_paragraphs_metadata():
    paras = [
        _para("Alpha one. Alpha two. Alpha three.", number=5, doc="a", label="a:5", section="I. Purpose"),
        _para("Beta one. Beta two. Beta three.", number=5, doc="b", label="b:5", section=None),
    ]
    chunks = chunk_paragraphs(paras, window=2, stride=1)
    for c in chunks:
        p = next(p for p in paras if p.doc == c.doc)
        assert (c.doc, c.number, c.label, c.section) == (p.doc, p.number, p.label, p.section)
        meta = c.metadata()
        assert meta["doc"] == p.doc and meta["number"] == p.number and meta["label"] == p.label
        assert meta["kind"] == c.kind
        assert meta.get("section") == p.section  # omitted (not None) when there is no section
        assert all(v is not None for v in meta.values())  # Chroma rejects None metadata


def test_whole_paragraph_chunk_always_present(real_paragraphs):
    for window in (1, 2, 5, 10):
        chunks = chunk_paragraphs(real_paragraphs, window=window, stride=1)
        whole = [c for c in chunks if c.kind == "paragraph"]
        assert [(c.number, c.text) for c in whole] == [(p.number, p.text) for p in real_paragraphs]


def test_short_paragraph_is_only_its_whole_chunk():
    [c] = chunk_paragraphs([_para("Just one sentence.")], window=2, stride=1)
    assert c.kind == "paragraph" and c.text == "Just one sentence."


def test_chunk_ids_unique_and_stable(real_paragraphs):
    first = chunk_paragraphs(real_paragraphs)
    again = chunk_paragraphs(real_paragraphs)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)


def test_chunk_ids_differ_between_documents_with_the_same_text():
    a = chunk_paragraphs([_para("Same text. Same again. And more.", doc="a", label="a:1", number=1)])
    b = chunk_paragraphs([_para("Same text. Same again. And more.", doc="b", label="b:1", number=1)])
    assert not {c.id for c in a} & {c.id for c in b}


def test_chinese_paragraph_windows():
    p = _para("我们呼吁和平。我们促进发展。我们尊重自然。")
    chunks = chunk_paragraphs([p], window=2, stride=1)
    assert [c.text for c in chunks if c.kind == "window"] == ["我们呼吁和平。 我们促进发展。", "我们促进发展。 我们尊重自然。"]


def test_missing_space_paragraph_from_the_real_corpus(real_paragraphs):
    p12 = next(p for p in real_paragraphs if p.number == 12)
    sentences = split_sentences(p12.text)
    assert sentences[0] == "We call on political parties to be the guardians of ecology and environment."
    assert sentences[1].startswith("As there is but one home planet")
    assert sentences[-1].endswith("clear water.")
