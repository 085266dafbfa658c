"""The source browser in a real browser (Debian chromium, Playwright) against `rag serve` on an archive
of the seeds plus dated articles from three sources: search hits open their article at the hit's
sentence with the places the chat cited it, the library sorts, filters, shows a timeline and opens
articles, the chat's examples follow the archive, and the date pickers say when a date is bad.
Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import SYRIA, make_settings
from tests.serve import Server
from tests.ui.test_browser import ARGS, CHROMIUM, SHOTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
#: (date, source, title, text): front matter gives each its title, date and source
DATED = [
    ("2023-11-14", "ANSA", "Nuovo ponte a Verona", "Il nuovo ponte sull'Adige a Verona è lungo 412 metri."),
    ("2023-12-02", "Il Post", "Neve sulle Dolomiti", "A Cortina sono caduti 80 centimetri di neve in due giorni."),
    ("2024-01-20", "ANSA", "Sciopero dei treni", "Lo sciopero dei treni di venerdì durerà otto ore."),
    ("2024-01-28", "la Repubblica", "Museo Egizio da record", "Il Museo Egizio ha avuto 1,1 milioni di visitatori."),
    ("2024-03-05", "Il Post", "Il Po in secca", "Il livello del Po è sceso a 3 metri sotto lo zero idrometrico."),
]
SYRIA_TITLE = "Fonti della polizia irachena e testimoni hanno detto che un drone ha sparato…"


def write_dated(folder: Path, items: list[tuple[str, str, str, str]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for day, source, title, text in items:
        path = folder / f"{day}_{source.replace(' ', '_')}.md"
        path.write_text(f"---\ntitle: {title}\ndate: {day}\nsource: {source}\n---\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def server(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rag.engine import Engine

    root = tmp_path_factory.mktemp("browse")
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


@contextmanager
def _page(browser, server: str, width: int = 1400) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on the service; on leaving, nothing was requested from outside (offline)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        pg = context.new_page()
        outside: list[str] = []
        pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
        pg.goto(server + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        yield pg
        assert outside == [], f"the page reached outside: {outside[:5]}"
    finally:
        context.close()  # an open page would hold the service's shutdown


def _ask(pg, question: str) -> None:  # type: ignore[no-untyped-def]
    pg.fill("#question textarea", question)
    pg.click("#ask")
    pg.wait_for_selector("#chatbot .answer:not(.pending)", timeout=60_000)
    pg.wait_for_timeout(800)  # the answer joins the session's answers


def _library(pg) -> None:  # type: ignore[no-untyped-def]
    pg.click("button[role=tab]:has-text('Library')")
    pg.wait_for_selector("#library-table .virtual-body .cell-wrap", timeout=30_000)
    pg.wait_for_timeout(800)


def _titles(pg) -> list[str]:  # type: ignore[no-untyped-def]
    """The library table's title column, top to bottom (the rows the table has drawn)."""
    return [
        t.strip()
        for t in pg.locator("#library-table .virtual-body .virtual-row .body-cell:first-child").all_inner_texts()
    ]


def _choose(pg, box: str, option: str) -> None:  # type: ignore[no-untyped-def]
    pg.click(f"{box} input")
    pg.click(f"li[role=option]:has-text('{option}')")
    pg.keyboard.press("Escape")


@pytest.mark.parametrize("width", [1400, 800])
def test_a_search_hit_opens_its_article_at_the_sentence_with_where_the_chat_cited_it(browser, server, width) -> None:  # type: ignore[no-untyped-def]
    with _page(browser, server, width) as pg:
        _ask(pg, "How many US troops are in Syria?")
        pg.click("button[role=tab]:has-text('Search')")
        pg.fill("#search-q textarea", "truppe statunitensi in Siria")
        pg.click("#search-go")
        pg.wait_for_selector("#search-results .open-article", timeout=30_000)
        titles = pg.locator("#search-results .open-article").all_inner_texts()
        assert SYRIA_TITLE in titles and not any("004_5440dd308387ea49" in t for t in titles)  # display titles
        pg.locator("#search-results .open-article", has_text="Fonti della polizia").click()
        pg.wait_for_selector("#search-article .browse-active", timeout=20_000)
        assert SYRIA in pg.inner_text("#search-article .browse-active")  # the hit's best sentence, highlighted
        assert pg.evaluate(
            "() => { const r = document.querySelector('#search-article .browse-active').getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }"
        )  # scrolled into view
        head = pg.inner_text("#search-article .article-head")
        assert SYRIA_TITLE in head and "file 004_5440dd308387ea49" in head and "16 sentences" in head
        cited = pg.inner_text("#search-article .cited-in")
        assert "Cited in this chat (1)" in cited and "How many US troops are in Syria?" in cited and SYRIA in cited
        assert pg.locator("#search-article .sent").count() == 16
        pg.screenshot(path=str(SHOTS / f"12_search_article_{width}.png"), full_page=True)
        # another hit's matching sentence (highlighted or not) opens that article there; it was never cited
        pg.locator("#search-results .opens", has_text="Attualmente").first.click()
        pg.wait_for_selector("#search-article .browse-active:has-text('Attualmente')", timeout=20_000)
        assert "Not cited in this chat yet." in pg.inner_text("#search-article .cited-in")


@pytest.mark.parametrize("width", [1400, 800])
def test_the_library_sorts_filters_shows_a_timeline_and_opens_articles(browser, server, width) -> None:  # type: ignore[no-untyped-def]
    with _page(browser, server, width) as pg:
        _ask(pg, "How many US troops are in Syria?")
        _library(pg)
        titles = _titles(pg)
        assert titles[:5] == [d[2] for d in reversed(DATED)]  # newest first, the undated after them
        assert SYRIA_TITLE in titles and "004_5440dd308387ea49" not in titles
        assert "2 of the 7 articles shown have no date" in pg.inner_text("#library-timeline-note")
        pg.wait_for_selector("#library-timeline svg, #library-timeline canvas", timeout=20_000)
        pg.locator("#library-table .virtual-body .cell-wrap", has_text="Fonti della polizia").first.click()
        pg.wait_for_selector("#library-article .cited-in", timeout=20_000)
        assert "How many US troops are in Syria?" in pg.inner_text("#library-article .cited-in")
        assert SYRIA in pg.inner_text("#library-article mark.cited")  # the cited sentence marked in the text
        pg.evaluate("window.scrollTo(0, 0)")
        pg.screenshot(path=str(SHOTS / f"13_library_{width}.png"), full_page=True)

        _choose(pg, "#library-sort", "oldest first")
        pg.wait_for_function(
            "() => (document.querySelector('#library-table .virtual-body .body-cell') || {}).innerText === "
            f"{DATED[0][2]!r}",
            timeout=20_000,
        )
        _choose(pg, "#library-sources", "Il Post")
        pg.wait_for_function(
            "() => document.querySelector('#library-summary').innerText.includes('showing 2')", timeout=20_000
        )
        assert _titles(pg) == ["Neve sulle Dolomiti", "Il Po in secca"]
        assert "All 2 articles shown are dated." in pg.inner_text("#library-timeline-note")
        date_from = pg.locator("#library-filter-row").get_by_label("From (YYYY-MM-DD)")
        date_from.fill("2024-01-01")
        date_from.press("Enter")
        pg.wait_for_function(
            "() => document.querySelector('#library-summary').innerText.includes('showing 1')", timeout=20_000
        )
        assert _titles(pg) == ["Il Po in secca"]
        date_from.fill("1 gennaio 2024")  # not a date for the picker: said beside it, the table keeps its rows
        date_from.blur()
        pg.wait_for_selector("#library-filter-note:has-text('not a date')", timeout=10_000)


def test_the_examples_follow_the_archive(browser, server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with _page(browser, server) as pg:
        examples = pg.locator("#examples")
        pg.wait_for_function(
            "() => document.querySelector('#examples').innerText.includes('Il Po in secca')", timeout=20_000
        )
        shown = examples.inner_text()
        assert "How many US troops are in Syria?" in shown and "Chi è il primo ministro iracheno?" in shown
        assert "Cosa dice l'archivio su «Il Po in secca»?" in shown  # the newest article
        examples.get_by_text("Il Po in secca").click()
        asked = "Cosa dice l'archivio su «Il Po in secca»?"
        pg.wait_for_function(f"() => document.querySelector('#question textarea').value === {json.dumps(asked)}")

        newer = write_dated(
            tmp_path, [("2024-06-01", "ANSA", "Caldo record a Roma", "A Roma si sono toccati 41 gradi.")]
        )
        _library(pg)
        pg.set_input_files("#upload-files input[type=file]", [str(p) for p in newer])
        pg.wait_for_timeout(500)
        pg.click("#upload-go")
        pg.wait_for_selector("#upload-status:has-text('Done')", timeout=120_000)
        pg.click("button[role=tab]:has-text('Chat')")
        pg.wait_for_function(
            "() => document.querySelector('#examples').innerText.includes('Caldo record a Roma')", timeout=20_000
        )  # without reloading the page
        assert "Il Po in secca" not in examples.inner_text()  # four at most: the seeds' three, then the newest

        _library(pg)
        _choose(pg, "#delete-choice", "Caldo record a Roma")
        pg.once("dialog", lambda d: d.accept())
        pg.click("#delete-go")
        pg.wait_for_selector("#delete-status >> text=/^Deleted /", timeout=30_000)
        pg.click("button[role=tab]:has-text('Chat')")
        pg.wait_for_function(
            "() => document.querySelector('#examples').innerText.includes('Il Po in secca')", timeout=20_000
        )


def test_the_date_pickers_open_a_calendar_offline_and_say_when_a_date_is_bad(browser, server) -> None:  # type: ignore[no-untyped-def]
    with _page(browser, server) as pg:
        pg.click("button[role=tab]:has-text('Search')")
        row = pg.locator("#search-filter-row")
        row.locator(".date-filter button.calendar").first.click()
        pg.wait_for_selector("#search-filter-row .picker-actions", timeout=10_000)
        pg.screenshot(path=str(SHOTS / "14_date_picker.png"))
        pg.locator("#search-filter-row .day:not(.other-month)", has_text="1").first.click()
        pg.locator("#search-filter-row .picker-actions button:has-text('Done')").click()
        picked = row.get_by_label("From (YYYY-MM-DD)").input_value()
        assert len(picked) == 10 and picked.endswith("-01"), picked  # a YYYY-MM-DD date, this month's 1st
        date_to = row.get_by_label("To (YYYY-MM-DD)")
        date_to.fill("2024-02-30")  # looks like a date, is none: said beside the box, searching refuses it
        date_to.blur()
        pg.wait_for_selector("#search-filter-note:has-text('not a date')", timeout=10_000)
        pg.fill("#search-q textarea", "truppe statunitensi in Siria")
        pg.click("#search-go")
        pg.wait_for_selector("#search-results:has-text('not a date')", timeout=20_000)
        assert pg.locator("#search-results .open-article").count() == 0
        date_to.fill("")
        date_to.blur()
        pg.wait_for_function("() => !document.querySelector('#search-filter-note').innerText.trim()", timeout=10_000)
