"""``rag eval --news DIR``: the news benchmark (an archive of our own making, tests/fixtures/news_qa).

Each question is asked as a researcher would (a follow-up after its previous question, in one
conversation) and its outcome is one of:

- ``right``: answered, cited, and right: a gold value in the answer, no tempting wrong one, the first
  citation from one of the question's articles; for ``yes``/``no`` the right word first; for
  ``sources_differ`` at least two of the differing values named, each cited;
- ``wrong``: answered, and not right (wrong with confidence), also an answer where the archive holds
  none (``abstain`` expected);
- ``needless``: abstained where the archive holds the answer;
- ``abstained``: abstained where it should (a period the archive lacks also counts only when the
  abstention says what the archive holds instead: ``nearest`` given).

Reported per kind and language, with the share of disagreement questions whose differing values were
named, and of the other questions wrongly told "sources differ".
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.settings import Settings

OUTCOMES = ("right", "wrong", "needless", "abstained")
_YES = re.compile(r"^\W*(yes|sì|si)\b", re.IGNORECASE)
_NO = re.compile(r"^\W*no\b", re.IGNORECASE)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^\w%,.]+", " ", text).split())


def _digits(text: str) -> str:
    return re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", _norm(text))


def mentions(answer: str, value: str) -> bool:
    """Whether ``answer`` states ``value`` (case, spacing and thousands separators aside)."""
    a, v = _digits(answer), _digits(value)
    if not v:
        return False
    return re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", a) is not None


def outcome(q: dict[str, Any], result: dict[str, Any]) -> str:
    expect = q["expect"]
    if result["abstained"]:
        if expect != "abstain":
            return "needless"
        if q["kind"] == "missing_period" and not result.get("nearest"):
            return "wrong"  # abstained without saying what the archive holds
        return "abstained"
    if expect == "abstain":
        return "wrong"
    answer = " ".join(c["text"] for c in result["claims"]) or result["answer"]
    if expect in ("yes", "no"):
        said = "yes" if _YES.match(result["answer"]) else "no" if _NO.match(result["answer"]) else None
        return "right" if said == expect else "wrong"
    if expect == "sources_differ":
        named = {
            v["value"]
            for v in q.get("values", [])
            if any(mentions(s["value"], v["value"]) for s in result.get("sources_differ") or [])
        }
        return "right" if len(named) >= 2 else "wrong"
    cited = {c["article_id"] for c in result["citations"][:1]}
    right = any(mentions(answer, g) for g in q["answers"]) and not any(mentions(answer, n) for n in q.get("not", []))
    return "right" if right and (not q.get("article_ids") or cited & set(q["article_ids"])) else "wrong"


def news_index_settings(settings: Settings, articles: Path) -> Settings:
    if settings.index.path is not None or settings.index.qdrant_url:
        return settings
    digest = hashlib.sha256(articles.read_bytes()).hexdigest()[:8]
    data = settings.model_dump()
    data["index"]["path"] = settings.index.home / f"eval-news-{digest}" / settings.index_name()
    return Settings(**data)


def run_news_eval(
    settings: Settings, archive: Path, answerers: list[str], say: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    from rag.answer.followup import Conversation
    from rag.engine import Engine

    articles = archive / "articles.jsonl"
    questions = [json.loads(line) for line in (archive / "questions.jsonl").read_text().splitlines() if line.strip()]
    report: dict[str, Any] = {"archive": str(archive), "questions": len(questions), "answerers": {}}
    with Engine(news_index_settings(settings, articles)) as engine:
        report["index"] = str(engine.settings.index_dir())
        say(f"ingesting {articles} into {report['index']} (reused when already there) ...")
        engine.ingest([articles])
        for kind in answerers:
            rows = []
            for i, q in enumerate(questions):
                conversation = Conversation() if q.get("prev") else None
                if conversation is not None:
                    engine.ask(q["prev"], answerer=kind, conversation=conversation)
                t0 = time.perf_counter()
                result = engine.ask(q["q"], answerer=kind, conversation=conversation).to_dict()
                rows.append(
                    {
                        "id": q["id"],
                        "kind": q["kind"],
                        "lang": q["lang"],
                        "outcome": outcome(q, result),
                        "differ": bool(result.get("sources_differ")),
                        "answer": result["answer"],
                        "claims": [c["text"] for c in result["claims"]],
                        "ms": round(1000 * (time.perf_counter() - t0), 1),
                    }
                )
                if (i + 1) % 20 == 0:
                    say(f"  {kind}: {i + 1}/{len(questions)} questions")
            report["answerers"][kind] = {"summary": summarize(rows, questions), "rows": rows}
    return report


def _shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    counts = {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}
    return {"n": n, **counts, **{f"{o}_pct": round(100 * counts[o] / n, 1) if n else 0.0 for o in OUTCOMES}}


def summarize(rows: list[dict[str, Any]], questions: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["kind"]].append(r)
        by[f"{r['kind']}/{r['lang']}"].append(r)
        by[f"all/{r['lang']}"].append(r)
    differ = [r for r in rows if r["kind"] == "disagreement"]
    others = [r for r in rows if r["kind"] != "disagreement"]
    times = sorted(r["ms"] for r in rows)
    return {
        "all": _shares(rows),
        "by": {k: _shares(v) for k, v in sorted(by.items())},
        "disagreement_named_pct": round(100 * sum(r["outcome"] == "right" for r in differ) / len(differ), 1)
        if differ
        else None,
        "false_differ_pct": round(100 * sum(r["differ"] for r in others) / len(others), 1) if others else None,
        "p50_ms": times[len(times) // 2] if times else None,
    }


def format_news_table(report: dict[str, Any]) -> str:
    lines = [f"news benchmark: {report['archive']} ({report['questions']} questions), index {report['index']}"]
    for kind, data in report["answerers"].items():
        s = data["summary"]
        lines += [
            f"\n{kind}: right {s['all']['right_pct']}% · wrong {s['all']['wrong_pct']}% · needless abstention "
            f"{s['all']['needless_pct']}% · right abstention {s['all']['abstained_pct']}% · sources differ named "
            f"{s['disagreement_named_pct']}% · false 'sources differ' {s['false_differ_pct']}% · p50 {s['p50_ms']} ms",
            "| kind | n | right | wrong | needless | abstained |",
            "|---|---|---|---|---|---|",
        ]
        for key, v in s["by"].items():
            lines.append(f"| {key} | {v['n']} | {v['right']} | {v['wrong']} | {v['needless']} | {v['abstained']} |")
    return "\n".join(lines)
