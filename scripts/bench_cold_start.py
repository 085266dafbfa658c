"""Cold start of `rag serve`: seconds from process start to `/healthz` 200 (embedding model warm,
index open, extractive answerer ready) and until the local LLM has loaded as well, several times on
the same index. Baseline in the same run: a bare interpreter importing the
CLI module (the floor no server start can beat).

    .venv/bin/python scripts/bench_cold_start.py --index DIR [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_once(index: Path) -> tuple[float, float]:
    """Seconds to /healthz 200 (search, citation lookup, extractive answers) and until the local LLM is
    loaded too (healthz ``llm`` leaves "loading")."""
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ready: float | None = None
    try:
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if r.status_code == 200:
                    ready = ready or time.perf_counter() - t
                    if r.json().get("llm") != "loading":
                        return ready, time.perf_counter() - t
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t > 300:
                raise RuntimeError("rag serve did not become ready")
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import rag.cli"], check=True)
    import_s = time.perf_counter() - t
    runs = [_serve_once(args.index) for _ in range(args.runs)]
    out = {
        "index": str(args.index),
        "import_cli_s": round(import_s, 2),
        "ready_s": [round(r, 2) for r, _ in runs],
        "ready_s_median": round(statistics.median(r for r, _ in runs), 2),
        "llm_loaded_s": [round(x, 2) for _, x in runs],
        "llm_loaded_s_median": round(statistics.median(x for _, x in runs), 2),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
