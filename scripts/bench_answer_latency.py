"""Answer latency per answerer, in-process and warm: extractive end to end, and for the local LLM
the time to first streamed token and to the full verified answer. Baseline in the same run: the
search alone (retrieval + evidence), which every answerer pays first.

    .venv/bin/python scripts/bench_answer_latency.py --index DIR [--answerers extractive,local,local-chat] [--n 20]

``local-chat`` is the local LLM through its chat endpoint (``llm.prefill`` off): the baseline of the
prefilled reply, on the same questions, with the count of answers equal to ``local``'s.

Questions: the seeds' sample questions plus DEV questions (English and Italian) if available, or
with ``--questions tests/fixtures/news_qa/questions.jsonl`` the news benchmark's questions (only
those that are not follow-ups; ``--no-seeds`` leaves the seeds' questions out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "squad_it"
SEED_QUESTIONS = [
    "How many US troops are in Syria?",
    "Quante truppe statunitensi ci sono in Iraq?",
    "Chi è il primo ministro iracheno?",
    "How many US troops are in Afghanistan?",
]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else float("nan")


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 1), "p95": _pct(values, 0.95), "n": len(values)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--answerers", default="extractive,local")
    ap.add_argument("--n", type=int, default=20, help="questions per answerer")
    ap.add_argument("--questions", type=Path, default=SHARED / "questions.jsonl")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-seeds", action="store_true", help="only the --questions file's questions")
    args = ap.parse_args()

    from rag.engine import Engine
    from rag.settings import load_settings

    qs = [] if args.no_seeds else list(SEED_QUESTIONS)
    if args.questions.exists():
        rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines()]
        rows = [row for row in rows if not row.get("prev")]  # the news benchmark's follow-ups need their turn
        step = max(1, len(rows) // args.n)
        for row in rows[::step]:
            qs += [q for q in (row.get("question_en"), row.get("question_it"), row.get("q")) if q]
    qs = qs[: args.n]
    settings = load_settings()
    settings.index.path = args.index
    out: dict[str, object] = {"index": str(args.index), "questions": len(qs)}
    with Engine(settings) as engine:
        engine.warm_up()
        engine.search(qs[0])
        search_ms = []
        for q in qs:
            t = time.perf_counter()
            engine.search(q)
            search_ms.append(1000 * (time.perf_counter() - t))
        out["search_only_ms"] = _summary(search_ms)
        answers: dict[str, list[str]] = {}
        for label in [k.strip() for k in args.answerers.split(",") if k.strip()]:
            # "local-chat": the local LLM through its chat endpoint (llm.prefill off), the baseline of
            # the prefilled reply; the same questions, so the replies can be compared one by one
            kind = "local" if label.startswith("local") else label
            engine.settings.llm.prefill = label != "local-chat"
            engine._answer.pop(kind, None)
            t = time.perf_counter()
            engine.answer_pipeline(kind)  # builds and warms the answerer
            if kind == "local":
                engine.local_llm.start()  # the LLM's own process: loaded and its prompt cache primed
            load_s = time.perf_counter() - t
            engine.ask(qs[0], answerer=kind)  # warm
            total, first, tokens, abstained = [], [], [], 0
            said = answers.setdefault(label, [])
            for q in qs:
                seen: list[float] = []
                t = time.perf_counter()
                result = engine.ask(q, answerer=kind, on_token=lambda _tok, s=seen: s.append(time.perf_counter()))
                end = time.perf_counter()
                total.append(1000 * (end - t))
                abstained += result.abstained
                said.append(result.answer)
                if seen and not result.abstained and kind != "extractive":
                    first.append(1000 * (seen[0] - t))
                    tokens.append(len(seen))
            out[label] = {
                "load_s": round(load_s, 2),
                "total_ms": _summary(total),
                "first_token_ms": _summary(first) if first else None,
                "streamed_chunks_mean": round(statistics.mean(tokens), 1) if tokens else None,
                "abstained": abstained,
            }
            if label != "local" and "local" in answers and label.startswith("local"):
                out[label]["same_answer_as_local"] = sum(a == b for a, b in zip(said, answers["local"], strict=True))
            print(label, json.dumps(out[label]), flush=True)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
