"""Lexical retrieval: BM25 (the ``bm25s`` library) with Snowball stemming.

Words are brought to one spelling before stemming, so a question in British
English matches a document in American English and back ("organisation",
"civilisations", "centre" meet "organization", "civilizations", "center"):
Snowball stems the two spellings apart.

Built once at index time and saved beside the manifest, so a search never
rebuilds it; loading reads a few small arrays into memory.

>>> bm = Bm25.build(["Peace and development.", "Tax forms are due in April."])
>>> [int(i) for i in bm.top("developing peacefully", 2)[0]]
[0]
"""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")
_NO_WORD = "\u2400"  # the token of a text with no words: tokenize never makes it, so no query matches it
LEXICAL_VERSION = 2  # bump when tokens change (spelling, stemming, stopwords): BM25 indexes rebuild

# British -> American spellings, applied to both sides. A rule that also rewrites a word with no
# variant ("promise" -> "promize") is harmless: the document and the question get it alike.
_SPELLING = [
    (re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations|er|ers)$"), r"\1iz\2"),  # organise, civilisation
    (re.compile(r"^(\w{2,})ys(e|es|ed|ing)$"), r"\1yz\2"),  # analyse
    (re.compile(r"^(\w{3,}[^aeiou])our(s|ed|ing|able|ite|ites)?$"), r"\1or\2"),  # labour, neighbour, harbour
    (re.compile(r"^(\w{2,}[tb])re(s|d)?$"), r"\1er\2"),  # centre, millimetres, fibre
    (re.compile(r"^(\w{2,})ogue(s)?$"), r"\1og\2"),  # dialogue, catalogue
    (re.compile(r"^(def|off|lic|pret)ence(s)?$"), r"\1ense\2"),  # defence, licence
    (re.compile(r"^programme(s|d)?$"), r"program\1"),
]


def american(word: str) -> str:
    """One spelling for words that British and American English spell apart.

    >>> [american(w) for w in ["organisations", "civilised", "centre", "neighbours", "dialogue", "defence"]]
    ['organizations', 'civilized', 'center', 'neighbors', 'dialog', 'defense']
    >>> [american(w) for w in ["rise", "four", "our", "hour", "crisis", "genre", "water"]]
    ['rise', 'four', 'our', 'hour', 'crisis', 'genre', 'water']
    """
    for pattern, repl in _SPELLING:
        word, n = pattern.subn(repl, word)
        if n:
            break
    return word


def _stem(words: list[str]) -> list[str]:
    return _STEMMER.stemWords([american(w) for w in words])


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stopword-free, spelling-normalised, stemmed words of each text.

    >>> tokenize(["The organisation of civilisations", "organization of civilizations"])
    [['organiz', 'civil'], ['organiz', 'civil']]
    """
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stem, return_ids=False, show_progress=False)


class Bm25:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        """BM25 over ``texts``. A text with no word left ("1. The.", "1. !!!") holds a token no query has: bm25s
        cannot index a corpus with no words at all.

        >>> [int(i) for i in Bm25.build(["The.", "Of!"]).top("the of", 2)[0]], Bm25.build(["The.", "Peace."]).size
        ([], 2)
        """
        retriever = bm25s.BM25()
        retriever.index([words or [_NO_WORD] for words in tokenize(texts)], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25:
        return cls(bm25s.BM25.load(str(folder), mmap=False, show_progress=False), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text (positions as at build time)."""
        vocab = self._retriever.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the best ``k`` texts with a positive score."""
        scores = self.scores(query)
        k = min(k, len(scores))
        order = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = order[np.argsort(-scores[order], kind="stable")]
        order = order[scores[order] > 0]
        return order, scores[order]
