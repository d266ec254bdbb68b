"""Slow: index, ask (the embedded model) and the app's /ask API all work inside a
network namespace with no network at all (`unshare -n`, loopback only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "beijing_initiative_2017.txt"

APP_CHECK = """
import sys
from rag.settings import apply_offline_environment, load_settings
apply_offline_environment()
from rag.pipeline import load_pipeline
import app
pipeline = load_pipeline(load_settings())
demo = app.build_app(pipeline)
demo.launch(server_port=int(sys.argv[1]), prevent_thread_lock=True, quiet=True)
from gradio_client import Client
result = Client(demo.local_url, verbose=False).predict("What does paragraph 9 say?", None, None, api_name="/ask")
demo.close()
import json
print(json.dumps({"refused": result["refused"], "cited": [c["number"] for c in result["citations"]]}))
"""


def _isolated() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def in_netns(tmp_path_factory):
    if not _isolated():
        pytest.skip("`unshare -n` is not permitted here (needs root or user namespaces); CI runs as root")
    home = tmp_path_factory.mktemp("offline")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "HF_", "TRANSFORMERS_", "GRADIO_"))}
    env.update(RAG_CORPUS=str(CORPUS), RAG_INDEX_DIR=str(home / "index"), PYTHONPATH=str(ROOT),
               NO_PROXY="*", no_proxy="*")

    def run(*command: str, timeout: int = 600) -> subprocess.CompletedProcess:
        script = "ip link set lo up && exec \"$@\""
        return subprocess.run(["unshare", "-n", "sh", "-c", script, "sh", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    return run


def test_namespace_really_has_no_network(in_netns):
    probe = "import socket; s = socket.socket(); s.settimeout(3); print(s.connect_ex(('1.1.1.1', 443)))"
    out = in_netns(sys.executable, "-c", probe)
    assert out.returncode == 0 and out.stdout.strip() != "0"


def test_index_and_ask_with_the_embedded_model_offline(in_netns):
    built = in_netns(sys.executable, "-m", "rag", "index")
    assert built.returncode == 0, built.stderr[-2000:]
    assert built.stdout.startswith("Index built:")
    asked = in_netns(sys.executable, "-m", "rag", "ask", "Which climate agreement should be implemented?",
                     "--answerer", "local", "--json")
    assert asked.returncode == 0, asked.stderr[-2000:]
    result = json.loads(asked.stdout)
    assert result["answerer"] == "local" and not result["refused"]
    assert 12 in result["cited_paragraphs"] and result["draft"]


def test_app_ask_endpoint_offline(in_netns):
    out = in_netns(sys.executable, "-c", APP_CHECK, "7890")
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"refused": False, "cited": [9]}
