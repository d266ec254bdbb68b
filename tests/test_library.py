"""Documents opened beside the corpus (rag/library.py): each indexed once into a folder of its own, with the
main pipeline's embedders and chat models; a bad file is one sentence and changes no index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.library import OPENED, Library
from rag.pipeline import load_pipeline

pytestmark = pytest.mark.integration

CHARTER = ("Rowing Club Charter\n\nArticle I – Purpose\nThe club exists to row on the river.\n\n"
           "Article II – Members\nAnyone over sixteen may join the club.\n\nArticle III – Dues\n"
           "Members pay dues of forty euros each spring.\n")


@pytest.fixture
def main(write, make_settings):
    return load_pipeline(make_settings(write("corpus/main.txt", "Main\n\n1. Peace matters.\n2. Trade matters.\n"),
                                       answerer="fake"))


def tree(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its modification time: what a failed open must not touch."""
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_an_opened_document_is_answered_from_its_own_index(main, write):
    library = Library(main)
    key, opened = library.open(write("upload/Club charter.md", CHARTER))
    assert opened is not main and library.get(key) is opened and library.get(None) is main
    assert opened.index.documents[0]["numbering"] == "Article I"
    assert [p.label for p in opened.index.paragraphs] == ["1", "2", "3"]  # one document: plain numbers
    assert [p.label for p in main.index.paragraphs] == ["1", "2"]  # the corpus is untouched
    assert Path(opened.settings.index_dir).parent == Path(main.settings.index_dir) / OPENED / key
    result = opened.asker("extractive").ask("What does Article II say?")
    assert not result.refused and result.cited_numbers == [2]
    assert "sixteen" in result.answer
    # the embedders and chat models are the main pipeline's, not loaded again
    assert opened.pool is main.pool and opened.models is main.models
    assert opened.asker().chat_model is main.asker().chat_model


def test_opening_the_same_document_again_reuses_its_index(main, write):
    library = Library(main)
    path = write("upload/charter.md", CHARTER)
    key, first = library.open(path)
    again_key, again = library.open(path)
    assert (again_key, again) == (key, first)
    # a fresh library (the app restarted) finds the index on disk: nothing is embedded again
    reopened_key, reopened = Library(main).open(path)
    assert reopened_key == key and reopened.report.embedded == 0


def test_a_document_that_left_memory_is_reopened_from_disk(main, write):
    library = Library(main, keep=1)
    key, first = library.open(write("upload/a.md", CHARTER))
    other, _ = library.open(write("upload/b.txt", "B\n\n1. One thing.\n2. Another.\n"))
    reopened = library.get(key)
    assert reopened is not first and [p.text for p in reopened.index.paragraphs] == \
        [p.text for p in first.index.paragraphs]
    assert library.get(other) is not main


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("notes.txt", "Just some notes without numbers.\n", "no numbered paragraphs"),
    ("latin1.txt", "1. Caf\xe9.\n".encode("latin-1"), "not UTF-8"),
    ("empty.md", "", "empty"),
    ("slides.pdf", "1. One.\n", "unsupported file type .pdf"),
    ("dupes.txt", "1. One.\n2. Two.\n2. Again.\n", "appears twice"),
    ("big.txt", "1. " + "word " * 400 + "\n", "bytes"),
])
def test_a_bad_file_is_one_sentence_and_changes_no_index(main, write, one_sentence, name, content, problem):
    library = Library(main, max_bytes=1000)
    key, opened = library.open(write("upload/good.md", CHARTER))
    before = tree(Path(main.settings.index_dir))
    with pytest.raises(CorpusError) as err:
        library.open(write(f"upload/{name}", content))
    one_sentence(str(err.value), name, problem)
    assert tree(Path(main.settings.index_dir)) == before
    assert library.get(key) is opened and opened.asker("extractive").ask("Who may join?").cited_numbers == [2]


def test_a_key_that_names_no_opened_document_is_one_sentence(main, write, one_sentence):
    library = Library(main)
    for key in ("0123456789abcdef", "../../etc"):
        with pytest.raises(CorpusError) as err:
            library.get(key)
        one_sentence(str(err.value), "no longer on the server", "open it again")


def test_a_document_with_no_word_to_search_still_opens(main, write):
    """Every paragraph a stopword: BM25 has no vocabulary (bm25s failed on that: "max() arg is empty")."""
    _, opened = Library(main).open(write("upload/stop.md", "X\n\n1. The.\n2. Of.\n"))
    assert opened.asker("extractive").ask("What does paragraph 2 say?").cited_numbers == [2]


def test_a_document_that_fails_to_index_leaves_nothing_behind(main, write, monkeypatch, one_sentence):
    import rag.library
    from rag.errors import IndexStateError

    def broken(*args, **kwargs):
        raise IndexStateError("The index at x could not be rebuilt (ValueError: boom).")

    library = Library(main)
    monkeypatch.setattr(rag.library, "load_pipeline", broken)
    with pytest.raises(CorpusError) as err:
        library.open(write("upload/charter.md", CHARTER))
    one_sentence(str(err.value), "charter.md could not be indexed", "log")
    assert "/" not in str(err.value) and "boom" not in str(err.value)  # the details go to the log, not the user
    assert list(library.root.iterdir()) == []


def test_a_failure_reopening_a_document_built_before_keeps_it(main, write, monkeypatch):
    import rag.library
    from rag.errors import IndexStateError

    path = write("upload/charter.md", CHARTER)
    key, _ = Library(main).open(path)
    restarted = Library(main)

    def broken(*args, **kwargs):
        raise IndexStateError("The store is busy.")

    with monkeypatch.context() as patch:
        patch.setattr(rag.library, "load_pipeline", broken)
        with pytest.raises(CorpusError):
            restarted.open(path)
    assert (restarted.root / key / "document").is_dir()  # a passing failure deletes nothing built before
    assert restarted.open(path)[1].report.embedded == 0


def test_errors_name_the_file_not_where_the_server_keeps_it(main, write):
    path = write("upload/deep/server/path/empty.md", "")
    with pytest.raises(CorpusError) as err:
        Library(main).open(path)
    assert str(err.value) == "empty.md: the file is empty."
    with pytest.raises(CorpusError) as err:  # the user's own name, not the one the index gives it
        Library(main).open(write("upload/deep/My notes (v2).txt", "Notes without numbers.\n"))
    assert str(err.value).startswith("My notes (v2).txt: no numbered paragraphs found")


def test_too_many_paragraphs_is_one_sentence(main, write, one_sentence):
    with pytest.raises(CorpusError) as err:
        Library(main, max_paragraphs=2).open(write("upload/charter.md", CHARTER))
    one_sentence(str(err.value), "charter.md", "3 numbered paragraphs", "up to 2")


def test_the_least_recently_opened_documents_leave_the_disk(main, write):
    library = Library(main, keep=1, keep_on_disk=2)
    keys = [library.open(write(f"upload/d{i}.txt", f"D{i}\n\n1. Thing {i}.\n"))[0] for i in range(4)]
    assert sorted(f.name for f in library.root.iterdir()) == sorted(keys[-2:])
    with pytest.raises(CorpusError):
        library.get(keys[0])
    assert library.get(keys[-2]).index.paragraphs[0].text == "Thing 2."
    # opened again after it left the disk: built afresh, not taken for a damaged store
    again = library.open(write("upload/d0.txt", "D0\n\n1. Thing 0.\n"))[1]
    assert again.index.paragraphs[0].text == "Thing 0." and not list(library.root.glob("*/*.damaged"))


def test_opened_documents_are_not_read_as_the_corpus(write, make_settings):
    """An index folder inside the corpus folder: the opened documents' copies are hidden from it."""
    corpus = write("cf/main.txt", "Main\n\n1. Peace matters.\n").parent
    main = load_pipeline(make_settings(corpus, index_dir=corpus / "idx", answerer="fake"))
    Library(main).open(write("upload/other.md", CHARTER))
    assert [d["doc"] for d in load_pipeline(main.settings).index.documents] == ["main"]


def test_the_document_is_named_after_the_file_safely(main, write):
    _, opened = Library(main).open(write("upload/My Club's charter (v2).md", CHARTER))
    assert opened.index.documents[0]["doc"] == "My_Club_s_charter_v2"
    assert os.sep not in opened.index.documents[0]["doc"]


def test_each_chat_model_and_asker_is_built_once_and_a_slow_build_holds_up_no_other():
    """``BuiltOnce`` (the askers of a pipeline, the chat models every pipeline shares): eight threads asking for
    one key build it once; another key is built while the first one's build is still running."""
    import threading
    import time

    from rag.pipeline import BuiltOnce

    built, calls, release = BuiltOnce(), [], threading.Event()

    def slow():
        calls.append("local")
        release.wait(10)
        calls.append("local built")
        return "the local model"

    threads = [threading.Thread(target=built.build, args=("local", slow)) for _ in range(8)]
    for thread in threads:
        thread.start()
    while not calls:  # the first build is under way, the other threads wait for it
        time.sleep(0.01)
    assert built.build("extractive", lambda: "no model") == "no model"
    assert calls == ["local"]  # built while the local model's build was still running: not held up by it
    release.set()
    for thread in threads:
        thread.join()
    assert calls == ["local", "local built"] and built == {"local": "the local model", "extractive": "no model"}
