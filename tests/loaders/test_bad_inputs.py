"""Bad input end to end: every kind of bad file next to a good article, through one real ``Engine.ingest``.

Each kind gets its own folder holding one good article (``good.txt``) and the bad item(s). The whole tree is
ingested ONCE into a real index (a real embedder costs ~27 sentences/s on this machine, so one ingest per
kind would take minutes); the assertions stay per kind: the kind's good article is indexed, each bad item is
skipped with a message naming its file (and line, for JSONL) and the problem, or it is ingested as expected,
and nothing of a skipped item reaches the index (its marker word is in no stored point).

The message checked is the one users see: ``"<origin>: <reason>"``, as the CLI and the UI print it.
The file size limit is lowered to 3 MB for the ingest (``RAG_INGEST__MAX_FILE_MB=3``, the variable the
message tells users to set) so a file over it costs 4 MB, not 50. The kinds are tabled in
``bad_input_kinds.py`` and ``bad_input_kinds_files.py``; the 10 MB article and the size limits, not sent
through the embedder, are checked in ``test_size_limits.py``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rag.loaders.inputs import UNEXPECTED
from rag.models import Skipped
from tests.conftest import make_settings
from tests.loaders.bad_input_kinds import LIMIT_MB, TEXT_CASES, Case, w
from tests.loaders.bad_input_kinds_files import FILE_CASES

CASES: list[Case] = TEXT_CASES + FILE_CASES


# --- the one ingest -----------------------------------------------------------------------------


@dataclass
class Ingested:
    root: Path
    skipped: list[Skipped]
    points: dict[str, list[dict[str, Any]]]  # kind -> payloads
    seconds: float

    def articles_in(self, folder: Path) -> dict[str, dict[str, Any]]:
        prefix = str(folder) + os.sep
        return {p["origin"][len(prefix) :]: p for p in self.points["article"] if str(p["origin"]).startswith(prefix)}

    def skipped_in(self, folder: Path) -> dict[str, Skipped]:
        prefix = str(folder) + os.sep
        return {s.origin[len(prefix) :]: s for s in self.skipped if s.origin.startswith(prefix)}


def _all_points(engine: Any, kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = None
    while True:
        page, offset = engine.store.scroll(kind, None, limit=500, offset=offset)
        out.extend(r.payload for r in page)
        if offset is None:
            return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    from rag.engine import Engine

    base = tmp_path_factory.mktemp("bad_inputs")
    root = base / "in"
    for case in CASES:
        folder = root / case.id
        folder.mkdir(parents=True)
        w(folder, "good.txt", f"Articolo di controllo del caso {case.id}. Il consiglio comunale ha votato il bilancio.")
        case.build(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_INGEST__MAX_FILE_MB", str(LIMIT_MB))
        started = time.perf_counter()
        with Engine(make_settings(base / "index")) as engine:
            report = engine.ingest([root])
            points = {kind: _all_points(engine, kind) for kind in ("article", "chunk", "sentence", "term")}
    result = Ingested(root, report.skipped, points, time.perf_counter() - started)
    if os.environ.get("RAG_BAD_INPUTS_REPORT"):  # the outcomes, for docs/reliability.md
        _dump(result, Path(os.environ["RAG_BAD_INPUTS_REPORT"]))
    return result


def _dump(result: Ingested, path: Path) -> None:
    rows = []
    for case in CASES:
        folder = result.root / case.id
        rows.append(
            {
                "id": case.id,
                "kind": case.kind,
                "example": case.example,
                "skipped": {k: v.reason for k, v in sorted(result.skipped_in(folder).items())},
                "ingested": {
                    k: {"chars": len(p["text"]), "sentences": p["n_sentences"], "language": p["language"]}
                    for k, p in sorted(result.articles_in(folder).items())
                    if k != "good.txt"
                },
            }
        )
    path.write_text(json.dumps({"seconds": round(result.seconds, 1), "cases": rows}, ensure_ascii=False, indent=1))


# --- the checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_kind(ingested: Ingested, case: Case) -> None:
    if case.unavailable:
        pytest.skip(case.unavailable)
    folder = ingested.root / case.id
    stored = ingested.articles_in(folder)
    skipped = ingested.skipped_in(folder)

    # the good article next to the bad item is indexed, once
    assert "good.txt" in stored, f"the good article of {case.id} was not indexed"
    # exactly the expected items are skipped, each with a message naming the file (and line) and the problem
    assert set(skipped) == set(case.skipped), {k: s.reason for k, s in skipped.items()}
    for rel, words in case.skipped.items():
        s = skipped[rel]
        message = f"{s.origin}: {s.reason}"  # what `rag ingest` and the UI print
        name, _, line = rel.partition(":")
        assert name in message
        if line:  # the origin names it as file:line; the loaders' own reasons also say "line N"
            assert f"{name}:{line}: " in message
        for word in words:
            assert word in s.reason, f"{word!r} not in {s.reason!r}"
    # exactly the expected articles are stored, as expected
    assert set(stored) == {"good.txt", *case.ingested}, sorted(stored)
    for rel, check in case.ingested.items():
        check(stored[rel])
    # nothing of a skipped item (or of a page's scripts and styles) is anywhere in the index
    for mark in case.marks:
        for kind, payloads in ingested.points.items():
            hits = [p for p in payloads if mark in str(p.get("text", "")) or mark in str(p.get("title", ""))]
            assert not hits, f"{mark} stored in a {kind} point"


def test_no_loader_failed_unexpectedly(ingested: Ingested) -> None:
    assert [s for s in ingested.skipped if s.reason.startswith(UNEXPECTED)] == []


def test_every_stored_span_points_at_its_sentence_and_no_control_characters_are_stored(ingested: Ingested) -> None:
    texts = {p["article_id"]: p["text"] for p in ingested.points["article"]}
    sentences = ingested.points["sentence"]
    assert len(sentences) >= len(texts)
    for s in sentences:
        assert texts[s["article_id"]][s["start"] : s["end"]] == s["text"]
    for p in ingested.points["article"]:
        article_id, text = p["article_id"], p["text"]
        for a, b in p["sentence_spans"]:
            assert text[a:b].strip() == text[a:b] != ""
        bad = [
            c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or "\ud800" <= c <= "\udfff"
        ]
        assert bad == [], f"{article_id}: control characters {bad[:5]!r}"


def test_the_table_has_enough_kinds() -> None:
    assert len({c.kind for c in CASES}) >= 22
