"""Loaders: HTML (readable text, metadata, declared charset) and PDF (text pages, title, encrypted, broken, no
text layer, line unwrapping)."""

from __future__ import annotations

from pathlib import Path

from rag.loaders.pdf import ENCRYPTED, unwrap_lines
from tests.loaders.helpers import article, encrypted_pdf, make_pdf, skipped, write

# --- .html --------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="it"><head>
<meta charset="utf-8">
<title>Decreto famiglie - Il Giornale</title>
<meta property="og:title" content="Decreto famiglie approvato">
<meta property="og:site_name" content="Il Giornale">
<meta property="article:published_time" content="2026-11-21T10:00:00+01:00">
<link rel="canonical" href="https://example.it/decreto">
<style>p { color: red }</style>
<script>var x = "non questo";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/esteri">Esteri</a></nav>
<article>
  <h1>Decreto   famiglie approvato</h1>
  <p>Il governo ha approvato ieri il <b>decreto</b> sulle nuove misure,
     con 2.500 euro per le famiglie.</p>
  <p>Lo ha detto il ministro&nbsp;Rossi.<br>Poi ha lasciato la sala.</p>
  <script>console.log("no")</script>
</article>
<footer>Copyright 2026</footer>
</body></html>
"""


def test_html_readable_text_and_metadata(tmp_path: Path) -> None:
    a = article(write(tmp_path / "page.html", PAGE))
    assert a.text == (
        "Decreto famiglie approvato\n\n"
        "Il governo ha approvato ieri il decreto sulle nuove misure, con 2.500 euro per le famiglie.\n\n"
        "Lo ha detto il ministro Rossi.\nPoi ha lasciato la sala."
    )
    assert (a.title, a.date, a.url, a.source, a.language) == (
        "Decreto famiglie approvato",
        "2026-11-21",
        "https://example.it/decreto",
        "Il Giornale",
        "it",
    )


def test_html_title_tag_time_element_and_declared_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        '<title>Perché sì</title></head><body><main><p>È arrivato il <time datetime="2026-03-05">5 marzo</time>.'
        "</p><div>Fine<p>del testo</p>coda</div></main></body></html>"
    ).encode("cp1252")
    a = article(write(tmp_path / "old.htm", page))
    assert a.title == "Perché sì"
    assert a.date == "2026-03-05"
    assert a.text == "È arrivato il 5 marzo.\n\nFine\n\ndel testo\n\ncoda"


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    s = skipped(write(tmp_path / "nav.html", "<html><body><nav>Menu</nav><script>x</script></body></html>"))
    assert s.reason == "no readable text in the page (only scripts, styles, navigation or empty tags)"


# --- .pdf ---------------------------------------------------------------------------------------


def test_pdf_text_pages_and_title(tmp_path: Path) -> None:
    data = make_pdf(
        [
            [
                "Decreto famiglie",
                "Il governo ha approvato ieri il decreto sulle nuove misure per",
                "le famiglie italiane. Lo ha detto il ministro.",
            ],
            ["Seconda pagina del documento."],
        ],
        title="Il decreto",
    )
    a = article(write(tmp_path / "doc.pdf", data))
    assert a.title == "Il decreto"
    assert a.text == (
        "Decreto famiglie\n"
        "Il governo ha approvato ieri il decreto sulle nuove misure per le famiglie italiane. Lo ha detto il ministro."
        "\n\nSeconda pagina del documento."
    )


def test_pdf_title_defaults_to_stem(tmp_path: Path) -> None:
    assert article(write(tmp_path / "report-2026.pdf", make_pdf([["Solo testo qui."]]))).title == "report-2026"


def test_encrypted_pdf_is_skipped(tmp_path: Path) -> None:
    assert skipped(write(tmp_path / "locked.pdf", encrypted_pdf(["Segreto."]))).reason == ENCRYPTED


def test_broken_pdf_is_skipped(tmp_path: Path) -> None:
    assert skipped(write(tmp_path / "broken.pdf", b"not a pdf at all")).reason.startswith("unreadable PDF (")


def test_pdf_without_text_is_skipped(tmp_path: Path) -> None:
    s = skipped(write(tmp_path / "scan.pdf", make_pdf([[]])))
    assert s.reason == "no extractable text in the PDF (scanned images?); run OCR on it first, e.g. ocrmypdf"


def test_unwrap_lines() -> None:
    page = "Titolo\nUna riga lunga di testo che continua sulla riga succes-\nsiva e finisce qui.\n\nAltro."
    expected = "Titolo\nUna riga lunga di testo che continua sulla riga successiva e finisce qui.\n\nAltro."
    assert unwrap_lines(page) == expected
