"""Stage 1: read documents and parse them into numbered paragraphs.

A paragraph starts on a line that begins with its number (``1.We``,
`` 4.We``, ``12. The``, ``**3.** Text``, ``1\\. The``; or ``(1) The``, ``[1] The``, ``§ 1 The``,
``¶ 1 The``, ``Article 1`` (``Artículo 1``, ``Art. 1er``), ``Article IV``, ``Section 1.``, ``Item 1 - Apologies``,
``II. RECOMMENDS``, ``第一条`` (``第 1 條``), ``（一）``, ``一、``, or ``## 1. Fees`` / ``## 1 Fees`` / a standard's ``1 Scope``
over its text in a document the usual way cannot parse, see :func:`parse_text`; where nothing else parses, or only
lists inside them, clauses ``1.1``, ``1.2``, ``2.1`` are lines of paragraphs 1 and 2, under headings ``2 Leave``)
and runs until the next numbered line or section heading, across wrapped
lines and blank lines. Lines before the first paragraph are the document's
header (metadata, not a paragraph).
Section headings (``## II. Commitments``, ``I. Purpose``) become the
``section`` of the paragraphs that follow them, never paragraphs. A number
alone on its line opens the next paragraph, its text on the lines below.

A wrapped line that merely looks like a paragraph start or a heading stays
text: a number followed by a digit (``3.5 percent``, ``04.12.2017``) never
opens a paragraph, and right after a line that stops mid-sentence (no final
``.!?;:``), neither a number far ahead of the last paragraph's (``...until
December`` / ``2017. They``) nor a plain-text heading (``...agree that`` /
``Part 2 of the deal``) does.

>>> doc = parse_text("Title\\n\\n1.We met.\\n 2.We agreed\\non things.\\n", "d.txt")
>>> [(p.number, p.text) for p in doc.paragraphs]
[(1, 'We met.'), (2, 'We agreed on things.')]
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .records import Document, Paragraph
from .refs import roman_number, roman_numeral, zh_number, zh_numeral

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown")
PARSER_VERSION = 13  # bump when parsing changes what paragraphs (or titles) come out: indexes rebuild


@dataclass(frozen=True)
class Numbering:
    """How a document numbers its paragraphs: ``para`` matches a line that opens one (group 1 the number,
    group "text" its text), ``bare`` a line holding only the number (its text on the lines below); ``value``
    reads the number. ``often_heading``: its lines are as often headings over paragraphs numbered the usual
    way, so where the usual numbering parses, they replace it (see :func:`parse_text`) only where its lines are
    a list that one of them introduces with a colon ("Item 4 - Budget" / "RESOLVED:" / "1. That ...")."""

    name: str
    para: re.Pattern
    bare: re.Pattern
    value: Callable[[str], int] = int
    often_heading: bool = False
    titles: bool = False  # its lines are headings: what follows on them is the paragraph's title
    often_list: bool = False  # its lines are as often a list inside one paragraph of another numbering
    starts: str = ""  # the characters its lines can start with ("0": any digit): most lines are tried no further
    counts_from_one: bool = False  # headings that number paragraphs only at a depth where one is numbered 1
    # numbers paragraphs only where its first line is numbered 1, each line has text under it ("10 Downing Street",
    # "1 Cup flour" / "2 Eggs" are none), and the usual numbering's lines are a list one of them introduces with a
    # colon ("4 Test procedure" / "in this order:" / "1) ..."): alone, "1 Bathroom" and "2 Acacia Avenue" look the same
    from_one: bool = False
    # its lines are clauses, several to a paragraph: "1.1", "1.2" and "2.1" are lines of paragraphs 1 and 2, tried only
    # where no other way parses, or where the others number lists inside the clauses (see parse_text, _clause_lines)
    grouped: bool = False
    own: str = ""  # what the document calls paragraph {} ("Article {}", see own_name); "": just its number

    def number(self, match: re.Match) -> int:
        return self.value(match.group(1))

    def match(self, raw: str) -> re.Match | None:
        """The line ``raw`` as one of its lines: one that opens a paragraph, or holds only the number."""
        return self.para.match(raw) or self.bare.match(raw)

    def may_open(self, first: str) -> bool:
        """Whether a line whose first character (after spaces) is ``first`` can be one of its lines."""
        return first in self.starts or (first.isdecimal() and "0" in self.starts)


def _numbering(name: str, number: str, starts: str, lead: str = "", dash: str = "",
               value: Callable[[str], int] = int, often_heading: bool = False, named: bool = False,
               titles: bool = False, often_list: bool = False, own: str = "", counts_from_one: bool = False,
               from_one: bool = False, grouped: bool = False) -> Numbering:
    """``number`` with group 1 the number, ``starts`` the characters it starts with ("0" for any digit; "*" and
    the lead's are added); ``lead`` may come before it ("## "), ``dash`` after it ("–"). A
    ``named`` number ("§ 4", "Article 55", "Section 2") does not open a paragraph whose text starts in lower
    case ("Article 55 of the Charter", "Section 2 applies": references at the start of a line), nor one whose
    text would be its own stop ("Article 2." alone is a bare number, its text on the lines below)."""
    text = r"(?=\S)(?![a-z.:])" if named else r"(?=\S)"
    return Numbering(name, re.compile(rf"^\s*{lead}(?:\*\*)?{number}(?:\*\*)?{dash}\s*{text}(?P<text>.*)$"),
                     re.compile(rf"^\s*{lead}(?:\*\*)?{number}(?:\*\*)?\s*$"), value, often_heading=often_heading,
                     titles=titles, often_list=often_list, starts=starts + "*" + ("#" if lead else ""), own=own,
                     counts_from_one=counts_from_one, from_one=from_one, grouped=grouped)


# "1.We", " 4.We", "12. The", "3) The", "**3.** The", "3．" (full-width stop): the usual way. A digit right
# after the stop is a decimal or a date ("3.5 percent", "04.12.2017"), not a paragraph. Then the ways legal
# and policy texts number them, tried only where the usual way fails or numbers a list inside one of
# theirs (see parse_text): "(1) The", "§ 1 The" /
# "§1. The", "Article 1" or "Article I" (its text on the lines below, or after it: "Article 2. Everyone ...", "##
# Article 3 – Scope"), "Section 1" / "Sec. 1." ("Section 2 Means" alone is as often a heading over paragraphs
# "3." and "4."). Not "§ 1.2" (a subsection), "Art. 12bis", "§ 1a" (inserted ones, which would repeat 12 and 1)
# or "Section 501(c)" (a reference).
_HEADING_MARK = r"(?:#{1,6}\s+)?"
_DASH = r"(?P<dash>\s*[–—-](?=\s))?"  # "Article 1 – Purpose": a title follows
_ARABIC = r"\s*(\d{1,6})(?![.,]?\d|[A-Za-z(])"  # "1", not "1.2", "1,000", "1a" or "1(c)"
# "IV" up to "XCIX"; not "IIII", "Ia" or "C" (lettered articles "A", "B", "C" are no roman numerals)
_ROMAN_VALUE = r"(?=[IVXL])((?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
_ROMAN = rf"\s+{_ROMAN_VALUE}(?![A-Za-z0-9])"
_ARTICLE = r"(?:Article|ARTICLE|Art\.|ART\.|Artículo|ARTÍCULO|Artigo|ARTIGO|Artikel|ARTIKEL|Articolo|ARTICOLO)"
# an article's number: "1", and the first one's "1er" (French), "1º" / "1.º" / "1°" (Spanish, Portuguese, Italian)
_ARTICLE_NUMBER = r"\s*(\d{1,6})(?:er|\.?[º°])?(?![.,]?\d|[A-Za-z(])"
_MD_LEAD = r"(?<!\t)(?<!\s{4})#{1,6}\s+"  # a Markdown heading's marks, not a code block's comment
_ZH = "[一二两三四五六七八九十][零〇一二两三四五六七八九十百]*"  # a Chinese numeral: "三", "十二", "一百零五"
NUMBERINGS = (
    _numbering("1.", r"(\d{1,6})\s*[.)．](?!\d)", "0"),
    _numbering("(1)", r"\((\d{1,6})\)", "(", often_list=True, own="({})"),
    # court judgments: "[1] The appellant ..." (not a link definition, "[1]: https://...")
    _numbering("[1]", r"\[(\d{1,6})\](?!:)", "[", often_list=True),
    # court filings: "¶ 1 Plaintiff ..."
    _numbering("¶ 1", rf"¶{_ARABIC}\.?", "¶", _HEADING_MARK, _DASH, named=True, own="¶ {}"),
    _numbering("§ 1", rf"§{_ARABIC}\.?", "§", _HEADING_MARK, _DASH, named=True, own="§ {}"),
    _numbering("Article 1", rf"{_ARTICLE}{_ARTICLE_NUMBER}[.:]?", "A", _HEADING_MARK, _DASH, named=True,
               own="Article {}"),
    _numbering("Article I", rf"{_ARTICLE}{_ROMAN}[.:]?", "A", _HEADING_MARK, _DASH, roman_number, named=True,
               own="Article {}"),
    _numbering("Section 1", rf"(?:Section|SECTION|Sec\.|SEC\.){_ARABIC}[.:]?", "S", _HEADING_MARK, _DASH,
               often_heading=True, named=True, own="Section {}"),
    # minutes: "Item 4 - Budget" over what was said and resolved (its "1." list one of them)
    _numbering("Item 1", rf"(?:Item|ITEM){_ARABIC}[.:]?", "I", _HEADING_MARK, _DASH, often_heading=True, named=True,
               own="Item {}"),
    # resolutions and recommendations: "II. RECOMMENDS that ..." (as often the headings over "1." paragraphs,
    # "II. Commitments": then they are its sections)
    _numbering("I.", rf"{_ROMAN_VALUE}\.(?=\s)", "IVXL", value=roman_number, often_heading=True, own="{}"),
    # Chinese: "第一条" (the articles of a law or regulation), "（一）" (a notice's items; as often a list inside
    # one of its paragraphs), "一、" (as often the headings over those)
    _numbering("第一条", rf"第\s*({_ZH}|\d{{1,4}})\s*[条條]", "第", value=zh_number, own="第{}条"),
    _numbering("（一）", rf"[（(]({_ZH})[）)]", "（(", value=zh_number, often_list=True),
    _numbering("一、", rf"({_ZH})、", "一二两三四五六七八九十", value=zh_number, often_heading=True),
    # "## 1. Scope" over its text: Markdown headings that number the paragraphs under them (the title is the
    # paragraph's first words), where the usual way fails (no "1." lines, or "1." restarting under each);
    # where it parses, they are its sections. A year is no number ("# 2024 Report", see _heading_levels). Indented
    # by four spaces or a tab, a "# 1. build" line is code, not a heading.
    _numbering("## 1.", r"(\d{1,6})(?:\s*[.):](?!\d)|(?=\s+[–—-]\s))", "", _MD_LEAD, _DASH, often_heading=True,
               titles=True),
    # Pandoc numbers them with no stop: "## 2 Eligibility". Then a capital or a CJK character follows ("## 3 ways to
    # pay" is a title), and only headings as deep as one numbered 1 count ("# 5 Steps to Better Sleep" is one)
    _numbering("## 1", r"(\d{1,6})(?=(?:\*\*)?\s+(?:\*\*)?[^\W\d_a-z])", "", _MD_LEAD, often_heading=True, titles=True,
               counts_from_one=True),
    # Standards number their clauses so in plain text: "1 Scope", "4 Test procedure" over their text (a short title
    # with a capital and no stop), read only where the usual way reads a list inside one clause (see from_one)
    _numbering("1 Scope", r"(\d{1,3})(?=[ \t]+[A-Z][^.!?:;]{0,60}$)", "0", often_heading=True, titles=True,
               from_one=True),
    # Policies, contracts and standards number clauses "1.1", "1.2", "2.1" with no "1." line over them: paragraph 2
    # is clauses 2.1, 2.2 ..., each on its own line with its number kept in the text ("1 Scope" over "1.1" heads it)
    _numbering("1.1", r"(?=(\d{1,3})\.[1-9]\d{0,2}\.?(?:\*\*)?\s)", "0", grouped=True),
)
# A fenced code block (``` or ~~~): its lines are text, whatever they look like
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# After a paragraph number, a date rather than a paragraph's text: "3. December 2017"
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_TEXT = re.compile(rf"^(?:{_MONTHS})\s+\d{{4}}\W*$", re.IGNORECASE)
# A date's month and year, in English or German, after its day: "1. Januar 2025 in Kraft", wrapped mid-sentence
_MONTH_YEAR = re.compile(rf"^(?:{_MONTHS}|Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember)\s+\d{{4}}\b",
                         re.IGNORECASE)
# Markdown heading of any level: "## II. Commitments"
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")  # a tab or four spaces before it: code
# Plain-text section heading: a roman numeral or "Section/Part/Chapter N", then a short title.
_PLAIN_HEADING = re.compile(
    r"^\s*(?:[IVXLC]{1,7}\.|(?:Section|Part|Chapter)\s+[\dIVXLC]+[.:]?)\s+\S.*$"
    rf"|^\s*(?:{_ZH}、|第\s*(?:{_ZH}|\d{{1,4}})\s*[章节節编編部])\s*\S.*$"  # "二、重点任务", "第一章　总则", "第 二 章"
)
# An article's name alone, or with a title after a dash ("ARTICLE II", "Article 3 – Members"; not "Article 12.",
# which ends a sentence): a heading over paragraphs numbered another way ("Section 1.", "1."), where every such
# line is followed by one (see _article_headings)
_ARTICLE_HEADING = re.compile(rf"^\s*{_HEADING_MARK}{_ARTICLE}(?:{_ARABIC}|{_ROMAN})(?:[.:]?\s*[–—-]\s+\S.*|:)?\s*$")
_DATE_ONLY = re.compile(r"^[\d\s:\-/.年月日]+$")
_YEAR = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)")
# A Markdown file's front matter: YAML between "---" lines (closed by "---" or "..."), or TOML between "+++"
_FRONT_MATTER = {"---": ("---", "..."), "+++": ("+++",)}
_CONTENTS_TITLE = re.compile(r"(?:table of )?contents:?|目\s*录", re.IGNORECASE)
_VERSION = re.compile(r"(?:version|ver\.?|v|rev\.?|revision|issue)\s*\d+(?:\.\d+)*[a-z]?\b.{0,30}", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"(\d{1,3})(?:\.\d{1,3})*\.?\s")
_KEY = re.compile(r"[A-Za-z_][\w-]*\s*[:=]")  # "title: ..." (YAML), "title = ..." (TOML)
_TITLE_KEY = re.compile(r"title\s*[:=]\s*(?:(?:'(?P<single>(?:[^']|'')*)'|\"(?P<double>(?:[^\"\\]|\\.)*)\")\s*(?:#.*)?"
                        r"|(?P<plain>.*))", re.I)
# Text that closes what came before: "." or ". It regrets" after "para." / "14)" (not ".NET", "...at home", "[...]",
# nor "1.) Members" numbered with a stop and a bracket)
_CLOSES = re.compile(r"^(?:[,;:]|\.(?!\.))[.,;:)\]]*(?:\s|$)")
# A setext heading's underline, and the lines above one that are none: numbered, listed, a heading or a quote
_UNDERLINE = re.compile(r"^ {0,3}(?:={3,}|-{3,})[ \t]*$", re.MULTILINE)
_NOT_SETEXT = re.compile(r"^\s*(?:[\d(\[§¶#>|*+-]|第)|^\s{4}")
# A line all in bold, a heading in a Word export ("**Conduct**"; not "**1.**" or "**Note:**")
_BOLD_LINE = re.compile(r"^\s*\*\*(?!\*)([^*]{1,78}?)\*\*\s*$")
# A table of contents' line: a leader of dots or rules to a page number ("1. Introduction ........ 2")
_CONTENTS_LINE = re.compile(r"(?:\.{4,}|…{2,}|_{3,}|(?:\. ){3,}\.?)\s*\d{1,4}$")
# A heading numbered as a part of a paragraph: "1.1 Purpose", "2.3. Fees"
_SUBNUMBER = re.compile(r"^(\d{1,6})\.\d{1,3}(?!\d)\.?\s")
# A line that heads notes: after it, numbers that start again are footnotes ("Notes" / "[1] See the Act.")
_NOTES = re.compile(r"^(?:#{1,6}\s+)?(?:\*\*)?(?:(?:foot|end)?notes(?: to editors)?|references|sources|works cited|"
                    r"bibliography|注释?|脚注|参考文献|参考资料)"
                    r"\s*[:：]?(?:\*\*)?\s*[:：]?$", re.IGNORECASE)
# A Markdown heading that goes on numbering, with a stop or none, whatever follows: "## 2 macOS Setup" after "## 1
# Intro", "## 2 Leave" after "## 1. Scope"
_NEXT_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(?:\*\*)?(\d{1,6})(?:\*\*)?[.):]?(?:\*\*)?\s+(?P<text>\S.*)$")
_NOTES_STARTS = "#*NnFfEeRrSsWwBb注脚参"  # the characters such a line can start with: most lines are tried no further
# How a line ends. A unit of text, where a wrapped line would not stop: a sentence (a full stop, "!", "?" or "…")
# or a clause (";", ":"), closing quotes or brackets after it. A plain-text heading ends in neither, nor in a comma
# (_CLAUSE_ENDS); a header line that goes on in the next ends in a clause's mark or a comma (_RUNS_ON)
_STOPS, _PAUSES, _COMMAS, _CLOSERS = ".!?。！？…", ";:；：", ",，", "\"'”’)\\]」』》"
_ENDS_UNIT = re.compile(rf"[{_STOPS}{_PAUSES}][{_CLOSERS}]*$")
_CLAUSE_ENDS = tuple(".;:,。；：，")  # what no plain-text heading ends with ("I. Purpose", not "I. Purpose:")
# A line ending in a word that wants what follows: "as set out in" / "Article III." names an article, it opens none
_WANTING = "in|under|to|of|by|with|see|per|from|at|on|for|and|or|than|between|pursuant|accordance|according"
_DANGLING = re.compile(rf"\b(?:{_WANTING})$", re.IGNORECASE)
# A numbered line this far past the last paragraph, inside a sentence, is wrapped text ("2017. They").
_MAX_JUMP = 10


def read_text(path: Path) -> str:
    """Read a UTF-8 file, raising one clear :class:`CorpusError` sentence on failure."""
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder.")
    if not path.is_file():
        raise CorpusError(f"{path}: not a regular file.")
    try:
        data = path.read_bytes()
    except OSError as err:  # unreadable: permissions, a device, a file gone between the checks
        raise CorpusError(f"{path}: cannot be read ({err.strerror or type(err).__name__}).") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CorpusError(
            f"{path}: not UTF-8 text (invalid byte 0x{data[err.start]:02x} at offset {err.start}); "
            "save it as UTF-8."
        ) from None
    if not text.strip():
        raise CorpusError(f"{path}: the file is empty.")
    if "\x00" in text:
        raise CorpusError(f"{path}: looks like a binary file (it contains NUL bytes), not a text document.")
    return text


def parse_text(text: str, path: str | Path, label_with_doc: bool = False) -> Document:
    """Parse one document's text into a :class:`Document` of numbered paragraphs.

    The usual numbering ("1.") first. When it finds no paragraphs, or numbers it cannot accept (an
    Article's "1." paragraphs restarting in every Article), or only one paragraph, not the first, on an
    indented line (a stray "      2．" of a notice's attachments list), the other ways that begin before it are
    tried; when it parses the document, only those whose numbered lines enclose all of its own (then its
    "paragraphs" are one list inside a "§ 2" or a "(2)"; for a way as often headings, "Item 4 - Budget" or "II.
    Review", a list that one of its lines introduces with a colon), and numbered headings below their table of
    contents, which the usual way would read as the paragraphs. Numbered recitals before the first "1." decision,
    or a "(1) (2)" list inside an excerpt's paragraph "12.", leave it as it was. Of the other ways that
    parse the document, "(1) (2)" lines that all lie inside one paragraph of another are a list there ("Sec.
    2 ... We accept:" / "(1) cards;" / "(2) vouchers.") and drop out, as do numbered Markdown headings ("## 1.
    Fees") where another way parses too; of the rest, the one whose longest paragraph (or header, where that
    is longer) is shortest wins: recitals "(1) (2)" before "Article 1" would leave every Article inside the
    last recital, "[1]" footnotes after each "(1)" paragraph the first one in the header. Numbered headings
    also replace a usual way whose lines are one list under one of them ("## 2. Agenda" / "1. Budget" /
    "2. Hiring" / "## 3. Decisions"). Where the usual way numbers lines at
    all, another must find two paragraphs or more to replace it or its error (one "Section 1 – Purpose" over
    a list that repeats a number explains nothing). Clauses "1.1", "1.2", "2.1" (see :func:`_clause_lines`) are the
    paragraphs' lines where every line numbered another way is in a list among them that a line introduces with a
    colon, or where nothing else parses and no "1." line exists; a Markdown list of items all "1." is numbered 1,
    2, 3 where nothing else parses. When none parses, the usual way stands, or its error does.

    >>> [(p.number, p.text) for p in parse_text("Act\\n§ 1 Scope: all.\\n§ 2 Fees are due.", "a").paragraphs]
    [(1, 'Scope: all.'), (2, 'Fees are due.')]
    >>> [p.number for p in parse_text("Article 1\\n1. A.\\n2. B.\\nArticle 2\\n1. C.", "a").paragraphs]
    [1, 2]
    """
    # a byte order mark inside the text (files joined with `cat`) would hide the number after it
    raws = text.replace("\ufeff", "").splitlines()
    code = _code_lines(raws) if "```" in text or "~~~" in text else [False] * len(raws)
    raws = [raw if code[i] else _unescaped(raw) for i, raw in enumerate(raws)]
    if _UNDERLINE.search(text):  # most documents have no setext heading
        raws = _setext(raws, code)
    lines, contents = _numbered_lines(raws, code)
    usual = lines[NUMBERINGS[0].name]
    try:
        document, opened, footnoted = _parse(text, raws, code, lines[NUMBERINGS[0].name], path, label_with_doc,
                                             NUMBERINGS[0], contents)
    except CorpusError as error:
        document, opened, footnoted, failure = None, [], False, error
    ends = len(raws) + 1  # past the last line: where the last paragraph of every numbering ends

    def in_one_paragraph(inner: list[int], outer: list[int]) -> bool:
        bounds = [*outer, ends]
        return any(bounds[k] < inner[0] and inner[-1] < bounds[k + 1] for k in range(len(outer)))

    def encloses(numbering: Numbering, outer: list[int], inner: list[int]) -> bool:
        # numbered headings: the inner lines lie under one of them; another numbering: between its first and last
        return in_one_paragraph(inner, outer) if numbering.titles else outer[0] < inner[0] and inner[-1] < outer[-1]

    # one paragraph, not the first, on an indented line: a stray one ("附件：1．…" / "      2．…" after a notice's "一、"
    # paragraphs), not an excerpt's paragraph ("27. The Court notes ...")
    stray = document is not None and len(document.paragraphs) == 1 and document.paragraphs[0].number != 1 \
        and _indent(raws[opened[0] - 1]) >= 2
    if document is None or footnoted or stray:  # the others that begin before the usual way (or where it has none; or
        # where it parses only by reading numbers that start again after "Notes" as footnotes: "[2] She raises two
        # grounds:" / "1. ..." / "2. ..." / "[3] ..." / "Notes" / "1. R v Smith." is a "[1]" judgment)
        others = [n for n in NUMBERINGS[1:] if lines[n.name] and (not usual or lines[n.name][0] < usual[0])
                  and not n.from_one and not n.grouped]  # "1 Bathroom", "2 Acacia Avenue": no clauses without the
        #                                                             usual way's list
        # numbered headings over "1." paragraphs that run on from one heading to the next are their sections, though
        # the numbers start again later (a report's "Conclusions" / "1. ..."): that restart is the error, the
        # headings number nothing
        others = [n for n in others if not (n.titles and _runs_across(raws, usual, lines[n.name]))]
    else:  # the others that enclose every usual paragraph: "§ 2 Terms:" / "1. fees;" / "2. dues." / "§ 3 ..."
        # (numbered headings: where the "1." lines are one list under one of them, "## 2. Agenda" / "1. Budget")
        # (a way as often headings over the usual paragraphs, "Section 2 Means", "Item 3 - Budget", "II. Review":
        # only where the usual lines are a list one of them introduces with a colon, "Item 4 - Budget" /
        # "RESOLVED:" / "1. That ...")
        others = [n for n in NUMBERINGS[1:] if lines[n.name] and not n.grouped and encloses(n, lines[n.name], usual) and (
                  n.titles and not n.from_one or not n.often_heading
                  or in_one_paragraph(usual, lines[n.name]) and _introduced(raws, usual[0] + 1))]
    # numbered headings below their table of contents, which the usual way reads as the paragraphs, the last one
    # running on over all of them ("Contents" / "1. Purpose" / "2. Scope" / "## 1. Purpose" ...)
    below = [n for n in NUMBERINGS[1:] if n.titles and lines[n.name] and opened and not footnoted
             and lines[n.name][0] >= opened[-1] and _contents_of(raws, opened, lines[n.name], n)]
    others += [n for n in below if n not in others]
    others = [n for n in others if not n.from_one or _clauses(raws, lines[n.name], n)]
    parsed = []
    for numbering in others:
        try:
            other, its, its_notes = _parse(text, raws, code, lines[numbering.name], path, label_with_doc,
                                           numbering, contents)
        except CorpusError:
            continue
        if opened and numbering not in below and not stray and not encloses(numbering, its, opened) and not (
                footnoted and in_one_paragraph(opened, its) and _introduced(raws, opened[0])):
            # enclosed only by a line it reads as a reference ("... under" / "Article IV of the Treaty."); where
            # the usual way needed footnotes, it must be a list that one of the other's paragraphs introduces
            # ("[2] She raises two grounds:" / "1. ..." / "2. ...")
            continue
        if len(other.paragraphs) >= (2 if usual else 1):
            parsed.append((numbering, other, its, its_notes))
    # "1.1 The Tenant must:" / "(1) pay;" / "(2) clean." / "1.2 ...": clauses, where every line numbered another way is
    # in a list that a line among them introduces with a colon
    decimal = next(n for n in NUMBERINGS if n.grouped)
    clauses = _clause_lines(raws, code, lines[decimal.name]) if lines[decimal.name] else []
    listed = [lines[n.name] for n in NUMBERINGS if n is not decimal and not n.from_one and lines[n.name]]
    read, unread = None, None  # the clauses' reading, where there are two or more clauses, or why it fails
    if len(clauses) >= 2:
        try:
            read = _parse(text, raws, code, clauses, path, label_with_doc, decimal, contents)[0]
        except CorpusError as error:
            unread = error
    inside = read if read is not None and len(read.paragraphs) >= 2 else None  # a rival to the other ways
    if inside is not None and listed and all(_listed_in(raws, clauses, its) for its in listed):
        return inside

    def unless_clauses(chosen: Document, first: int) -> Document:
        # a way whose first paragraph (line ``first``, 1-based) comes after two of the clauses leaves them in the
        # header: a policy's "Notes" / "[1] ..." or "Related documents" / "1. ..." after its clauses. The clauses
        # are the paragraphs where theirs is the tighter reading (see _longest); steps after a revision history
        # "1.1 January 2023" / "1.2 May 2024" stay the paragraphs
        if inside is not None and first - 1 > clauses[1] and _longest(inside) < _longest(chosen):
            return inside
        return chosen

    lazy = _lazy_numbers(raws, usual) if document is None and len(clauses) < 2 \
        and Path(path).suffix.lower() in SUFFIXES[1:] else None  # among clauses, "1." / "1." is no lazy list
    if not parsed and lazy is not None:  # a Markdown list whose every item is "1." is numbered 1, 2, 3 where it shows
        try:
            return _parse(text, lazy, code, usual, path, label_with_doc, NUMBERINGS[0], contents)[0]
        except CorpusError:
            pass  # its own error, as numbered: "1." repeating is not what went wrong
    if not parsed and document is None:
        # "1.1", "1.2", "2.1", with no "1." line (one whose parse failed reports why) and no other way: clauses,
        # grouped by their first number
        if len(clauses) >= 2 and not usual:
            if unread is not None:
                raise unread from None
            return read
        raise failure from None
    if not parsed:
        return unless_clauses(document, opened[0])
    # a way that needs no footnotes beats one that does: "(1) (2)" recitals, then Articles, then "Notes" / "(1) OJ
    # L 119." would parse as recitals with the Articles inside the last one
    parsed = [c for c in parsed if not c[3]] or parsed
    # a "(1) (2)" list is a list: never the paragraphs of a document it lies within one Section or Article of
    kept = [c for c in parsed if not (c[0].often_list and any(in_one_paragraph(c[2], o[2]) for o in parsed))]
    # headings that all lie under one heading of another numbering are its subheadings ("### 1 Who May Join" and
    # "### 2 How To Join" under "## 1. Members", over "## 2. Fees")
    kept = [c for c in kept if not (c[0].titles and any(
        o is not c and o[0].titles and in_one_paragraph(c[2], o[2]) for o in kept))] or kept
    # numbered headings ("## 1. Fees") number the paragraphs only where no other way does: "(1) (2)" running on
    # under them are the paragraphs, however long one heading's unnumbered text
    kept = [c for c in kept if not c[0].titles] or kept
    # the longest paragraph, or the header where that is longer: "[1]" footnotes after each "(1)" paragraph
    # would leave the first paragraph in the header, and every other one inside a footnote
    best = min(kept, key=lambda c: _longest(c[1]))
    log.info("%s: paragraphs numbered like '%s'", path, best[0].name)
    return unless_clauses(best[1], best[2][0])


def _longest(document: Document) -> int:
    """The length of a reading's longest paragraph, or of its header where that is longer: of two readings of a
    document, the one with the shorter is the tighter ("[1]" footnotes after each "(1)" paragraph would leave
    the first paragraph in the header, and every other one inside a footnote)."""
    return max(len(" ".join(document.header)), *(len(p.text) for p in document.paragraphs))


# Markdown writers (turndown, Word exporters) escape what would start a list or a link: "1\. We", "## 2\. Fees",
# "\[3\] The court"
_ESCAPED_NUMBER = re.compile(r"^(\s*(?:#{1,6}\s+)?(?:\*\*)?)(?:(\d{1,6})\\([.)])|\\\[(\d{1,6})\\\])")


def _unescaped(raw: str) -> str:
    """``raw`` with its paragraph number's Markdown escape undone ("1\\. We" -> "1. We", "\\[3\\]" -> "[3]")."""
    if "\\" not in raw:
        return raw
    return _ESCAPED_NUMBER.sub(lambda m: m.group(1) + (m.group(2) + m.group(3) if m.group(2) else f"[{m.group(4)}]"),
                               raw, count=1)


_BY_NAME = {n.name: n for n in NUMBERINGS}


def own_name(number: int, numbering: str) -> str | None:
    """What a document numbered by ``numbering`` calls its paragraph ``number`` ("Article III" for 3 where the
    articles are numbered "Article I"); None where it is just the number ("1.").

    >>> own_name(3, "Article I"), own_name(3, "§ 1"), own_name(12, "第一条"), own_name(3, "1."), own_name(4, "I.")
    ('Article III', '§ 3', '第十二条', None, 'IV')
    """
    way = _BY_NAME.get(numbering)
    if way is None or not way.own:
        return None
    spelled = {roman_number: roman_numeral, zh_number: zh_numeral}.get(way.value)
    return way.own.format(spelled(number) if spelled else number)


def _runs_across(raws: list[str], usual: list[int], headings: list[int]) -> bool:
    """Whether the usual numbers on lines ``usual`` go on from under each of the ``headings`` to under the next
    that has any ("## 1 Introduction" / "1." / "2." / "## 2 Waiting times" / "3."), rather than starting again."""
    way = NUMBERINGS[0]
    under: list[list[int]] = [[] for _ in headings]
    k = 0
    for i in usual:
        while k + 1 < len(headings) and headings[k + 1] < i:
            k += 1
        if headings[k] < i:
            under[k].append(way.number(way.match(raws[i])))
    pairs = [(a, b) for a, b in zip(under, under[1:]) if a and b]
    return bool(pairs) and all(b[0] == a[-1] + 1 for a, b in pairs)  # under every one ("## 2. Configuration" / "4."
    # after "## 1. Installation" / "3." and "## 3. Removal" / "1." start again: steps under headings)


def _clauses(raws: list[str], numbered: list[int], numbering: Numbering) -> bool:
    """Whether the ``numbered`` lines are clauses' headings over their text, numbered from 1 ("1 Scope" / "This
    document ..."), not addresses ("10 Downing Street") or a list ("1 Cup flour" / "2 Eggs")."""
    first = raws[numbered[0]]
    if numbering.number(numbering.match(first)) != 1:
        return False
    return all(any(raws[k].strip() for k in range(i + 1, j)) for i, j in zip(numbered, numbered[1:]))


def _code_lines(raws: list[str]) -> list[bool]:
    """For each line, whether it is in fenced code (``` or ~~~), its fences included: its lines are text,
    whatever they look like."""
    code, fenced = [], False
    for raw in raws:
        fence = _FENCE.match(raw) is not None
        fenced = fenced != fence  # a fence line opens or closes the block
        code.append(fenced or fence)
    return code


def _numbered_lines(raws: list[str], code: list[bool]) -> tuple[dict[str, list[int]], set[int]]:
    """For each of :data:`NUMBERINGS`, the indexes of the lines (outside fenced code) it would number: one
    pass over the text's lines for all of them; and the indexes of the numbered lines of a table of contents
    ("1. Introduction ....... 2"), which number nothing: lines with leaders to a page number before the body,
    whose numbers come back in the body (elsewhere such lines are a price list's, "1. Main hall ........ 25")."""
    found: dict[str, list[int]] = {n.name: [] for n in NUMBERINGS}
    leaders: dict[str, list[tuple[int, int]]] = {n.name: [] for n in NUMBERINGS}  # (line, number) with leaders
    trying: dict[str, list[Numbering]] = {}  # by a line's first character, the numberings that may open it
    for i, raw in enumerate(raws):
        if code[i]:
            continue
        first = raw.lstrip()[:1]
        if first not in trying:
            trying[first] = [n for n in NUMBERINGS if first and n.may_open(first)]
        contents = None  # whether the line has leaders to a page number (asked once, of a numbered line only)
        for n in trying[first]:
            match = n.match(raw)
            if match:
                contents = _in_contents(raw) if contents is None else contents
                if contents:
                    leaders[n.name].append((i, n.number(match)))
                else:
                    found[n.name].append(i)
    skipped: set[int] = set()
    for n in NUMBERINGS:  # a table of contents comes before the body, and its numbers come back there
        if not leaders[n.name]:
            continue
        body = {n.number(n.match(raws[i])) for i in found[n.name]}
        start = found[n.name][0] if found[n.name] else -1
        contents = [i for i, number in leaders[n.name] if i < start and number in body]
        skipped.update(contents)
        found[n.name] = sorted({*found[n.name], *(i for i, _ in leaders[n.name] if i not in contents)})
    return found, skipped


def _parse(text: str, raws: list[str], code: list[bool], numbered: list[int], path: str | Path,
           label_with_doc: bool, numbering: Numbering, contents: set[int] | frozenset[int] = frozenset()
           ) -> tuple[Document, list[int], bool]:
    """The document as ``numbering`` reads it (``raws``: its lines, split once for every numbering tried, and
    ``code``, which of them are fenced code; ``numbered``: the indexes of those it numbers, and ``contents``, of a
    table of contents' lines, which open no paragraph, see :func:`_numbered_lines`), the
    numbers of the lines that open its paragraphs, and whether it read footnotes: its numbers that start again
    after a "Notes" or "References" line and rise to the end, never past the last paragraph's, are that
    paragraph's text. So are its numbered Markdown subheadings that start again under its headings ("### 1.
    Who" under "## 1. Members")."""
    path = Path(path)
    doc_id = path.stem
    header: list[str] = []
    title: str | None = None
    section: str | None = None
    # number, section, lines, line number, indent, titled ("Article 2 – Members"), heading depth ("## 1." 2)
    paras: list[tuple[int, str | None, list[str], int, int, bool, int]] = []
    seen: set[int] = set()  # numbers so far: a repeat is found in O(1), not by scanning (archives are large)

    previous = ""  # the line before this one, stripped; "" after a blank line or a heading
    roman = 0  # the last roman-numeral section heading's value ("II." -> 2)
    articles = _article_headings(raws, numbering)
    bolds = _bold_headings(raws, code, numbering)
    # the clauses' lines, and the headings among them ("2 Leave" over its text or over "2.1 ..."): see _clause_lines
    clauses = set(numbered) if numbering.grouped else set()
    group_heads = {i: head["text"].strip() for i in clauses if (head := _CLAUSE_TITLE.match(raws[i]))}
    h1_sections = None  # whether "#" headings are sections (see _h1_sections), found where first asked
    notes = trailer = False  # past a "Notes" line; in the footnotes that restart the numbers after it
    tails: list[tuple[int, bool]] = []  # see _tails: computed where numbers start again after a "Notes" line
    unfollowed: list[tuple[list[str], int, str]] = []  # section headings since the last paragraph opened, and where
    # the line (1-based) of the heading with no mark over the first paragraph, where such headings head the sections
    headed = 0 if numbering.titles else _unmarked_sections(raws, numbered, numbering)
    inner: tuple[int, int] | None = None  # an indented list inside the last paragraph: its indent, its last number
    top, unnumbered = _heading_levels(raws, numbered, numbering) if numbering.titles else (0, set())
    for lineno, raw in enumerate(raws, start=1):
        line = raw.strip()
        if lineno - 1 in clauses:  # "**1.1**\tStaff." -> "1.1 Staff."
            line = _CLAUSE_NUMBER.sub(r"\1 ", line, count=1)
        if code[lineno - 1]:  # "1. step one" in a code block is the block's text
            if paras:
                paras[-1][2].append(line)
            elif line:
                header.append(line)
            previous = line
            continue
        # Right after a line that stops mid-sentence; inside a paragraph, that is a wrapped line.
        continues = bool(previous) and not _ENDS_UNIT.search(previous)
        wrapped = bool(paras) and continues
        dangling = continues and _DANGLING.search(previous) is not None  # "... as set out in"
        previous = line
        if paras and _heads_notes(line):
            notes = True
        elif notes and _MD_HEADING.match(raw):
            notes = False  # "Notes" / "Mary took notes." / "## Day 2" / "1. ...": the notes ended
        heading = _heading(raw, articles, lineno - 1 in bolds)
        match = numbering.para.match(raw) or _next_alone(raw, paras, numbering)
        if match and lineno - 1 in contents:
            match = None  # "1. Introduction ....... 2"
        if not match and numbering.titles and paras and _depth(raw) == paras[-1][6]:
            # "## 2 macOS Setup", "## 3 `config.yaml`" after "## 1 Prerequisites"; "## 2 Leave" after "## 1. Scope"
            loose = _NEXT_HEADING.match(raw)
            match = loose if loose and int(loose.group(1)) == paras[-1][0] + 1 else None
        number = numbering.number(match) if match else 0  # read once: most lines are asked several things below
        if lineno - 1 in group_heads:  # "2 Leave" opens paragraph 2, its section "Leave"
            match, heading = _CLAUSE_TITLE.match(raw), None
            number = int(match[1])
        elif numbering.grouped and (lineno - 1 not in clauses or paras and number == paras[-1][0]):
            match = None  # "1.2 ..." after "1.1 ...": the next clause of paragraph 1, a line of its text
        if match and wrapped and number > paras[-1][0] + _MAX_JUMP:
            match = None  # "...until December" / "2017. They ended well." is not paragraph 2017
        if match and dangling and paras and number < paras[-1][0]:
            match = None  # "... carried by 6 votes to" / "2. Cllr Hughes then ..." goes on with the sentence
        if match and continues and numbering is not NUMBERINGS[0] and (
                (paras and number != paras[-1][0] + 1) or (dangling and not match.group("text"))):
            # "... as provided in" / "§ 1 of the Tax Code." or "as set out in" / "Article III." is a reference,
            # not a section (but "The club rows" / "Article 2." is the next Article)
            match = None
        if match and notes and paras and number <= paras[-1][0]:
            tails = tails or _tails(raws, code, numbering)
            # "Notes" / "[1] Decision of 3 May." / "[2] ...": the last paragraph's footnotes, where the numbers
            # rise to the end and never again past it
            highest, rising = tails[lineno - 1]
            trailer = rising and highest <= paras[-1][0]
        if trailer:  # a heading after the notes ("## Appendix") runs on in the text, without its marks
            if line:
                paras[-1][2].append(heading if heading is not None and _MD_HEADING.match(raw) else line)
            continue
        if match and paras and number <= paras[-1][0] and len(line) <= 80 \
                and _indent(raw) < paras[0][4] + 2 and not _ENDS_UNIT.search(line) \
                and _heads_next(raws, lineno, numbering, paras[-1][0]):
            heading, match = line, None  # "11. ..." / "1. The parties' submissions" / "12. ...": a numbered subheading
        if match and inner and _indent(raw) >= inner[0] and number == inner[1] + 1:
            inner, match = (inner[0], inner[1] + 1), None  # the indented list goes on: "   3. ..." after its "2."
        elif match and not _numbers_a_paragraph(raw, number, match, paras, seen):
            if paras and _indent(raw) >= paras[0][4] + 2:
                inner = (_indent(raw), number)  # an indented list inside the last paragraph
            match = None
        if match and unnumbered and _depth(raw) in unnumbered:
            match = None  # "### 1. Who may join" under "## 1. Membership": a numbered subheading, its text
        if heading is not None and wrapped and not _MD_HEADING.match(raw):
            heading = None  # "...we agree that" / "Part 2 of the deal" / "is void." is not a section
        if heading is not None and not _MD_HEADING.match(raw):
            value = _roman_heading(raw)
            if value is not None and value != roman + 1 and not (roman == 0 and value <= 10):
                heading = None  # "C. Costs of equipment" in a list is not section 100
            elif value is not None and not match:
                roman = value
        if heading is not None and not match and paras and (
                numbering.titles and _depth(raw) >= paras[-1][6]
                or _subheading_of(heading, paras[-1][0]) and not _heads_next(raws, lineno, numbering, paras[-1][0])):
            # "### 1.1 Purpose" under "## 1. Intro" (or under "1. We ..."), or "## Contributing" between "## 1."
            # and "## 2.": text of the numbered heading's paragraph (a shallower one, "# Part A", is the section
            # of those that follow)
            paras[-1][2].append(_as_title(heading))
            previous = ""
            continue
        if heading is not None and not match:
            if not paras and title is None and raw.lstrip().startswith("# "):
                title = heading
                previous = ""
                continue
            if not paras and numbering.titles and _depth(raw) >= top:
                header.append(heading)  # "## Overview" before "## 1. Install": a sibling, no section over them
                previous = ""
                continue
            if title is not None and _depth(raw) == 1 and h1_sections is None:
                h1_sections = _h1_sections(raws, code)  # once per document, not once per such heading
            if paras or _opens_section(raw) or lineno - 1 in bolds or (
                    title is not None and _depth(raw) == 1 and h1_sections):
                section = heading  # ("# Scope" after the title "# Policy", where "#" headings head the sections)
                if paras:  # where no paragraph follows it ("## Annex" / "The list."), the last one's text
                    unfollowed.append((paras[-1][2], len(paras[-1][2]), heading))
                previous = ""
                continue
        if match:
            _check_order(path, paras, seen, number, lineno)
            titled = numbering.titles or bool(match.groupdict().get("dash"))  # its line names the paragraph's title
            indent = _indent(raw)
            opening = line if numbering.grouped else match.group("text").strip()  # a clause keeps its number
            if lineno - 1 in group_heads:
                opening, section = "", group_heads[lineno - 1]
            if numbering.titles:  # "## **1. Fees**", "## 1. Fees ##": the title alone
                opening = re.sub(r"\s+#+$", "", opening).replace("**", "").strip()
            paras.append((number, section, [opening], lineno, indent, titled, _depth(raw) if numbering.titles else 0))
            seen.add(number)
            unfollowed.clear()
            inner = None
            if numbering.grouped:
                section = None  # a heading over clause 2.1 is paragraph 2's alone
        elif paras and line and headed and _after_blank(raws, lineno) \
                and _unmarked_heading(line) and paras[-1][2][-1].endswith(tuple(_STOPS)) \
                and _heads_next(raws, lineno, numbering, paras[-1][0]):
            # "...their reception desks." / "" / "Visiting hours" / "3. General visiting hours ...": in a document
            # whose sections have headings with no mark, one after a blank line that ends a finished paragraph and
            # over the next one is that one's section
            section = line
            previous = ""
        elif paras:
            if line:
                paras[-1][2].append(line)
        elif line:
            header.append(heading if heading is not None and _MD_HEADING.match(raw) else line)  # "# 北京倡议"

    if headed and paras and header and header[-1] == raws[headed - 1].strip() and paras[0][3] > headed:
        # the heading over the first paragraph is its section, not the header's last line ("Purpose and scope")
        first = header.pop()
        for k, (number, sec, *rest) in enumerate(paras):
            if sec is not None:
                break
            paras[k] = (number, first, *rest)
    for k in range(len(unfollowed) - 1, -1, -1):  # no text is lost: a signature's "Registrar" over "-----" either
        lines, at, heading = unfollowed[k]
        followed = at < (unfollowed[k + 1][1] if k + 1 < len(unfollowed) else len(lines))
        lines.insert(at, _as_title(heading) if followed else heading)  # "Annex: The list."; "Registrar" at the end
    if not paras:
        raise CorpusError(
            f"{path}: no numbered paragraphs found (expected lines such as '1. We ...', '1.We ...', "
            "'(1) We ...', '[1] We ...', '§ 1 We ...', '¶ 1 We ...', 'Article 1', 'Article I', 'Section 1', "
            "'Item 1', 'I. Decides ...', '第一条', '（一）', '一、', '## 1. Title' or '1 Scope' over its text, or clauses "
            "'1.1 ...', '1.2 ...', '2.1 ...')."
        )
    _warn_gaps(path, [p[0] for p in paras])
    label = (lambda n: f"{doc_id}:{n}") if label_with_doc else str
    for _, _, lines, _, _, titled, _ in paras:  # "Article 2 – Members" over its text: "Members: Anyone may join."
        if titled and len(lines) > 1 and lines[0]:
            lines[0] = _as_title(lines[0])
    paragraphs = tuple(
        Paragraph(doc=doc_id, number=n, text=" ".join(lines).strip(), label=label(n), section=sec)
        for n, sec, lines, *_ in paras
    )
    empty = [p.number for p in paragraphs if not p.text]
    if empty:
        raise CorpusError(f"{path}: paragraph {empty[0]} has no text.")
    document = Document(
        doc=doc_id,
        path=str(path),
        title=title or _title_from_header(header) or doc_id.replace("_", " "),
        header=tuple(header),
        paragraphs=paragraphs,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        numbering=numbering.name,
    )
    return document, [lineno for _, _, _, lineno, *_ in paras], trailer


def _numbers_a_paragraph(raw: str, number: int, match: re.Match, paras: list, seen: set[int]) -> bool:
    """Whether a line that starts like a paragraph ("2017. was a good year", "3. December 2017", an indented
    "   1. report the leak" under paragraph 4) opens one. A year far ahead of the paragraphs so far (or with
    none yet) is wrapped text; a date is header; a numbered line indented under the paragraphs that would
    repeat or go back in their numbers is a list inside the paragraph. Numbers that go back at the
    paragraphs' own indent stay an error (see _check_order)."""
    last = paras[-1][0] if paras else 0
    if 1800 <= number <= 2100 and number > last + _MAX_JUMP:
        return False
    text = match.group("text").strip()
    if _DATE_TEXT.match(text) or (text and not text[0].isalnum() and _CLOSES.match(text)):
        return False  # "3. December 2017"; "(see CO/7, para." / "14). It regrets" is no paragraph 14
    if paras and (number in seen or number < last):
        # going back: a list indented inside the paragraph, or a date's day ("soll am" / "1. Januar 2025 ...")
        return _indent(raw) < paras[0][4] + 2 and not _MONTH_YEAR.match(text)
    return True


def _h1_sections(raws: list[str], code: list[bool]) -> bool:
    """Whether a document's "#" headings are its sections, not only its title (or a title and a subtitle): there
    are three or more, outside code (a "# comment" there is none)."""
    return sum(1 for i, raw in enumerate(raws) if not code[i] and raw.startswith("#") and _depth(raw) == 1) >= 3


def _setext(raws: list[str], code: list[bool]) -> list[str]:
    """``raws`` with each setext heading ("Travel" over "------", "Policy" over "======") written as the "#" heading
    it is ("## Travel"), its underline blank: one line of text after a blank line, underlined about its length
    (at least half), outside fenced code; not a numbered or listed line, a sentence ("The report was noted." over
    a rule) or a table's header row ("Service      Fee" over "---")."""
    for i, raw in enumerate(raws):
        if code[i] or i == 0 or code[i - 1] or not _UNDERLINE.match(raw):
            continue
        above = raws[i - 1].strip()
        if above and (i == 1 or not raws[i - 2].strip()) and not _NOT_SETEXT.match(raws[i - 1]) \
                and not _ENDS_UNIT.search(above) and "  " not in above and 2 * len(raw.strip()) >= len(above):
            raws[i - 1], raws[i] = ("# " if "=" in raw else "## ") + above, ""
    return raws


def _in_contents(raw: str) -> bool:
    """Whether ``raw`` is a line of a table of contents ("1. Introduction ....... 2"): header or text, whatever
    number it starts with."""
    end = raw[-1:]
    if not (end.isdecimal() or end.isspace()):
        return False  # most lines: one look at the last character
    raw = raw.rstrip()
    return raw[-1:].isdecimal() and _CONTENTS_LINE.search(raw) is not None


def _indent(raw: str) -> int:
    """How far ``raw`` is indented, a tab to the next multiple of four columns (Word's text export nests a
    list under its paragraph with one tab)."""
    lead = raw[: len(raw) - len(raw.lstrip())]
    return len(lead.expandtabs(4)) if "\t" in lead else len(lead)


def _as_title(heading: str) -> str:
    """A heading run into the text below it: "Fees" -> "Fees:" (one that ends a sentence stays as it is)."""
    return heading if _ENDS_UNIT.search(heading) else heading + ":"


def _introduced(raws: list[str], lineno: int) -> bool:
    """Whether the last line with text before line ``lineno`` (1-based) introduces a list: "Members shall pay:"."""
    for i in range(lineno - 2, -1, -1):
        if raws[i].strip():
            return raws[i].rstrip().endswith((":", "："))
    return False


def _contents_of(raws: list[str], opened: list[int], headings: list[int], numbering: Numbering) -> bool:
    """Whether the paragraphs opened on lines ``opened`` (1-based) are a table of contents of the ``headings``
    (indexes of lines ``numbering`` numbers): two or more, one line each, at least half of them naming one of the
    headings ("1. [Purpose](#1-purpose)" for "## 1. Purpose"). A list before numbered headings that names none of
    them (the decisions of a board before its annex) is the document's paragraphs."""
    if len(opened) < 2 or any(raws[i].strip() for start, end in zip(opened, opened[1:]) for i in range(start, end - 1)):
        return False
    def words(raw: str, numbering: Numbering) -> str:
        match = numbering.para.match(raw)  # None for a number alone on its line
        return _plain(match.group("text")) if match else ""

    titles = {words(raws[i], numbering) for i in headings} - {""}
    items = [words(raws[i - 1], NUMBERINGS[0]) for i in opened]
    return 2 * sum(item in titles for item in items) >= len(items)


def _plain(title: str) -> str:
    """A heading's or a contents line's words, for comparing: "[Purpose](#1-purpose)" and "**Purpose** ##" alike."""
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)
    return re.sub(r"[\W_]+", " ", title).strip().lower()


def _heads_next(raws: list[str], lineno: int, numbering: Numbering, last: int) -> bool:
    """Whether the first line with text after line ``lineno`` (1-based) opens paragraph ``last + 1``: a heading
    with no text of its own ("## 2.1 Findings" / "3. ...") is the section of the paragraphs it heads."""
    match = numbering.match(_next_text(raws, lineno - 1))  # "3." alone, its text below
    return match is not None and numbering.number(match) == last + 1


def _after_blank(raws: list[str], lineno: int) -> bool:
    """Whether line ``lineno`` (1-based) has a blank line (or the text's start) above it."""
    return lineno < 2 or not raws[lineno - 2].strip()


def _last_text(raws: list[str], i: int) -> int | None:
    """The index of the last line with text before line index ``i``; None if there is none."""
    for j in range(i - 1, -1, -1):
        if raws[j].strip():
            return j
    return None


def _unmarked_sections(raws: list[str], numbered: list[int], numbering: Numbering) -> int:
    """Whether the document's sections have headings with no mark (see :func:`_unmarked_heading`): one over the
    first numbered line, after a blank line and under the title (not the title itself), and another after a
    blank line over a later numbered line that goes on from the one before, under a line that ends a sentence.
    Returns the first one's line (1-based), or 0. A short line that is no heading ("Carried", "Thank you") has
    no such company."""
    if not numbered or (above := _last_text(raws, numbered[0])) is None or _last_text(raws, above) is None:
        return 0
    if not (_after_blank(raws, above + 1) and _unmarked_heading(raws[above].strip())):
        return 0
    numbers = [numbering.number(m) if (m := numbering.match(raws[i])) else None for i in numbered]
    for k, i in enumerate(numbered[1:], start=1):
        if numbers[k] is None or numbers[k - 1] is None or numbers[k] != numbers[k - 1] + 1:
            continue
        line = _last_text(raws, i)
        before = _last_text(raws, line) if line is not None else None
        if before is not None and _after_blank(raws, line + 1) and _unmarked_heading(raws[line].strip()) \
                and raws[before].rstrip().endswith(tuple(_STOPS)):
            return above + 1
    return 0


def _unmarked_heading(line: str) -> bool:
    """Whether a line could be a heading with no mark: short, starting with a capital (or another script's
    letter), ending with no stop or pause; no colon or "@", no number but one a word is hyphened to ("Under-16s",
    "COVID-19"; not a caption "Table 1", a contact "Email: ...", a date), no list item, no salutation.

    >>> [_unmarked_heading(s) for s in ("Visiting hours on adult wards", "Parking", "离院须知",
    ...                                  "Under-16s, behaviour and membership cards", "COVID-19 measures")]
    [True, True, True, True, True]
    >>> [_unmarked_heading(s) for s in ("We also ate.", "Note:", "and the rest", "3 March 2025", "- Cars",
    ...                                  "Figure 1 Visits", "Email: a@b.org", "Dear Parents and Carers", "Version 4-2")]
    [False, False, False, False, False, False, False, False, False]
    """
    first = line[:1]
    if not first.isalpha() or first.islower() or line.endswith(_CLAUSE_ENDS + tuple(_STOPS)):
        return False
    bare = _HYPHENED_NUMBER.sub("", line)
    if any(c.isdigit() or c in ":：@" for c in bare) or line.startswith("Dear "):
        return False
    return len(line) <= 60 and len(line.split()) <= 8


# "Under-16s", "Over-60s", "COVID-19": a number that is part of a word, not a caption's or a date's
_HYPHENED_NUMBER = re.compile(r"(?<=[^\W\d_])-\d+[^\W\d_]*")


def _next_text(raws: list[str], i: int) -> str:
    """The first line with text after line index ``i``; "" past the last."""
    for j in range(i + 1, len(raws)):  # no slice: a document may have thousands of lines to ask this of
        if raws[j].strip():
            return raws[j]
    return ""


_CLAUSE = re.compile(r"^\s*(?:\*\*)?(\d{1,3})\.(\d{1,3})\.?(?:\*\*)?\s+(?:\*\*)?(?P<first>\S)")
_HEAD_STARTS = set("0123456789*")
_CLAUSE_NUMBER = re.compile(r"^(?:\*\*)?(\d{1,3}\.\d{1,3}\.?)(?:\*\*)?\s+")
# "2 Leave", "2.0 SCOPE", "**3 Data protection**", "4 Complaints.": the heading that opens paragraph 2 (3, 4) of clauses
_CLAUSE_TITLE = re.compile(
    r"^\s*(?:\*\*)?(\d{1,3})(?:\.0)?[ \t]+(?P<text>(?![a-z])[^\W\d_][^.!?;:,*]{0,60})\.?(?:\*\*)?\s*$")


_LAZY_ONE = re.compile(r"^(\s*(?:\*\*)?)1(?!\d)")


def _lazy_numbers(raws: list[str], usual: list[int]) -> list[str] | None:
    """The lines with a Markdown list's lazy numbers written out, where every item at the list's own indent is
    "1." (CommonMark shows "1." / "1." / "1." as 1, 2, 3): the items numbered 1, 2, 3 through the document (where
    text between them starts a new list, CommonMark would count it from 1 again: its numbers would repeat). None
    where any other number is among them, or fewer than two."""
    top = min((_indent(raws[i]) for i in usual), default=0)
    items = [i for i in usual if _indent(raws[i]) == top]
    if len(items) < 2 or any(NUMBERINGS[0].number(NUMBERINGS[0].match(raws[i])) != 1 for i in items):
        return None
    shown = list(raws)
    for number, i in enumerate(items, start=1):
        shown[i] = _LAZY_ONE.sub(rf"\g<1>{number}", raws[i], count=1)
    return shown


def _clause_lines(raws: list[str], code: list[bool], numbered: list[int]) -> list[int]:
    """The lines that number a document's clauses, of those ``numbered`` as clauses ("1.1 ...") and of its headings
    that number the paragraphs the clauses make ("2 Leave", "2.0 SCOPE"): from 1 (1.1, or a heading "1 Scope"),
    each the next clause of its paragraph (1.2 after 1.1, 2.1 under "2 Leave") or the next paragraph's heading or a
    later one's first clause (3 after 2.4, or 4.1). A heading has text or a clause under it, before the next one ("1
    Cup flour" / "2 Eggs" are a list), and does not go on from a line that runs on ("within" / "30 Business Days").
    A clause line whose text starts in lower case ("1.1 million", "3.1 cleaning", a term a standard defines) or that
    goes out of turn after a line that runs on ("interest at" / "3.5 percent a year") is text, and so is a heading
    out of turn. Empty where a clause goes out of turn otherwise (a list of versions,
    "2.5 ..." before "1.4 ..."), or where no clause is found."""
    clauses = set(numbered)
    heads = {i for i, raw in enumerate(raws) if raw.lstrip()[:1] in _HEAD_STARTS and not code[i] and i not in clauses
             and _CLAUSE_TITLE.match(raw)}
    kept: list[int] = []
    last: tuple[int, int] | None = None
    for i in sorted(clauses | heads):
        if i in heads:
            major = int(_CLAUSE_TITLE.match(raws[i])[1])
            below = next((j for j in range(i + 1, len(raws)) if raws[j].strip()), None)
            # inside a clause's text: after a line that runs on ("... reject the goods in" / "2 Business Days of"), but
            # not after the title, a heading or a clause that names a term ("2.2 Manager" / "3 Booking")
            above = raws[i - 1].strip() if i else ""
            wraps = last is not None and above and not _ENDS_UNIT.search(above) and (
                i - 1 not in clauses | heads or _DANGLING.search(above) is not None)
            if major == (last[0] + 1 if last else 1) and below is not None and below not in heads and not wraps:
                kept.append(i)
                last = (major, 0)
            continue
        clause = _CLAUSE.match(raws[i])
        if clause is None or clause["first"].islower():
            continue
        major, minor = int(clause[1]), int(clause[2])
        if (major, minor) == ((last[0], last[1] + 1) if last else (1, 1)) or last and major > last[0] and minor == 1:
            kept.append(i)
            last = (major, minor)
        elif not (i and raws[i - 1].strip() and not _ENDS_UNIT.search(raws[i - 1].strip())):
            return []
    return kept if any(i in clauses for i in kept) else []


def _listed_in(raws: list[str], clauses: list[int], numbered: list[int]) -> bool:
    """Whether the lines ``numbered`` another way, those that are no clause heading ("1 Scope"), all lie among the
    ``clauses`` (after the first one, each list with one after it) in lists that a line introduces with a colon ("1.1
    The Tenant must:" / "(1) pay;" / "(2) clean." / "1.2 ..."; after the last one, only a list it introduces itself):
    not steps after a document's revision history ("1.1 January 2023" / "1.2 May 2024" / "Follow these steps:" /
    "1. Log the visit.")."""
    heads = set(clauses)
    rest = [i for i in numbered if i not in heads]
    if not rest:
        return True
    if rest[0] < clauses[0]:
        return False
    after = [i for i in rest if i > clauses[-1]]
    if after and any(raws[j].strip() for j in range(clauses[-1] + 1, after[0])):
        return False  # text between the last clause and the list: not its list
    # where each list starts: its first line, and each after a clause
    runs = [rest[0]] + [b for a, b in zip(rest, rest[1:]) if (k := bisect.bisect_right(clauses, a)) < len(clauses)
                        and clauses[k] < b]
    return all(_introduced(raws, i + 1) for i in runs)


def _subheading_of(heading: str, number: int) -> bool:
    """Whether ``heading`` is numbered as a part of paragraph ``number``: "1.1 Purpose" of paragraph 1."""
    m = _SUBNUMBER.match(heading)
    return m is not None and int(m.group(1)) == number


def _heading_levels(raws: list[str], numbered: list[int], numbering: Numbering) -> tuple[int, set[int]]:
    """The shallowest Markdown heading depth at which ``numbering``'s headings number paragraphs, and the
    depths at which they do not: deeper ones that start again from a number the shallowest has had ("### 1.
    Windows" and "### 2. macOS" under "## 1. Install" are numbered subheadings; "### 3) Roads" after "## 2.
    Fees" goes on: a paragraph); and, for a numbering that ``counts_from_one``, those with no heading numbered
    1 ("# 5 Steps to Better Sleep" over "## 1 Keep a Schedule" is a title)."""
    headings, highest = [], 0
    for i in numbered:  # the lines it numbers, outside fenced code
        raw = raws[i]
        if _depth(raw):
            number = numbering.number(numbering.match(raw))
            if not (1800 <= number <= 2100 and number > highest + _MAX_JUMP):  # "# 2024 Report": a title
                headings.append((_depth(raw), number))
                highest = max(highest, number)
    unnumbered = set()
    if numbering.counts_from_one:
        unnumbered = {depth for depth, _ in headings} - {depth for depth, number in headings if number == 1}
        headings = [(depth, number) for depth, number in headings if depth not in unnumbered]
    # a lone heading over a deeper level that starts again from its number or below is the document's title:
    # "# 1 Year Roadmap" over "## 1 Vision", "## 2 Themes" ("# 1. Introduction to Python" over "## 1. ...")
    levels = sorted({depth for depth, _ in headings})
    while len(levels) > 1:
        lone = [number for depth, number in headings if depth == levels[0]]
        below = [number for depth, number in headings if depth == levels[1]]
        if not (len(lone) == 1 and len(below) >= 2 and min(below) <= lone[0]):
            break
        unnumbered.add(levels[0])
        headings = [(depth, number) for depth, number in headings if depth != levels[0]]
        levels = levels[1:]
    top = min((depth for depth, _ in headings), default=0)
    last = 0
    for depth, number in headings:
        if depth == top:
            last = number
        elif number <= last:
            unnumbered.add(depth)
    return top, unnumbered


def _tails(raws: list[str], code: list[bool], numbering: Numbering) -> list[tuple[int, bool]]:
    """For each line, the highest number ``numbering`` reads on it or on any line after it (0 for none), and
    whether those numbers only rise: where numbers start again after a "Notes" line, whether they are notes to
    the end (never past the last paragraph again, never starting over but under another such line: "Sources").
    One pass from the end, done once per document, however many lines start again."""
    tails = [(0, True)] * (len(raws) + 1)
    following = None  # the number read next below this line
    for i in range(len(raws) - 1, -1, -1):
        highest, rising = tails[i + 1]
        line = raws[i].strip()
        match = None if code[i] else numbering.match(raws[i])
        if not code[i] and _heads_notes(line):
            following = None  # "Notes" / "1. ..." / "2. ..." / "Sources" / "1. ...": each block rises on its own
        elif match:
            number = numbering.number(match)
            rising = rising and (following is None or number < following)
            highest, following = max(highest, number), number
        tails[i] = (highest, rising)
    return tails


def _heads_notes(line: str) -> bool:
    """Whether ``line`` (stripped) heads notes: "Notes", "## References", "参考文献：" (see _NOTES)."""
    return line[:1] in _NOTES_STARTS and len(line) < 28 and _NOTES.match(line) is not None


def _roman_heading(raw: str) -> int | None:
    """The value of a plain-text heading's roman numeral ("II. Commitments" -> 2), None for another kind."""
    m = re.match(r"^\s*([IVXLC]{1,7})\.\s", raw)
    return roman_number(m.group(1), strict=False) if m else None


def _next_alone(raw: str, paras: list, numbering: Numbering) -> re.Match | None:
    """A line holding only the next paragraph's number ("2." after paragraph 1, "1." to begin): a
    paragraph only as the next number of the sequence; anything else alone on a line ("2017.") stays
    header or text."""
    bare = numbering.bare.match(raw)
    if bare is None or numbering.number(bare) != (paras[-1][0] + 1 if paras else 1):
        return None
    return re.match(r"(.+)(?P<text>)", bare.group(1))  # group(1): the number; no text on this line


def load_corpus(path: Path) -> list[Document]:
    """Load a file, or every .txt/.md file in a folder (sorted), as documents.

    With more than one document, paragraph labels carry the document id
    (``"report:6"``) so a citation is never ambiguous.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder.")
    if path.is_dir():
        # not hidden files or folders (".ipynb_checkpoints/", ".draft.md"): copies, not documents
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise CorpusError(f"{path}: the folder holds no .txt or .md documents.")
    else:
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .txt or .md.")
        files = [path]
    stems: dict[str, Path] = {}
    for f in files:
        if f.stem in stems:
            raise CorpusError(f"{f}: two documents share the name {f.stem!r} ({stems[f.stem].name}); rename one.")
        stems[f.stem] = f
    multi = len(files) > 1
    return [parse_text(read_text(f), f, label_with_doc=multi) for f in files]


def corpus_sha256(documents: list[Document]) -> str:
    """One hash for the whole corpus: changes when any document's text or name does."""
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.doc):
        h.update(f"{d.doc}\0{d.sha256}\n".encode())
    return h.hexdigest()


def _article_headings(raws: list[str], numbering: Numbering) -> bool:
    """Whether the lines that only name an article ("ARTICLE II", "Article 3 – Members") are headings in a
    document parsed with ``numbering``: when it numbers them not, and each is followed by a line it numbers
    ("ARTICLE I – NAME" / "Section 1. The name is ..."), not by other text (a table of contents, a list after
    a colon, an amendment's quoted text)."""
    found = False
    for i, raw in enumerate(raws):
        if not _ARTICLE_HEADING.match(raw) or numbering.match(raw):
            continue
        if not numbering.match(_next_text(raws, i)):
            return False
        found = True
    return found


# A header line wrapped mid-sentence, its last word wanting more (_WANTING, in lower case: "Staff Check-In" and
# "Moving On" are titles)
_TRAILS_OFF = re.compile(rf"\s(?:{_WANTING}|the|a|an)$")
# A header line that goes on in the next (a footnote mark may follow: "Whereas:[1]", "各部门：", "The Assembly,"),
# or a numbered item ("(1) The protection of ...")
_RUNS_ON = re.compile(rf"[{_PAUSES}{_COMMAS}。](?:\[\d+\]|\(\d+\))?$|^(?:\(\d{{1,4}}\)|\[\d{{1,4}}\]|\d{{1,4}}[.)])\s")


def _bold_headings(raws: list[str], code: list[bool], numbering: Numbering) -> set[int]:
    """The lines all in bold that are headings in a document parsed with ``numbering`` (a Word export's
    "**Conduct**"): short, no sentence or label ("**Note:**", "**ACTION: JS to ...**"), each followed by a line it
    numbers, and two or more such (a document's way with headings, not one line in bold); outside code, and not
    the document's first line (its title)."""
    found = set()
    first = next((i for i, raw in enumerate(raws) if raw.strip()), -1)
    for i, raw in enumerate(raws):
        bold = _BOLD_LINE.match(raw) if "**" in raw and not code[i] and i != first else None
        if bold is None or ":" in bold.group(1) or _ENDS_UNIT.search(bold.group(1).strip()):
            continue
        if numbering.match(_next_text(raws, i)):
            found.add(i)
    return found if len(found) >= 2 else set()


def _heading(raw: str, articles: bool = False, bold: bool = False) -> str | None:
    """The section heading ``raw`` is, if it is one; an article's name alone only where ``articles`` are
    headings (see :func:`_article_headings`), a line in bold where it is one of the ``bold`` headings (see
    :func:`_bold_headings`)."""
    md = _MD_HEADING.match(raw)
    if md:
        return md.group(2).strip().strip("*").strip()
    if bold:
        return _BOLD_LINE.match(raw).group(1).strip()
    line = raw.strip()
    # Short and not ending like a sentence: "I. Purpose", not "Part 2 of the deal is void."
    if _PLAIN_HEADING.match(raw) and len(line) <= 80 and not line.endswith(_CLAUSE_ENDS):
        return line
    if articles and _ARTICLE_HEADING.match(raw) and len(line) <= 80:
        return line.lstrip("#").strip()
    return None


def _depth(raw: str) -> int:
    """How deep a Markdown heading is ("### 1.1" 3); 0 for any other line."""
    md = _MD_HEADING.match(raw)
    return len(md.group(1)) if md else 0


def _opens_section(raw: str) -> bool:
    # Before the first paragraph, a "##", roman-numeral or article heading (see _heading) opens a section;
    # other header lines (title, date, place) are metadata.
    return raw.lstrip().startswith("##") or bool(_PLAIN_HEADING.match(raw) or _ARTICLE_HEADING.match(raw))


def _check_order(path: Path, paras: list, seen: set[int], number: int, lineno: int) -> None:
    if not paras:
        return
    previous = paras[-1][0]
    if number in seen:
        raise CorpusError(f"{path} line {lineno}: paragraph number {number} appears twice.")
    if number < previous:
        raise CorpusError(
            f"{path} line {lineno}: paragraph {number} comes after paragraph {previous}; "
            "numbers must increase."
        )


def _warn_gaps(path: Path, numbers: list[int]) -> None:
    for a, b in zip(numbers, numbers[1:]):
        if b != a + 1:
            log.warning("%s: paragraph numbers jump from %d to %d", path, a, b)


def _title_from_header(header: list[str]) -> str | None:
    """The shortest header line that names no year and does not run on: the title, not the date, place or
    event, nor an addressee ("各部门：", "To all staff:", "The General Assembly,"), a numbered item or a line
    wrapped mid-sentence ("Recalling the obligations under"). A full stop may end it ("Helping Hands, Inc.").
    Front matter (YAML or TOML, as Markdown files have it) names the title (``title: Staff Handbook``) or none: its
    keys are no title; nor
    is "Contents", "Version 4.2", a table of contents' numbered line, or the end of a long line that trails off.

    >>> _title_from_header(["2017-12-04 16:41:27", "The CPC in Dialogue with World Political Parties",
    ...                     "北京倡议 Beijing Initiative", "Beijing, 3 December 2017"])
    '北京倡议 Beijing Initiative'
    """
    closes = _FRONT_MATTER.get(header[0].strip()) if header else None
    end = next((i for i, line in enumerate(header[1:], 1) if line.strip() in closes), None) if closes else None
    if end is not None and any(_KEY.match(line) for line in header[1:end]):  # not a title between rules
        for line in header[1:end]:  # "title: Staff Handbook"; the other keys are no title
            key = _TITLE_KEY.fullmatch(line.strip())
            title = key and (key["single"].replace("''", "'") if key["single"] is not None else key["double"]
                             if key["double"] is not None else key["plain"].split(" #")[0].strip())  # "# draft"
            title = title and title.replace('\\"', '"')
            if title and re.search(r"\w", title):  # not a YAML block's "|" or ">-"
                return title
        header = header[end + 1:]
    lines = [line.replace("**", "").strip() for line in header]  # "**CODE OF CONDUCT**"
    # a line after a long one that trails off is its end ("made between Jane Smith and" / "Tom Brown (the Tenant).");
    # lines that start with a number, where those count 1, 2, 3, are a table of contents ("1 Introduction" / "2 Email")
    after = [False] + [bool(_TRAILS_OFF.search(a)) and len(a.split()) >= 6 for a in lines[:-1]]  # not "Sign in"
    numbers = [int(m[1]) for line in lines if (m := _LEADING_NUMBER.match(line)) and not _YEAR.search(line)]
    listed = len(numbers) >= 2 and numbers == list(range(1, len(numbers) + 1))  # not "5 Steps to ..." over "12 March"
    lines = [line for line, wrapped in zip(lines, after)
             if line and not wrapped and not (listed and _LEADING_NUMBER.match(line))
             and not _CONTENTS_TITLE.fullmatch(line) and not _VERSION.fullmatch(line) and not _DATE_ONLY.match(line)
             and not _RUNS_ON.search(line)
             and not _TRAILS_OFF.search(line)]
    candidates = [line for line in lines if not _YEAR.search(line)]
    if candidates:
        return min(candidates, key=len)
    return lines[0] if lines else None
