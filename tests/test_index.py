"""Stage 4: the versioned index (rag/index.py) with the hash embedder in tmp dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.chunk import CHUNKER_VERSION
from rag.ingest import PARSER_VERSION

from rag import store
from rag.embed import HashEmbedder
from rag.errors import IndexStateError
from rag.index import (
    SCHEMA_VERSION,
    Index,
    chunks_for,
    collection_name,
    current_generation,
    fingerprint,
)
from rag.ingest import corpus_sha256, load_corpus
from rag.retrieve import Retriever

OLD_ENDING = "landscape and clear water."
NEW_ENDING = "landscape and clean rivers for every child."


class CountingEmbedder(HashEmbedder):
    """The hash embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_documents(self, texts):
        self.texts.extend(texts)
        return super().embed_documents(texts)


class Boom(Exception):
    """Stands in for a crash or kill in the middle of a build."""


def no_models():
    raise AssertionError("the embedder factory was called for an unchanged index")


def edit_paragraph_12(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(OLD_ENDING) == 1
    path.write_text(text.replace(OLD_ENDING, NEW_ENDING), encoding="utf-8")


def all_chunks(settings):
    paragraphs = [p for d in load_corpus(settings.corpus) for p in d.paragraphs]
    return chunks_for(settings, paragraphs)


def generation_folders(index_dir: Path) -> set[str]:
    return {p.name[4:] for p in Path(index_dir).glob("gen-*")}


# --------------------------------------------------------------------------- build / unchanged / update


def test_first_build(beijing, make_settings, build):
    settings = make_settings(beijing)
    report, client = build(settings)
    chunks = all_chunks(settings)
    assert report.status == "built"
    assert (report.documents, report.paragraphs, report.chunks) == (1, 16, len(chunks))
    assert report.embedded == len({c.text for c in chunks}) and report.reused == 0
    assert current_generation(settings.index_dir) == report.generation
    folder = settings.index_dir / f"gen-{report.generation}"
    assert (folder / "manifest.json").is_file() and (folder / "paragraphs.json").is_file()
    assert (folder / "bm25").is_dir()
    summary = report.summary()
    assert "\n" not in summary and summary.startswith("Index built:") and report.generation in summary
    index = Index.open(settings, client)
    assert [p.number for p in index.paragraphs] == list(range(1, 17))
    assert index.collections["hash"].count() == len(chunks)


def test_rebuild_unchanged_embeds_nothing_and_loads_no_model(beijing, make_settings, build):
    settings = make_settings(beijing)
    first, _ = build(settings)
    second, _ = build(settings, embedders=no_models)
    assert second.status == "unchanged"
    assert second.embedded == 0 and second.reused == first.chunks
    assert second.generation == first.generation == current_generation(settings.index_dir)


def test_changed_paragraph_reembeds_only_its_new_chunks(beijing, make_settings, build, connect):
    settings = make_settings(beijing)
    first, _ = build(settings)
    old_texts = {c.text for c in all_chunks(settings)}

    edit_paragraph_12(beijing)
    new_chunks = all_chunks(settings)
    expected = {c.text for c in new_chunks} - old_texts
    assert expected and {c.number for c in new_chunks if c.text in expected} == {12}

    embedder = CountingEmbedder()
    second, client = build(settings, embedders={"hash": embedder})
    assert second.status == "updated"
    assert second.generation != first.generation
    assert current_generation(settings.index_dir) == second.generation
    assert second.embedded == len(expected)
    assert sorted(embedder.texts) == sorted(expected)  # nothing outside paragraph 12 was re-embedded
    assert second.embedded < sum(c.number == 12 for c in new_chunks) + 1
    assert second.embedded + second.reused == second.chunks
    index = Index.open(settings, client)
    p12 = next(p for p in index.paragraphs if p.number == 12)
    assert p12.text.endswith(NEW_ENDING)


def test_changed_window_setting_is_a_new_generation(beijing, make_settings, build):
    first, _ = build(make_settings(beijing))
    old_texts = {c.text for c in all_chunks(make_settings(beijing))}
    settings = make_settings(beijing, window_sentences=3)
    second, client = build(settings)
    assert second.status == "updated"
    assert second.generation != first.generation
    new_texts = {c.text for c in all_chunks(settings)}
    assert second.embedded == len(new_texts - old_texts)  # whole-paragraph chunks are reused
    assert second.reused >= 16
    manifest = Index.open(settings, client).manifest
    assert manifest["fingerprint"]["chunking"] == {"version": CHUNKER_VERSION, "window_sentences": 3, "window_stride": 1,
                                                   "section_titles": False}


def test_changed_bm25_setting_is_a_new_generation(beijing, make_settings, build, connect):
    first, _ = build(make_settings(beijing))
    settings = make_settings(beijing, use_bm25=False)
    second, client = build(settings)
    assert second.generation != first.generation and second.embedded == 0
    index = Index.open(settings, client)
    assert index.bm25 is None
    assert not (settings.index_dir / f"gen-{second.generation}" / "bm25").exists()


POLICY = ("Visiting Policy\n\nParking\n\n1. Spaces by the main entrance cost two pounds an hour.\n\n"
          "Children\n\n2. Children under twelve come with an adult.\n")


@pytest.mark.parametrize("titles", [False, True])
def test_section_titles_are_indexed_with_their_paragraphs_when_asked(write, make_settings, build, hash_embedders, titles):
    # "parking" is only in paragraph 1's heading: dense (hash) and BM25 find it there only with section titles
    settings = make_settings(write("policy.txt", POLICY), section_titles=titles)
    report, client = build(settings)
    index = Index.open(settings, client)
    stored = index.collections["hash"].vectors_by_text()
    assert ("Parking: Spaces by the main entrance cost two pounds an hour." in stored) is titles
    hits = Retriever(index, hash_embedders, k=2).search("Where is the parking?").hits
    assert (hits[0].paragraph.number == 1 and hits[0].score > hits[1].score) is titles
    assert [p.text for p in index.paragraphs] == ["Spaces by the main entrance cost two pounds an hour.",
                                                  "Children under twelve come with an adult."]  # cited as written
    again, _ = build(make_settings(write("policy.txt", POLICY), section_titles=not titles))
    assert again.generation != report.generation  # the other setting is another index, never a mix


def test_new_model_version_reembeds_everything(beijing, make_settings, build, monkeypatch):
    settings = make_settings(beijing)
    first, _ = build(settings)
    monkeypatch.setattr("rag.index.model_id", lambda name, e5_engine: "hash-bow-256 (a new build)")
    second, _ = build(settings)
    assert second.generation != first.generation
    assert second.embedded == first.embedded and second.reused == 0


def test_generation_id_depends_only_on_content(beijing, make_settings, build, tmp_path):
    a, _ = build(make_settings(beijing, index_dir=tmp_path / "one"))
    b, _ = build(make_settings(beijing, index_dir=tmp_path / "two"))
    assert a.generation == b.generation
    assert len(a.generation) == 12 and int(a.generation, 16) >= 0


def test_old_generations_are_collected(beijing, make_settings, build):
    settings = make_settings(beijing)
    first, _ = build(settings)
    edit_paragraph_12(beijing)
    second, _ = build(settings)
    beijing.write_text(beijing.read_text(encoding="utf-8").replace("eager anticipation!", "hope!"), encoding="utf-8")
    third, client = build(settings)
    assert len({first.generation, second.generation, third.generation}) == 3
    # the new generation and the one it replaced stay; older ones go, folders and collections alike
    assert generation_folders(settings.index_dir) == {second.generation, third.generation}
    names = {getattr(c, "name", c) for c in client.list_collections()}
    assert names == {collection_name(settings, g, "hash") for g in (second.generation, third.generation)}


def test_duplicate_chunk_texts_are_embedded_once_and_counted_once(write, tmp_path, make_settings, build):
    # paragraph 1's windows ("Alpha is here.", "Beta is here.") are paragraph 2's first two windows too
    corpus = write("dup.txt", "1. Alpha is here. Beta is here.\n2. Alpha is here. Beta is here. Gamma is here.\n")
    embedder = CountingEmbedder()
    report, _ = build(make_settings(corpus), embedders={"hash": embedder})
    assert report.chunks == 7 and len(embedder.texts) == len(set(embedder.texts)) == 5
    assert report.embedded == 5 and report.reused == 0  # the summary said 7 vectors embedded


# --------------------------------------------------------------------------- manifest


def test_manifest_records_what_built_the_index(beijing, make_settings, build):
    settings = make_settings(beijing)
    report, client = build(settings)
    manifest = json.loads((settings.index_dir / f"gen-{report.generation}" / "manifest.json").read_text())
    fp = manifest["fingerprint"]
    assert fp["schema_version"] == SCHEMA_VERSION
    assert fp["embedders"] == {"hash": "hash-bow-256"}
    assert fp["embedders"]["hash"] == HashEmbedder().model_id
    assert fp["chunking"] == {"version": CHUNKER_VERSION, "window_sentences": settings.window_sentences,
                              "window_stride": settings.window_stride, "section_titles": settings.section_titles}
    assert fp["parser_version"] == PARSER_VERSION
    assert fp["corpus_sha256"] == corpus_sha256(load_corpus(beijing))
    assert fp["bm25"] is True and fp["store"] == "local"
    assert fp == fingerprint(settings, load_corpus(beijing))
    assert manifest["generation"] == report.generation
    assert manifest["chunks"] == report.chunks and manifest["paragraphs"] == 16
    snapshot = json.loads((settings.index_dir / f"gen-{report.generation}" / "paragraphs.json").read_text())
    assert [d["doc"] for d in snapshot["documents"]] == ["beijing_initiative_2017"]
    assert len(snapshot["paragraphs"]) == 16


# --------------------------------------------------------------------------- damaged indexes


def _manifest_path(settings) -> Path:
    return settings.index_dir / f"gen-{current_generation(settings.index_dir)}" / "manifest.json"


def _corrupt(settings, how: str) -> None:
    manifest = _manifest_path(settings)
    if how == "garbage-json":
        manifest.write_text("{ this is not json")
    elif how == "empty-manifest":
        manifest.write_text("")
    elif how == "manifest-deleted":
        manifest.unlink()
    elif how == "paragraphs-deleted":
        (manifest.parent / "paragraphs.json").unlink()
    elif how == "json-but-not-a-manifest":
        manifest.write_text("[]")
    elif how == "current-points-nowhere":
        (settings.index_dir / "CURRENT").write_text("0123456789ab\n")
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    ["garbage-json", "empty-manifest", "manifest-deleted", "paragraphs-deleted",
     "json-but-not-a-manifest", "current-points-nowhere"],
)
def test_damaged_index_is_one_clear_error(beijing, make_settings, build, one_sentence, how):
    settings = make_settings(beijing)
    _, client = build(settings)
    _corrupt(settings, how)
    with pytest.raises(IndexStateError) as err:
        Index.open(settings, client)
    one_sentence(str(err.value), str(settings.index_dir), "rag index")


def test_manifest_missing_a_key_is_one_clear_error(beijing, make_settings, build, one_sentence):
    settings = make_settings(beijing)
    _, client = build(settings)
    path = _manifest_path(settings)
    manifest = json.loads(path.read_text())
    del manifest["chunks"]
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexStateError) as err:
        Index.open(settings, client)
    one_sentence(str(err.value), str(settings.index_dir))


def test_damaged_index_is_rebuilt_by_the_next_build(beijing, make_settings, build):
    settings = make_settings(beijing)
    first, _ = build(settings)
    _corrupt(settings, "garbage-json")
    second, client = build(settings)
    assert second.status != "unchanged" and second.generation == first.generation
    assert len(Index.open(settings, client).paragraphs) == 16


def test_missing_index(make_settings, beijing, connect, one_sentence):
    settings = make_settings(beijing)
    with pytest.raises(IndexStateError) as err:
        Index.open(settings, connect(settings))
    one_sentence(str(err.value), str(settings.index_dir), "rag index")


def test_incomplete_collection_is_detected(beijing, make_settings, build, one_sentence):
    settings = make_settings(beijing)
    report, client = build(settings)
    col = client.get_collection(collection_name(settings, report.generation, "hash"))
    ids = col.get(limit=3)["ids"]
    col.delete(ids=ids)
    with pytest.raises(IndexStateError) as err:
        Index.open(settings, client)
    one_sentence(str(err.value), "incomplete", f"{report.chunks - 3} of {report.chunks}")


def test_other_schema_version_is_refused(beijing, make_settings, build, one_sentence):
    settings = make_settings(beijing)
    _, client = build(settings)
    path = _manifest_path(settings)
    manifest = json.loads(path.read_text())
    manifest["fingerprint"]["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexStateError) as err:
        Index.open(settings, client)
    one_sentence(str(err.value), f"schema {SCHEMA_VERSION + 1}")


# --------------------------------------------------------------------------- interrupted builds


def _fail_bm25(monkeypatch):
    def boom(*args, **kwargs):
        raise Boom("killed while building BM25")

    monkeypatch.setattr("rag.index.Bm25.build", boom)


def _fail_vector_add(monkeypatch):
    calls = {"n": 0}
    original = store.VectorCollection.add

    def add(self, ids, vectors, texts, metadatas, batch):
        calls["n"] += 1
        original(self, ids[:10], vectors[:10], texts[:10], metadatas[:10], batch)  # half-written
        raise Boom("killed while writing vectors")

    monkeypatch.setattr(store.VectorCollection, "add", add)


def _fail_manifest_write(monkeypatch):
    import rag.index as index_module

    original = index_module._write_json

    def write_json(path, data):
        if path.name == "manifest.json":
            raise Boom("killed before the manifest was written")
        original(path, data)

    monkeypatch.setattr(index_module, "_write_json", write_json)


@pytest.mark.integration
@pytest.mark.parametrize(
    "inject",
    [_fail_bm25, _fail_vector_add, _fail_manifest_write],
    ids=["bm25-build", "vector-add", "manifest-write"],
)
def test_interrupted_build_leaves_previous_generation_serving(
    beijing, make_settings, build, connect, hash_embedders, monkeypatch, inject
):
    settings = make_settings(beijing)
    first, _ = build(settings)

    edit_paragraph_12(beijing)
    with monkeypatch.context() as patch:
        inject(patch)
        with pytest.raises(Boom):
            build(settings)

    assert current_generation(settings.index_dir) == first.generation
    client = connect(settings)
    index = Index.open(settings, client)
    assert index.generation == first.generation
    p12 = next(p for p in index.paragraphs if p.number == 12)
    assert p12.text.endswith(OLD_ENDING)
    result = Retriever(index, hash_embedders, k=3).search("What does paragraph 12 say about clear water?")
    assert result.hits[0].paragraph.number == 12 and result.hits[0].paragraph.text.endswith(OLD_ENDING)
    assert Index.open(settings, client).collections["hash"].count() == first.chunks

    # the next build (no fault) completes the update
    retry, client = build(settings)
    assert retry.status == "updated" and retry.generation != first.generation
    assert next(p for p in Index.open(settings, client).paragraphs if p.number == 12).text.endswith(NEW_ENDING)


def test_interrupted_embedding_leaves_previous_generation_serving(beijing, make_settings, build, connect):
    class DiesHalfway(HashEmbedder):
        def embed_documents(self, texts):
            raise KeyboardInterrupt

    settings = make_settings(beijing, embed_batch_size=2)
    first, _ = build(settings)
    edit_paragraph_12(beijing)
    with pytest.raises(KeyboardInterrupt):
        build(settings, embedders={"hash": DiesHalfway()})
    index = Index.open(settings, connect(settings))
    assert index.generation == first.generation == current_generation(settings.index_dir)


# --------------------------------------------------------------------------- staleness


def test_stale_reason(beijing, make_settings, build):
    settings = make_settings(beijing)
    _, client = build(settings)
    index = Index.open(settings, client)
    assert index.stale_reason(settings, load_corpus(beijing)) is None
    assert index.stale_reason(settings, None) is None  # settings only

    edit_paragraph_12(beijing)
    assert index.stale_reason(settings, load_corpus(beijing)) == "the corpus changed"
    assert index.stale_reason(make_settings(beijing, window_sentences=4), None) == "the chunking setting changed"
    assert index.stale_reason(make_settings(beijing, use_bm25=False), None) == "the bm25 setting changed"


def test_several_documents_are_indexed_with_labels(write, tmp_path, make_settings, build):
    write("corpus/a.txt", "1. Alpha one.\n2. Alpha two. It has two sentences. And a third.\n")
    write("corpus/b.md", "# B\n\n## I. Part\n\n5. Beta five.\n")
    settings = make_settings(tmp_path / "corpus")
    report, client = build(settings)
    assert (report.documents, report.paragraphs) == (2, 3)
    index = Index.open(settings, client)
    assert [p.label for p in index.paragraphs] == ["a:1", "a:2", "b:5"]
    assert index.paragraphs[2].section == "I. Part"
    assert [d["doc"] for d in index.documents] == ["a", "b"]
