"""The local LLM's runtime, without the model: the llama.cpp build fits this CPU and has no AMX,
and GGUF files that are missing, not GGUF, or truncated are refused with the file and the fix named."""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.llm.cpu import FEATURE_FLAGS, choose, read_cpu, record_path
from rag.llm.gguf import check_gguf
from rag.llm.supervisor import describe_exit
from rag.llm.worker import build_features, use_repacking

needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="the llm extra is not installed")


@needs_llama
def test_the_installed_build_fits_this_cpu() -> None:
    """The real check, as the service's LLM worker runs it (a child process, no llama.cpp code): the
    record `make setup` wrote names a level whose every instruction this CPU has. Fails, naming the fix,
    where the build would die of SIGILL (a venv built on another CPU, an `LLM_CPU` override)."""
    done = subprocess.run([sys.executable, "-m", "rag.llm.cpu", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("level "), f"llama-cpp-python was not built by `make setup`: {done.stdout}"
    record = json.loads(record_path().read_text())
    flags = read_cpu().flags
    assert flags is not None and set(record["needs"]) <= flags, sorted(set(record["needs"]) - flags)
    assert record["level"] == choose(read_cpu()), "setup builds the fastest level this CPU runs"


@needs_llama
@pytest.mark.llm
def test_the_build_is_what_its_record_says_and_has_no_amx() -> None:
    """What the build says of itself (llama.cpp code, so in a child process, and only after the check
    above) uses nothing beyond its recorded needs, and no AMX: llama.cpp's AMX path segfaults on Q4_K_M
    weights (ggml-org/llama.cpp#20824), whatever CPU setup runs on."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    info = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    features = build_features(info)
    needs = set(json.loads(record_path().read_text())["needs"])
    assert {f for f, flag in FEATURE_FLAGS.items() if flag in needs} <= features, info  # the level was built
    amx = sorted(f for f in features if f.startswith("AMX"))
    assert not amx, f"llama-cpp-python was built with {amx}: rebuild it with `make setup` ({info.strip()})"
    assert {FEATURE_FLAGS[f] for f in features if f in FEATURE_FLAGS} <= needs, info  # and nothing beyond it


def test_build_features_parse_what_llama_cpp_prints() -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | AMX_INT8 = 1 | REPACK = 1 | "
    assert build_features(info) == {"SSE3", "AVX", "AVX2", "AMX_INT8", "REPACK"}


def test_weight_repacking_is_off_where_the_build_has_amx_or_avx512() -> None:
    assert not use_repacking("auto", {"AVX2", "AVX512", "AMX_INT8"})
    assert not use_repacking("auto", {"AVX2", "AVX512"})
    assert use_repacking("auto", {"AVX2", "FMA"})
    assert use_repacking("on", {"AMX_INT8"}) and not use_repacking("off", {"AVX2"})


def test_exit_statuses_read_as_words() -> None:
    assert describe_exit(-9).startswith("SIGKILL (killed: out of memory")
    assert describe_exit(-11) == "SIGSEGV (a crash in native code)"
    assert describe_exit(3) == "exit code 3"


def _gguf(path: Path, *, tensors: int = 2, values: int = 64) -> Path:
    """A small but complete GGUF v3 file: one string and one u32 of metadata, F32 tensors."""

    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    head = b"GGUF" + struct.pack("<IQQ", 3, tensors, 2)
    head += s("general.name") + struct.pack("<I", 8) + s("tiny")
    head += s("general.alignment") + struct.pack("<II", 4, 32)
    for i in range(tensors):
        head += s(f"t{i}") + struct.pack("<I", 1) + struct.pack("<Q", values) + struct.pack("<IQ", 0, i * values * 4)
    head += b"\0" * (-len(head) % 32)
    path.write_bytes(head + b"\1" * (tensors * values * 4))
    return path


def test_a_complete_gguf_passes(tmp_path: Path) -> None:
    check_gguf(_gguf(tmp_path / "ok.gguf"))


@pytest.mark.parametrize(
    ("keep", "says"),
    [(-1, "its tensors need"), (-300, "its tensors need"), (40, "header is cut off at 40 bytes")],
)
def test_a_truncated_gguf_is_named_with_the_fix(tmp_path: Path, keep: int, says: str) -> None:
    whole = _gguf(tmp_path / "whole.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:keep])
    with pytest.raises(ModelError, match="truncated") as info:
        check_gguf(cut)
    assert str(cut) in str(info.value) and says in str(info.value)
    assert "copy or download the file again" in str(info.value) and "RAG_LLM__GGUF_PATH" in str(info.value)


def test_a_missing_or_foreign_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        check_gguf(tmp_path / "nope.gguf")
    other = tmp_path / "model.gguf"
    other.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ModelError, match="is not a GGUF file") as info:
        check_gguf(other)
    assert str(other) in str(info.value)
