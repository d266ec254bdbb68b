"""The Makefile compiles llama.cpp for the CPU it runs on: AVX-512 only where every part of it that
ggml uses is there, AMX never (it crashed in this VM), and a wheel per set of flags."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AVX2 = "flags : fpu sse2 avx avx2 fma f16c bmi2"
AVX512 = AVX2 + " avx512f avx512cd avx512vl avx512dq avx512bw avx512_vnni avx512vbmi avx512_bf16 amx_tile amx_int8 amx_bf16"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def flags(cpu: str) -> tuple[list[str], str]:
    out = subprocess.run(["make", "-s", "llama-flags", f"CPU={cpu}"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[:-1], out[-1]


def test_avx2_only_cpu_gets_no_avx512():
    args, _ = flags(AVX2)
    assert "-DGGML_NATIVE=OFF" in args and "-DGGML_AVX2=ON" in args
    assert not any("AVX512" in a or "AMX" in a for a in args)


def test_avx512_cpu_gets_its_extensions_and_never_amx():
    args, _ = flags(AVX512)
    for option in ("AVX512", "AVX512_VNNI", "AVX512_VBMI", "AVX512_BF16"):
        assert f"-DGGML_{option}=ON" in args
    assert not any("AMX" in a for a in args)


def test_partial_avx512_is_not_enabled():
    args, _ = flags(AVX2 + " avx512f avx512_vnni")  # no avx512bw/vl/dq/cd: ggml's AVX512 needs them all
    assert not any("AVX512" in a for a in args)


def test_each_set_of_flags_has_its_own_wheel_folder():
    assert flags(AVX2)[1] != flags(AVX512)[1]
    assert flags(AVX2)[1] == flags(AVX2)[1]
