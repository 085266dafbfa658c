"""Shared data for the store tests on both backends: 32 Italian headlines as chunk points (articles a0..a10,
dated 2024-01-01..) plus 8 sentence points, random unit vectors, and a ranking comparison that treats ties as sets.
"""

from __future__ import annotations

import math
import random
import uuid
from pathlib import Path

import pytest

from rag.store.base import PointData, ScoredRecord, VectorStore
from rag.store.client import ClientStore
from rag.store.edge import EdgeStore
from rag.text.bm25 import Bm25Encoder

DIM = 16
TOL = 1e-4

TEXTS = [
    "Il governo ha approvato la legge di bilancio dopo una lunga notte in Consiglio dei ministri.",
    "La Juventus ha vinto la partita contro il Milan con un gol nel finale.",
    "Il Milan torna a giocare a San Siro davanti a sessantamila tifosi.",
    "A Roma la sindaca ha inaugurato la nuova stazione della metropolitana.",
    "Napoli festeggia lo scudetto con una notte di fuochi in piazza.",
    "Sciopero dei treni: cancellati i regionali in Lombardia e Piemonte.",
    "La Borsa di Milano chiude in rialzo trainata dalle banche.",
    "Il Senato discute la riforma della giustizia tra le proteste dell'opposizione.",
    "Maltempo in Liguria: allerta rossa e scuole chiuse a Genova.",
    "Gli ospedali del Veneto cercano medici per i pronto soccorso.",
    "L'inflazione rallenta ma i prezzi dei generi alimentari restano alti.",
    "Terremoto di magnitudo quattro avvertito nelle Marche, nessun danno.",
    "Il presidente della Repubblica ha ricevuto al Quirinale i sindaci.",
    "La Ferrari presenta la nuova monoposto per il campionato di Formula uno.",
    "Ondata di caldo in Sicilia: temperature oltre i quaranta gradi.",
    "Il ministro dell'economia annuncia tagli alle tasse sul lavoro.",
    "Il festival di Sanremo apre con ascolti record per la Rai.",
    "Incendio in un deposito alla periferia di Torino, nessun ferito.",
    "Le università italiane aumentano le borse di studio per gli studenti.",
    "Il porto di Trieste registra un aumento dei traffici commerciali.",
    "La Lazio pareggia in trasferta e perde terreno in classifica.",
    "Firenze limita gli affitti brevi nel centro storico.",
    "Il Parlamento europeo approva le nuove regole sull'intelligenza artificiale.",
    "Venezia introduce il biglietto d'ingresso per i turisti giornalieri.",
    "La nazionale di pallavolo conquista l'oro agli europei.",
    "Bologna inaugura una nuova linea del tram tra la stazione e la fiera.",
    "Scoperta archeologica a Pompei: riemerge un affresco intatto.",
    "Il prezzo della benzina supera i due euro al litro in autostrada.",
    "Il Milan acquista un attaccante per rinforzare la squadra.",
    "Sciopero della scuola: docenti in piazza per il contratto.",
    "La Juventus presenta il bilancio con una perdita di cento milioni.",
    "Roma ospita il vertice dei ministri degli esteri del G7.",
]
SOURCES = ["ansa", "repubblica", "corriere"]
QUERIES = [
    "partita del Milan a San Siro",
    "sciopero dei treni e della scuola",
    "legge di bilancio del governo",
    "nuova linea della metropolitana e del tram",
    "Juventus bilancio perdita",
    "il la di",  # only stopwords: empty BM25 query
]


def unit(rng: random.Random, dim: int = DIM) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def pid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def make_points(seed: int = 7) -> list[PointData]:
    """One chunk per text (articles a0..a10, 3 chunks each; dates 2024-01-01..), plus 8 sentence points."""
    rng = random.Random(seed)
    enc = Bm25Encoder()
    sparse = enc.embed_documents(TEXTS)
    points = []
    for i, (text, sp) in enumerate(zip(TEXTS, sparse, strict=True)):
        payload = {
            "kind": "chunk",
            "article_id": f"a{i // 3}",
            "source": SOURCES[i % 3],
            "language": "en" if i % 7 == 6 else "it",
            "date": f"2024-01-{1 + i % 28:02d}",
            "text": text,
        }
        points.append(PointData(pid(i), payload, unit(rng), sp))
    for j in range(8):
        i = len(TEXTS) + j
        payload = {"kind": "sentence", "article_id": f"a{j}", "source": "ansa", "language": "it", "text": TEXTS[j]}
        points.append(PointData(pid(i), payload, unit(rng), sparse[j]))
    return points


def open_backend(backend: str, tmp_path: Path) -> VectorStore:
    if backend == "edge":
        return EdgeStore(tmp_path / "edge-index")
    return ClientStore(":memory:", "news")


def ids(records: list[ScoredRecord]) -> list[str]:
    return [r.point_id for r in records]


def assert_same_ranking(a: list[ScoredRecord], b: list[ScoredRecord], context: str, *, limit: int) -> None:
    """Same scores in order and the same ids, where runs of equal scores compare as sets.

    Weighted RRF produces exact ties by construction (e.g. rank 2 at weight 1 and rank 1 at weight
    0.5), and each engine breaks ties its own way; a tied run cut by ``limit`` is compared by score only.
    """
    assert len(a) == len(b), f"{context}: {len(a)} vs {len(b)} hits: {ids(a)} vs {ids(b)}"
    for x, y in zip(a, b, strict=True):
        assert x.score == pytest.approx(y.score, abs=TOL), f"{context}: {ids(a)} vs {ids(b)}"
    i = 0
    while i < len(a):
        j = i + 1
        while j < len(a) and abs(a[j].score - a[i].score) <= TOL:
            j += 1
        if j < len(a) or len(a) < limit:
            assert set(ids(a[i:j])) == set(ids(b[i:j])), f"{context}: {ids(a)} vs {ids(b)}"
        i = j
