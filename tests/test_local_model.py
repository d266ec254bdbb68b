"""GGUF assembly (rag/local_model.py) from tiny fake part packages made in tmp_path.

Each part "package" is a module ``<prefix>N.py`` on sys.path whose
``get_part_path()`` returns a small bytes file, as the real part packages do.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid

import pytest

from rag.errors import ModelError
from rag.local_model import MODELS, GGUFSpec, ensure_gguf

PARTS = [b"GGUF\x00header-", b"tensor-data-" * 5, b"\x01\x02tail"]
BLOB = b"".join(PARTS)
SHA = hashlib.sha256(BLOB).hexdigest()


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Fake part modules on sys.path; returns (spec, part files, cache dir)."""
    prefix = f"fakepart_{uuid.uuid4().hex[:8]}_"  # unique: imported modules are cached per process
    pkg_dir, data_dir = tmp_path / "site", tmp_path / "data"
    pkg_dir.mkdir()
    data_dir.mkdir()
    files = []
    for i, blob in enumerate(PARTS, start=1):
        data = data_dir / f"part{i}.bin"
        data.write_bytes(blob)
        files.append(data)
        (pkg_dir / f"{prefix}{i}.py").write_text(f"def get_part_path():\n    return {str(data)!r}\n")
    monkeypatch.syspath_prepend(str(pkg_dir))
    yield (GGUFSpec("tiny-model-q4", prefix, "fake-model-part", "0.1.0", len(PARTS), len(BLOB), SHA),
           files, tmp_path / "cache")
    for i in range(1, len(PARTS) + 1):
        sys.modules.pop(f"{prefix}{i}", None)


def test_assembles_the_parts_and_writes_a_stamp(parts):
    spec, _, cache = parts
    path = ensure_gguf(spec, cache)
    assert path == cache / "tiny-model-q4.gguf"
    assert path.read_bytes() == BLOB
    stamp = json.loads((cache / "tiny-model-q4.verified.json").read_text())
    assert stamp["sha256"] == SHA and stamp["size"] == len(BLOB)
    assert sorted(p.name for p in cache.iterdir()) == ["tiny-model-q4.gguf", "tiny-model-q4.verified.json"]


def test_second_call_trusts_the_stamp_and_reads_no_part(parts):
    spec, files, cache = parts
    first = ensure_gguf(spec, cache)
    mtime = first.stat().st_mtime_ns
    for f in files:
        f.unlink()  # any attempt to re-read a part would now fail
    assert ensure_gguf(spec, cache) == first
    assert first.read_bytes() == BLOB and first.stat().st_mtime_ns == mtime


def test_lost_stamp_is_rewritten_after_hashing_without_rebuilding(parts):
    spec, files, cache = parts
    path = ensure_gguf(spec, cache)
    (cache / "tiny-model-q4.verified.json").unlink()
    for f in files:
        f.unlink()
    assert ensure_gguf(spec, cache) == path and path.read_bytes() == BLOB
    assert json.loads((cache / "tiny-model-q4.verified.json").read_text())["sha256"] == SHA


def test_wrong_checksum_is_refused_and_leaves_nothing_behind(parts, one_sentence):
    spec, _, cache = parts
    bad = GGUFSpec(spec.name, spec.module_prefix, spec.dist_prefix, spec.version, spec.parts, spec.size, "0" * 64)
    with pytest.raises(ModelError) as err:
        ensure_gguf(bad, cache)
    message = str(err.value)
    one_sentence(message, "SHA-256", SHA[:12], "expected 000000000000", "refusing to load",
                 "pip install --force-reinstall fake-model-part1..3==0.1.0")
    assert list(cache.iterdir()) == []  # no .gguf, no .part, no stamp


def test_missing_part_package_is_named(parts, one_sentence):
    spec, _, cache = parts
    missing = GGUFSpec(spec.name, spec.module_prefix, spec.dist_prefix, spec.version, spec.parts + 1,
                       spec.size, spec.sha256)
    with pytest.raises(ModelError) as err:
        ensure_gguf(missing, cache)
    one_sentence(str(err.value), "fake-model-part4", "is not installed", "--force-reinstall")
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("tamper", ["truncate", "same-size"], ids=["different-size", "same-size-new-content"])
def test_tampered_file_is_rehashed_and_rebuilt(parts, tamper):
    spec, _, cache = parts
    path = ensure_gguf(spec, cache)
    if tamper == "truncate":
        path.write_bytes(BLOB[:-3])
    else:
        path.write_bytes(BLOB[::-1])
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))  # the stamp no longer matches
    assert ensure_gguf(spec, cache) == path
    assert path.read_bytes() == BLOB
    stamp = json.loads((cache / "tiny-model-q4.verified.json").read_text())
    assert stamp["mtime_ns"] == path.stat().st_mtime_ns


def test_tampered_file_is_not_served_when_it_cannot_be_rebuilt(parts):
    spec, files, cache = parts
    path = ensure_gguf(spec, cache)
    path.write_bytes(b"evil" + BLOB[4:])
    os.utime(path, ns=(0, 0))
    for f in files:
        f.unlink()
    with pytest.raises(ModelError):
        ensure_gguf(spec, cache)
    assert not path.exists()  # never left in place for the next start to trust


def test_part_with_missing_data_file_is_a_model_error(parts):
    spec, files, cache = parts
    files[1].unlink()
    with pytest.raises(ModelError, match="force-reinstall"):
        ensure_gguf(spec, cache)


def test_real_specs_are_well_formed():
    for spec in MODELS.values():
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.parts >= 1 and spec.size > 0
        assert spec.filename == f"{spec.name}.gguf"
        assert spec.dist_prefix.replace("-", "_") == spec.module_prefix
        assert f"{spec.dist_prefix}1..{spec.parts}=={spec.version}" in spec.install_hint()


def test_two_assemblies_at_once_each_get_the_verified_file(parts, monkeypatch):
    """The app and `make ask` started together on a fresh machine: a second assembly runs, start to
    end, while the first is half-way. Each writes a temporary file of its own, so neither trips over
    the other's, and the cache ends with one verified file."""
    import rag.local_model as local_model

    spec, _, cache = parts
    real_part_path, second, started = local_model._part_path, [], []

    def part_path(spec_, i):
        if i == 2 and not started:
            started.append(True)
            second.append(ensure_gguf(spec, cache))  # the other process, meanwhile
        return real_part_path(spec_, i)

    monkeypatch.setattr(local_model, "_part_path", part_path)
    first = ensure_gguf(spec, cache)
    assert first == second[0] and first.read_bytes() == BLOB
    assert sorted(p.name for p in cache.iterdir()) == ["tiny-model-q4.gguf", "tiny-model-q4.verified.json"]
