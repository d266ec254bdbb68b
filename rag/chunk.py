"""Stage 2: cut paragraphs into chunks that never cross a paragraph.

Every paragraph yields one whole-paragraph chunk, and paragraphs with more
sentences than the window also yield sliding windows of sentences (the last
window always ends at the last sentence, whatever the stride). Each chunk
carries its paragraph's document, number, label and section.

>>> from rag.records import Paragraph
>>> p = Paragraph("d", 3, "One. Two. Three.", "3")
>>> [c.text for c in chunk_paragraphs([p], window=2, stride=1)]
['One. Two. Three.', 'One. Two.', 'Two. Three.']
>>> [c.text for c in chunk_paragraphs([p], window=0)]  # whole paragraphs only
['One. Two. Three.']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from .records import Chunk, Paragraph

CHUNKER_VERSION = 1  # bump when chunking changes what chunks come out: indexes rebuild

# Split after sentence punctuation followed by space (English) or directly
# after CJK full stops; a closing quote or bracket stays with its sentence
# ('said "yes." Then', '“好。”我们'). Abbreviations such as "e.g. x" may split;
# harmless here because the whole paragraph is always a chunk too.
_CLOSERS = "\"'”’)\\]」』）》"
_SENTENCE_END = re.compile(
    rf"(?:(?<=[.!?;])|(?<=[.!?;][{_CLOSERS}]))\s+(?=[\"'“‘(\[A-Z0-9\u4e00-\u9fff])"  # "end. Next"
    r"|(?<=[a-z][a-z][.!?])(?=[A-Z][a-z])"  # "environment.As" (a missing space, as real text has)
    rf"|(?<=[。！？；])(?![{_CLOSERS}])|(?<=[。！？；][{_CLOSERS}])"
)


def split_sentences(text: str) -> list[str]:
    """Split English or Chinese text into sentences.

    >>> split_sentences("Peace matters. We agree! 和平很重要。我们同意。")
    ['Peace matters.', 'We agree!', '和平很重要。', '我们同意。']
    >>> split_sentences('He said "yes." Then he left. 他说：“好。”我们走了。')
    ['He said "yes."', 'Then he left.', '他说：“好。”', '我们走了。']
    """
    parts = (s.strip() for s in _SENTENCE_END.split(text))
    return [s for s in parts if s]


def chunk_paragraphs(paragraphs: Iterable[Paragraph], window: int = 1, stride: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    for p in paragraphs:
        chunks.append(_chunk(p, "paragraph", 0, p.text))
        if not window:  # whole paragraphs only
            continue
        sentences = split_sentences(p.text)
        if len(sentences) <= window:
            continue
        starts = list(range(0, len(sentences) - window + 1, stride))
        if starts[-1] + window < len(sentences):  # a stride > 1 can skip the tail; every sentence gets a window
            starts.append(len(sentences) - window)
        for i, start in enumerate(starts):
            chunks.append(_chunk(p, "window", i, " ".join(sentences[start : start + window])))
    return chunks


# "I. Purpose", "Part 2. Membership", "Section 3:": the numbering in front of a heading's words
_SECTION_NUMBER = re.compile(r"^(?:(?:part|section|chapter)\s+)?(?:[ivxlc]{1,7}|\d{1,3})[.:)]?\s+(?=\S)", re.I)


def indexed_text(text: str, section: str | None) -> str:
    """What a retriever reads of a chunk: its section heading's words in front of its text, where it has one
    (a question's "kids' ward" finds "Children: On Kestrel Ward ..."). The heading's numbering is left out.

    >>> indexed_text("Visitors may park free.", "Parking"), indexed_text("We agree.", "II. Commitments")
    ('Parking: Visitors may park free.', 'Commitments: We agree.')
    >>> indexed_text("We agree.", None), indexed_text("We agree.", "Part 2. Membership and prices")
    ('We agree.', 'Membership and prices: We agree.')
    """
    if not section:
        return text
    words = _SECTION_NUMBER.sub("", section.strip()) or section.strip()
    return f"{words}: {text}"


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunk(p: Paragraph, kind: str, i: int, text: str) -> Chunk:
    ident = text_sha(f"{p.doc}\0{p.number}\0{kind}\0{i}\0{text}")[:32]
    return Chunk(id=ident, doc=p.doc, number=p.number, label=p.label, section=p.section, kind=kind, text=text)
