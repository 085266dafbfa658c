"""A real service (engine, models, Qdrant Edge) on a copy of the seeded index, behind FastAPI."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings


def start_service(index: Path, **overrides: object):  # type: ignore[no-untyped-def]
    from rag.service import Service
    from rag.settings import load_settings

    settings = load_settings(answer={"answerer": "extractive"}, **overrides)  # type: ignore[arg-type]
    settings.index.path = index
    service = Service(settings)
    service.start("http://testserver")
    deadline = time.monotonic() + 180
    while not service.ready:
        assert service.error is None, service.error
        assert time.monotonic() < deadline, "the service did not get ready"
        time.sleep(0.2)
    return service


@pytest.fixture(scope="module")
def api_index(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("api") / "index"
    shutil.copytree(seeded_index, dst)
    return dst


@pytest.fixture(scope="module")
def service(api_index: Path) -> Iterator[object]:
    svc = start_service(api_index)
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(service) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    from rag.api.app import create_app

    with TestClient(create_app(service)) as c:
        yield c


_ = make_settings  # keeps the shared helpers importable from here
