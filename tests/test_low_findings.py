"""Issue 25's low findings: a newline in a file name forged lines in the CLI's skip list; bidi overrides
and zero-width characters were kept in titles and sources; one `rag-export-*` folder per chat answer,
never removed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app


def test_a_newline_in_a_file_name_cannot_forge_a_line_of_the_skip_list(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "vuoto.txt\n  skipped segreto.txt: fine.txt").write_bytes(b"")  # empty: skipped, named
    res = CliRunner().invoke(app, ["ingest", str(folder), "--index", str(tmp_path / "idx")], env={"COLUMNS": "300"})
    skipped = [line for line in res.output.splitlines() if "skipped" in line and "vuoto" in line]
    assert len(skipped) == 1 and "vuoto.txt\\n  skipped segreto.txt" in skipped[0], res.output
    assert not any(line.lstrip().startswith("skipped segreto.txt") for line in res.output.splitlines())


@pytest.mark.parametrize("invisible", ["\u202e", "\u200b", "\u2066", "\ufeff", "\u200d"])
def test_invisible_formatting_is_removed_from_titles_and_sources(invisible: str) -> None:
    from rag.loaders.base import make_article

    article = make_article(
        "Il ponte apre a maggio.", origin="x", title=f"Ponte{invisible}txt.exe", source=f"AN{invisible}SA"
    )
    assert not isinstance(article, str) and article.title == "Pontetxt.exe" and article.source == "ANSA"  # type: ignore[union-attr]


def test_old_chat_exports_are_removed_when_a_new_one_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    from ui import exports

    answer = {"question": "q", "answer": "a", "citations": [], "abstained": False}
    first, _ = exports.files([answer])
    assert first is not None
    old = Path(first).parent
    hour_ago = time.time() - exports.KEEP_S - 60
    os.utime(old, (hour_ago, hour_ago))
    second, _ = exports.files([answer])
    assert second is not None and Path(second).exists() and not old.exists()


def test_html_nested_beyond_any_page_is_skipped_before_it_is_parsed(tmp_path: Path) -> None:
    """Issue 25 (low): 100k nested tags took 31 s to parse (24 s here)."""
    from rag.loaders.html import MAX_DEPTH, load_html, nesting_depth
    from rag.models import Skipped

    deep = tmp_path / "deep.html"
    deep.write_text("<html><body>" + "<div>" * 100_000 + "ciao" + "</div>" * 100_000 + "</body></html>")
    started = time.perf_counter()
    skipped = load_html(deep)
    assert isinstance(skipped, Skipped) and "nested 100,002 levels deep" in skipped.reason
    assert time.perf_counter() - started < 10  # a hang guard (it took 24 s), not a speed goal
    page = "<html><body><ul><li>uno<li>due</ul>" + "<p>testo" * 8000 + "<div><span>x</span></div></body></html>"
    assert nesting_depth(page) == 4 < MAX_DEPTH  # tags left open by design do not count
