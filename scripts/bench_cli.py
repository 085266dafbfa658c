"""Wall time of CLI calls, each a fresh process (median of N runs, min and max beside it), for one or
more checkouts of the project in the same run (issue 28):

- ``python -c pass`` and ``import rag.cli``: the interpreter's floor, and what every call pays first;
- ``rag --help``;
- ``rag search`` / ``cite`` / ``stats`` / ``ask --answerer extractive`` answered by a running
  ``rag serve`` (the hand-off);
- ``rag search`` opening the index itself (the cold start: imports, index, models), and ``rag ask
  --answerer extractive`` likewise (the reader loaded too);
- ``rag serve`` from its launch to ``/healthz`` answering 200 (the service's cold start).

Each checkout runs its own code (``cwd`` and ``PYTHONPATH`` set to it, which win over the editable
install) with this venv's interpreter; the one service is started from the first checkout, on a
temporary copy of the index (a second copy serves the cold runs, which must not find the service).
The checkouts take turns within each repeat, so a load that drifts hits them alike. A baseline:

    git worktree add /tmp/base28 0b4ee74
    .venv/bin/python scripts/bench_cli.py --checkout . --checkout /tmp/base28 --repeats 7 [--index DIR]

Without ``--index`` the seeds are ingested into a temporary index first (by the first checkout).
Timings mean something only on an idle machine; ``--json`` prints the raw figures too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Checkout:
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        if not (self.path / "rag" / "cli" / "__init__.py").exists():
            raise SystemExit(f"{path}: not a checkout of rag-news (no rag/cli)")
        self.env = {**os.environ, "PYTHONPATH": str(self.path), "RAG_ANSWER__ANSWERER": "extractive"}
        self.label = self._label()

    def _label(self) -> str:
        try:
            rev = subprocess.run(
                ["git", "-C", str(self.path), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", str(self.path), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
            ).stdout.strip()
        except OSError:
            rev, dirty = "", ""
        return f"{self.path.name}@{rev or '?'}{'+' if dirty else ''}"

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "rag.cli", *args]

    def run(self, argv: list[str], *, check: bool = True) -> float:
        """Seconds of one process's wall time."""
        t = time.perf_counter()
        done = subprocess.run(argv, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - t
        if check and done.returncode != 0:
            raise SystemExit(f"{self.label}: {' '.join(argv[1:])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return seconds

    def import_ms(self) -> float:
        """Cumulative import time of ``rag.cli`` in ms, from ``-X importtime`` (little swayed by load)."""
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import rag.cli"],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in done.stderr.splitlines():
            if line.rstrip().endswith("| rag.cli"):
                return int(line.split("|")[1]) / 1000
        raise SystemExit(f"{self.label}: no import time for rag.cli")


class Service:
    """``rag serve`` on ``index`` (extractive answers: the local LLM would load in the background and
    take the CPU while the hand-off is measured)."""

    def __init__(self, checkout: Checkout, index: Path, log: Path, timeout: float = 600) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        with log.open("a") as fh:
            self.proc = subprocess.Popen(
                checkout.argv("serve", "--index", str(index), "--port", port),
                cwd=checkout.path,
                env=checkout.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"rag serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=120)


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("rag_service.json", "uploads"))
    return dst


def summary(runs: list[float]) -> str:
    return f"{statistics.median(runs):7.3f}  ({min(runs):.3f}–{max(runs):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkout", type=Path, action="append", help="a checkout to time (repeatable; default: this one)")
    ap.add_argument("--index", type=Path, help="an index to copy (default: the seeds, ingested into a temporary one)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each call per checkout (the median is shown)")
    ap.add_argument("--cold-repeats", type=int, help="runs of the cold search and ask (default: --repeats)")
    ap.add_argument("--query", default="truppe americane in Siria")
    ap.add_argument("--claim", default="gli Stati Uniti hanno 900 soldati in Siria")
    ap.add_argument("--question", default="How many US troops are in Syria?")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds to wait after the service is ready")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold starts (the slowest part)")
    ap.add_argument("--serve-repeats", type=int, default=3, help="cold starts of rag serve per checkout")
    ap.add_argument("--json", action="store_true", help="also print every run's seconds as JSON")
    args = ap.parse_args()
    checkouts = [Checkout(p) for p in (args.checkout or [ROOT])]
    first = checkouts[0]
    work = Path(tempfile.mkdtemp(prefix="bench_cli."))
    service: Service | None = None
    try:
        if args.index is None:
            source = work / "seeded"
            print(f"ingesting seeds/ into {source} ...", file=sys.stderr)
            first.run(first.argv("ingest", str(ROOT / "seeds"), "--index", str(source)))
        else:
            source = args.index
        served, cold = copy_index(source, work / "served"), copy_index(source, work / "cold")

        rows: dict[str, dict[str, list[float]]] = {}

        def time_all(name: str, make: list[str], repeats: int, *, cli: bool = True) -> None:
            for _ in range(repeats):
                for c in checkouts:
                    argv = c.argv(*make) if cli else [sys.executable, *make]
                    rows.setdefault(name, {}).setdefault(c.label, []).append(c.run(argv))

        imports = {c.label: [c.import_ms() for _ in range(args.repeats)] for c in checkouts}
        time_all("python -c pass", ["-c", "pass"], args.repeats, cli=False)
        time_all("python -c 'import rag.cli'", ["-c", "import rag.cli"], args.repeats, cli=False)
        time_all("rag --help", ["--help"], args.repeats)

        print(f"starting rag serve on {served} ...", file=sys.stderr)
        service = Service(first, served, work / "serve.log")
        time.sleep(args.settle)
        index = ["--index", str(served)]
        time_all("search via service", ["search", args.query, *index, "--json"], args.repeats)
        time_all("cite via service", ["cite", args.claim, *index, "--json"], args.repeats)
        time_all("stats via service", ["stats", *index, "--json"], args.repeats)
        ask = ["ask", args.question, "--answerer", "extractive", *index, "--json"]
        time_all("ask via service (extractive)", ask, args.repeats)
        service.stop()
        service = None
        if not args.no_cold:
            cold_search = ["search", args.query, "--index", str(cold), "--json"]
            time_all("search, cold (opens the index)", cold_search, args.cold_repeats or args.repeats)
            cold_ask = ["ask", args.question, "--answerer", "extractive", "--index", str(cold), "--json"]
            time_all("ask (extractive), cold: the reader too", cold_ask, args.cold_repeats or args.repeats)
            for _ in range(args.serve_repeats):
                for c in checkouts:
                    t = time.perf_counter()
                    started = Service(c, cold, work / "serve-cold.log")  # returns once /healthz says 200
                    took = time.perf_counter() - t
                    started.stop()
                    rows.setdefault("rag serve, cold (to /healthz 200)", {}).setdefault(c.label, []).append(took)

        width = max(len(n) for n in rows) + 2
        print(f"\n{'seconds, median (min–max) of':<{width}}" + "".join(f"{c.label:>28}" for c in checkouts))
        for name, by in rows.items():
            print(f"{name:<{width}}" + "".join(f"{summary(by[c.label]):>28}" for c in checkouts))
        print(
            f"{'import rag.cli, ms (-X importtime)':<{width}}"
            + "".join(f"{statistics.median(imports[c.label]):28.1f}" for c in checkouts)
        )
        print(f"\n{args.repeats} repeats; service from {first.label}; index copied from {source}")
        if args.json:
            print(json.dumps({"runs_s": rows, "import_rag_cli_ms": imports}, indent=2))
    finally:
        if service is not None:
            service.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
