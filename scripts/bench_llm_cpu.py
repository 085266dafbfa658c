"""llama.cpp's speed at each CPU level this machine runs: prompt and decode tokens/s of the packaged
model, one fresh process per level and round, levels alternated, as the worker loads it (weight
repacking as ``RAG_LLM__REPACK=auto`` sets it for that build, all cores).

    .venv/bin/python scripts/bench_llm_cpu.py [--builds /tmp/llama-builds] [--rounds 3] [--slow-once]

The level `make setup` chose is the venv's own build; each other level is built once into
``--builds/<level>`` (``pip install --target``, ≈5 min each on 2 cores) from the same version, with
``rag/llm/cpu.py``'s flags. Levels this CPU lacks an instruction of are left out (they would die of
SIGILL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.llm import cpu  # noqa: E402

CHILD = r"""
import json, sys, time
import llama_cpp, llama_cpp.llama_cpp as lib
from rag.llm.worker import build_features, use_repacking
from rag.answer import prompts

features = build_features(llama_cpp.llama_print_system_info().decode())
repack = use_repacking("auto", features)
default = lib.llama_model_default_params
def params():
    p = default(); p.use_extra_bufts = repack; return p
lib.llama_model_default_params = params
llm = llama_cpp.Llama(sys.argv[1], n_ctx=2048, n_threads=int(sys.argv[3]), n_threads_batch=int(sys.argv[3]),
                      n_batch=512, verbose=False)
evidence = open(sys.argv[2], encoding="utf-8").read()[:1400]
prompt = prompts.chatml_prompt([("system", prompts.system_prompt()),
                                ("user", "Riassumi in italiano, a lungo, questo articolo:\n" + evidence)])
runs = []
for _ in range(int(sys.argv[4])):
    llm.reset()
    lib.llama_perf_context_reset(llm._ctx.ctx)
    llm.create_completion(prompt, max_tokens=48, temperature=0.0, repeat_penalty=1.0)
    perf = lib.llama_perf_context(llm._ctx.ctx)
    runs.append({"prompt_tps": 1000 * perf.n_p_eval / perf.t_p_eval_ms, "n_prompt": perf.n_p_eval,
                 "decode_tps": 1000 * perf.n_eval / perf.t_eval_ms, "n_decode": perf.n_eval})
print(json.dumps({"file": llama_cpp.__file__, "repack": repack, "runs": runs}))
"""


def build(level: str, target: Path, version: str) -> None:
    if (target / "llama_cpp").is_dir():
        return
    print(f"building llama-cpp-python {version} for {level} into {target} (≈5 min)", file=sys.stderr)
    env = {**os.environ, "CMAKE_ARGS": cpu.cmake_args(level), "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count())}
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir", "--no-binary", "llama-cpp-python",
         "--no-deps", "--target", str(target), f"llama-cpp-python=={version}"],
        env=env, check=True,
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builds", type=Path, default=Path("/tmp/llama-builds"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=2, help="timed completions per process")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument(
        "--slow-once",
        action="store_true",
        help="levels below avx2 (minutes per completion on 2 cores) run in the first round only, once",
    )
    args = ap.parse_args()

    from rag.llm.gguf import ensure_gguf
    from rag.settings import load_settings

    record = json.loads(cpu.record_path().read_text())
    here = cpu.read_cpu()
    levels = [lv for lv in cpu.LEVELS if here.flags is not None and set(cpu.needs(lv)) <= here.flags]
    dirs: dict[str, Path | None] = {}
    for level in levels:
        dirs[level] = None if level == record["level"] else args.builds / level
        if dirs[level] is not None:
            build(level, dirs[level], record["version"])  # type: ignore[arg-type]
    model = ensure_gguf(load_settings().embedding.cache_dir)
    article = next(iter(sorted((ROOT / "seeds").glob("*.md")) + sorted((ROOT / "seeds").glob("*.txt"))))
    seen: dict[str, list[dict[str, float]]] = {lv: [] for lv in levels}
    slow = {"sse42", "x86-64"} if args.slow_once else set()
    for r in range(args.rounds):
        for level in levels if r % 2 == 0 else reversed(levels):
            if level in slow and r > 0:
                continue
            reps = 1 if level in slow else args.reps
            path = dirs[level]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(p) for p in (path, ROOT) if p])}
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(model), str(article), str(args.threads), str(reps)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            data = json.loads(out.stdout.strip().splitlines()[-1])
            assert path is None or data["file"].startswith(str(path)), data["file"]
            seen[level] += data["runs"]
            print(f"round {r + 1} {level}: {data['runs']}", file=sys.stderr)
    chosen = record["level"]
    base = {k: statistics.median(x[k] for x in seen[chosen]) for k in ("prompt_tps", "decode_tps")}
    print(f"CPU: {here.model}; setup's level: {chosen}; {args.threads} threads; {args.rounds} rounds × {args.reps}")
    if slow:
        print(f"({', '.join(sorted(slow))}: one completion each, in the first round)")
    print("| level | prompt tokens/s (median, min-max) | × setup's | decode tokens/s (median, min-max) | × setup's |")
    print("|---|---|---|---|---|")
    for level in levels:
        cells = []
        for k in ("prompt_tps", "decode_tps"):
            xs = [x[k] for x in seen[level]]
            med = statistics.median(xs)
            cells += [f"{med:,.1f} ({min(xs):,.1f}-{max(xs):,.1f})", f"{med / base[k]:.2f}×"]
        mark = " (setup's choice)" if level == chosen else ""
        print(f"| {level}{mark} | {' | '.join(cells)} |")
    n = seen[chosen][0]
    print(f"({n['n_prompt']} prompt tokens, {n['n_decode']} decoded, greedy)")


if __name__ == "__main__":
    main()
