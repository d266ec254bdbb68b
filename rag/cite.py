"""Citations: parse them from an answer, check every sentence against the
paragraphs it cites, re-cite or drop what is unsupported. One module owns this.

A citation is ``[6]``, ``[3, 7]``, ``[3-5]``, ``[doc:6]`` or the full-width
``【6】``. ``[0]`` and numbers the corpus lacks are never silently mapped to
some paragraph: they are removed and reported. A clause that a paragraph of the
context holds (``[2.2]``, where paragraph 2 is clauses 2.1 and 2.2) is read as
that paragraph, and reported so.

>>> parse_labels("Peace matters [3, 5-6] and [doc:2].")
['3', '5', '6', 'doc:2']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .chunk import split_sentences
from .records import Paragraph
from .refs import MAX_RANGE, ORDINAL_PARAGRAPHS, ordinal_numbers

CITATION = re.compile(r"[\[【]\s*((?:[\w.-]+:)?\d+(?:\s*(?:[-–,;、]|and)\s*(?:[\w.-]+:)?\d+)*)\s*[\]】]")
# A citation written after the sentence's full stop: "... cooperation. [6]" -> "... cooperation [6]."
_TRAILING = re.compile(r"([.!?。！？])(\s*)((?:[\[【][^\]】]*[\]】]\s*)+)")


def parse_labels(text: str) -> list[str]:
    """Every paragraph label cited in ``text``, in order, ranges expanded, no repeats."""
    labels: list[str] = []
    for m in CITATION.finditer(text):
        for label in expand_labels(m.group(1)):
            if label not in labels:
                labels.append(label)
    return labels


def expand_labels(body: str) -> list[str]:
    """The labels inside one citation's brackets: "3, 5-6" -> ["3", "5", "6"]."""
    out: list[str] = []
    for part in re.split(r"\s*(?:[,;、]|and)\s*", body):
        span = re.fullmatch(r"((?:[\w.-]+:)?)(\d+)\s*[-–]\s*(?:[\w.-]+:)?(\d+)", part)
        if span:
            prefix, a, b = span.group(1), int(span.group(2)), int(span.group(3))
            if a <= b and b - a <= MAX_RANGE:
                out.extend(f"{prefix}{n}" for n in range(a, b + 1))
            else:  # reversed or absurd: keep the endpoints, so they are checked and reported
                out.extend([f"{prefix}{a}", f"{prefix}{b}"])
            continue
        if part:
            out.append(part.replace(" ", ""))
    return out


@dataclass
class Claim:
    """One answer sentence and what verification decided about it."""

    text: str  # the sentence without its citations
    cited: list[str]  # labels as the model wrote them (valid ones only)
    labels: list[str] = field(default_factory=list)  # labels after verification
    status: str = "pending"  # checked | recited | dropped, or quoted: the document's sentence, added
    # (or located: the sentence of a paragraph the model named, asked where the document says something)
    quotes: dict[str, str] = field(default_factory=dict)  # label -> verbatim supporting sentence
    score: float = 0.0
    removed: list[str] = field(default_factory=list)  # invalid labels removed from this sentence
    why: str = ""  # why a sentence was dropped, when it is not simply unsupported


@dataclass
class Verification:
    claims: list[Claim]
    invalid: list[str]  # labels removed: not in the corpus, or not in the context
    known: set[str] = field(default_factory=set)  # every label the corpus has
    clauses: list[tuple[str, str]] = field(default_factory=list)  # ("2.2", "2"): a clause cited as its paragraph

    @property
    def kept(self) -> list[Claim]:
        return [c for c in self.claims if c.status != "dropped"]

    def text(self) -> str:
        return " ".join(render_sentence(c.text, c.labels) for c in self.kept)

    def changes(self) -> list[str]:
        notes = [f"read [{clause}] as [{label}], the paragraph that holds clause {clause}"
                 for clause, label in self.clauses]
        notes += [f"removed citation [{label}] ({'not among the passages given' if label in self.known else 'no such paragraph'})"
                  for label in self.invalid]
        for c in self.claims:
            trimmed = [l for l in c.cited if l not in c.labels]
            if c.status == "checked" and trimmed:
                notes.append(f"removed citation {''.join(f'[{l}]' for l in trimmed)} that does not support: {_short(c.text)}")
            if c.status == "recited":
                notes.append(f"re-cited to [{', '.join(c.labels)}]: {_short(c.text)}")
            elif c.status == "dropped":
                notes.append(f"dropped, {c.why or 'unsupported by the document'}: {_short(c.text)}")
            elif c.status == "quoted":
                notes.append(f"added the sentence of [{', '.join(c.labels)}] that answers best: {_short(c.text)}")
            elif c.status == "located":
                notes.append(f"the model named [{', '.join(c.labels)}] as the place; quoted its most relevant sentence: "
                             f"{_short(c.text)}")
        return notes


# Citations used as words: "According to paragraph [5], there ...", "mentioned in [10] and [13]".
# Removed like ordinary citations they would leave "According to paragraph, there" and "mentioned in
# and", so they are written out ("paragraph 5", "in paragraphs 10 and 13") and still count as
# citations. "[3] and [5]" with nothing before it is two ordinary citations, "[3][5]".
_BRACKET = r"[\[【][^\]】]*[\]】]"
_PARAGRAPH_WORD = r"paragraphs?|paras?\.?|passages?|sections?"
_USED_AS_WORDS = re.compile(
    rf"(?:\b(?P<word>{_PARAGRAPH_WORD})\s*|\b(?P<prep>in|from|see|under)\s+)?"
    rf"(?P<chain>(?>{_BRACKET}(?:\s*(?:,\s*and|,|and|&)\s*{_BRACKET})*))(?P<end>\s*[.!?。！？]*\s*$)?",
    re.IGNORECASE,
)
# "paragraph 5", "passages 10 and 13", "¶ 9", "第9段", "the 18th paragraph": paragraphs a text names in its
# words (a reference, not a fact: support.py ignores their numbers).
NAMED_PARAGRAPHS = re.compile(
    rf"(?:\b(?:{_PARAGRAPH_WORD})|[¶§])\s*(\d+(?:\s*(?:,\s*and|,|and|&|to|-|–)\s*\d+)*)"
    rf"|第\s*(\d+)\s*段|{ORDINAL_PARAGRAPHS.pattern}",
    re.IGNORECASE,
)


def _as_words(sentence: str) -> str:
    """Write out the citations that a sentence uses as words (see ``_USED_AS_WORDS``)."""
    def rewrite(m: re.Match) -> str:
        brackets = re.findall(_BRACKET, m.group("chain"))
        numbers = list(dict.fromkeys(_number(label) for label in parse_labels(m.group("chain"))))
        end = m.group("end") or ""
        if not numbers:  # "[sic]", "[a] and [b]": brackets, not citations
            return m.group(0)
        if not (m.group("word") or m.group("prep")):  # "[3] and [5]": two citations, "[3][5]"
            return "".join(brackets) + end
        if m.group("prep") and end and len(brackets) == 1:  # "... as stated in [6].": an ordinary citation
            return m.group(0)
        listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
        word = m.group("word") or ("paragraph" if len(numbers) == 1 else "paragraphs")
        lead = f"{m.group('prep')} " if m.group("prep") else ""
        return f"{lead}{word} {listed}{end}"  # the labels are read from the sentence as written

    return _USED_AS_WORDS.sub(rewrite, sentence)


def named_paragraphs(text: str) -> list[str]:
    """Paragraph numbers a sentence names in words: "According to paragraph 5, ..." -> ["5"].

    >>> named_paragraphs("The 18th paragraph states it, as do paragraphs 3 and 4 and 第9段.")
    ['18', '3', '4', '9']
    """
    out = []
    for m in NAMED_PARAGRAPHS.finditer(text):
        if m.group(3):
            out.extend(str(n) for n in ordinal_numbers(m.group(3)))
        else:
            out.extend(re.findall(r"\d+", m.group(1) or m.group(2)))
    return out


def split_claims(answer: str) -> list[tuple[str, list[str]]]:
    """Split an answer into (sentence without citations, cited labels). A citation used as a word
    inside the sentence is written out: "In paragraph [2], X [2]." -> ("In paragraph 2, X.", ["2"])."""
    normalized = _TRAILING.sub(lambda m: f" {m.group(3).strip()}{m.group(1)} ", answer.strip())
    out: list[tuple[str, list[str]]] = []
    for sentence in split_sentences(normalized):
        labels = parse_labels(sentence)
        bare = re.sub(r"\s+([.!?,;:。！？，；：])", r"\1", CITATION.sub("", _as_words(sentence)))
        bare = re.sub(r"\s{2,}", " ", bare).strip()
        if re.search(r"\w", bare):
            out.append((bare, labels))
        elif out and labels:  # a sentence that is only a citation belongs to the previous one
            out[-1][1].extend(l for l in labels if l not in out[-1][1])
    return out


Support = Callable[[str, Paragraph], tuple[float, str]]  # (score in [0, 1], best supporting sentence)


def verify(answer: str, context: Sequence[Paragraph], known: set[str], support: Support,
           threshold: float, restates: Callable[[str], bool] | None = None) -> Verification:
    """Check each sentence against the paragraphs it cites.

    ``context`` are the paragraphs the answerer saw; ``known`` every label in the
    corpus. A sentence whose cited paragraphs do not support it (score below
    ``threshold``) is re-cited to the context paragraph that does, or dropped.
    A sentence for which ``restates`` is true (it only repeats the question) is
    dropped too, however well supported: it answers nothing.
    """
    by_label = {p.label: p for p in context}
    answer, clauses = cited_clauses(answer, by_label)
    claims: list[Claim] = []
    invalid: list[str] = []
    for text, labels in split_claims(answer):
        valid = [l for l in labels if l in by_label]
        removed = [l for l in labels if l not in by_label]
        invalid.extend(l for l in removed if l not in invalid)
        claim = Claim(text=text, cited=valid, removed=removed)
        scored = {l: support(text, by_label[l]) for l in valid}
        good = {l: s for l, s in scored.items() if s[0] >= threshold}
        if good:
            claim.status, claim.labels = "checked", list(good)
            claim.quotes = {l: s[1] for l, s in good.items()}
            claim.score = max(s[0] for s in good.values())
        else:
            others = {p.label: support(text, p) for p in context if p.label not in scored}
            best = max(others.items(), key=lambda kv: kv[1][0], default=None)
            if best and best[1][0] >= threshold:
                claim.status, claim.labels = "recited", [best[0]]
                claim.quotes, claim.score = {best[0]: best[1][1]}, best[1][0]
            else:
                claim.status = "dropped"
                claim.score = max((s[0] for s in scored.values()), default=0.0)
        # "mentioned in paragraphs 10 and 13 [10]", "Passage 15 says X [13]": its words name a paragraph
        # that its citations do not back (unless the supporting sentence names it too: "never below the
        # minimum in paragraph 2 [12]"), so they say what the document does not
        backed = {_number(l) for l in claim.labels} | {n for q in claim.quotes.values() for n in named_paragraphs(q)}
        unsupported = [n for n in named_paragraphs(text) if n not in backed]
        if claim.status != "dropped" and unsupported:
            claim.status, claim.why = "dropped", f"it names paragraph {unsupported[0]}, which does not support it"
        if claim.status != "dropped" and restates is not None and restates(text):
            claim.status, claim.why = "dropped", "it only restates the question"
        claims.append(claim)
    return Verification(claims, invalid, set(known), clauses)


# "[2.2]", "[doc:2.2]": a clause, in a document whose paragraphs hold clauses 2.1, 2.2 ... (rag.ingest)
_CLAUSE_CITATION = re.compile(r"[\[【]\s*((?:[\w.-]+:)?)(\d+)\.(\d+)\s*[\]】]")


def cited_clauses(answer: str, by_label: dict[str, Paragraph]) -> tuple[str, list[tuple[str, str]]]:
    """The answer with each citation of a clause that a paragraph of ``by_label`` holds ("[2.2]", where the text
    of paragraph 2 has its clause "2.2 ...") made a citation of that paragraph ("[2]"), and those read so. Any other
    "[2.2]" stays as written: no paragraph's number.

    >>> p = Paragraph("d", 2, "2.1 Book early. 2.2 Ask your manager. Pay rose 2.5 percent.", "2")
    >>> cited_clauses("Ask first [2.2]. Or [2.9]. It rose [2.5].", {"2": p})
    ('Ask first [2]. Or [2.9]. It rose [2.5].', [('2.2', '2')])
    """
    read: list[tuple[str, str]] = []

    def paragraph(m: re.Match) -> str:
        label = f"{m[1]}{m[2]}"
        held = by_label.get(label)
        # the clause opens the paragraph's text or a sentence of it: not "Costs rose 1.5 percent" for "[1.5]"
        if held is None or not re.search(rf"(?:^|[.!?;:]\s+){m[2]}\.{m[3]}\.?\s", held.text):
            return m[0]
        if (f"{m[2]}.{m[3]}", label) not in read:
            read.append((f"{m[2]}.{m[3]}", label))
        return f"[{label}]"

    return _CLAUSE_CITATION.sub(paragraph, answer), read


def render_sentence(text: str, labels: list[str]) -> str:
    """Put citations before the sentence's final punctuation: 'Peace matters [3].'"""
    marks = "".join(f"[{l}]" for l in labels)
    text = re.sub(r"[\s;:,；：，]+$", "", text.strip())
    m = re.match(r"^(.*?)([.!?。！？]*)$", text, re.S)
    body, stop = m.group(1).rstrip(), m.group(2) or "."
    if re.search(r"[\u4e00-\u9fff]$", body) and stop == ".":
        stop = "。"
    return f"{body} {marks}{stop}" if marks and not re.search(r"[\u4e00-\u9fff]$", body) else f"{body}{marks}{stop}"


def _number(label: str) -> str:
    """A label's paragraph number: "doc:5" -> "5"."""
    return label.rsplit(":", 1)[-1]


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
