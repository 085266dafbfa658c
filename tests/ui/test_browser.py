"""The Gradio page in a real browser (Debian chromium driven by Playwright) against `rag serve`
on 127.0.0.1 with the seeds ingested. Screenshots of each state go to test-artifacts/ui/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SYRIA
from tests.serve import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SHOTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def server(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(seeded_index, index)
    srv = Server(index, index.parent / "serve.log")
    yield srv.url
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (make test does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    pg.goto(server + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    assert outside == [], f"the page reached outside: {outside[:5]}"  # works offline
    context.close()


def _ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_selector("#chatbot .answer:not(.pending)", timeout=60_000)


_IN_VIEW = """() => {
  const el = document.getElementById("active-cite");
  const box = el && el.closest(".article-view");
  if (!el || !box) return false;
  const a = el.getBoundingClientRect(), b = box.getBoundingClientRect();
  return a.top >= b.top && a.bottom <= b.bottom && a.top >= 0 && a.bottom <= window.innerHeight;
}"""


def _cited_sentence_in_view(page) -> None:  # type: ignore[no-untyped-def]
    """The highlighted sentence is scrolled into view inside the article pane and the window."""
    page.wait_for_function(_IN_VIEW, timeout=10_000)


def test_answer_and_citation_click_highlights_the_source_sentence(page) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / "0_empty_chat.png"))
    assert page.locator("text=How many US troops are in Syria?").count() >= 1  # examples on the empty chat
    _ask(page, "How many US troops are in Syria?")
    # the reader's span, short (the shipped reader reads "2.500" here: tests/answer/test_reader.py)
    assert len(page.inner_text("#chatbot .answer")) < 40 and page.locator("#chatbot .answer .cite").count() == 1
    page.screenshot(path=str(SHOTS / "1_answer.png"))
    page.click("#chatbot .cite")
    page.wait_for_selector("#active-cite", timeout=20_000)
    assert SYRIA in page.inner_text("#active-cite")
    assert "Fonti della polizia irachena" in page.locator("#sources .source-card").first.inner_text()
    _cited_sentence_in_view(page)
    page.screenshot(path=str(SHOTS / "2_citation_opened.png"))


def test_unanswerable_question_shows_the_abstention(page) -> None:  # type: ignore[no-untyped-def]
    _ask(page, "How many US troops are in Afghanistan?")
    answer = page.locator("#chatbot .answer.abstain")
    assert answer.count() == 1 and "The archive does not say." in answer.inner_text()
    assert page.locator("#chatbot .cite").count() == 0
    page.wait_for_selector(".nearest-label", timeout=10_000)  # what it did find, said as what it is
    assert page.inner_text(".nearest-label") == "The nearest sentences found"
    assert page.locator(".source-card.nearest").count() >= 1
    page.screenshot(path=str(SHOTS / "3_abstention.png"))


def test_citation_lookup_finds_the_sentence(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.click("button[role=tab]:has-text('Citation lookup')")
    page.fill("#claim textarea", "the US has 900 troops in Syria")
    page.click("#cite-go")
    page.wait_for_selector("#cite-results mark", timeout=30_000)
    assert SYRIA in page.locator("#cite-results mark").first.inner_text()
    assert page.inner_text("#cite-results .verdict-supported").startswith("Supported (probability")
    # a plain .txt seed is titled by its first sentence, as in the library, not by its file name
    assert "Fonti della polizia irachena" in page.locator("#cite-results .result-head").first.inner_text()
    page.screenshot(path=str(SHOTS / "4_citation_lookup.png"))
    # a false number: the verdict names both values, and the sentence is still the first candidate
    page.fill("#claim textarea", "Gli Stati Uniti hanno 300 truppe nella vicina Siria")
    page.click("#cite-go")
    page.wait_for_selector("#cite-results .verdict-conflicts", timeout=30_000)
    verdict = page.inner_text("#cite-results .verdict-conflicts")
    assert "the claim says 300" in verdict and "900" in verdict, verdict
    assert SYRIA in page.locator("#cite-results mark").first.inner_text()
    # its formatted reference goes to the clipboard
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.locator("#cite-results .copy-ref").first.click()
    page.wait_for_selector("#cite-results .copy-ref:has-text('Copied')", timeout=5_000)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert SYRIA in copied and "chars" in copied and copied.endswith(")"), copied
    page.screenshot(path=str(SHOTS / "4b_citation_conflict.png"))
    page.set_viewport_size({"width": 800, "height": 900})
    page.screenshot(path=str(SHOTS / "4c_citation_conflict_800.png"), full_page=True)


def test_search_highlights_matching_sentences(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[role=tab]:has-text('Search')")
    page.fill("#search-q textarea", "truppe statunitensi in Siria")
    page.click("#search-go")
    page.wait_for_selector("#search-results mark", timeout=30_000)
    assert any(SYRIA in m for m in page.locator("#search-results mark").all_inner_texts())
    page.screenshot(path=str(SHOTS / "5_search.png"))


def test_upload_ask_cite_then_delete(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    article = tmp_path / "ponte_adige.txt"
    article.write_text(
        "Nuovo ponte a Verona\n\nIl nuovo ponte sul fiume Adige a Verona è lungo 412 metri. "
        "È stato inaugurato dal sindaco <script>window.__pwned = 1</script> tra gli applausi.",
        encoding="utf-8",
    )
    img = '<img src="http://tracker.example/t.png">'  # an id that must show as text, never load
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "\n".join(json.dumps({"id": img, "text": f"Breve {i}: nevica a Belluno."}) for i in range(2)) + "\n",
        encoding="utf-8",
    )
    page.click("button[role=tab]:has-text('Library')")
    page.wait_for_selector("#library-summary", timeout=30_000)
    page.set_input_files("#upload-files input[type=file]", [str(article), str(feed)])
    page.wait_for_timeout(500)
    page.click("#upload-go")
    page.wait_for_selector("#upload-status:has-text('Done')", timeout=120_000)
    status = page.inner_text("#upload-status")
    assert "2 new articles" in status and img in status  # the id as text (the page fixture fails on a request)
    assert page.locator("#upload-status img").count() == 0
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "6_library_uploaded.png"))

    page.click("button[role=tab]:has-text('Chat')")
    _ask(page, "Quanto è lungo il nuovo ponte sull'Adige a Verona?")
    assert "412" in page.inner_text("#chatbot .answer")
    page.click("#chatbot .cite")
    page.wait_for_selector("#active-cite", timeout=20_000)
    assert "412 metri" in page.inner_text("#active-cite")
    _cited_sentence_in_view(page)
    assert "<script>" in page.inner_text("#sources")  # shown as text, never run
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(SHOTS / "7_uploaded_article_cited.png"))

    page.click("button[role=tab]:has-text('Library')")
    page.click("#delete-choice input")
    page.keyboard.type("Nuovo ponte")
    page.click("li[role=option]:has-text('Nuovo ponte a Verona')")
    page.once("dialog", lambda d: d.dismiss())  # asked first; "no" deletes nothing
    page.click("#delete-go")
    page.wait_for_selector("#delete-status:has-text('Nothing deleted')", timeout=30_000)
    assert page.locator("#library-table").get_by_text("Nuovo ponte a Verona").count() >= 1
    page.click("#delete-choice input")
    page.keyboard.type("Nuovo ponte")
    page.click("li[role=option]:has-text('Nuovo ponte a Verona')")
    page.once("dialog", lambda d: d.accept() if "Delete the article" in d.message else d.dismiss())
    page.click("#delete-go")
    page.wait_for_selector("#delete-status >> text=/^Deleted /", timeout=30_000)
    page.screenshot(path=str(SHOTS / "8_deleted.png"))
    page.click("button[role=tab]:has-text('Chat')")
    page.click("button:has-text('New conversation')")
    _ask(page, "Quanto è lungo il nuovo ponte sull'Adige a Verona?")
    assert "412" not in page.locator("#chatbot .answer").last.inner_text()


@pytest.mark.llm
def test_an_answer_made_without_the_llm_says_so(browser, seeded_index: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The local LLM cannot run (its model file is cut short): the chat still answers, extractively; the
    cause and its fix are said once atop the page, each answer carries a one-line notice."""
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    cut = tmp_path / "model.gguf"
    cut.write_bytes(b"GGUF" + b"\3\0\0\0" + b"\0" * 8)  # a header that ends before its counts
    srv = Server(index, tmp_path / "serve.log", env={"RAG_ANSWER__ANSWERER": "local", "RAG_LLM__GGUF_PATH": str(cut)})
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(srv.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        _ask(pg, "How many US troops are in Syria?")
        notice = pg.locator("#chatbot .answer .answer-notice")
        assert notice.count() == 1 and notice.inner_text() == "Answered extractively: the local LLM is unavailable."
        pg.wait_for_selector("#llm-status .llm-status", timeout=20_000)  # the cause and its fix, once, atop
        said = pg.inner_text("#llm-status")
        assert "truncated" in said and str(cut) in said and "fix:" in said, said
        pg.fill("#question textarea", "Chi è il primo ministro iracheno?")
        pg.click("#ask")
        pg.wait_for_function("() => document.querySelectorAll('#chatbot .answer:not(.pending)').length == 2")
        assert pg.locator(".llm-status").count() == 1 and pg.locator("#chatbot .answer-notice").count() == 2
        assert "truncated" not in pg.inner_text("#chatbot")  # each answer's notice stays terse
        pg.click("#chatbot .cite")  # the first answer (extractive) cites the Syria sentence
        pg.wait_for_function(
            "s => document.getElementById('active-cite')?.textContent.includes(s)", arg=SYRIA, timeout=20_000
        )
        pg.screenshot(path=str(SHOTS / "9_answer_without_the_llm.png"))
    finally:
        context.close()
        srv.stop()


@pytest.mark.parametrize("width", [1400, 800])
def test_api_docs_render_offline_with_their_operations(browser, server: str, width: int) -> None:  # type: ignore[no-untyped-def]
    """/docs (every API error's hint points there) renders this OpenAPI 3.1 spec, offline."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    pg.goto(server + "/docs")
    pg.wait_for_selector(".opblock", timeout=30_000)
    text = pg.inner_text("body")
    assert "Unable to render" not in text
    paths = set(pg.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/ask", "/api/search", "/api/cite"} <= {p.replace("\u200b", "") for p in paths}, paths
    pg.screenshot(path=str(SHOTS / f"docs_{width}.png"), full_page=False)
    assert outside == [], f"the docs page reached outside: {outside[:5]}"
    context.close()


def test_filters_say_when_they_are_on_and_a_bad_date_is_said_beside_the_box(page) -> None:  # type: ignore[no-untyped-def]
    label = page.locator("#chat-filters button").first
    assert "active" not in label.inner_text()
    label.click()
    date_from = page.locator("#chat-filters").get_by_label("From (YYYY-MM-DD)")
    date_from.fill("2020-01-01")
    date_from.blur()
    page.wait_for_function(
        "() => document.querySelector('#chat-filters button').innerText.includes('from 2020-01-01')", timeout=10_000
    )
    date_from.fill("31/01/2024")
    date_from.blur()
    page.wait_for_selector("#chat-filter-note:has-text('not a date')", timeout=10_000)
    page.fill("#question textarea", "How many US troops are in Syria?")
    page.click("#ask")
    page.wait_for_timeout(1500)
    assert page.locator("#chatbot .answer").count() == 0  # no bubble for a bad date
    assert page.input_value("#question textarea") == "How many US troops are in Syria?"  # kept
    page.screenshot(path=str(SHOTS / "9_filters_bad_date.png"))
    date_from.fill("")
    date_from.blur()
    page.wait_for_function("() => !document.querySelector('#chat-filter-note').innerText.trim()", timeout=10_000)


def test_citation_lookup_takes_filters(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[role=tab]:has-text('Citation lookup')")
    page.fill("#claim textarea", "the US has 900 troops in Syria")
    page.locator("#cite-results").locator("..").locator("..")  # the tab's filter row sits above the results
    tab = page.locator("div[role=tabpanel]:visible")
    tab.get_by_label("To (YYYY-MM-DD)").fill("1990-01-01")  # the seeds have no date: nothing matches
    page.click("#cite-go")
    page.wait_for_selector("#cite-results .empty, #cite-results :text('No')", timeout=30_000)
    assert "Siria" not in page.inner_text("#cite-results")
    tab.get_by_label("To (YYYY-MM-DD)").fill("")
    page.click("#cite-go")
    page.wait_for_selector("#cite-results :text('Siria')", timeout=30_000)


@pytest.mark.parametrize("width", [1400, 800])
def test_library_rows_open_their_article(browser, server: str, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.goto(server + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    pg.click("button[role=tab]:has-text('Library')")
    pg.wait_for_selector("#library-table .cell-wrap", timeout=30_000)
    table = pg.locator("#library-table")
    scroll = table.evaluate(
        "el => { const s = el.querySelector('.table-wrap') || el; return [s.scrollWidth, s.clientWidth]; }"
    )
    if width >= 1400:
        assert scroll[0] <= scroll[1] + 2, scroll  # every column fits: no sideways scrolling
    # the seed shows its display title (its first sentence), not its file name
    table.locator(".virtual-body .cell-wrap", has_text="Fonti della polizia irachena").first.click()
    pg.wait_for_selector("#library-article .article-text", timeout=20_000)
    assert len(pg.inner_text("#library-article .article-text")) > 200
    pg.screenshot(path=str(SHOTS / f"10_library_{width}.png"), full_page=True)
    context.close()


def test_at_800_px_the_question_box_is_wider_than_the_ask_button(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 800, "height": 900})
    pg = context.new_page()
    pg.goto(server + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    box, button = pg.evaluate(
        "() => ['#question', '#ask'].map(s => document.querySelector(s).getBoundingClientRect().width)"
    )
    assert box > 2 * button, (box, button)
    pg.screenshot(path=str(SHOTS / "11_chat_800.png"))
    context.close()


def test_the_chat_exports_to_markdown_and_csv(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _ask(page, "How many US troops are in Syria?")
    page.wait_for_timeout(1000)  # the export files follow the answer
    with page.expect_download(timeout=20_000) as md:
        page.click("#export-md")
    text = Path(md.value.path()).read_text(encoding="utf-8")
    assert text.startswith("## How many US troops are in Syria?") and SYRIA in text and "chars 691–846" in text
    with page.expect_download(timeout=20_000) as csv_file:
        page.click("#export-csv")
    rows = Path(csv_file.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("question,answer,abstained,n,quote") and len(rows) == 2 and "691" in rows[1]
