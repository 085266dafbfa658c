"""The local LLM's own process: llama-cpp-python's OpenAI-compatible server, on a socket its parent bound.

    python -m rag.llm.worker --model FILE --fd N [--n-ctx 2048] [--n-threads 2] [--repack auto|on|off]
                             [--cpuinfo /proc/cpuinfo]

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

from rag.llm.cpu import CPUINFO, FIX, check_build

KEY_ENV = "RAG_LLM_WORKER_KEY"


def build_features(info: str) -> set[str]:
    """The CPU features a llama.cpp build was compiled for, from ``llama_print_system_info()``. Read only
    after :func:`rag.llm.cpu.check_build` found the build fits this CPU: on one that lacks them, that
    call itself dies of SIGILL."""
    return {name for name, on in re.findall(r"([A-Z0-9_]+) = (\d)", info) if on == "1"}


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
    ap.add_argument("--cpuinfo", default=str(CPUINFO), help="where this CPU's flags are read")
    args = ap.parse_args(argv)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    check = check_build(cpuinfo=args.cpuinfo)  # before any llama.cpp code runs
    if check.fits is False:
        print(f"rag-llm: {check.message()}; {FIX}", file=sys.stderr, flush=True)
        sys.exit(3)
    if check.fits is None:
        print(f"rag-llm: {check.reason}: its CPU needs cannot be checked before it runs", file=sys.stderr)

    import llama_cpp
    import llama_cpp.llama_cpp as lib

    features = build_features(llama_cpp.llama_print_system_info().decode("utf-8", "replace"))
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
