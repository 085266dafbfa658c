"""Encoder throughput and agreement of each ``embedding.backend`` against float32 torch, in one run.

The texts are exactly what ingest embeds for the SQuAD-it DEV corpus: the real ``ArticleSplitter``
with the default chunking settings, each chunk prefixed and joined with its title the way the
passage embedder does it (``--texts sentences`` for the sentence texts instead). Every backend
encodes the same texts with the same batch size, warmed first; the rounds are interleaved
(torch, a, b, torch, a, b, ...) so a busy machine slows them alike, and each ratio is the median of
the per-round ratios against that round's torch time.

Agreement: the cosine of each text's vector with its float32 one, and, for the abstention
thresholds (``answer.min_similarity`` and co., calibrated on float32), the change of the
question-sentence cosines: DEV questions (Italian and English) against the sentences of their
paragraph.

    .venv/bin/python scripts/bench_encoder.py [--limit N] [--rounds R] [--backends onnx-int8,openvino-bf16]
        [--texts chunks|sentences] [--questions N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "eval" / "squad_it"


def _load_texts(corpus: Path, limit: int | None, kind: str) -> tuple[list[str], dict[str, list[str]]]:
    """Embedded texts in ingest order, and each article's sentence texts (for the question pairs)."""
    from rag.embedding.configured import passage_embedder
    from rag.ingest.splitter import ArticleSplitter
    from rag.loaders.jsonl import load_jsonl
    from rag.models import Article
    from rag.settings import load_settings

    settings = load_settings()
    ch = settings.chunking
    articles = [a for a in load_jsonl(corpus) if isinstance(a, Article)][: limit or None]
    out = ArticleSplitter(ch.sentences, ch.overlap, ch.max_chars).run(articles)
    emb = passage_embedder(settings, "unused")  # only its text-building fields are read

    def text(doc: Any) -> str:
        meta = [str(doc.meta[k]) for k in emb.meta_fields_to_embed if doc.meta.get(k) is not None]
        return emb.prefix + emb.embedding_separator.join([*meta, doc.content or ""]) + emb.suffix

    sentences: dict[str, list[str]] = {}
    for d in out["sentences"]:
        sentences.setdefault(str(d.meta["article_id"]), []).append(text(d))
    return [text(d) for d in out[kind]], sentences


def _question_pairs(
    questions: Path, sentences: dict[str, list[str]], n: int, query_prompt: str
) -> list[tuple[str, list[str]]]:
    from rag.eval.data import load_questions

    pairs: list[tuple[str, list[str]]] = []
    for lang in ("it", "en"):
        qs = [q for q in load_questions(questions, lang) if q.paragraph_id in sentences][:n]
        pairs += [(query_prompt + q.text, sentences[q.paragraph_id]) for q in qs]
    return pairs


def _load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    ap.add_argument("--questions", type=Path, default=SHARED / "questions.jsonl")
    ap.add_argument("--limit", type=int, default=None, help="first N corpus paragraphs (default: all)")
    ap.add_argument("--texts", choices=("chunks", "sentences"), default="chunks")
    ap.add_argument("--backends", default="onnx-int8,openvino-bf16", help="comma-separated, against torch")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=None, help="default: embedding.batch_size")
    ap.add_argument("--pairs", type=int, default=100, help="questions per language for the similarity check")
    ap.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = ap.parse_args()

    import torch

    from rag.embedding.backends import load_encoder
    from rag.embedding.configured import model_path
    from rag.settings import load_settings

    settings = load_settings()
    batch = args.batch_size or settings.embedding.batch_size
    texts, sentences = _load_texts(args.corpus, args.limit, args.texts)
    model = model_path(settings)
    names = ["torch", *[b for b in args.backends.split(",") if b and b != "torch"]]
    encoders = {name: load_encoder(model, name) for name in names}  # exports on first use (logged)
    tok = encoders["torch"].tokenizer
    max_len = encoders["torch"].max_seq_length
    n_tokens = sum(len(ids) for ids in tok(texts, truncation=True, max_length=max_len)["input_ids"])

    def encode(name: str, items: list[str]) -> np.ndarray:
        return np.asarray(encoders[name].encode(items, batch_size=batch, normalize_embeddings=True), np.float32)

    report: dict[str, Any] = {
        "texts": args.texts,
        "n_texts": len(texts),
        "n_tokens": n_tokens,
        "batch_size": batch,
        "rounds": args.rounds,
        "cpu_threads": torch.get_num_threads(),
        "load_avg_start": _load_avg(),
        "backends": {},
    }
    print(f"{len(texts)} {args.texts} texts, {n_tokens} tokens, batch {batch}; warming up ...", file=sys.stderr)
    vectors = {name: encode(name, texts) for name in names}  # warm-up, and the vectors compared below
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names:
            t = time.perf_counter()
            encode(name, texts)
            seconds[name].append(time.perf_counter() - t)
        print(f"round {r + 1}: " + ", ".join(f"{n} {seconds[n][-1]:.1f} s" for n in names), file=sys.stderr)
    report["load_avg_end"] = _load_avg()

    pairs = _question_pairs(args.questions, sentences, args.pairs, settings.embedding.query_prompt)
    pair_cos: dict[str, np.ndarray] = {}
    for name in names:
        q = encode(name, [p[0] for p in pairs])
        s = encode(name, [t for p in pairs for t in p[1]])
        cos, i = [], 0
        for k, (_, sents) in enumerate(pairs):
            cos.extend((s[i : i + len(sents)] @ q[k]).tolist())
            i += len(sents)
        pair_cos[name] = np.asarray(cos)

    base = seconds["torch"]
    for name in names:
        best = min(seconds[name])
        agree = (vectors[name] * vectors["torch"]).sum(axis=1)
        diff = np.abs(pair_cos[name] - pair_cos["torch"])
        report["backends"][name] = {
            "texts_per_s": round(len(texts) / best, 2),
            "tokens_per_s": round(n_tokens / best, 1),
            "speedup_vs_torch": round(statistics.median(b / s for b, s in zip(base, seconds[name], strict=True)), 2),
            "seconds": [round(s, 2) for s in seconds[name]],
            "cos_vs_torch_mean": round(float(agree.mean()), 5),
            "cos_vs_torch_min": round(float(agree.min()), 5),
            "question_sentence_cos_abs_diff_mean": round(float(diff.mean()), 5),
            "question_sentence_cos_abs_diff_max": round(float(diff.max()), 5),
            "question_sentence_cos_shift_mean": round(float((pair_cos[name] - pair_cos["torch"]).mean()), 5),
        }
    report["question_sentence_pairs"] = len(pair_cos["torch"])

    print(
        "| backend | texts/s | tokens/s | × torch (median of rounds) | cos vs fp32 mean / min | "
        "mean / max abs Δ cos(question, sentence) |"
    )
    print("|---|---:|---:|---:|---|---|")
    for name, r in report["backends"].items():
        print(
            f"| {name} | {r['texts_per_s']} | {r['tokens_per_s']} | {r['speedup_vs_torch']} | "
            f"{r['cos_vs_torch_mean']:.5f} / {r['cos_vs_torch_min']:.5f} | "
            f"{r['question_sentence_cos_abs_diff_mean']:.5f} / {r['question_sentence_cos_abs_diff_max']:.5f} |"
        )
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
