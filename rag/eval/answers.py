"""``rag eval --answers``: answer quality, citation quality, abstention and latency per answerer.

Definitions (SQuAD-it questions, gold answer spans in the paragraph):

- EM / F1: SQuAD normalisation (lowercase, no punctuation, no articles in Italian and English,
  single spaces) of the answer's claims against each gold answer, best over golds; abstentions count
  as 0. The gold answers are Italian spans: for English questions this measures the span found, and
  an answer translated into English scores low.
- sentence accuracy: share of answered questions whose first citation's sentence holds a gold answer.
- citation recall: share of questions whose paragraph was retrieved for which some citation's
  sentence covers a gold answer span (abstentions count as misses).
- citation precision: share of citations whose sentence contains a gold answer span.
- all cited: share of non-abstained answers whose every claim carries a citation.
- contract violations: citations where ``article_text[start:end] != quote`` (re-read from the index).
- false abstention: share of questions over the full corpus that abstained (also among those whose
  paragraph was retrieved, ``abstained_when_retrieved``); with an unanswerable
  corpus (one lacking the questions' articles), abstention there is the share that abstained.
"""

from __future__ import annotations

import re
import statistics
import string
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.engine import Engine
from rag.eval.data import Question, load_questions, paragraph_classes
from rag.eval.folds import fold_questions, other_folds_corpus
from rag.eval.retrieval import eval_index_settings, unanswerable_index_settings
from rag.models import AnswerResult
from rag.settings import Settings

_ARTICLES = re.compile(
    r"\b(a|an|the|il|lo|la|i|gli|le|l|un|uno|una|del|dello|della|dei|degli|delle|di|da)\b", re.IGNORECASE
)


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch if ch not in string.punctuation + "«»“”‘’" else " " for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: list[str]) -> float:
    return float(any(normalize_answer(prediction) == normalize_answer(g) for g in golds))


def f1_score(prediction: str, golds: list[str]) -> float:
    best = 0.0
    pred = normalize_answer(prediction).split()
    for gold in golds:
        ref = normalize_answer(gold).split()
        common = Counter(pred) & Counter(ref)
        same = sum(common.values())
        if not pred or not ref or same == 0:
            continue
        p, r = same / len(pred), same / len(ref)
        best = max(best, 2 * p * r / (p + r))
    return best


def sample(questions: list[Question], n: int | None) -> list[Question]:
    """``n`` questions spread evenly over the file (every k-th), the same on every run."""
    if not n or n >= len(questions):
        return questions
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


def _covers(start: int, end: int, q: Question) -> bool:
    return any(start <= off and off + len(ans) <= end for off, ans in q.answer_spans)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def run_answer_eval(
    settings: Settings,
    corpus: Path,
    questions_path: Path,
    *,
    langs: list[str],
    answerers: list[str],
    limit: int | None = None,
    unanswerable_corpus: Path | None = None,
    fold: int | None = None,
    half: str = "all",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``fold``: only questions of that fold's articles (rag/eval/folds.py; ``half`` a or b: half of
    them) — the figures of a model trained on the other folds; with no ``unanswerable_corpus``, the
    other folds' paragraphs are one."""
    say = log or (lambda _m: None)
    canon = paragraph_classes(corpus)
    report: dict[str, Any] = {"answerers": {}, "questions_per_language": limit, "fold": fold, "half": half}
    qsets = {lang: load_questions(questions_path, lang) for lang in langs}
    if fold is not None:
        qsets = {lang: fold_questions(qs, corpus, fold, half) for lang, qs in qsets.items()}
        if unanswerable_corpus is None:
            unanswerable_corpus = run_answer_eval_corpora(settings, corpus, fold)
    qsets = {lang: sample(qs, limit) for lang, qs in qsets.items()}
    with Engine(eval_index_settings(settings, corpus)) as engine:
        say(f"answers: index {engine.settings.index_dir()} (ingested if missing)")
        engine.ingest([corpus])
        for kind in answerers:
            report["answerers"][kind] = {lang: _answer_metrics(engine, kind, qsets[lang], canon, say) for lang in langs}
    if unanswerable_corpus is not None:
        present = set(paragraph_classes(unanswerable_corpus))
        # its own index, also when --index names the answerable one (that was a bug: the same index
        # twice made the "unanswerable" rate the answerable questions' abstention rate)
        with Engine(unanswerable_index_settings(settings, unanswerable_corpus)) as engine:
            say(f"unanswerable: index {engine.settings.index_dir()} (ingested if missing)")
            engine.ingest([unanswerable_corpus])
            for kind in answerers:
                for lang in langs:
                    qs = [q for q in qsets[lang] if q.paragraph_id not in present]
                    abstained = 0
                    for q in qs:
                        abstained += engine.ask(q.text, answerer=kind).abstained
                    rate = round(abstained / max(len(qs), 1), 4)
                    report["answerers"][kind][lang]["unanswerable"] = {"n": len(qs), "abstained": rate}
                    say(f"  {kind} {lang} unanswerable: {rate} of {len(qs)} abstained")
    return report


def run_answer_eval_corpora(settings: Settings, corpus: Path, fold: int) -> Path:
    """The unanswerable corpus of a fold's questions: the other folds' paragraphs."""
    return other_folds_corpus(corpus, fold, settings.index.home)


def _answer_metrics(
    engine: Engine, kind: str, qs: list[Question], canon: dict[str, str], say: Callable[[str], None]
) -> dict[str, Any]:
    em = f1 = 0.0
    retrieved = cite_hit = n_cit = cit_good = answered = all_cited = violations = abstained = first_good = 0
    abstained_retrieved = fallbacks = 0
    latencies: list[float] = []
    texts: dict[str, str | None] = {}
    for i, q in enumerate(qs):
        if i and i % 25 == 0:
            say(f"  {kind}: {i}/{len(qs)} questions")
        gold = canon.get(q.paragraph_id, q.paragraph_id)
        t0 = time.perf_counter()
        result: AnswerResult = engine.ask(q.text, answerer=kind)
        latencies.append(1000 * (time.perf_counter() - t0))
        fallbacks += result.notice is not None  # e.g. the LLM timed out: this answer is not the LLM's
        hits = engine.search(q.text, top_k=engine.settings.answer.top_k).hits
        was_retrieved = any(canon.get(h.article_id, h.article_id) == gold for h in hits)
        retrieved += was_retrieved
        if result.abstained:
            abstained += 1
            abstained_retrieved += was_retrieved
            continue
        answered += 1
        prediction = " ".join(c.text for c in result.claims)
        golds = [a for _, a in q.answer_spans]
        em += exact_match(prediction, golds)  # against the Italian gold spans, whatever the question's language
        f1 += f1_score(prediction, golds)
        all_cited += all(c.citations for c in result.claims)
        good = [
            c for c in result.citations if canon.get(c.article_id, c.article_id) == gold and _covers(c.start, c.end, q)
        ]
        cite_hit += bool(good) and was_retrieved
        first_good += bool(result.citations) and result.citations[0] in good
        n_cit += len(result.citations)
        cit_good += len(good)
        for c in result.citations:
            if c.article_id not in texts:
                texts[c.article_id] = engine.article_text(c.article_id)
            text = texts[c.article_id]
            violations += text is None or text[c.start : c.end] != c.quote
    n = max(len(qs), 1)
    out: dict[str, Any] = {
        "n": len(qs),
        "abstained": round(abstained / n, 4),
        "abstained_when_retrieved": round(abstained_retrieved / max(retrieved, 1), 4),
        "citation_recall": round(cite_hit / max(retrieved, 1), 4),
        "citation_precision": round(cit_good / max(n_cit, 1), 4),
        "sentence_accuracy": round(first_good / max(answered, 1), 4),
        "all_cited": round(all_cited / max(answered, 1), 4),
        "contract_violations": violations,
        "fallbacks": fallbacks,
        "paragraph_retrieved": round(retrieved / n, 4),
        "latency_ms_p50": _pct(latencies, 0.5),
        "latency_ms_p95": _pct(latencies, 0.95),
        "latency_ms_mean": round(statistics.fmean(latencies), 1) if latencies else 0.0,
    }
    out["EM"] = round(100 * em / n, 2)  # abstentions count as 0
    out["F1"] = round(100 * f1 / n, 2)
    say(f"  {kind} {qs[0].language if qs else ''}: {out}")
    return out


def format_answer_table(report: dict[str, Any]) -> str:
    cols = ["n", "EM", "F1", "citation_recall", "citation_precision", "sentence_accuracy", "all_cited"]
    cols += ["contract_violations"]
    cols += ["abstained", "unanswerable", "latency_ms_p50", "latency_ms_p95"]
    lines = ["answerer   lang " + " ".join(f"{c:>12.12}" for c in cols)]
    for kind, per_lang in report["answerers"].items():
        for lang, m in per_lang.items():
            cells = []
            for c in cols:
                v = m.get(c, "")
                if c == "unanswerable" and isinstance(v, dict):
                    v = v["abstained"]
                cells.append(f"{v:>12}")
            lines.append(f"{kind:<10} {lang:<4} " + " ".join(cells))
    return "\n".join(lines)
