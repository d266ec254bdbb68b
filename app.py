"""The Gradio chat: streamed, cited answers with the source paragraphs beside them.

    python app.py            # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT honoured)

Thin on purpose: ``respond`` turns one message into chat updates, ``build_app``
lays out the page around a pipeline built once, ``main`` reads the settings and
loads the models. Rendering lives in ``rag/render.py``; a document a user opens
beside the configured corpus is indexed by ``rag/library.py``.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator

from rag.errors import RagError
from rag.ingest import own_name
from rag.render import answer_html, document_html, esc, sources_html

log = logging.getLogger("app")

EXAMPLES = [  # the Beijing Initiative's (corpus/); any other document gets the questions of ``examples``
    "What does the initiative say about climate change?",
    "Which principles should a new form of international relations feature?",
    "What does paragraph 9 say?",
    "关于不同文明之间的交流，倡议怎么说？",
    "Who won the 2018 FIFA World Cup?",
]
CSS = """
.declined { border-left: 4px solid #b45309; padding-left: 8px; color: #7c2d12; }
.source { border-bottom: 1px solid #e5e7eb; padding: 6px 0; }
.source mark { background: #fde68a; }
.status { font-size: 0.8em; color: #166534; }
.notice { color: #92400e; }
a.cite { text-decoration: none; font-weight: 600; }
.pending { color: #6b7280; }
"""

# What the chat shows while the asker works on a step that streams no tokens (from the moment the question
# is sent: the model's first token comes a second or more later, seconds under load).
SEARCHING = "Searching the document…"
STEPS = {
    "rewriting": "Reading the follow-up with the question before it…",  # RAG_REWRITE_FOLLOW_UPS=true
    "translating": "Translating the question for the search…",
    "generating": "Reading the passages…",
    "rereading": "Reading the whole paragraph…",  # the draft found no answer the text holds up: a second reading
}


def respond(message: str, history: list[dict], pipeline, answerer: str | None = None,
            k: int | None = None) -> Iterator[tuple[list[dict], str, object]]:
    """Answer ``message``; yield (chat messages, sources HTML, result or None) as it streams.

    The last yield carries the verified answer. Errors become one short message,
    never a traceback; an empty message changes nothing.
    """
    history = list(history or [])
    if not isinstance(message, str) or not message.strip():
        yield history, sources_html(None, {}), None
        return
    paragraphs = {p.label: p for p in pipeline.index.paragraphs}
    names = own_names(pipeline)
    shown = history + [{"role": "user", "content": esc(message)}]
    turns = [{"role": t["role"], "content": _plain(t)} for t in history]
    pending = sources_html(None, paragraphs, pending=True)
    yield shown + [_status(SEARCHING)], pending, None  # the question shows (and leaves the box) at once
    try:
        asker = pipeline.asker(answerer)
        draft = ""
        for kind, value in asker.stream(message, turns, int(k) if k else None):
            if kind == "token":
                draft += value
                yield shown + [{"role": "assistant", "content": esc(draft) + " ▌"}], pending, None
            elif kind == "status" and value in STEPS:
                draft = ""  # nothing drafted before a translation; a second reading starts a fresh draft
                yield shown + [_status(STEPS[value])], pending, None
            elif kind == "status" and value == "verifying":
                yield shown + [{"role": "assistant", "content": esc(draft) or "…"}], pending, None
            elif kind == "result":
                yield shown + [{"role": "assistant", "content": answer_html(value, paragraphs),
                                "metadata": None}], sources_html(value, paragraphs, names=names), value
    except RagError as err:
        yield shown + [{"role": "assistant", "content": f'<div class="declined">{esc(str(err))}</div>'}], \
            sources_html(None, paragraphs), None
    except Exception as err:  # a backend or bug must not show a traceback
        log.exception("answering failed")
        yield shown + [{"role": "assistant", "content": esc(f"Something went wrong ({type(err).__name__}); "
                                                             "please try again.")}], sources_html(None, paragraphs), None


def _status(text: str) -> dict:
    return {"role": "assistant", "content": f'<span class="status">{text}</span>'}


def _plain(turn: dict) -> str:
    """History as text for the model: the chat stores rendered HTML."""
    content = turn.get("content", "")
    if isinstance(content, list):  # Gradio 6 sends content back as blocks: [{"type": "text", "text": ...}]
        content = " ".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    elif not isinstance(content, str):
        content = str(content)
    # the small print (a refusal's closest paragraphs, a fallback notice) is not what was said:
    # "And the one before it?" must step from what the answer cited, not from a hint
    content = re.sub(r"<small\b[^>]*>.*?</small>", "", content, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", content)).replace(" ▌", "").strip()


def examples(pipeline) -> list[str]:
    """Questions to try: the Beijing Initiative's own, or, for any other document, ones every document with
    numbered paragraphs answers (or declines)."""
    if any("Beijing Initiative" in d["title"] for d in pipeline.index.documents):
        return EXAMPLES
    first = pipeline.index.paragraphs[0]
    named = first.label if ":" in first.label else f"paragraph {first.number}"  # "water:3" in a corpus of several
    return [f"What does {named} say?", "What does the last paragraph say?", f"第{first.number}段讲了什么？",
            "Who won the 2018 FIFA World Cup?"]


def own_names(pipeline) -> dict[str, str]:
    """Each paragraph's label -> what its document calls it, where that is more than its number ("Article III").
    Asked for on every answer: a corpus numbered "1." (an archive of 100,000 paragraphs) costs no pass over them."""
    numbering = {d["doc"]: d.get("numbering", "1.") for d in pipeline.index.documents}
    if not any(own_name(1, n) for n in numbering.values()):
        return {}
    return {p.label: name for p in pipeline.index.paragraphs if (name := own_name(p.number, numbering[p.doc]))}


def _title(pipeline) -> str:
    """The page's heading, as HTML: a document's title is its text, escaped (Markdown would load an image a
    title names)."""
    documents = pipeline.index.documents
    return (f"<h3>Ask the document — {esc(documents[0]['title'])}</h3>" if len(documents) == 1
            else "<h3>Ask the documents</h3>")


def _progress(progress):
    """rag.index's progress protocol (a bar per stage: ``bar = factory(total, label)``, ``bar(n)``) on a
    Gradio progress tracker."""
    def factory(total: int, label: str):
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            progress(done / max(total, 1), desc=label)
        return tick
    return factory


def build_app(pipeline):
    """The page around a ready pipeline; nothing is loaded here."""
    import gradio as gr

    from rag.library import Library

    settings = pipeline.settings
    library = Library(pipeline)  # the documents users open beside the corpus; each session names its own
    answerers = list(dict.fromkeys([settings.answerer, "local", "extractive"]))

    def ask_api(question: str, history: list | None = None, answerer: str | None = None) -> dict:
        """Answer ``question`` (optional ``history`` of role/content turns) as a structured result."""
        try:
            return pipeline.asker(answerer).ask(question, history or []).to_dict()
        except RagError as err:
            return {"error": str(err), "answer": str(err), "refused": True, "citations": [], "retrieved": []}

    def asked(document):
        """The pipeline of the document this session asks; None, with a notice, if it is gone from the server."""
        try:
            return library.get(document)
        except RagError as err:
            gr.Warning(str(err))
            return None

    def chat(message, history, answerer, k, document):
        if not isinstance(message, str) or not message.strip():
            gr.Info("Type a question about the document first.")
        shown = asked(document)
        if shown is None:  # the question stays in the box
            yield message, history, gr.update()
            return
        for messages, sources, _ in respond(message, history, shown, answerer, k):
            yield "", messages, sources

    def retry(history, answerer, k, document):
        history = list(history or [])
        last_user = max((i for i, t in enumerate(history) if t["role"] == "user"), default=None)
        shown = asked(document)
        if last_user is None or shown is None:
            yield history, sources_html(None, {})
            return
        message = _plain(history[last_user])
        for messages, sources, _ in respond(message, history[:last_user], shown, answerer, k):
            yield messages, sources

    def open_document(file, document, progress=gr.Progress()):
        """Index the file a user opened and answer from it in this session; a bad file changes nothing. The
        upload box is emptied either way, ready for the next file (the title names the document open)."""
        if not file:
            return document, *_unchanged()
        try:
            document, opened = library.open(file, _progress(progress))
        except RagError as err:
            gr.Warning(str(err))
            return document, *_unchanged()
        return document, *_showing(opened)

    def main_document(document):
        if document is None:  # already asking the corpus: the conversation stays
            return None, *_unchanged()
        return None, *_showing(pipeline)

    def _unchanged():
        """The page as it is, but an empty upload box, ready for the next file."""
        return gr.update(), gr.update(), gr.update(), gr.update(), None, gr.update()

    def _showing(shown):
        """The page for another document: its title, its paragraphs, a new conversation, its examples."""
        return (_title(shown), document_html(shown.index.paragraphs, names=own_names(shown)), [],
                sources_html(None, {}), None,
                gr.Dataset(samples=[[q] for q in examples(shown)]))

    with gr.Blocks(title="Cited answers") as demo:
        document = gr.State(None)  # the key of the document this session opened (rag.library), None: the corpus
        title = gr.HTML(_title(pipeline))
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True, elem_id="chat")
                box = gr.Textbox(placeholder="Ask a question in English or Chinese…", show_label=False,
                                 elem_id="question", max_lines=6)
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    again = gr.Button("Retry", elem_id="retry")
                    clear = gr.Button("Clear", elem_id="clear")
                tries = gr.Examples(examples(pipeline), inputs=[box], label="Try")
                with gr.Accordion("Settings", open=False):
                    answerer = gr.Dropdown(answerers, value=settings.answerer, label="Answerer")
                    k = gr.Slider(1, max(10, settings.k), value=settings.k, step=1, label="Paragraphs retrieved")
            with gr.Column(scale=2):
                with gr.Tab("Sources"):
                    sources = gr.HTML(sources_html(None, {}), elem_id="sources")
                with gr.Tab("Document"):
                    text = gr.HTML(document_html(pipeline.index.paragraphs, names=own_names(pipeline)),
                                   elem_id="document")
                with gr.Tab("Open"):
                    upload = gr.File(label="Ask about another document: a .txt or .md file with numbered paragraphs",
                                     file_types=[".txt", ".md", ".markdown"], type="filepath", elem_id="open")
                    back = gr.Button(f"Back to {pipeline.index.documents[0]['title']}"
                                     if len(pipeline.index.documents) == 1 else "Back to the documents",
                                     elem_id="back")
        answering = [
            box.submit(chat, [box, chatbot, answerer, k, document], [box, chatbot, sources], api_visibility="private"),
            send.click(chat, [box, chatbot, answerer, k, document], [box, chatbot, sources], api_visibility="private"),
            again.click(retry, [chatbot, answerer, k, document], [chatbot, sources], api_visibility="private"),
        ]
        # Switching documents stops an answer still streaming (it would land in the other document's chat), and
        # no question can be sent while one is indexed; one document is indexed at a time, beside the answers.
        shown = [title, text, chatbot, sources, upload, tries.dataset]
        asking = [box, send, again]
        upload.upload(lambda: [gr.update(interactive=False)] * 3, None, asking, cancels=answering, queue=False,
                      api_visibility="private").then(
            open_document, [upload, document], [document, *shown], concurrency_limit=1, concurrency_id="open",
            api_visibility="private").then(
            lambda: [gr.update(interactive=True)] * 3, None, asking, queue=False, api_visibility="private")
        back.click(main_document, [document], [document, *shown], api_visibility="private", cancels=answering)
        clear.click(lambda: ([], sources_html(None, {})), None, [chatbot, sources], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=8)
    return demo


def main() -> None:
    from rag.cli import _progress, configure_logging
    from rag.pipeline import load_pipeline
    from rag.settings import apply_offline_environment, load_settings

    apply_offline_environment()
    configure_logging(verbose=True)
    try:
        settings = load_settings()
        log.info("loading the index and models (a missing index is built now)")
        pipeline = load_pipeline(settings, _progress)
        asker = pipeline.asker()
    except RagError as err:  # nothing to serve yet: one sentence, not a traceback
        log.error("%s", err)
        raise SystemExit(2) from None
    try:
        asker.warm()  # load the local model and cache its system prompt now, not on the first question
    except RagError as err:  # e.g. a llama.cpp built for another CPU: serve anyway, each answer says it fell back
        log.warning("%s Until the model loads, answers come from the extractive answerer.", err)
    log.info("ready: %d paragraphs, answerer %s", len(pipeline.index.paragraphs), asker.name)
    # an upload past the limit is refused by Gradio before it is stored
    build_app(pipeline).launch(share=False, css=CSS, max_file_size=settings.max_open_bytes)


if __name__ == "__main__":
    main()
