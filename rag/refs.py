"""Find the paragraphs a question names: by number, by place, or relative to another.

>>> paragraph_refs("What do paragraphs 3-5 and para. 9 say?")
[3, 4, 5, 9]
>>> paragraph_refs("第十二段讲了什么？ 还有¶2")
[12, 2]
>>> paragraph_refs("第3至5段和第９段")
[3, 4, 5, 9]
>>> paragraph_refs("What do the 9th and the twelfth paragraphs say?")
[9, 12]
>>> paragraph_refs("How many paragraphs are there?")
[]

A question may also point at a paragraph by its place: the first or the last
one, or the one before or after the paragraph the conversation was about.

>>> position_refs("What does the final paragraph say?"), position_refs("How does the declaration end?")
(['last'], ['last'])
>>> relative_ref("And the one before it?"), relative_ref("下一段呢？"), relative_ref("When is the next one?")
(-1, 1, None)
>>> relative_ref("And is poverty covered in that same paragraph?"), relative_ref("这一段提到贫困了吗？")
(0, 0)

Or it may ask where the document says something, so that its answer is a paragraph.

>>> asks_where("Which paragraph says that?"), asks_where("Where does the text mention the UN?"), asks_where("哪一段提到了水价？")
(True, True, True)
>>> asks_where("Where in Chinese political theory is the idea highlighted?"), asks_where("Where is the Customer Centre?")
(False, False)
"""

from __future__ import annotations

import re

MAX_RANGE = 50  # "3-5" is expanded; a wider range ("1-9999") is only its two ends
_NUM = r"\d+"  # every digit: "paragraph 12345" of a large archive is 12345, not 1234
# numbers after a paragraph's (or an article's) name: "9", "3-5", "3 to 5", "3, 7 and 9"
_NUM_LIST = rf"({_NUM}(?:\s*(?:-|–|—|to|through|and|or|,|&)\s*{_NUM})*)"
# Not glued to other Latin letters, but may follow a CJK character ("关于paragraph 3").
_EN = re.compile(
    r"(?:(?<![A-Za-z])paragraphs?|(?<![A-Za-z])paras?(?![A-Za-z])\.?|¶|§)\s*(?:no\.?\s*|number\s*|#\s*)?"
    + _NUM_LIST,
    re.IGNORECASE,
)
# "the 9th paragraph", "the twelfth paragraph", "the twenty-first para" (an answer's translation says
# "The 18th paragraph states ..." for "第18段讲了…"). "The first paragraph" is a place (``position_refs``):
# the document's first paragraph need not be number 1 (in a list, "the first and second paragraphs", it is 1).
_ORDINALS = {w: n for n, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth".split(), start=1)}
_TENS = {"twent": 20, "thirt": 30, "fort": 40, "fift": 50}
_UNITS = "|".join(w for w, n in _ORDINALS.items() if n < 10)
_ORD = (rf"(?:\d{{1,4}}(?:st|nd|rd|th)|(?:twent|thirt|fort|fift)(?:ieth|y[\s-]?(?:{_UNITS}))"
        rf"|(?:{'|'.join(_ORDINALS)}))")
# one ordinal or a list of them after "the": "the 9th and the twelfth paragraphs" ("a second paragraph" is another one)
ORDINAL_PARAGRAPHS = re.compile(rf"\bthe\s+({_ORD}(?:\s*(?:,|and|or|&)\s*(?:the\s+)?{_ORD})*)\s+(?:paragraphs?|paras?)\b",
                      re.IGNORECASE)
# "paragraph -1", "para −2": a number no document has, reported as missing (not read as paragraph 1)
_NEGATIVE = re.compile(r"(?:(?<![A-Za-z])paragraphs?|(?<![A-Za-z])paras?(?![A-Za-z])\.?|¶|§)\s*[-−–]\s*(\d+)",
                       re.IGNORECASE)
# "Article 3", "Art. 3", "articles 3 and 5", "Section 2", "Sec. 2": a reference to paragraphs only in a document
# numbered by Article or by Section (rag.ingest), where readers call them so (see unit_refs); elsewhere "Article 55
# of the UN Charter" is not. "Article IV" too, where the articles are numbered so (upper case: "I" is a numeral).
# "I" followed by what only a speaker does is the pronoun: "the article I mentioned", "the one I quoted" (not
# "Article I was amended", "Article I can be ...": a verb both may take stays the article's)
_PRONOUN_I = (r"I\s+(?:am|have|mean|meant|mentioned|quoted|cited|referred|noted|saw|found|asked|think|thought|need|"
              r"want|wrote|looked)\b")
_ROMAN_NUM = rf"(?-i:(?!{_PRONOUN_I})[IVXLC]+)(?![A-Za-z0-9])"
_UNIT_NAMES = {"article": r"articles?|arts?\.", "section": r"sections?|secs?\.", "item": r"items?",
               "clause": r"(?:sub-?)?clauses?|cl\.?", "part": r"parts?|pt\."}
_SUBCLAUSE = re.compile(r"(?<![\d.])(\d+)(?:\.\d+)+")  # "2.1", "2.2.1": a clause of paragraph 2 (see unit_refs)
_UNIT = {(unit, roman): re.compile(
    rf"(?<![A-Za-z])(?:{names})\s*(?:no\.?\s*)?"
    + (_NUM_LIST.replace(_NUM, rf"(?:{_NUM}|{_ROMAN_NUM})") if roman else _NUM_LIST),
    re.IGNORECASE) for unit, names in _UNIT_NAMES.items() for roman in (False, True)}
# The answers' own citation marks, asked about: "What does [12] say?"
_BRACKET = re.compile(r"[\[【]\s*(\d+)\s*[\]】]")
# A paragraph of a named document, as citations label it in a corpus of several: "water:3", "[water:3]"
_LABEL = re.compile(r"(?<![\w:/.-])([A-Za-z][\w.-]*):(\d+)(?![\d:])")
_ORD_TOKEN = re.compile(rf"\b{_ORD}\b", re.IGNORECASE)
_EN_TOKEN = re.compile(rf"{_NUM}|-|–|—|(?<![A-Za-z])(?:to|through)(?![A-Za-z])", re.IGNORECASE)
_UNIT_TOKEN = re.compile(rf"{_ROMAN_NUM}|{_EN_TOKEN.pattern}", re.IGNORECASE)  # and "IV" in "Articles II to IV"
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# \d also matches full-width digits ("第９段"), which int() reads.
_ZH_NUM = r"[\d零〇一二两三四五六七八九十百]+"
_ZH_RANGE = r"至|到|-|–|—|~|～"
# "第9段", "第十二段", "第3至5段", "第3到第5段", "第三和第五段", "第3、5段"
_ZH = re.compile(
    rf"(?<!倒数)第\s*({_ZH_NUM}(?:\s*(?:{_ZH_RANGE}|、|,|，|和|及|与|或)\s*第?\s*{_ZH_NUM})*)\s*(?:段|条|款|节|自然段)"
)
_ZH_TOKEN = re.compile(rf"{_ZH_NUM}|{_ZH_RANGE}")
_ZH_PLAIN = re.compile(r"(?:段落|段)\s*(\d+)")
# What a question may call the document: "How does the declaration end?" names a place in it,
# "How does the war end?" does not.
_DOCUMENT = r"(?:it|this|the\s+(?:declaration|document|text|initiative|charter|report|statement|paper|article))"
# "the last paragraph", "How does the declaration end?" (the verb closing the question, so that
# "How does the text open the door to ..." is not a reference), "最后一段", "开头".
_POSITION = re.compile(
    r"\b(?P<penultimate>penultimate|(?:second|next)[\s-]+to[\s-]+last|last[\s-]+but[\s-]+one)\s+paragraph\b"
    r"|\b(?:(?P<first>first|opening)|(?P<last>last|final|closing|concluding))\s+paragraph\b"
    rf"|\bhow\s+does\s+{_DOCUMENT}\s+(?:(?P<begins>begin|start|open)|(?P<ends>end|conclude|close))\s*[?？.!]?\s*$"
    r"|(?P<zh_penultimate>倒数第二段)|(?P<zh_first>首段|开头)|(?P<zh_last>最后一段|末段|结尾|倒数第一段)",
    re.IGNORECASE,
)
_PLACES = {"penultimate": "penultimate", "zh_penultimate": "penultimate", "first": "first", "begins": "first",
           "zh_first": "first", "last": "last", "ends": "last", "zh_last": "last"}
# "the one before it", "And the one after?" (closing the question: "the one before the war" is
# no paragraph), "the previous / next paragraph", "上一段", "下一段" (not "最后一段", the last one,
# nor "前一段时间", a while ago).
_RELATIVE = re.compile(
    r"\bthe\s+one\s+(?:(before)|(after))(?:\s+(?:it|that|this))?\s*[?？.!]?\s*$"
    r"|\b(?:paragraph|para)\s+(?:(before)|(after))\s+(?:it|that|this)\b"
    r"|\b(?:(previous|preceding)|(next|following))\s+paragraph\b"
    r"|(上一段|前一段(?!时间))|(下一段|(?<!最)后一段)",
    re.IGNORECASE,
)
# "that same paragraph", "in this paragraph", "the same para", "同一段", "这一段", "该段": the paragraph
# the conversation was about itself.
_SAME = re.compile(r"\b(?:that|this|the\s+same|that\s+same)\s+(?:paragraph|para)\b"
                   r"|同一段|(?:这|那)一?段(?!时间|日子|历史|话|路)|该段", re.IGNORECASE)
# "Which paragraph says that?", "In which parts do the delegates commend ...?", "Where does the text
# mention the UN?", "Where is X discussed?", "哪一段提到了…？"; not "Where is the Customer Centre?" (a place
# the document names) nor "Where in Chinese political theory is ...?".
_WHERE = re.compile(
    r"\b(?:which|what)\s+(?:paragraphs?|parts?|passages?|sections?|paras?)\b"
    rf"|\bwhere\s+(?:else\s+)?(?:does|do|did)\s+(?:{_DOCUMENT}|they)\s+"
    r"(?:say|mention|talk|discuss|speak|refer|address|cover|state|deal|call|commit|propose)"
    r"|\bwhere\s+(?:is|are)\b.*\b(?:mentioned|discussed|covered|addressed|stated|said|named)\b"
    r"|哪(?:一|几|些)?(?:段|部分|条)|(?:在)?哪里(?:提到|说|讲|谈)",
    re.IGNORECASE,
)


def asks_where(question: str) -> bool:
    """True when the question asks which paragraph says something (its answer is a place in the text)."""
    return _WHERE.search(question) is not None


# "Protectionism and trade are discussed in [10] and [13].", "The WTO is mentioned in paragraph 10.": where
# something is said, not what. Small models answer "What is said about X?" so.
_PLACE = r"(?:\[[^\]]+\]|(?:paragraphs?|passages?|paras?\.?)\s*\d+)"
_SAYS_WHERE = re.compile(
    r"^[^.?!。？！]*\b(?:is|are|was|were)\s+(?:also\s+|only\s+|briefly\s+)?(?:discussed|mentioned|addressed|covered|"
    rf"referred\s+to|dealt\s+with|raised|touched\s+on|talked\s+about)\s+in\s+{_PLACE}"
    rf"(?:\s*(?:,|and|,\s*and)\s*(?:{_PLACE}|\d+))*\s*[.。]?$",
    re.IGNORECASE,
)


def says_only_where(text: str) -> bool:
    """True when every sentence of ``text`` says where the document discusses something, not what it says.

    >>> says_only_where("Protectionism and trade are discussed in [10] and [13]."), says_only_where(
    ...     "The WTO is mentioned in paragraph 10.")
    (True, True)
    >>> says_only_where("Trade is discussed in [10]. Countries should oppose protectionism [10].")
    False
    """
    sentences = [s for s in re.split(r"(?<=[.!?。！？])\s+", text.strip()) if s]
    return bool(sentences) and all(_SAYS_WHERE.match(s) for s in sentences)


def paragraph_refs(question: str) -> list[int]:
    """Paragraph numbers the question names, in order of mention, without repeats."""
    found: list[tuple[int, int]] = []  # (position, number)
    for m in _EN.finditer(question):
        found.extend((m.start(), n) for n in _expand(_EN_TOKEN.findall(m.group(1)), int))
    found.extend((m.start(), -int(m.group(1))) for m in _NEGATIVE.finditer(question))
    found.extend((m.start(), int(m.group(1))) for m in _BRACKET.finditer(question))
    for m in ORDINAL_PARAGRAPHS.finditer(question):
        if m.group(1).lower() != "first":  # "the first paragraph" alone is a place: position_refs
            found.extend((m.start(), n) for n in ordinal_numbers(m.group(1)))
    for m in _ZH.finditer(question):
        found.extend((m.start(), n) for n in _expand(_ZH_TOKEN.findall(m.group(1)), zh_number))
    for m in _ZH_PLAIN.finditer(question):
        found.append((m.start(), int(m.group(1))))
    seen: list[int] = []
    for _, n in sorted(found, key=lambda x: x[0]):  # stable: a range keeps its order
        if n not in seen:
            seen.append(n)
    return seen


def unit_refs(question: str, unit: str = "article", roman: bool = False) -> list[int]:
    """The numbers of the articles (or sections, or items) the question names ("Article 3", "Art. 12", "articles
    3 to 5"; with ``roman``, "Article IV" too), in order, without repeats: paragraph numbers in a document
    numbered "Article 1" (or "Section 1", "Item 1"; the retriever asks only then).

    >>> unit_refs("Compare Article 3 and art. 12 with articles 4-5."), unit_refs("What about article 7?")
    ([3, 12, 4, 5], [7])
    >>> unit_refs("Do Articles II and IV-VI or Article I apply?", roman=True), unit_refs("Is Sec. 2 new?", "section")
    ([2, 4, 5, 6, 1], [2])
    >>> unit_refs("What does the article I mentioned say?", roman=True), unit_refs("Was Article I amended?", roman=True)
    ([], [1])
    >>> unit_refs("What was resolved under item 4?", "item"), unit_refs("Which items were deferred?", "item")
    ([4], [])
    """
    out: list[int] = []
    for m in _UNIT[unit, roman].finditer(question):
        tokens = (_UNIT_TOKEN if roman else _EN_TOKEN).findall(m.group(1))
        out.extend(n for n in _expand(tokens, lambda t: int(t) if t.isdigit() else roman_number(t)) if n not in out)
    return out


def whole_clauses(question: str) -> str:
    """The question with each clause number cut to its paragraph's: in a document of clauses numbered "1.1", "1.2",
    "2.1" (rag.ingest), paragraph 2 holds clauses 2.1 and 2.2, so "clause 2.1" names paragraph 2.

    >>> whole_clauses("Do clauses 1.2 and 2.1.3 apply, or 第3.1条?")
    'Do clauses 1 and 2 apply, or 第3条?'
    >>> unit_refs(whole_clauses("Compare cl. 1.2 and Cl 2.3 with section 4.1 and subclause 5.2"), "clause")
    [1, 2, 5]
    >>> unit_refs("What is in part 9?", "part")
    [9]
    >>> paragraph_refs(whole_clauses("第3.1条"))
    [3]
    """
    return _SUBCLAUSE.sub(r"\1", question)


def label_refs(question: str) -> list[tuple[str, int]]:
    """(document, number) for each paragraph named by its label in a corpus of several documents.

    >>> label_refs("What does water:3 say, and [transit:12]?"), label_refs("Meet at 10:30 on the 3rd.")
    ([('water', 3), ('transit', 12)], [])
    """
    out: list[tuple[str, int]] = []
    for m in _LABEL.finditer(question):
        ref = (m.group(1), int(m.group(2)))
        if ref not in out:
            out.append(ref)
    return out


def names_paragraphs(question: str) -> bool:
    """Whether the question names its own paragraphs, by number, label or place (so a follow-up borrows
    no earlier question's words, and a translation would not change which paragraphs it gets)."""
    return bool(paragraph_refs(question) or position_refs(question) or label_refs(question))


def position_refs(question: str) -> list[str]:
    """``"first"``, ``"last"`` or ``"penultimate"``, for each paragraph the question points at by its place.

    >>> position_refs("What does the second-to-last paragraph say?"), position_refs("倒数第二段讲了什么？")
    (['penultimate'], ['penultimate'])
    """
    out: list[str] = []
    for m in _POSITION.finditer(question):
        where = _PLACES[m.lastgroup]
        if where not in out:
            out.append(where)
    return out


# What a question may call the whole document, beside "the document" itself: "the text", "the declaration",
# and a word of the document's own title that names a kind of document ("the Beijing Initiative", "the
# initiative"; "the house rules" of "Membership Terms and House Rules").
_DOCUMENT_WORDS = ("text", "declaration")
_DOCUMENT_KINDS = frozenset(
    "initiative declaration charter policy agreement terms rules conditions contract constitution treaty convention "
    "statute code handbook guide guidelines regulations protocol resolution communique manifesto statement "
    "memorandum covenant bylaws procedure procedures principles standards".split())
_ITSELF = r"\b(?:this|these|the\s+present)\s+({})\b"  # how a document calls itself: "This Charter comes into force"


def document_names(titles: list[str], texts) -> re.Pattern | None:
    """A pattern for what a question calls the document whose ``titles`` (one per document of the corpus) and
    paragraph ``texts`` are given: "the text", "the declaration", and its title's words that name a kind of
    document, after "the" and any of the title's other words ("the Beijing Initiative", "this initiative").
    Not a word the document calls itself by ("This Charter comes into force on ..."): there "When does the
    charter come into force?" asks for the paragraphs that say "this Charter". None when no word is left.

    >>> names = document_names(["北京倡议 Beijing Initiative"], ["We hail the Belt and Road Initiative."])
    >>> [names.search(q).group(0) for q in ("What does the Beijing Initiative say?", "Does the initiative agree?")]
    ['the Beijing Initiative', 'the initiative']
    >>> document_names(["Riverside Water Charter"], ["This Charter comes into force."]).search("the charter's aims")
    >>> names.search("I got the text message"), names.search("Does the Belt and Road Initiative help?")
    (None, None)
    """
    title_words = {w.lower() for t in titles for w in re.findall(r"[A-Za-z]+", t)}
    candidates = sorted(set(_DOCUMENT_WORDS) | (title_words & _DOCUMENT_KINDS))
    itself = re.compile(_ITSELF.format("|".join(candidates)), re.IGNORECASE)
    own = {m.group(1).lower() for text in texts for m in itself.finditer(text)}
    kinds = [w for w in candidates if w not in own]
    if not kinds:
        return None
    before = "|".join(sorted((re.escape(w) for w in title_words), key=len, reverse=True)) or "(?!)"
    return re.compile(rf"\b(?:the|this|these)\s+(?:(?:{before})\s+){{0,4}}(?:{'|'.join(kinds)})\b(?!\s+messages?\b)",
                      re.IGNORECASE)


def as_the_document(question: str, names: re.Pattern | None) -> str:
    """``question`` with what it calls the document (see :func:`document_names`) written "the document":
    what the retrievers rank by. Those words name the source, not what is asked, yet they rank: "initiative"
    put paragraph 13 of the Beijing Initiative ("the Belt and Road Initiative") first for most questions
    that called the document by its name.

    >>> names = document_names(["Beijing Initiative"], [])
    >>> as_the_document("What does the Beijing Initiative say about climate change?", names)
    'What does the document say about climate change?'
    """
    return question if names is None else names.sub("the document", question)


def relative_ref(question: str) -> int | None:
    """-1 for "the one before it", +1 for "the next paragraph", 0 for "that same paragraph": relative
    to the paragraph the conversation was about, which only the caller knows."""
    m = _RELATIVE.search(question)
    if m is None:
        return 0 if _SAME.search(question) else None
    return -1 if any(m.group(i) for i in (1, 3, 5, 7)) else 1


# What a question about a named paragraph may say besides naming it, and still ask only what the
# paragraph says ("What is paragraph 9 about?", "Summarise the last paragraph.", "第13段讲了什么？"),
# or what two of them say side by side ("How do paragraphs 9 and 10 differ?", "比较第3段和第5段").
_SAYS_EN = frozenset("""
    a an the and or so then also now please can could would you me us i it its this that there here s
    what which how does do did is are was were be say says said cover covers covered contain contains
    state states mean means talk talks discuss discusses deal deals with about of in on to for
    tell show give read quote explain describe summarise summarize summary sum up gist overview content
    contents main point points key message call calls idea ideas theme topic short brief briefly nutshell
    whole full exactly text document declaration paragraph paragraphs
    compare comparison contrast differ differs difference differences different between versus vs similar alike
""".split())
_SAYS_ZH = re.compile(r"讲|说|写|谈|提到|关于|是|的|了|什么|啥|内容|主要|一下|请|概括|总结|介绍|那|这|呢|吗|么|还有|它|里|中"
                      r"|比较|对比|区别|不同|异同|和|与|有|哪些")


def asks_what_it_says(question: str) -> bool:
    """True when the question names a paragraph (by number, by place or relative to another) and asks
    nothing more than what it says; False when it asks something in particular of it.

    >>> asks_what_it_says("What does paragraph 9 say?"), asks_what_it_says("第13段讲了什么？")
    (True, True)
    >>> asks_what_it_says("And the one before it?"), asks_what_it_says("How does the declaration end?")
    (True, True)
    >>> asks_what_it_says("What does paragraph 12 say about football?"), asks_what_it_says("What is the UN's role?")
    (False, False)
    >>> asks_what_it_says("What does item 3 say?"), asks_what_it_says("Which items were deferred?")
    (True, False)
    """
    rest, named = question, False
    for pattern in (_LABEL, _NEGATIVE, _BRACKET, _EN, _UNIT["article", True], _UNIT["section", True],
                    _UNIT["item", False], ORDINAL_PARAGRAPHS, _ZH, _ZH_PLAIN, _POSITION, _RELATIVE, _SAME):
        rest, n = pattern.subn(" ", rest)
        named = named or n > 0
    if not named:
        return False
    words = [w for w in re.findall(r"[^\W\d_]+|\d+", _SAYS_ZH.sub(" ", rest).lower())
             if w not in _SAYS_EN]
    return not words


_RANGE = object()  # a range mark between two numbers: "-", "to", "至" ...
_RANGE_MARKS = {"-", "–", "—", "to", "through", "至", "到", "~", "～"}


def _expand(tokens: list[str], to_int) -> list[int]:
    """Numbers and range marks ("3", "-", "5", "7") -> [3, 4, 5, 7]; ``to_int`` reads a number."""
    values = [_RANGE if t.lower() in _RANGE_MARKS else to_int(t) for t in tokens]
    values = [v for v in values if v is not None]  # an unreadable numeral names nothing
    numbers: list[int] = []
    i = 0
    while i < len(values):
        value = values[i]
        if value is not _RANGE:
            if i + 2 < len(values) and values[i + 1] is _RANGE and values[i + 2] is not _RANGE:
                a, b = value, values[i + 2]
                if a <= b and b - a <= MAX_RANGE:
                    numbers.extend(range(a, b + 1))
                else:
                    numbers.extend([a, b])
                i += 3
                continue
            numbers.append(value)
        i += 1
    return numbers


def ordinal_numbers(words: str) -> list[int]:
    """The numbers of a list of ordinals: "9th and twelfth" -> [9, 12]."""
    return [_ordinal_number(w) for w in _ORD_TOKEN.findall(words)]


def _ordinal_number(word: str) -> int:
    """"9th" -> 9, "twelfth" -> 12, "twentieth" -> 20, "twenty-first" -> 21."""
    word = word.lower()
    if word[0].isdigit():
        return int(re.match(r"\d+", word).group())
    if word in _ORDINALS:
        return _ORDINALS[word]
    unit = re.split(r"y[\s-]?", word, maxsplit=1)[1] if not word.endswith("ieth") else ""
    return _TENS[re.match(r"twent|thirt|fort|fift", word).group()] + _ORDINALS.get(unit, 0)


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")


def roman_number(numeral: str, strict: bool = True) -> int | None:
    """A roman numeral's value, up to 399; None for anything else (``strict``: also for a malformed one).

    >>> [roman_number(r) for r in ("IV", "XII", "XC", "IIII", "IC", "", "iv")], roman_number("IIII", strict=False)
    ([4, 12, 90, None, None, None, None], 4)
    """
    if not numeral or any(c not in _ROMAN_VALUES for c in numeral) or (strict and not _ROMAN.fullmatch(numeral)):
        return None
    digits = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-d if i + 1 < len(digits) and d < digits[i + 1] else d for i, d in enumerate(digits))


def roman_numeral(number: int) -> str:
    """``number`` (1 to 399) in roman numerals, as :func:`roman_number` reads them.

    >>> [roman_numeral(n) for n in (1, 4, 9, 14, 40, 99, 399)]
    ['I', 'IV', 'IX', 'XIV', 'XL', 'XCIX', 'CCCXCIX']
    """
    out = ""
    for value, numeral in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"),
                           (1, "I")):
        count, number = divmod(number, value)
        out += numeral * count
    return out


def zh_numeral(number: int) -> str:
    """A number up to 999 in Chinese numerals, as a document numbers its articles ("第十二条").

    >>> [zh_numeral(n) for n in (3, 10, 12, 20, 105, 110, 1260)]
    ['三', '十', '十二', '二十', '一百零五', '一百一十', '1260']
    """
    digits = "零一二三四五六七八九"
    if not 0 <= number <= 999:
        return str(number)  # "第1000条" stays in digits
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    text = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (digits[ones] if ones else "") if number else digits[0]


def zh_number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 999: '12', '十二', '二十', '一百零五'; digits written one by one are read
    by place ('二〇二〇' 2020, '一〇' 10).

    >>> [zh_number(t) for t in ("12", "十二", "二十", "一百零五", "二〇二〇", "一〇", "x")]
    [12, 12, 20, 105, 2020, 10, None]
    """
    if text.isdigit():
        return int(text)
    if len(text) > 1 and all(ch in _ZH_DIGITS for ch in text):
        return int("".join(str(_ZH_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    total += current
    return total or None
