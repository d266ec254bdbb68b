"""rag/render.py: pure HTML rendering of answers, sources and the document.

Records are built by hand (no index, no model). Everything that came from a user,
a model or the corpus must be escaped before markup is added.
"""

from __future__ import annotations

import html
import re

import pytest

from rag.answer import AnswerResult, Citation
from rag.records import Paragraph
from rag.render import anchor, answer_html, document_html, esc, link_citations, sources_html

DOC = "beijing"
TEXTS = {
    3: "Peace and development remain the call of our day. The world is full of hope.",
    4: "No country can alone address the many challenges facing mankind.",
    5: "Peace, like air and sunshine, is hardly noticed. None of us can live without it.",
    6: "Win-win cooperation is imperative. Mutual respect implies equal rights.",
    7: "Political parties play a critical role in garnering popular support.",
}
SECTIONS = {3: "Preamble", 4: "Preamble", 5: "Principles", 6: "Principles", 7: None}
PARAS = {str(n): Paragraph(DOC, n, text, str(n), SECTIONS[n]) for n, text in TEXTS.items()}

HOSTILE = '<b>bold</b> "quoted" & \'single\' <script>alert(1)</script>'


def para(n: int, text: str | None = None, label: str | None = None, section: str | None = None,
         doc: str = DOC) -> Paragraph:
    return Paragraph(doc, n, text if text is not None else TEXTS.get(n, f"Paragraph {n} text."),
                     label or str(n), section)


def result(answer: str = "", citations: list[Citation] | None = None, refused: bool = False,
           refusal_reason: str | None = None, retrieved: list[str] | None = None,
           fallback: str | None = None, notes: list[str] | None = None, question: str = "Q?") -> AnswerResult:
    return AnswerResult(
        question=question, query=question, answer=answer, citations=citations or [], refused=refused,
        refusal_reason=refusal_reason,
        retrieved=[{"label": label, "number": int(label.rsplit(":", 1)[-1]), "doc": DOC, "score": 0.5,
                    "pinned": False} for label in (retrieved or [])],
        answerer="fake", fallback=fallback, notes=notes or [],
    )


def cite(p: Paragraph, quote: str, status: str = "checked") -> Citation:
    return Citation(p.label, p.doc, p.number, p.section, quote, status)


LINK = re.compile(r'<a class="cite" href="#([^"]*)" title="([^"]*)">\[([^\]]*)\]</a>')


def links(rendered: str) -> list[tuple[str, str, str]]:
    """(href target, unescaped title, label) of every citation link."""
    return [(href, html.unescape(title), label) for href, title, label in LINK.findall(rendered)]


def no_raw_markup(rendered: str) -> None:
    low = rendered.lower()
    assert "<script" not in low, rendered
    assert "<b>bold" not in low, rendered


# --------------------------------------------------------------------------- esc / anchor


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<script>", "&lt;script&gt;"),
        ('a "b"', "a &quot;b&quot;"),
        ("it's", "it&#x27;s"),
        ("A & B", "A &amp; B"),
        ("和平 [6]", "和平 [6]"),
    ],
    ids=["tag", "double-quote", "single-quote", "ampersand", "plain"],
)
def test_esc(raw, escaped):
    assert esc(raw) == escaped


@pytest.mark.parametrize(
    ("label", "target"),
    [
        ("6", "para-6"),
        ("doc:6", "para-doc-6"),
        ("my report.v2:6", "para-my-report-v2-6"),
        ('x"><script>:1', "para-x---script--1"),
    ],
    ids=["number", "doc-label", "dots-and-spaces", "hostile"],
)
def test_anchor_is_a_safe_id(label, target):
    assert anchor(label) == target
    assert re.fullmatch(r"[\w-]+", anchor(label))


# --------------------------------------------------------------------------- link_citations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cooperate [6].", [("para-6", "6")]),
        ("Cooperate [3, 7].", [("para-3", "3"), ("para-7", "7")]),
        ("Cooperate [3-5].", [("para-3", "3"), ("para-4", "4"), ("para-5", "5")]),
        ("Cooperate [3–5].", [("para-3", "3"), ("para-4", "4"), ("para-5", "5")]),
        ("Cooperate 【6】.", [("para-6", "6")]),
        ("Peace [3]. Cooperation [6].", [("para-3", "3"), ("para-6", "6")]),
        ("No citation here.", []),
    ],
    ids=["single", "list", "range", "en-dash-range", "full-width", "two-sentences", "none"],
)
def test_citations_become_links_with_the_paragraph_as_tooltip(text, expected):
    rendered = link_citations(text, PARAS)
    found = links(rendered)
    assert [(href, label) for href, _, label in found] == expected
    for _, title, label in found:
        assert title == PARAS[label].text
    assert rendered.startswith(esc(text.split("[")[0].split("【")[0]))


def test_single_citation_exact_markup():
    title = esc(TEXTS[6])
    assert link_citations("Cooperate [6].", PARAS) == \
        f'Cooperate <a class="cite" href="#para-6" title="{title}">[6]</a>.'


@pytest.mark.parametrize(
    ("text", "plain", "linked"),
    [
        ("Invented [42].", "[42]", []),
        ("Zero [0].", "[0]", []),
        ("Mixed [6, 42].", "[42]", ["6"]),
    ],
    ids=["unknown", "zero", "known-and-unknown"],
)
def test_unknown_label_stays_plain_text(text, plain, linked):
    rendered = link_citations(text, PARAS)
    assert [label for _, _, label in links(rendered)] == linked
    assert plain in LINK.sub("", rendered)
    assert 'href="#para-42"' not in rendered and 'href="#para-0"' not in rendered


def test_multi_document_label_gets_a_safe_anchor():
    paragraphs = {"doc:6": para(6, "Solar panels power the library.", label="doc:6", doc="doc")}
    rendered = link_citations("Solar power [doc:6].", paragraphs)
    assert links(rendered) == [("para-doc-6", "Solar panels power the library.", "doc:6")]
    assert 'href="#para-doc:6"' not in rendered


def test_text_around_citations_is_escaped():
    rendered = link_citations("<script>alert(1)</script> [6] & <b>x</b>", PARAS)
    assert "<script>" not in rendered and "<b>" not in rendered
    assert rendered.startswith("&lt;script&gt;alert(1)&lt;/script&gt; ")
    assert rendered.endswith(" &amp; &lt;b&gt;x&lt;/b&gt;")
    assert [label for _, _, label in links(rendered)] == ["6"]


def test_paragraph_text_is_escaped_inside_the_title_attribute():
    paragraphs = {"6": para(6, HOSTILE)}
    rendered = link_citations("See [6].", paragraphs)
    title = re.search(r'title="([^"]*)"', rendered).group(1)  # the attribute is not broken by a quote
    assert '"' not in title and "<" not in title and ">" not in title
    assert html.unescape(title) == HOSTILE
    assert "&quot;quoted&quot;" in title and "&lt;b&gt;" in title
    no_raw_markup(rendered)


def test_long_paragraph_tooltip_is_truncated():
    long_text = "word " * 200
    rendered = link_citations("See [6].", {"6": para(6, long_text)})
    (_, title, _), = links(rendered)
    assert len(title) == 400 and title.endswith("...") and long_text.startswith(title[:-3])


# --------------------------------------------------------------------------- answer_html


def test_refused_answer_is_a_declined_bubble_linking_the_closest_paragraphs():
    r = result("The document has no paragraph 42.", refused=True, refusal_reason="missing_paragraph",
               retrieved=["5", "3", "7", "4"])
    rendered = answer_html(r, PARAS)
    assert rendered.startswith('<div class="declined">') and rendered.endswith("</div>")
    assert "The document has no paragraph 42." in rendered
    hrefs = re.findall(r'href="#([^"]+)"', rendered)
    assert hrefs == ["para-5", "para-3", "para-7"]  # the three closest, in rank order
    assert "Closest paragraphs" in rendered


def test_a_missing_paragraph_beside_the_answer_is_shown_under_it():
    r = result("Peace matters [5].", [cite(PARAS["5"], "Peace matters.")])
    r.missing = "The document has no paragraph <99>; its paragraphs run from 1 to 16."
    rendered = answer_html(r, PARAS)
    assert '<small class="notice">The document has no paragraph &lt;99&gt;;' in rendered
    assert 'class="notice"' not in answer_html(result("Peace matters [5].", [cite(PARAS["5"], "Peace matters.")]), PARAS)


def test_refused_answer_without_retrieved_paragraphs_has_no_hint():
    rendered = answer_html(result("Nothing matched.", refused=True, refusal_reason="not_addressed"), PARAS)
    assert 'class="declined"' in rendered and "Closest" not in rendered and "href" not in rendered


def test_normal_answer_links_its_citations():
    r = result("Peace and development remain the call of our day [3].", [cite(PARAS["3"], TEXTS[3][:50])])
    rendered = answer_html(r, PARAS)
    assert "declined" not in rendered and "notice" not in rendered
    assert links(rendered) == [("para-3", TEXTS[3], "3")]
    assert rendered.startswith("Peace and development remain the call of our day ")


def test_fallback_answer_shows_the_notice():
    r = result("Win-win cooperation is imperative [6].", [cite(PARAS["6"], "Win-win cooperation is imperative.")],
               fallback="backend error: <RuntimeError>")
    rendered = answer_html(r, PARAS)
    assert [label for _, _, label in links(rendered)] == ["6"]
    notice = re.search(r'<small class="notice">(.*?)</small>', rendered)
    assert notice and "document's own sentences" in notice.group(1)
    assert "backend error: &lt;RuntimeError&gt;" in notice.group(1)


@pytest.mark.parametrize("refused", [False, True], ids=["answered", "refused"])
@pytest.mark.parametrize("where", ["answer", "question", "fallback"])
def test_no_raw_script_survives_in_the_bubble(refused, where):
    hostile = "<script>alert(1)</script>"
    fields = {"answer": "Peace [3].", "question": "Q?", "fallback": None}
    fields[where] = (fields[where] or "") + hostile
    r = result(fields["answer"], [cite(PARAS["3"], "Peace")], refused=refused, retrieved=["3"],
               question=fields["question"], fallback=fields["fallback"])
    rendered = answer_html(r, PARAS)
    assert "<script" not in rendered.lower()
    shown = where == "answer" or (where == "fallback" and not refused)  # a refusal shows no fallback notice
    assert ("&lt;script&gt;alert(1)&lt;/script&gt;" in rendered) == shown


# --------------------------------------------------------------------------- sources_html


def test_pending_shows_the_verifying_placeholder():
    rendered = sources_html(None, PARAS, pending=True)
    assert "pending" in rendered and "Verifying" in rendered
    # pending wins even over a finished result
    assert sources_html(result("Peace [3].", [cite(PARAS["3"], "Peace")]), PARAS, pending=True) == rendered


def test_no_result_shows_the_empty_placeholder():
    rendered = sources_html(None, {})
    assert 'class="sources empty"' in rendered and "Cited paragraphs appear here" in rendered
    assert rendered != sources_html(None, PARAS, pending=True)


def source_cards(rendered: str) -> dict[str, str]:
    """id -> inner HTML of every source card."""
    return dict(re.findall(r'<div class="source" id="([^"]+)">(.*?)</div>', rendered))


def test_each_cited_paragraph_appears_in_full_with_its_quote_marked_and_status():
    quote3 = "Peace and development remain the call of our day."
    quote6 = "Mutual respect implies equal rights."
    r = result(f"{quote3[:-1]} [3]. Respect means equal rights [6].",
               [cite(PARAS["3"], quote3, "checked"), cite(PARAS["6"], quote6, "recited")])
    rendered = sources_html(r, PARAS)
    cards = source_cards(rendered)
    assert list(cards) == ["para-3", "para-6"]  # in citation order, anchored for the links
    for label, quote, section, badge in [("3", quote3, "Preamble", "✓ checked"),
                                         ("6", quote6, "Principles", "↻ re-cited")]:
        card = cards[f"para-{label}"]
        assert f"<b>¶ {label}</b>" in card
        assert f"<small>{section} · {DOC}</small>" in card
        assert f'<span class="status">{badge}</span>' in card
        assert f"<mark>{quote}</mark>" in card
        text = re.search(r"<p>(.*)</p>", card).group(1)
        assert text.replace("<mark>", "").replace("</mark>", "") == TEXTS[int(label)]  # in full
    assert "Verification notes" not in rendered
    assert 'id="para-5"' not in rendered  # only cited paragraphs


def test_source_without_section_names_only_its_document():
    rendered = sources_html(result("Parties matter [7].", [cite(PARAS["7"], TEXTS[7])]), PARAS)
    assert f"<small>{DOC}</small>" in source_cards(rendered)["para-7"]


def test_quote_is_marked_once_when_it_recurs():
    p = para(8, "Peace matters. Peace matters.")
    rendered = sources_html(result("Peace matters [8].", [cite(p, "Peace matters.")]), {"8": p})
    assert rendered.count("<mark>") == 1


def test_every_sentence_a_claim_rests_on_is_marked():
    c = cite(PARAS["3"], "Peace and development remain the call of our day.")
    c.quotes = [c.quote, "The world is full of hope."]
    card = source_cards(sources_html(result("Peace [3]. Hope [3].", [c]), PARAS))["para-3"]
    assert card.count("<mark>") == 2 and "<mark>The world is full of hope.</mark>" in card


def test_refused_result_lists_the_closest_paragraphs():
    r = result("The document does not address this question.", refused=True, refusal_reason="not_addressed",
               retrieved=["5", "99", "4", "3", "7"])
    rendered = sources_html(r, PARAS)
    assert '<div class="declined">Declined (not_addressed)' in rendered
    assert list(source_cards(rendered)) == ["para-5", "para-4"]  # 99 unknown is skipped; only the first three
    assert "<mark>" not in rendered and 'class="status"' not in rendered
    assert TEXTS[5] in rendered


def test_notes_and_fallback_appear_under_verification_notes():
    r = result("Peace [3].", [cite(PARAS["3"], "Peace and development remain the call of our day.")],
               fallback="timeout: no first token within 20 s",
               notes=["removed citation [42] (no such paragraph)", "dropped: Mars <b>bold</b>"])
    rendered = sources_html(r, PARAS)
    details = re.search(r"<details><summary>Verification notes</summary><ul>(.*)</ul></details>", rendered)
    assert details
    items = re.findall(r"<li>(.*?)</li>", details.group(1))
    assert items == ["fallback: timeout: no first token within 20 s",
                     "removed citation [42] (no such paragraph)",
                     "dropped: Mars &lt;b&gt;bold&lt;/b&gt;"]
    no_raw_markup(rendered)


def test_html_in_corpus_text_section_doc_and_quote_is_escaped():
    hostile_quote = '<b>bold</b> "quoted" & \'single\''
    p = Paragraph("<i>doc</i>", 9, HOSTILE, "9", "<script>sec</script>")
    r = result("Hostile [9].", [cite(p, hostile_quote)], notes=["<script>note</script>"])
    rendered = sources_html(r, {"9": p})
    no_raw_markup(rendered)
    assert "<i>" not in rendered and "&lt;i&gt;doc&lt;/i&gt;" in rendered
    assert f"<mark>{esc(hostile_quote)}</mark>" in rendered  # the escaped quote is still found and marked
    card = source_cards(rendered)["para-9"]
    assert html.unescape(re.sub(r"</?mark>", "", re.search(r"<p>(.*)</p>", card).group(1))) == HOSTILE


def test_refused_result_escapes_its_reason():
    r = result("No.", refused=True, refusal_reason="<script>x</script>", retrieved=["3"])
    assert "<script" not in sources_html(r, PARAS)


# --------------------------------------------------------------------------- document_html


def doc_rows(rendered: str) -> list[tuple[str, str]]:
    """("h", section) or (id, text) for each row, in order."""
    rows = []
    for m in re.finditer(r'<h4>(.*?)</h4>|<p id="([^"]+)"><b>([^<]*)\.</b> (.*?)</p>', rendered):
        if m.group(1) is not None:
            rows.append(("h", m.group(1)))
        else:
            rows.append((m.group(2), m.group(4)))
    return rows


def test_document_lists_every_paragraph_in_order_with_section_headings_once():
    paragraphs = [PARAS[str(n)] for n in (3, 4, 5, 6, 7)]
    rendered = document_html(paragraphs)
    assert rendered.startswith('<div class="document">') and rendered.endswith("</div>")
    assert doc_rows(rendered) == [
        ("h", "Preamble"), ("doc-para-3", TEXTS[3]), ("doc-para-4", TEXTS[4]),
        ("h", "Principles"), ("doc-para-5", TEXTS[5]), ("doc-para-6", TEXTS[6]),
        ("doc-para-7", TEXTS[7]),  # no section: no heading
    ]
    for n in (3, 4, 5, 6, 7):
        assert f'<p id="doc-para-{n}"><b>{n}.</b> ' in rendered
    assert rendered.count("<h4>Preamble</h4>") == 1 and rendered.count("<h4>Principles</h4>") == 1


@pytest.mark.parametrize(
    ("sections", "headings"),
    [
        (["A", "A", "A"], ["A"]),
        (["A", "B", "A"], ["A", "B", "A"]),  # a section that returns is headed again
        ([None, "A", None], ["A"]),
        ([None, None, None], []),
    ],
    ids=["one-section", "returning-section", "gaps", "no-sections"],
)
def test_document_heading_on_each_section_change(sections, headings):
    paragraphs = [para(n, section=s) for n, s in enumerate(sections, 1)]
    rendered = document_html(paragraphs)
    assert re.findall(r"<h4>(.*?)</h4>", rendered) == headings
    assert re.findall(r'id="(doc-para-\d+)"', rendered) == ["doc-para-1", "doc-para-2", "doc-para-3"]


def test_document_multi_document_labels_and_escaping():
    paragraphs = [Paragraph("water", 1, HOSTILE, "water:1", "<b>bold</b> section"),
                  Paragraph("transit", 1, "Buses run & stop.", "transit:1")]
    rendered = document_html(paragraphs)
    no_raw_markup(rendered)
    assert '<p id="doc-para-water-1"><b>water:1.</b> ' in rendered
    assert '<p id="doc-para-transit-1"><b>transit:1.</b> Buses run &amp; stop.</p>' in rendered
    assert "<h4>&lt;b&gt;bold&lt;/b&gt; section</h4>" in rendered
    assert esc(HOSTILE) in rendered


def test_a_paragraph_is_shown_by_what_its_document_calls_it_too():
    """ "Article III" beside [3] in a charter numbered so (escaped like any text); nothing beside a plain number."""
    paragraphs = [para(n) for n in (1, 2, 3)]
    names = {"3": "Article <III>"}
    rendered = document_html(paragraphs, names=names)
    assert '<p id="doc-para-3"><b>3.</b> <small>Article &lt;III&gt;</small> ' in rendered
    assert '<p id="doc-para-2"><b>2.</b> <small>' not in rendered
    result = type("R", (), {"refused": False, "citations": [], "notes": [], "fallback": None})()
    result.citations = [type("C", (), {"label": "3", "quote": "", "quotes": [], "status": "checked"})()]
    cards = sources_html(result, {p.label: p for p in paragraphs}, names=names)
    assert "<b>¶ 3</b> <small>Article &lt;III&gt;" in cards


def test_empty_document():
    assert document_html([]) == '<div class="document"></div>'


def test_the_english_query_a_question_was_searched_by_comes_first_in_the_notes():
    r = result("和平 [3]。", [cite(PARAS["3"], "Peace and development remain the call of our day.")], question="和平？",
               notes=["re-cited to [3]: 和平"])
    r.translation = "Peace? <script>"
    items = re.findall(r"<li>(.*?)</li>", sources_html(r, PARAS))
    assert items == ["searched in English for: Peace? &lt;script&gt;", "re-cited to [3]: 和平"]


def test_the_sentence_a_close_call_was_also_searched_by_is_in_the_notes_after_the_translation():
    r = result("和平 [3]。", [cite(PARAS["3"], "Peace and development remain the call of our day.")], question="和平？")
    r.translation, r.expansion = "Peace?", "Peace is <b>the</b> precondition."
    items = re.findall(r"<li>(.*?)</li>", sources_html(r, PARAS))
    assert items == ["searched in English for: Peace?", "also searched for: Peace is &lt;b&gt;the&lt;/b&gt; precondition."]


def test_the_standalone_question_a_follow_up_was_searched_by_comes_first_in_the_notes():
    r = result("Peace matters [3].", [cite(PARAS["3"], "Peace and development remain the call of our day.")],
               question="And <peace>?", notes=["re-cited to [3]: Peace matters."])
    r.rewritten = "What does the text say about <peace>?"
    items = re.findall(r"<li>(.*?)</li>", sources_html(r, PARAS))
    assert items == ["searched for: What does the text say about &lt;peace&gt;? (the follow-up with the question "
                     "before it)", "re-cited to [3]: Peace matters."]
