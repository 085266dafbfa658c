"""A guessed encoding is said, never silent: files read as Windows-1252 because they are not UTF-8
are named in the ingest report (CLI, service job, UI), while UTF-8 files and declared charsets are not."""

from __future__ import annotations

from pathlib import Path

from rag.loaders.base import guessed_encoding
from rag.loaders.html import load_html
from rag.loaders.text import load_text
from rag.models import Article
from ui import render

TEXT = "L’euro è salito a 1,08 € – “stabile”, secondo gli analisti."


def test_only_a_guess_is_recorded(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes(TEXT.encode("cp1252"))
    utf8 = tmp_path / "utf8.txt"
    utf8.write_bytes(TEXT.encode("utf-8"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    read = load_text(latin)
    assert isinstance(read, Article) and read.text == TEXT and read.decoded_as == "Windows-1252"
    for path in (utf8, bom):
        other = load_text(path)
        assert isinstance(other, Article) and other.decoded_as is None
    assert guessed_encoding(TEXT.encode("utf-16")) is None  # a BOM says what it is


def test_an_html_page_is_a_guess_only_without_a_declared_charset(tmp_path: Path) -> None:
    body = f"<html><body><p>{TEXT}</p></body></html>"
    plain = tmp_path / "plain.html"
    plain.write_bytes(body.encode("cp1252"))
    declared = tmp_path / "declared.html"
    declared.write_bytes(body.replace("<html>", "<html><head><meta charset='windows-1252'></head>").encode("cp1252"))
    guessed, said = load_html(plain), load_html(declared)
    assert isinstance(guessed, Article) and guessed.decoded_as == "Windows-1252"
    assert isinstance(said, Article) and said.decoded_as is None and TEXT in said.text


def test_the_report_names_the_file_in_the_cli_and_the_ui(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "latin.txt").write_bytes(TEXT.encode("cp1252"))
    (tmp_path / "in" / "ok.txt").write_bytes("Un altro articolo, in UTF-8: perché no.".encode())
    res = CliRunner().invoke(app, ["ingest", str(tmp_path / "in"), "--index", str(tmp_path / "idx")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stdout.split())
    assert "2 articles indexed" in said and "decoded as Windows-1252:" in said
    assert "latin.txt" in said and "ok.txt" not in said
    html = render.job_report({"articles": 1, "decoded": [{"origin": "<b>x</b>.txt", "encoding": "Windows-1252"}]})
    assert "decoded as Windows-1252" in html and "<b>x</b>" not in html
