"""The local LLM's own process: llama-cpp-python's OpenAI-compatible server, on a socket its parent bound.

    python -m rag.llm.worker --model FILE --fd N [--n-ctx 2048] [--n-threads 2] [--repack auto|on|off]

It runs apart from the service (``rag.llm.supervisor`` starts, watches and restarts it), so that a
native crash, a hang or running out of memory takes down only this process. The bearer key it
requires comes in the environment (``RAG_LLM_WORKER_KEY``), never on the command line. It exits when
its parent goes away.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

KEY_ENV = "RAG_LLM_WORKER_KEY"
#: what a llama.cpp CPU build may use, as ``llama_print_system_info`` names it -> the /proc/cpuinfo flag
_NEEDS = {
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


def build_features(info: str) -> set[str]:
    """The CPU features a llama.cpp build was compiled for, from ``llama_print_system_info()``."""
    return {name for name, on in re.findall(r"([A-Z0-9_]+) = (\d)", info) if on == "1"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def missing_features(features: set[str], flags: set[str] | None) -> list[str]:
    """Features the build uses that this CPU lacks (running it would die of an illegal instruction)."""
    if flags is None:
        return []
    return sorted(f for f in features if f in _NEEDS and _NEEDS[f] not in flags)


def use_repacking(mode: str, features: set[str]) -> bool:
    """llama.cpp's extra weight buffers (runtime repacking of the weights; AMX tiles where built in).
    ``auto``: off where the build has AMX (its Q4_K_M path segfaults: ggml-org/llama.cpp#20824) or
    AVX-512 (its own kernels were faster than the repacked ones here: BENCHMARKS.md), on otherwise."""
    if mode in ("on", "off"):
        return mode == "on"
    return not ({"AMX_INT8", "AVX512"} & features)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)  # the service is gone: nothing will ever ask again


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.llm.worker", description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--fd", type=int, required=True, help="a listening socket inherited from the parent")
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--n-threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repack", choices=("auto", "on", "off"), default="auto")
    args = ap.parse_args(argv)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    import llama_cpp
    import llama_cpp.llama_cpp as lib

    features = build_features(llama_cpp.llama_print_system_info().decode("utf-8", "replace"))
    lacking = missing_features(features, cpu_flags())
    if lacking:
        print(
            f"rag-llm: this llama-cpp-python build uses {', '.join(lacking)}, which this CPU lacks; "
            "rebuild it for this CPU: make setup LLM_CPU=avx2",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(3)
    repack = use_repacking(args.repack, features)
    default_params = lib.llama_model_default_params

    def model_params() -> lib.llama_model_params:
        params = default_params()
        params.use_extra_bufts = repack
        return params

    lib.llama_model_default_params = model_params  # Llama() takes its model parameters from here
    print(f"rag-llm: build {' '.join(sorted(features))}; weight repacking {'on' if repack else 'off'}", file=sys.stderr)

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    model = ModelSettings(
        model=args.model,
        model_alias="local",
        n_ctx=args.n_ctx,
        n_batch=512,
        n_threads=args.n_threads,
        n_threads_batch=args.n_threads,
        verbose=True,  # llama.cpp's load errors reach the log (the supervisor quotes them)
    )
    app = create_app(server_settings=ServerSettings(api_key=os.environ.get(KEY_ENV) or None), model_settings=[model])
    sock = socket.socket(fileno=args.fd)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1))
    print("rag-llm: ready", file=sys.stderr, flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
