"""The researcher's desk in a real browser (Debian chromium, Playwright) against `rag serve` on the seeds
plus short dated articles over six years: what got in the way in an afternoon of use (issue 28). An
older answer's citation opens its own source, a question sent while another is answered is answered
after it, search highlights what matched best, the library's timeline is labelled by year, the chat
fits the window. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SYRIA, make_settings
from tests.serve import Server
from tests.ui.test_browser import ARGS, CHROMIUM, SHOTS
from tests.ui.test_source_browser import write_dated

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: (date, source, title, text): a story over six years, so the timeline spans 70 months
DATED = [
    ("2019-02-11", "ANSA", "Porto di Genova", "Nel 2018 il porto di Genova ha movimentato 2,6 milioni di container."),
    ("2020-07-03", "Il Post", "Ponte di Genova", "Il nuovo ponte di Genova è lungo 1.067 metri."),
    ("2022-05-19", "ANSA", "Siccità sul Po", "Il Po è sceso a 3,3 metri sotto lo zero idrometrico a Pontelagoscuro."),
    ("2024-12-30", "la Repubblica", "Turisti a Venezia", "Venezia ha contato 5,1 milioni di turisti nel 2024."),
]
BRIDGE = "Quanto è lungo il nuovo ponte di Genova?"


@pytest.fixture(scope="module")
def server(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rag.engine import Engine

    root = tmp_path_factory.mktemp("desk")
    index = root / "index"
    shutil.copytree(seeded_index, index)
    with Engine(make_settings(index)) as engine:
        engine.ingest(write_dated(root / "dated", DATED))
    srv = Server(index, root / "serve.log")
    yield srv.url
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 1016})
    pg = context.new_page()
    pg.goto(server + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    context.close()


def _answers(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"() => document.querySelectorAll('#chatbot .answer:not(.pending)').length >= {n}", timeout=90_000
    )


def test_an_older_answers_citation_opens_its_own_source(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("#question textarea", "How many US troops are in Syria?")
    page.click("#ask")
    _answers(page, 1)
    page.wait_for_selector("#active-cite", timeout=20_000)  # an answer opens its first source
    first = page.inner_text("#active-cite")
    page.fill("#question textarea", BRIDGE)
    page.click("#ask")
    _answers(page, 2)
    page.wait_for_function("() => document.getElementById('active-cite')?.textContent.includes('1.067')")
    answers = page.locator("#chatbot .answer")
    answers.nth(0).locator(".cite").first.click()  # the first answer's [1], after a later answer
    page.wait_for_function("s => document.getElementById('active-cite')?.textContent === s", arg=first, timeout=20_000)
    assert "1.067" not in page.inner_text("#sources")  # the first answer's sources, not the latest's
    page.screenshot(path=str(SHOTS / "desk_1_older_citation.png"))
    answers.nth(1).locator(".cite").first.click()  # and the latest one's opens the latest source again
    page.wait_for_function("() => document.getElementById('active-cite')?.textContent.includes('1.067')")


def test_a_question_sent_while_another_is_answered_is_answered_after_it(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("#question textarea", "How many US troops are in Syria?")
    page.press("#question textarea", "Enter")
    page.wait_for_selector("#chatbot .answer.pending", timeout=30_000)  # the first is being answered
    page.fill("#question textarea", BRIDGE)
    page.press("#question textarea", "Enter")
    _answers(page, 2)
    users = page.locator("#chatbot .user-row, #chatbot [data-testid=user]").all_inner_texts()
    chat = page.inner_text("#chatbot")
    assert chat.index("How many US troops are in Syria?") < chat.index(BRIDGE), (users, chat)
    assert page.locator("#chatbot .answer:not(.pending)").count() == 2
    assert page.input_value("#question textarea") == ""  # taken, not left behind nor lost
    page.screenshot(path=str(SHOTS / "desk_2_two_questions.png"))


def test_search_highlights_the_best_sentence_of_each_hit_only(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[role=tab]:has-text('Search')")
    page.fill("#search-q textarea", "truppe statunitensi in Siria")
    page.click("#search-go")
    page.wait_for_selector("#search-results mark", timeout=30_000)
    results = page.locator("#search-results .result")
    for i in range(results.count()):
        assert results.nth(i).locator("mark").count() <= 1  # one highlight a hit at most
    assert SYRIA in page.locator("#search-results .result").first.locator("mark").inner_text()
    assert page.locator("#search-results span.opens").count() >= 1  # the other matches still open the article
    weak = page.locator("#search-results .result", has_text="Turisti a Venezia")  # an unrelated hit
    assert weak.count() == 1 and weak.locator("mark").count() == 0  # its only sentence is no match to mark
    page.screenshot(path=str(SHOTS / "desk_3_search.png"))


def test_the_timeline_is_labelled_by_year_with_counts_on_hover(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[role=tab]:has-text('Library')")
    page.wait_for_selector("#library-timeline svg, #library-timeline canvas", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#library-timeline')?.innerText.includes('per year')", timeout=20_000
    )
    labels = page.evaluate(
        """() => [...document.querySelectorAll('#library-timeline svg text')].map(t => t.textContent)"""
    )
    years = [t for t in labels if t.isdigit() and len(t) == 4]
    assert years[:1] == ["2019"] and "2024" in years and not any(len(t) == 7 and t[4] == "-" for t in labels), labels
    ticks = page.evaluate(
        """() => [...document.querySelectorAll("#library-timeline svg g[aria-label^='Y-axis'] text")]
                 .map(t => t.textContent).filter(t => /^[0-9]+$/.test(t))"""
    )
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks  # counts, each once: no "0 0 1 1 2"
    page.locator(
        "#library-timeline svg path[aria-roledescription=bar], #library-timeline svg .mark-rect path"
    ).first.hover()
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)  # counts on hover
    tip = page.inner_text("#vg-tooltip-element")
    assert "2019" in tip and "1" in tip, tip
    page.screenshot(path=str(SHOTS / "desk_4_timeline.png"))


def test_the_chat_fits_the_window_with_its_examples_in_view(page) -> None:  # type: ignore[no-untyped-def]
    chat = page.locator("#chatbot").bounding_box()
    examples = page.locator("#examples").bounding_box()
    assert chat is not None and examples is not None
    assert chat["height"] >= 420, chat  # the chat takes the window, not a strip of it
    assert examples["y"] + examples["height"] <= 1016, examples  # the examples above the fold
    page.screenshot(path=str(SHOTS / "desk_5_chat_layout.png"))


@pytest.mark.llm
def test_the_examples_become_questions_the_archive_answers(browser, seeded_index: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the local LLM ready, opening the page has it write a question about each of the newest
    articles, in the background; the next page load offers those the archive answers (extractively:
    rag/examples.py)."""
    import httpx

    from rag.engine import Engine

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    with Engine(make_settings(index)) as engine:
        engine.ingest(write_dated(tmp_path / "dated", DATED))
    srv = Server(index, tmp_path / "serve.log", env={"RAG_ANSWER__ANSWERER": "local"})
    context = browser.new_context(viewport={"width": 1440, "height": 1016})
    try:
        deadline = time.monotonic() + 120
        while httpx.get(f"{srv.url}/healthz", timeout=5).json().get("llm") != "ready":
            assert time.monotonic() < deadline, "the local LLM did not get ready"
            time.sleep(1)
        pg = context.new_page()
        pg.goto(srv.url + "/")
        pg.wait_for_selector("#examples", timeout=60_000)
        written = index / "examples.json"
        deadline = time.monotonic() + 180
        while not (written.exists() and len(json.loads(written.read_text(encoding="utf-8"))) >= 1):
            assert time.monotonic() < deadline, "no example question was written"
            time.sleep(1)
        question = next(q for q in json.loads(written.read_text(encoding="utf-8")).values() if q)
        pg.reload()  # the examples are refreshed as the page loads
        shown = question[:40]  # a long example is shown cut short ("…"); a click gives it whole
        pg.wait_for_function(
            "q => document.querySelector('#examples')?.innerText.includes(q)", arg=shown, timeout=60_000
        )
        assert question.endswith("?")
        pg.locator("#examples button", has_text=shown).first.click()
        pg.wait_for_function(  # a click puts the whole question in the box
            "q => document.querySelector('#question textarea')?.value === q", arg=question, timeout=20_000
        )
        pg.click("#ask")  # asked while the LLM may still write the next example: one generation at a time
        pg.wait_for_selector("#chatbot .answer:not(.pending)", timeout=120_000)
        assert pg.locator("#chatbot .answer .cite").count() >= 1, pg.inner_text("#chatbot")
        pg.screenshot(path=str(SHOTS / "desk_6_written_examples.png"))
    finally:
        context.close()
        srv.stop()
