"""Issue 28: the CLI names the index it asks and how, warns when no --index is given while the last
``rag ingest`` went into another index, and hands a call to a running service without importing any
model code (a stand-in service, tests/cli/fake_serve.py, answers: no models, so these run fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FAKE = Path(__file__).with_name("fake_serve.py")
#: what a call the service answers must not import: the models' and the engine's code
HEAVY = {"torch", "haystack", "transformers", "sentence_transformers", "openvino", "onnxruntime", "qdrant_edge",
         "numpy", "rag.engine", "rag.service"}  # fmt: skip


class Fake:
    def __init__(self, label: str, articles: int, *folders: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(FAKE), label, str(articles), *map(str, folders)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), "the fake service did not start"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A default index home and a last-ingest record of this test's own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("RAG_INDEX__")}
    return base | {"RAG_INDEX__HOME": str(tmp_path / "home"), "RAG_INDEX__LAST_INGEST": str(tmp_path / "last.json")}


@pytest.fixture()
def default_index(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    from rag.settings import load_settings

    monkeypatch.setenv("RAG_INDEX__HOME", env["RAG_INDEX__HOME"])
    monkeypatch.delenv("RAG_INDEX__PATH", raising=False)
    return load_settings().index_dir().resolve()


@pytest.fixture()
def fakes(tmp_path: Path, default_index: Path) -> Iterator[tuple[Fake, Fake, Path]]:
    """One service owning the folder X (7 articles), another the default index (2 articles)."""
    x = (tmp_path / "x").resolve()
    mine, default = Fake("X", 7, x), Fake("default", 2, default_index)
    try:
        yield mine, default, x
    finally:
        mine.stop()
        default.stop()


def rag(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """The real CLI in a process of its own, and the modules it imported (from -X importtime)."""
    argv = [sys.executable, "-X", "importtime", "-m", "rag.cli", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    done.stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return done, modules


def test_help_imports_no_model_code(env: dict[str, str]) -> None:
    done, modules = rag(env, "--help")
    assert done.returncode == 0 and "cite" in done.stdout
    assert "typer" in modules and not modules & HEAVY, modules & HEAVY


def test_a_handed_off_call_names_index_and_service_and_imports_no_model_code(
    fakes: tuple[Fake, Fake, Path], env: dict[str, str]
) -> None:
    mine, _, x = fakes
    calls = [
        ["search", "truppe in Siria", "--index", str(x), "--json"],
        ["cite", "900 soldati in Siria", "--index", str(x), "--json"],
        ["stats", "--index", str(x), "--json"],
        ["ask", "How many troops?", "--index", str(x), "--json"],
    ]
    for args in calls:
        done, modules = rag(env, *args)
        assert done.returncode == 0, done.stderr
        json.loads(done.stdout)  # stdout stays JSON: the index is named on stderr
        assert f"index {x} (served by rag serve at {mine.url}" in done.stderr and "7 articles" in done.stderr
        assert "warning" not in done.stderr
        assert "httpx" in modules and not modules & HEAVY, (args[0], modules & HEAVY)
    text, _ = rag(env, "cite", "900 soldati in Siria", "--index", str(x))
    assert text.returncode == 0 and "Not found" in text.stdout and str(x) not in text.stdout


def test_no_index_warns_when_the_last_ingest_went_elsewhere(
    fakes: tuple[Fake, Fake, Path], env: dict[str, str], default_index: Path, tmp_path: Path
) -> None:
    _, default, x = fakes
    article = tmp_path / "a.txt"
    article.write_text("Il consiglio comunale ha approvato 120 misure.\n", encoding="utf-8")
    done, modules = rag(env, "ingest", str(article), "--index", str(x))
    assert done.returncode == 0 and "1 articles indexed" in done.stdout, done.stderr
    assert f"index {x} (served by rag serve" in done.stderr and not modules & HEAVY
    assert json.loads(Path(env["RAG_INDEX__LAST_INGEST"]).read_text())["index"] == str(x)

    # no --index: the default index answers (its service), and the warning names both folders and the fix
    done, _ = rag(env, "stats", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["index"] == "default"
    assert f"index {default_index} (served by rag serve at {default.url}" in done.stderr
    warning = done.stderr[done.stderr.index("warning:") :]
    assert str(default_index) in warning and f"wrote into another one: {x}" in warning
    assert f"fix: add --index {x} " in warning
    for args in (["cite", "900 soldati"], ["search", "Siria"], ["ask", "Quanti soldati?"]):
        assert "warning:" in rag(env, *args)[0].stderr, args

    # named, or the same folder: no warning
    assert "warning" not in rag(env, "cite", "900 soldati", "--index", str(x))[0].stderr
    done, _ = rag(env, "ingest", str(article))  # into the default index
    assert done.returncode == 0 and f"index {default_index} (served by" in done.stderr
    done, _ = rag(env, "cite", "900 soldati", "--json")
    assert done.returncode == 0 and "warning" not in done.stderr and str(default_index) in done.stderr


def test_a_recorded_folder_that_is_gone_gives_no_warning(
    fakes: tuple[Fake, Fake, Path], env: dict[str, str], tmp_path: Path
) -> None:
    Path(env["RAG_INDEX__LAST_INGEST"]).write_text(json.dumps({"index": str(tmp_path / "gone")}), encoding="utf-8")
    done, _ = rag(env, "stats", "--json")
    assert done.returncode == 0 and "warning" not in done.stderr
