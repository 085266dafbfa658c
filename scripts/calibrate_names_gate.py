"""Add the evidence gate's name check alone (its similarity bar set to 0) to calibrate_reader.py's
records, question by question, so the "names only" gate can be calibrated without reading again.

    .venv/bin/python scripts/calibrate_names_gate.py runs/calib-f0.json   # then calibrate_reader.py --records

Each record's full gate verdict is recomputed too and must agree with the recorded one (same
questions, same order, same indexes), else nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "squad_it"
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", type=Path, help="calibrate_reader.py's --out JSON (rewritten with gate_names)")
    args = ap.parse_args()
    saved = json.loads(args.records.read_text(encoding="utf-8"))
    fold, records = saved["fold"], saved["records"]

    from rag.answer.evidence import select_evidence
    from rag.engine import Engine
    from rag.eval.answers import run_answer_eval_corpora
    from rag.eval.data import load_questions
    from rag.eval.folds import fold_questions
    from rag.eval.retrieval import eval_index_settings, unanswerable_index_settings
    from rag.settings import load_settings

    corpus = DEV / "corpus.jsonl"
    settings = load_settings()
    settings.answer.reader_gate = True
    other = run_answer_eval_corpora(settings, corpus, fold)
    questions = DEV / "questions.jsonl"
    qsets = {lang: fold_questions(load_questions(questions, lang), corpus, fold, "all") for lang in ("it", "en")}
    started, disagree = time.monotonic(), 0
    for where, s in (
        ("answerable", eval_index_settings(settings, corpus)),
        ("absent", unanswerable_index_settings(settings, other)),
    ):
        with Engine(s) as engine:
            engine.ingest([corpus if where == "answerable" else other])
            gate: Any = engine.answer_pipeline("extractive").get_component("gate")
            for lang, qs in qsets.items():
                rows = records[f"{where}-{lang}"]
                assert len(rows) == len(qs), (where, lang, len(rows), len(qs))
                for i, (q, row) in enumerate(zip(qs, rows, strict=True)):
                    if i % 200 == 0:
                        print(f"{where} {lang} {i}/{len(qs)} ({time.monotonic() - started:.0f} s)", file=sys.stderr)
                    found = engine.search(q.text, top_k=saved["max_passages"])
                    evidence = select_evidence(found.hits, found.evidence, engine.settings.answer.evidence)
                    full = "reason" not in gate.run(focus_question=q.text, language=found.language, evidence=evidence)
                    disagree += full != row["gate"]
                    bars = gate.min_similarity, gate.min_similarity_cross
                    gate.min_similarity = gate.min_similarity_cross = 0.0
                    verdict = gate.run(focus_question=q.text, language=found.language, evidence=evidence)
                    gate.min_similarity, gate.min_similarity_cross = bars
                    row["gate_names"] = "reason" not in verdict
    total = sum(len(v) for v in records.values())
    print(f"full gate verdicts recomputed: {disagree} of {total} differ from the records", file=sys.stderr)
    if disagree > total // 100:
        sys.exit("the records do not match these questions or indexes: nothing written")
    args.records.write_text(json.dumps(saved) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
