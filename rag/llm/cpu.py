"""Which llama.cpp CPU build fits this CPU, and whether the installed one does, read without running it.

llama.cpp is compiled for a fixed instruction-set level (never ``-march=native``): a build may use any
instruction its level allows, and on a CPU without one it dies of SIGILL, even in a call as harmless
as ``llama_print_system_info()``. So what a build needs is decided and written down when it is built
(``make setup`` runs this file), and checked against ``/proc/cpuinfo`` before any llama.cpp code runs.

    python3 rag/llm/cpu.py choose [--cpuinfo FILE]          # the fastest safe level for this CPU
    python3 rag/llm/cpu.py cmake LEVEL                        # its CMake flags
    python3 rag/llm/cpu.py lacks LEVEL                        # warns if this CPU cannot run LEVEL
    python3 rag/llm/cpu.py current --level L --version V      # exit 0 if the recorded build is that one
    python3 rag/llm/cpu.py record --level L --version V       # write the record of the installed build
    python3 -m rag.llm.cpu check                              # does the installed build fit this CPU?

Standard library only: ``make setup`` runs it before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
RECORD_NAME = "llama-cpp-build.json"
#: How a build is made: ``make setup`` (or ``make setup LLM_CPU=<level>``).
FIX = "run `make setup`: it rebuilds llama-cpp-python for this CPU (≈5 min, once)"

# The levels, fastest first: (ggml's CMake options, the /proc/cpuinfo flags the build then needs). The
# flags follow ggml-cpu's CMakeLists (GGML_AVX512 adds -mavx512f/cd/vl/dq/bw; each option its -m flag).
# AMX is never on: llama.cpp's AMX path segfaults on Q4_K_M weights (ggml-org/llama.cpp#20824).
_OPTIONS = ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16")
_FLAGS = {
    "SSE42": ["sse4_2"],
    "AVX": ["avx"],
    "F16C": ["f16c"],
    "FMA": ["fma"],
    "AVX2": ["avx2"],
    "BMI2": ["bmi2"],
    "AVX512": ["avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"],
    "AVX512_VBMI": ["avx512vbmi"],
    "AVX512_VNNI": ["avx512_vnni"],
    "AVX512_BF16": ["avx512_bf16"],
}
LEVELS: dict[str, tuple[str, ...]] = {
    # ggml's "zen4" variant: AMD Zen 4/5, Intel Sapphire Rapids and later (there without AMX)
    "avx512": _OPTIONS,
    # ggml's "haswell": any x86-64 CPU since 2013 (AMD Zen 1-3 among them)
    "avx2": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2"),
    "sse42": ("SSE42",),
    "x86-64": (),
}
#: What ``llama_print_system_info()`` names a feature -> its /proc/cpuinfo flag (to hold a build's
#: own account of itself against its record, in a child process, after the record said it fits).
FEATURE_FLAGS = {
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
#: Not x86: ggml's own portable defaults, nothing to check.
GENERIC = "generic"


def needs(level: str) -> list[str]:
    """The CPU flags a build of ``level`` may execute."""
    if level == GENERIC:
        return []
    return [flag for option in LEVELS[level] for flag in _FLAGS[option]]


def cmake_args(level: str) -> str:
    if level == GENERIC:
        return "-DGGML_NATIVE=OFF"
    if level not in LEVELS:
        raise ValueError(f"unknown llama.cpp CPU level {level!r}: use one of {', '.join([*LEVELS, GENERIC])}")
    on = LEVELS[level]
    opts = ["-DGGML_NATIVE=OFF", *(f"-DGGML_{o}={'ON' if o in on else 'OFF'}" for o in _OPTIONS)]
    opts += ["-DGGML_AVX_VNNI=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    return " ".join(opts)


@dataclass
class CPU:
    model: str = "unknown CPU"
    flags: set[str] | None = None  # None: no flags line (not x86, or no /proc/cpuinfo)


def read_cpu(cpuinfo: Path | str | None = None) -> CPU:
    """This CPU's model name and flags, from ``/proc/cpuinfo`` (or a copy of another CPU's)."""
    path = Path(cpuinfo or CPUINFO)
    cpu = CPU()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return cpu
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and cpu.model == "unknown CPU":
            cpu.model = value.strip()
        elif key.strip() == "flags" and cpu.flags is None:
            cpu.flags = set(value.split())
    return cpu


def choose(cpu: CPU) -> str:
    """The fastest level whose every instruction this CPU has (``generic`` where there are no x86 flags)."""
    if cpu.flags is None:
        return GENERIC
    return next(level for level in LEVELS if set(needs(level)) <= cpu.flags)


# -- the record of the installed build ----------------------------------------------------------------
def record_path() -> Path:
    """Next to the environment's other install stamps: the venv that ``make setup`` built."""
    return Path(sys.prefix) / RECORD_NAME


def _libraries() -> dict[str, str]:
    """SHA-256 of the installed llama-cpp-python's native libraries, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return {}
    root = Path(next(iter(spec.submodule_search_locations)))
    out = {}
    for lib in sorted(root.rglob("*.so*")):
        if lib.is_symlink():
            continue
        out[str(lib.relative_to(root))] = hashlib.sha256(lib.read_bytes()).hexdigest()
    return out


def write_record(level: str, version: str, path: Path | None = None) -> dict[str, object]:
    record: dict[str, object] = {
        "level": level,
        "needs": needs(level),
        "cmake_args": cmake_args(level),
        "version": version,
        "built_on": read_cpu(CPUINFO).model,
        "libraries": _libraries(),
    }
    (path or record_path()).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


@dataclass
class BuildCheck:
    """``fits``: True (every needed flag is here), False (some are missing), None (no record of the
    installed build, or one about other files: nothing to compare without running it)."""

    fits: bool | None
    level: str | None = None
    missing: list[str] = field(default_factory=list)
    cpu: str = "unknown CPU"
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "fits": self.fits, "missing": self.missing, "cpu": self.cpu, "reason": self.reason}

    def summary(self) -> str:
        """One line for ``rag stats`` and the service's health."""
        if self.fits is False:
            return f"off: {self.message()}; {FIX}"
        if self.fits is None:
            return f"build not recorded ({self.reason}): checked only when it starts"
        return f"llama.cpp built for {self.level}, which this CPU ({self.cpu}) runs"

    def message(self) -> str:
        return (
            f"the local LLM's llama.cpp build (level {self.level}) needs {', '.join(self.missing)}, which this "
            f"CPU ({self.cpu}) lacks; it was not started (it would die of SIGILL)"
        )


def check_build(path: Path | None = None, cpuinfo: Path | str | None = None) -> BuildCheck:
    """Compares the installed build's record with this CPU's flags, executing no llama.cpp code."""
    cpu = read_cpu(cpuinfo)
    path = path or record_path()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return BuildCheck(None, cpu=cpu.model, reason=f"no record of how llama-cpp-python was built ({path})")
    libs = _libraries()
    if libs and record.get("libraries") != libs:
        return BuildCheck(None, record.get("level"), cpu=cpu.model, reason=f"{path} describes other files")
    level = str(record.get("level"))
    if cpu.flags is None:
        return BuildCheck(True, level, cpu=cpu.model, reason="no CPU flags to compare with")
    missing = [flag for flag in record.get("needs", []) if flag not in cpu.flags]
    return BuildCheck(not missing, level, missing, cpu.model)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rag/llm/cpu.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("choose", "cmake", "needs", "lacks", "current", "record", "check"))
    ap.add_argument("level", nargs="?")
    ap.add_argument("--cpuinfo", default=None)
    ap.add_argument("--level", dest="level_opt")
    ap.add_argument("--version", default="")
    ap.add_argument("--record", type=Path, default=None)
    args = ap.parse_args(argv)
    level = args.level or args.level_opt
    if args.command == "choose":
        print(choose(read_cpu(args.cpuinfo)))
    elif args.command in ("cmake", "needs"):
        try:
            print(cmake_args(level) if args.command == "cmake" else " ".join(needs(level)))
        except (ValueError, KeyError):
            print(f"LLM_CPU must be one of {', '.join([*LEVELS, GENERIC])}, not {level!r}", file=sys.stderr)
            return 2
    elif args.command == "lacks":  # a warning where LLM_CPU names a level this CPU cannot run
        cpu = read_cpu(args.cpuinfo)
        missing = [flag for flag in needs(level) if cpu.flags is not None and flag not in cpu.flags]
        if missing:
            print(
                f"warning: LLM_CPU={level} needs {', '.join(missing)}, which this CPU ({cpu.model}) lacks: the "
                f"local LLM will stay off here (answers extractive); this CPU's level is {choose(cpu)}",
                file=sys.stderr,
            )
    elif args.command == "current":  # exit 0: the installed build is this version at this level
        try:
            record = json.loads((args.record or record_path()).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 1
        same = (record.get("version"), record.get("cmake_args")) == (args.version, cmake_args(level))
        return 0 if same and record.get("libraries") == _libraries() else 1
    elif args.command == "record":
        write_record(level, args.version, args.record)
    else:
        check = check_build(args.record, args.cpuinfo)
        if check.fits is False:
            print(f"{check.message()}; {FIX}", file=sys.stderr)
            return 3
        print(f"level {check.level}: fits {check.cpu}" if check.fits else f"unknown: {check.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
