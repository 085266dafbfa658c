"""Cold start of `rag serve`: seconds from process start to `/healthz` 200 (models warm, index
open), several times on the same index. Baseline in the same run: a bare interpreter importing the
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


def _serve_once(index: Path) -> float:
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - t
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
        "ready_s": [round(r, 2) for r in runs],
        "ready_s_median": round(statistics.median(runs), 2),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
