"""Pure rendering of answers and sources for the chat window (no Gradio here).

Everything that came from a user, a model or the corpus is HTML-escaped before
any markup is added, so ``<script>`` in a question, an answer or a document is
shown as text and never runs. Citations become links to the paragraph in the
sources panel (``#para-<label>``) with the paragraph's text as a tooltip.

>>> from rag.records import Paragraph
>>> p = Paragraph("d", 6, "Win-win <b>cooperation</b>.", "6")
>>> link_citations("Cooperate [6].", {"6": p})
'Cooperate <a class="cite" href="#para-6" title="Win-win &lt;b&gt;cooperation&lt;/b&gt;.">[6]</a>.'
"""

from __future__ import annotations

import html
import re

from .cite import CITATION, expand_labels
from .records import Paragraph

_STATUS = {"checked": "✓ checked", "recited": "↻ re-cited", "quoted": "❝ quoted",
           "located": "⌖ located"}


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def anchor(label: str) -> str:
    return "para-" + re.sub(r"[^\w-]", "-", label)


def link_citations(text: str, paragraphs: dict[str, Paragraph]) -> str:
    """Escape ``text`` and turn each known citation into a link with a tooltip."""
    out, last = [], 0
    for m in CITATION.finditer(text):
        out.append(esc(text[last:m.start()]))
        links = []
        for label in expand_labels(m.group(1)):
            p = paragraphs.get(label)
            if p is None:
                links.append(esc(f"[{label}]"))
            else:
                tip = p.text if len(p.text) <= 400 else p.text[:397] + "..."
                links.append(f'<a class="cite" href="#{anchor(label)}" title="{esc(tip)}">[{esc(label)}]</a>')
        out.append("".join(links))
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def answer_html(result, paragraphs: dict[str, Paragraph]) -> str:
    """The chat bubble for a finished result: a declined answer looks different."""
    if result.refused:
        closest = ", ".join(
            f'<a class="cite" href="#{anchor(r["label"])}">[{esc(r["label"])}]</a>' for r in result.retrieved[:3])
        hint = f"<br><small>Closest paragraphs: {closest}</small>" if closest else ""
        return f'<div class="declined">⊘ {esc(result.answer)}{hint}</div>'
    body = link_citations(result.answer, paragraphs)
    if getattr(result, "missing", None):  # "paragraphs 9 and 99": 99 is reported, not passed over
        body += f'<br><small class="notice">{esc(result.missing)}</small>'
    if result.fallback:
        body += f'<br><small class="notice">Answered from the document\'s own sentences ({esc(result.fallback)}).</small>'
    return body


def sources_html(result, paragraphs: dict[str, Paragraph], pending: bool = False,
                 names: dict[str, str] | None = None) -> str:
    """The sources panel: each cited paragraph in full, its supporting sentence marked; ``names`` are what the
    document calls them, where that is more than their number ("Article III", see ``ingest.own_name``)."""
    if pending:
        return '<div class="sources pending">⏳ Verifying citations…</div>'
    if result is None:
        return '<div class="sources empty">Cited paragraphs appear here.</div>'
    parts = []
    if result.refused:
        parts.append(f'<div class="declined">Declined ({esc(result.refusal_reason or "")}). '
                     "Closest paragraphs:</div>")
        cards = [(r["label"], None, None) for r in result.retrieved[:3]]
    else:
        cards = [(c.label, c.quotes or [c.quote], c.status) for c in result.citations]
    for label, quotes, status in cards:
        p = paragraphs.get(label)
        if p is None:
            continue
        text = esc(p.text)
        for quote in quotes or []:  # every sentence an answer sentence rests on
            if quote:
                text = text.replace(esc(quote), f"<mark>{esc(quote)}</mark>", 1)
        where = " · ".join(esc(x) for x in ((names or {}).get(label), p.section, p.doc) if x)
        badge = f' <span class="status">{_STATUS.get(status, "")}</span>' if status else ""
        parts.append(f'<div class="source" id="{anchor(label)}"><b>¶ {esc(label)}</b>'
                     f'{f" <small>{where}</small>" if where else ""}{badge}<p>{text}</p></div>')
    notes = list(result.notes)
    if result.fallback:
        notes.insert(0, f"fallback: {result.fallback}")
    if getattr(result, "expansion", None):
        notes.insert(0, f"also searched for: {result.expansion}")
    if getattr(result, "translation", None):
        notes.insert(0, f"searched in English for: {result.translation}")
    if getattr(result, "rewritten", None):
        notes.insert(0, f"searched for: {result.rewritten} (the follow-up with the question before it)")
    if notes:
        parts.append("<details><summary>Verification notes</summary><ul>"
                     + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul></details>")
    return '<div class="sources">' + "".join(parts) + "</div>"


DOCUMENT_TAB_LIMIT = 2000  # a 100,000-paragraph archive would make a page of ~100 MB


def document_html(paragraphs: list[Paragraph], limit: int = DOCUMENT_TAB_LIMIT,
                  names: dict[str, str] | None = None) -> str:
    """The document by paragraph number, and by its own name for one where it is more ("3. Article III"), for
    checking a citation in context (the first ``limit`` paragraphs of a very large corpus; the Sources panel
    always shows cited ones in full).

    >>> from rag.records import Paragraph
    >>> many = [Paragraph("d", n, f"Text {n}.", str(n)) for n in range(1, 6)]
    >>> html = document_html(many, limit=2)
    >>> html.count("<p id="), "first 2 of 5 paragraphs" in html
    (2, True)
    """
    rows, section = [], None
    if len(paragraphs) > limit:
        rows.append(f'<p class="notice">Showing the first {limit:,} of {len(paragraphs):,} paragraphs; '
                    "cited paragraphs always appear in full under Sources.</p>")
    for p in paragraphs[:limit]:
        if p.section != section and p.section:
            rows.append(f"<h4>{esc(p.section)}</h4>")
        section = p.section
        name = (names or {}).get(p.label)
        own = f" <small>{esc(name)}</small>" if name else ""
        rows.append(f'<p id="doc-{anchor(p.label)}"><b>{esc(p.label)}.</b>{own} {esc(p.text)}</p>')
    return '<div class="document">' + "".join(rows) + "</div>"
