"""Command line: ``python -m rag index | search | ask | model``.

Errors from the library arrive as :class:`RagError` and are printed as one
sentence (exit status 1), never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import RagError
from .records import read_question_rows


def _settings(args: argparse.Namespace):
    from .settings import load_settings

    overrides = {}
    if getattr(args, "corpus", None):
        overrides["corpus"] = Path(args.corpus)
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "k", None) is not None:  # --k 0 is an error (RAG_K), not the default
        overrides["k"] = args.k
    return load_settings(**overrides)


def _progress(total: int, label: str):
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, disable=total == 0)

    def tick(n: int) -> None:
        bar.update(n)
        if bar.n >= bar.total:
            bar.close()

    return tick


def cmd_index(args: argparse.Namespace) -> int:
    from . import store
    from .index import build_index
    from .ingest import load_corpus
    from .pipeline import EmbedderPool

    settings = _settings(args)
    documents = load_corpus(settings.corpus)
    client = store.connect(settings.index_dir, settings.chroma_url)
    report = build_index(settings, documents, EmbedderPool(settings).all, client, _progress)
    print(report.summary())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .pipeline import load_pipeline

    settings = _settings(args)
    if not args.question and not args.dataset:
        raise RagError("Give a question, or --dataset FILE.jsonl for a batch.")
    pipeline = load_pipeline(settings, _progress)
    for warning in pipeline.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    single_doc = len(pipeline.index.documents) == 1
    if args.dataset:
        for _, row in read_question_rows(Path(args.dataset)):
            question = str(row["question"])
            result = pipeline.search(question, args.k, pipeline.translate(question), pipeline.expand)
            refs = [h.paragraph.number if single_doc else h.paragraph.label for h in result.hits]
            print(json.dumps({"id": row["id"], "retrieved": refs, "scores": [round(h.score, 6) for h in result.hits],
                              "missing_refs": result.missing_refs}, ensure_ascii=False))
        return 0
    result = pipeline.search(args.question, args.k, pipeline.translate(args.question), pipeline.expand)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if result.translation:
        print(f"(searched for: {result.translation})")
    if result.expansion:
        print(f"(also searched for: {result.expansion})")
    for ref in result.missing_refs:
        print(f"The document has no paragraph {ref}.")
    for rank, hit in enumerate(result.hits, start=1):
        p = hit.paragraph
        where = f" ({p.section})" if p.section else ""
        tag = " pinned" if hit.pinned else ""
        text = p.text if len(p.text) <= 200 else p.text[:197] + "..."
        print(f"{rank}. [{p.label}]{where} score={hit.score:.4f}{tag}\n   {text}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .pipeline import load_pipeline

    settings = _settings(args)
    history = _read_history(Path(args.history), settings.max_question_chars) if args.history else None
    pipeline = load_pipeline(settings, _progress)
    for warning in pipeline.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    asker = pipeline.asker(args.answerer)
    result = None
    streamed = False
    for kind, value in asker.stream(args.question, history):
        if kind == "token" and not args.json:
            if not streamed:
                print("draft: ", end="", file=sys.stderr)
            print(value, end="", file=sys.stderr, flush=True)
            streamed = True
        elif kind == "status" and value == "rereading" and streamed:  # the draft found no answer: a second reading
            print("\nreading the whole paragraph: ", end="", file=sys.stderr, flush=True)
        elif kind == "result":
            result = value
    if streamed:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(result.answer)
    if result.missing:
        print(f"\n{result.missing}")
    searched = result.rewritten or result.translation or result.query
    if searched != result.question:
        print(f"\n(searched for: {searched})")
    if result.fallback:
        print(f"\nnote: extractive answer used ({result.fallback}).")
    for note in result.notes:
        print(f"note: {note}")
    shown = result.citations
    if shown:
        print("\nCited paragraphs:")
        for c in shown:
            print(f"  [{c.label}] " + " … ".join(c.quotes or [c.quote]))
    elif result.refused and result.retrieved:
        print("\nClosest paragraphs: " + ", ".join(f"[{r['label']}]" for r in result.retrieved[:3]))
    return 0


def _read_history(path: Path, max_chars: int) -> list[dict]:
    """The conversation in a ``--history`` file; any fault in it is one sentence naming the file."""
    from .answer import clean_history

    if not path.exists():
        raise RagError(f"{path}: no such file.")
    if not path.is_file():
        raise RagError(f"{path}: not a file.")
    try:
        history = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RagError(f"{path}: not valid JSON ({err}).") from None
    except OSError as err:
        raise RagError(f"{path}: cannot be read ({err.strerror or type(err).__name__}).") from None
    try:
        return clean_history(history, max_chars)
    except RagError as err:
        raise RagError(f"{path}: {err}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Cited answers from documents with numbered paragraphs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--corpus", help="document file or folder (default: corpus/, or RAG_CORPUS)")
        p.add_argument("--index", help="index folder (default: .index/, or RAG_INDEX_DIR)")

    p_index = sub.add_parser("index", help="build or update the index")
    common(p_index)
    p_index.set_defaults(func=cmd_index)

    p_search = sub.add_parser("search", help="rank paragraphs for a question")
    p_search.add_argument("question", nargs="?")
    p_search.add_argument("--k", type=int, default=None, help="paragraphs to return (default 5)")
    p_search.add_argument("--dataset", help="JSONL with id and question per row; prints one JSON line per row")
    p_search.add_argument("--json", action="store_true", help="print JSON")
    common(p_search)
    p_search.set_defaults(func=cmd_search)

    p_ask = sub.add_parser("ask", help="answer a question with cited paragraphs, or decline")
    p_ask.add_argument("question")
    p_ask.add_argument("--history", help='JSON file: [{"role": "user"|"assistant", "content": ...}, ...]')
    p_ask.add_argument("--answerer", choices=["local", "extractive", "ollama", "openai", "fake"],
                       help="default: RAG_ANSWERER or local")
    p_ask.add_argument("--json", action="store_true", help="print the structured result")
    common(p_ask)
    p_ask.set_defaults(func=cmd_ask)

    p_model = sub.add_parser("model", help="assemble and verify the embedded model; print its GGUF path "
                             "(e.g. to serve it with python -m llama_cpp.server)")
    p_model.set_defaults(func=cmd_model)
    return parser


def cmd_model(args: argparse.Namespace) -> int:
    from .local_model import MODELS, ensure_gguf
    from .settings import load_settings

    settings = load_settings()
    print(ensure_gguf(MODELS[settings.local_model], Path(settings.model_cache)))
    return 0


def configure_logging(verbose: bool = False) -> None:
    """Entry points configure logging; libraries only log."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)  # on the handler: bm25s sets its own logger to DEBUG when imported


def main(argv: list[str] | None = None) -> int:
    from .settings import apply_offline_environment

    apply_offline_environment()
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.func(args)
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the previous index is unchanged.", file=sys.stderr)
        return 130
