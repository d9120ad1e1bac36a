"""The llama.cpp build flags the Makefile chooses: explicit, never AMX or native, AVX-512 where the host has it."""

from __future__ import annotations

import platform
import re
import subprocess

import pytest

from tests.samples import ROOT

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64", reason="the CPU flags are chosen on x86-64 only")
HOST = "CPU_FLAGS=fpu avx2 avx512f avx512cd avx512vl avx512dq avx512bw avx512_vnni amx_tile amx_int8"


def build(*overrides: str) -> dict[str, str]:
    """The Makefile's llama.cpp CMake flags (and the wheel's tag) with these variables set, from a dry run."""
    database = subprocess.run(
        ["make", "-pn", "setup", *overrides], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    cmake = re.search(r"^LLAMA_CMAKE := (.*)$", database, re.MULTILINE).group(1)
    flags = dict(re.findall(r"-D(\w+)=(\w+)", cmake))
    flags["tag"] = re.search(r"^LLAMA_TAG := (\w+)$", database, re.MULTILINE).group(1)
    return flags


def test_the_default_build_is_avx512_with_only_the_parts_the_host_advertises():
    flags = build(HOST)
    assert flags["GGML_AVX512"] == flags["GGML_AVX512_VNNI"] == "ON"
    assert flags["GGML_AVX512_VBMI"] == flags["GGML_AVX512_BF16"] == "OFF"
    assert flags["GGML_NATIVE"] == flags["GGML_AMX_TILE"] == flags["GGML_AMX_INT8"] == "OFF"


def test_a_host_lacking_any_base_part_of_avx512_gets_avx2():
    for missing in ("avx512f", "avx512bw", "avx512vl"):
        flags = build(HOST.replace(f" {missing}", ""))
        assert flags["GGML_AVX2"] == "ON" and flags["GGML_AVX512"] == flags["GGML_AVX512_VNNI"] == "OFF", missing
    assert build("CPU_FLAGS=fpu avx2")["GGML_AVX512"] == "OFF"


def test_avx2_can_be_forced_and_each_build_gets_a_wheel_of_its_own():
    flags = build(HOST, "LLAMA_CPU=avx2")
    assert flags["GGML_AVX2"] == "ON" and flags["GGML_AVX512"] == flags["GGML_AVX512_VNNI"] == "OFF"
    assert flags["GGML_NATIVE"] == flags["GGML_AMX_TILE"] == flags["GGML_AMX_INT8"] == "OFF"
    assert flags["tag"] != build(HOST)["tag"]
