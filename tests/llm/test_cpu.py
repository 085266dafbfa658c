"""Which llama.cpp build setup makes for a CPU, and the check of an installed build against a CPU, made
without running llama.cpp code. Three CPUs this project's machines have had: AMD EPYC Zen 2 (AVX2
only), AMD EPYC Zen 4 (AVX-512 with BF16/VNNI) and Intel Xeon Sapphire Rapids (AVX-512 and AMX)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rag.llm import cpu
from tests.conftest import ROOT

CPUS = ROOT / "tests" / "fixtures" / "cpuinfo"
AMX_OFF = ("-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF")


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
@pytest.mark.parametrize(
    ("name", "level", "avx512"),
    [("zen2", "avx2", "OFF"), ("zen4", "avx512", "ON"), ("sapphire_rapids", "avx512", "ON")],
)
def test_setup_builds_the_fastest_level_the_cpu_has_and_never_amx(name: str, level: str, avx512: str) -> None:
    """What `make setup` would build, read from the Makefile itself with that CPU's /proc/cpuinfo."""
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "llm-cpu", f"CPUINFO={CPUS / f'{name}.txt'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    chosen, _, args = done.stdout.strip().partition(": ")
    assert chosen == level
    assert f"-DGGML_AVX512={avx512}" in args.split() and "-DGGML_AVX2=ON" in args.split()
    assert all(flag in args.split() for flag in AMX_OFF) and "-DGGML_NATIVE=OFF" in args.split()
    assert set(cpu.needs(level)) <= (cpu.read_cpu(CPUS / f"{name}.txt").flags or set())


def test_an_override_the_cpu_cannot_run_is_warned_about() -> None:
    done = subprocess.run(
        ["python3", "rag/llm/cpu.py", "lacks", "avx512", "--cpuinfo", str(CPUS / "zen2.txt")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "avx512f" in done.stderr and "AMD EPYC 7B12" in done.stderr and "level is avx2" in done.stderr


def test_levels_need_what_ggml_compiles_them_with() -> None:
    assert cpu.needs("avx2") == ["sse4_2", "avx", "f16c", "fma", "avx2", "bmi2"]
    assert {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"} <= set(cpu.needs("avx512"))
    assert cpu.needs("x86-64") == [] and cpu.choose(cpu.CPU(flags={"sse2"})) == "x86-64"
    assert cpu.choose(cpu.CPU(flags=None)) == cpu.GENERIC  # not x86: no flags line
    with pytest.raises(ValueError, match="unknown llama.cpp CPU level 'avx9'"):
        cpu.cmake_args("avx9")


def _record(path: Path, level: str) -> Path:
    path.write_text(json.dumps({"level": level, "needs": cpu.needs(level), "libraries": cpu._libraries()}))
    return path


@pytest.mark.parametrize(("name", "fits"), [("zen2", False), ("zen4", True), ("sapphire_rapids", True)])
def test_an_avx512_build_is_refused_on_zen2_before_it_runs(tmp_path: Path, name: str, fits: bool) -> None:
    check = cpu.check_build(_record(tmp_path / "rec.json", "avx512"), CPUS / f"{name}.txt")
    assert check.fits is fits and check.level == "avx512"
    if not fits:
        assert check.missing[:2] == ["avx512f", "avx512cd"] and "AMD EPYC 7B12" in check.message()
        assert "make setup" in check.summary() and "SIGILL" in check.message()


def test_no_record_or_one_about_other_files_is_unknown_not_a_pass(tmp_path: Path) -> None:
    assert cpu.check_build(tmp_path / "none.json", CPUS / "zen2.txt").fits is None
    if not cpu._libraries():
        pytest.skip("llama-cpp-python is not installed: no libraries to hash")
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"level": "avx2", "needs": cpu.needs("avx2"), "libraries": {"libllama.so": "0"}}))
    check = cpu.check_build(stale, CPUS / "zen2.txt")
    assert check.fits is None and "describes other files" in check.reason
