"""Load test of `rag serve` on loopback: concurrent clients mixing search, ask (extractive) and cite,
with an upload in the middle of the run; then a check that no article was lost or duplicated.

Baseline in the same run: one client alone for a short warm phase. Usage:

    .venv/bin/python scripts/load_test.py --index DIR [--clients 16] [--duration 60] [--questions FILE]

The index is copied to a temporary folder first (the original is never written to).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

FALLBACK = [
    "How many US troops are in Syria?",
    "Quante truppe statunitensi ci sono in Siria?",
    "Chi è il primo ministro iracheno?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions(path: Path | None) -> list[str]:
    if path is None or not path.exists():
        return FALLBACK
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out += [q for q in (row.get("question_it"), row.get("question_en")) if q]
    return out


def run_clients(url: str, qs: list[str], clients: int, seconds: float, seed: int) -> dict[str, list]:
    stop = time.monotonic() + seconds
    results: dict[str, list] = {"search": [], "ask": [], "cite": [], "errors": []}
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < stop:
                kind = rng.choice(["search", "ask", "cite"])
                q = rng.choice(qs)
                body = {"search": {"query": q}, "ask": {"question": q, "answerer": "extractive"}, "cite": {"claim": q}}[
                    kind
                ]
                t0 = time.perf_counter()
                try:
                    r = http.post(f"/api/{kind}", json=body)
                    ok = r.status_code == 200
                except httpx.HTTPError as err:
                    ok, r = False, err
                ms = 1000 * (time.perf_counter() - t0)
                with lock:
                    results[kind].append(ms) if ok else results["errors"].append(f"{kind}: {r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def pct(values: list[float], q: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 1) if values else 0.0


def summary(results: dict[str, list], seconds: float) -> dict:
    all_ms = results["search"] + results["ask"] + results["cite"]
    out = {
        "requests": len(all_ms),
        "rps": round(len(all_ms) / seconds, 2),
        "p50_ms": pct(all_ms, 0.5),
        "p95_ms": pct(all_ms, 0.95),
        "errors": len(results["errors"]),
    }
    for kind in ("search", "ask", "cite"):
        out[kind] = {"n": len(results[kind]), "p50_ms": pct(results[kind], 0.5), "p95_ms": pct(results[kind], 0.95)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="an index folder (copied, never modified)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--baseline", type=float, default=15.0, help="seconds of the one-client baseline")
    ap.add_argument("--upload", type=int, default=50, help="articles uploaded during the run")
    ap.add_argument(
        "--questions", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/squad_it/questions.jsonl"
    )
    ap.add_argument("--out", type=Path, default=None, help="write the report as JSON")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rag-load-"))
    index = work / "index"
    shutil.copytree(args.index, index, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RAG_ANSWER__ANSWERER": "extractive"}
    log = (work / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port)],
        stdout=log,
        stderr=log,
        env=env,
    )
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 300:
                sys.exit(f"rag serve did not start; see {work / 'serve.log'}")
            time.sleep(0.5)
        ready_s = round(time.monotonic() - t0, 1)
        qs = questions(args.questions)
        before = httpx.get(f"{url}/api/stats").json()["articles"]
        baseline = summary(run_clients(url, qs, 1, args.baseline, seed=1), args.baseline)

        upload_state: dict = {}

        def uploader() -> None:
            time.sleep(min(10.0, args.duration / 4))
            lines = []
            for i in range(args.upload):
                text = f"Il comune di Carico{i} ha speso {i} euro. Il sindaco di Carico{i} ha annunciato nuovi lavori."
                lines.append(json.dumps({"id": f"load-{i}", "title": f"Carico {i}", "text": text}))
            job = httpx.post(f"{url}/api/articles", files=[("files", ("load.jsonl", "\n".join(lines).encode()))]).json()
            while job["state"] in ("queued", "running"):
                time.sleep(0.5)
                job = httpx.get(f"{url}/api/jobs/{job['job_id']}").json()
            upload_state.update(job)

        up = threading.Thread(target=uploader)
        up.start()
        loaded = summary(run_clients(url, qs, args.clients, args.duration, seed=2), args.duration)
        up.join()
        stats = httpx.get(f"{url}/api/stats").json()
        ids: list[str] = []
        offset = None
        while True:
            page = httpx.get(
                f"{url}/api/articles", params={"limit": 500, **({"offset": offset} if offset else {})}
            ).json()
            ids += [a["article_id"] for a in page["articles"]]
            offset = page["next_offset"]
            if not offset:
                break
        report = {
            "ready_s": ready_s,
            "clients": args.clients,
            "duration_s": args.duration,
            "baseline_1_client": baseline,
            "loaded": loaded,
            "p50_ratio_vs_1_client": round(loaded["p50_ms"] / max(baseline["p50_ms"], 0.1), 2),
            "throughput_ratio_vs_1_client": round(loaded["rps"] / max(baseline["rps"], 0.01), 2),
            "upload": {
                "state": upload_state.get("state"),
                "articles": (upload_state.get("report") or {}).get("articles"),
            },
            "articles_before": before,
            "articles_after": stats["articles"],
            "articles_expected": before + args.upload,
            "duplicated_ids": len(ids) - len(set(ids)),
            "lost": before + args.upload - stats["articles"],
        }
        text = json.dumps(report, indent=2)
        print(text)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
