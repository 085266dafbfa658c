"""EdgeStore specifics: persistence, the folder lock, crash safety, the manifest file; and the BM25 encoder.

The store contract itself (filters, delete, scroll, facet, ...) runs on both backends in
``test_congruence.py``.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from rag.errors import ConfigError, IndexLockedError, IndexStoreError
from rag.models import Filters
from rag.settings import load_settings
from rag.store.base import PointData, SearchRequest
from rag.store.edge import META_FILE, EdgeStore
from rag.store.factory import open_store
from rag.text.bm25 import Bm25Encoder

ROOT = Path(__file__).resolve().parents[2]
DIM = 8
TEXTS = [
    "Il governo approva la manovra economica.",
    "La Roma batte la Lazio nel derby della capitale.",
    "Sciopero nazionale dei trasporti venerdì prossimo.",
    "Nuove piste ciclabili a Milano entro l'estate.",
    "Il Senato vota la fiducia al governo.",
    "Il Napoli vince in trasferta e resta primo.",
]


def unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def points(n: int = 24, seed: int = 3) -> list[PointData]:
    rng = random.Random(seed)
    sparse = Bm25Encoder().embed_documents(TEXTS)
    return [
        PointData(
            str(uuid.UUID(int=i + 1)),
            {
                "kind": "chunk",
                "article_id": f"a{i // 4}",
                "source": "ansa",
                "date": f"2024-03-{1 + i:02d}",
                "text": TEXTS[i % len(TEXTS)],
            },
            unit(rng),
            sparse[i % len(TEXTS)],
        )
        for i in range(n)
    ]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this venv (another process, as a second rag would be)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_create_then_reopen_keeps_everything(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    q = unit(random.Random(9))
    with EdgeStore(folder) as st:
        assert not st.exists()
        st.ensure_collection(DIM)
        st.upsert(points())
        st.set_meta({"model": "m", "dim": DIM})
        before = st.search(
            SearchRequest(kind="chunk", dense=q, sparse=None, limit=5, candidates=5, fusion="dense", rrf_k=60)
        )
    with EdgeStore(folder) as st:
        assert st.exists() and st.dimension() == DIM
        assert st.count("chunk") == 24
        assert st.get_meta() == {"model": "m", "dim": DIM}
        st.ensure_collection(DIM)
        after = st.search(
            SearchRequest(kind="chunk", dense=q, sparse=None, limit=5, candidates=5, fusion="dense", rrf_k=60)
        )
        assert [(r.point_id, r.score) for r in after] == [(r.point_id, r.score) for r in before]
        with pytest.raises(IndexStoreError, match=r"8-dimensional.*gives 16"):
            st.ensure_collection(16)
        assert st.count("chunk", Filters(date_from="2024-03-10", date_to="2024-03-12")) == 3


def test_prefetch_reads_the_segments_unless_they_would_not_fit(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    with EdgeStore(folder) as st:
        st.ensure_collection(DIM)
        st.upsert(points())
        st.optimize()
        size = sum(p.stat().st_size for p in (folder / "segments").rglob("*") if p.is_file())
        assert size > 0 and st.prefetch() == size
        assert st.prefetch(max_fraction=1e-12) == 0  # bigger than that share of the memory: skipped
        assert st.count("chunk") == 24


def test_second_process_gets_index_locked_error(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    code = (
        "from rag.store.edge import EdgeStore\n"
        "from rag.errors import IndexLockedError\n"
        "try:\n"
        f"    EdgeStore({str(folder)!r})\n"
        "    print('OPENED')\n"
        "except IndexLockedError as err:\n"
        "    print('LOCKED', err)\n"
    )
    with EdgeStore(folder) as st:
        st.ensure_collection(DIM)
        st.upsert(points(4))
        proc = run_python(code)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("LOCKED"), proc.stdout + proc.stderr
        assert str(folder) in proc.stdout
        assert "another rag process (ingest or serve)" in proc.stdout
    # once closed, another process opens it
    proc = run_python(code)
    assert proc.stdout.startswith("OPENED"), proc.stdout + proc.stderr


def test_second_opener_in_process_is_locked_too(tmp_path: Path) -> None:
    with EdgeStore(tmp_path / "idx") as st:
        st.ensure_collection(DIM)
        with pytest.raises(IndexLockedError) as info:
            EdgeStore(tmp_path / "idx")
        assert str(tmp_path / "idx") in str(info.value) and "fix:" in str(info.value)


def test_killed_writer_loses_nothing_it_upserted(tmp_path: Path) -> None:
    """WAL on: kill -9 after ``upsert`` returned, without flush/close, then reopen."""
    folder = tmp_path / "idx"
    code = (
        "import os, signal, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_edge import points\n"
        "from rag.store.edge import EdgeStore\n"
        f"st = EdgeStore({str(folder)!r})\n"
        f"st.ensure_collection({DIM})\n"
        "st.upsert(points(24))\n"
        "st.delete_article('a0')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = run_python(code)
    assert proc.returncode == -9, proc.stderr
    with EdgeStore(folder) as st:
        assert st.count("chunk") == 20
        assert st.count(filters=Filters(article_ids=["a0"])) == 0


def test_manifest_file_is_json_written_atomically(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    with EdgeStore(folder) as st:
        with pytest.raises(IndexStoreError, match="no index"):
            st.set_meta({"x": 1})
        st.ensure_collection(DIM)
        st.set_meta({"città": "Roma", "n": 1})
        st.set_meta({"città": "Napoli", "n": 2})
        assert json.loads((folder / META_FILE).read_text(encoding="utf-8")) == {"città": "Napoli", "n": 2}
        assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no temp files left
    (folder / META_FILE).write_text("{not json", encoding="utf-8")
    with EdgeStore(folder) as st, pytest.raises(IndexStoreError, match="not valid JSON"):
        st.get_meta()


def test_folder_with_another_shard_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "edge_config.json").write_text(json.dumps({"vectors": {"": {"size": 4, "distance": "Dot"}}}))
    with pytest.raises(IndexStoreError, match="not a rag index"):
        EdgeStore(folder)


def test_optimize_keeps_results(tmp_path: Path) -> None:
    q = unit(random.Random(1))
    with EdgeStore(tmp_path / "idx") as st:
        st.ensure_collection(DIM)
        st.upsert(points())
        sparse = Bm25Encoder().embed_query("governo")
        reqs = [
            {"kind": "chunk", "dense": q, "sparse": sparse, "limit": 5, "candidates": 10, "fusion": f, "rrf_k": 60}
            for f in ("dense", "bm25")
        ]
        before = st.search_batch([SearchRequest(**r) for r in reqs])
        st.delete_article("a1")
        st.optimize()
        st.upsert(points()[4:8])
        after = st.search_batch([SearchRequest(**r) for r in reqs])
        # texts repeat in this data, so BM25 ties: compare scores, and ids for dense
        assert [r.point_id for r in after[0]] == [r.point_id for r in before[0]]
        for b, a in zip(before, after, strict=True):
            assert [r.score for r in a] == pytest.approx([r.score for r in b], abs=1e-5)


def test_factory_opens_edge_in_index_dir(tmp_path: Path) -> None:
    settings = load_settings()
    settings.index.path = tmp_path / "from-settings"
    settings.index.qdrant_url = None
    with open_store(settings) as st:
        assert isinstance(st, EdgeStore) and st.path == tmp_path / "from-settings"


# ---------------------------------------------------------------------------------------------
# BM25 encoder (qdrant_edge.Bm25, Italian)
# ---------------------------------------------------------------------------------------------


def test_bm25_italian_stems_and_drops_stopwords() -> None:
    enc = Bm25Encoder()
    assert enc.embed_query("partita")[0] == enc.embed_query("partite")[0]  # Snowball: same stem
    assert enc.embed_query("il la di e per")[0] == []  # only stopwords
    indices, values = enc.embed_query("Milan Milan Juventus")
    assert len(indices) == 2 and values == [1.0, 1.0]
    docs = enc.embed_documents(["Il Milan e il Milan", ""])
    assert len(docs[0][0]) == 1 and docs[0][1][0] > 0 and docs[1] == ([], [])


def test_bm25_language_options() -> None:
    assert Bm25Encoder("it").embed_query("partite") == Bm25Encoder("Italian").embed_query("partite")
    assert Bm25Encoder("english").embed_query("the matches")[0] == Bm25Encoder("english").embed_query("match")[0]
    with pytest.raises(ConfigError, match="klingon"):
        Bm25Encoder("klingon")
