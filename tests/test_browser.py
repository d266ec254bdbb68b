"""A real browser (Debian's chromium, driven by Playwright) against the running app.

Types a question, waits for the streamed answer, clicks its [n] citation and
sees that paragraph, and checks that a <script> in a question never runs.
Set RAG_SCREENSHOT=path to keep the screenshot (of the fake answerer; the README's, of the
embedded model, comes from docs/screenshot.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import app
from rag.pipeline import load_pipeline
from rag.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "beijing_initiative_2017.txt"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]



@pytest.fixture(scope="module")
def page(tmp_path_factory, free_port):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed; `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    settings = Settings(corpus=CORPUS, index_dir=tmp_path_factory.mktemp("index"), embedders=("hash",),
                        answerer="fake")
    demo = app.build_app(load_pipeline(settings))
    demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True, css=app.CSS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(demo.local_url)
        yield page
        browser.close()
    demo.close()


def _ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def test_question_streams_a_cited_answer_and_the_citation_opens_its_paragraph(page, tmp_path):
    _ask(page, "Which climate agreement should be implemented?")
    link = page.locator("#chat a.cite").first
    link.wait_for(timeout=60_000)
    assert link.inner_text() == "[12]"
    link.click()
    source = page.locator("#sources #para-12")
    source.wait_for(timeout=10_000)
    assert source.is_visible()
    assert "Paris Agreement" in source.inner_text()
    assert page.locator("#sources #para-12 mark").count() == 1  # the supporting sentence
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("RAG_SCREENSHOT"):
        shutil.copy(shot, os.environ["RAG_SCREENSHOT"])


def test_script_in_a_question_is_shown_as_text_and_never_runs(page):
    page.locator("#clear").click()
    _ask(page, "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> climate?")
    page.locator("#chat .declined, #chat a.cite").first.wait_for(timeout=60_000)
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned = 1</script>" in page.locator("#chat").inner_text()


def test_document_tab_shows_every_paragraph(page):
    page.get_by_role("tab", name="Document").click()
    doc = page.locator("#document")
    doc.wait_for(timeout=10_000)
    text = doc.inner_text()
    assert all(f"{n}." in text for n in range(1, 17))
    page.get_by_role("tab", name="Sources").click()


def test_a_user_opens_another_document_and_asks_about_it(page, tmp_path):
    """Another document, opened in one session: its paragraphs are cited there, while another session still
    asks the corpus; a file with no numbered paragraphs is one sentence and changes nothing."""
    charter = tmp_path / "charter.md"
    charter.write_text("Rowing Club Charter\n\nArticle I – Purpose\nThe club exists to row on the river.\n\n"
                       "Article II – Members\nAnyone over sixteen may join the club.\n", encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("Some notes without numbered paragraphs.\n", encoding="utf-8")
    mine = page.context.browser.new_page(viewport={"width": 1300, "height": 900})
    mine.goto(page.url)
    mine.get_by_role("tab", name="Open").click()
    mine.locator("#open input[type=file]").set_input_files(str(charter))
    mine.get_by_text("Ask the document — Rowing Club Charter").wait_for(timeout=60_000)
    assert mine.get_by_text("What does the last paragraph say?").is_visible()  # its examples, not the corpus'
    mine.locator("#question textarea").fill("Who may join the club?")
    mine.locator("#ask").click()
    link = mine.locator("#chat a.cite").first
    link.wait_for(timeout=60_000)
    assert link.inner_text() == "[2]" and "sixteen" in link.get_attribute("title")

    mine.get_by_role("tab", name="Open").click()
    mine.locator("#open input[type=file]").set_input_files(str(notes))
    mine.get_by_text("no numbered paragraphs").first.wait_for(timeout=30_000)
    assert mine.get_by_text("Ask the document — Rowing Club Charter").is_visible()

    # the first session still asks the corpus
    page.locator("#clear").click()
    _ask(page, "Which climate agreement should be implemented?")
    first = page.locator("#chat a.cite").first
    first.wait_for(timeout=60_000)
    assert first.inner_text() == "[12]"

    mine.locator("#back").click()
    mine.get_by_text("Ask the document — 北京倡议").wait_for(timeout=30_000)
    mine.close()


def test_switching_documents_stops_an_answer_still_streaming(page, tmp_path, free_port, monkeypatch):
    """An answer of the corpus still coming when another document is opened must not land in its chat, and
    no question can be sent while the document is indexed."""
    import time

    import rag.library
    import rag.llm

    monkeypatch.setattr(rag.llm, "make_chat_model", lambda settings, name=None: rag.llm.FakeChatModel(delay=3.0))
    load = rag.library.load_pipeline
    monkeypatch.setattr(rag.library, "load_pipeline", lambda *a, **kw: time.sleep(3) or load(*a, **kw))  # indexing
    settings = Settings(corpus=CORPUS, index_dir=tmp_path / "index", embedders=("hash",), answerer="fake")
    demo = app.build_app(load_pipeline(settings))  # its own server: its fake model takes 3 s to start answering
    demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True, css=app.CSS)
    charter = tmp_path / "charter.md"
    charter.write_text("Rowing Club Charter\n\nArticle I – Purpose\nThe club exists to row on the river.\n",
                       encoding="utf-8")
    slow = page.context.browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        slow.goto(demo.local_url)
        _ask(slow, "Which climate agreement should be implemented?")
        slow.get_by_text("Reading the passages…").wait_for(timeout=30_000)  # the model is on it
        slow.get_by_role("tab", name="Open").click()
        slow.locator("#open input[type=file]").set_input_files(str(charter))
        slow.wait_for_timeout(1_000)
        assert slow.locator("#ask").is_disabled() and slow.locator("#question textarea").is_disabled()
        slow.get_by_text("Ask the document — Rowing Club Charter").wait_for(timeout=60_000)
        slow.locator("#ask").wait_for(state="visible")
        slow.wait_for_timeout(4_000)  # past the moment the corpus' answer would have arrived
        assert slow.locator("#ask").is_enabled()
        assert slow.locator("#chat a.cite").count() == 0
        assert "climate" not in slow.locator("#chat").inner_text()
    finally:
        slow.close()
        demo.close()
