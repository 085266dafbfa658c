"""The source browser's HTML (ui/browse.py) and the page's filter rows (ui/filters.py): search hits open
their article, the article view marks its sentences and lists where the chat cited it, and no field of
an article or a question can add markup or attributes."""

from __future__ import annotations

import json

from tests.ui.html_tags import Tags as _Tags
from ui import browse
from ui.filters import to_filters, typed_dates_js
from ui.search import open_target

EVIL = "<script>alert(1)</script>"
QUOTE_OUT = "x' onmouseover='alert(1)' data-x='"  # tries to close the attribute it lands in
IMG = '<img src=x onerror="alert(1)">'
TEXT = f"Titolo {EVIL}\n\nIl ponte è lungo 412 metri. Fu aperto nel 2020."
S1 = (TEXT.index("Il ponte"), TEXT.index(" Fu aperto"))
S2 = (TEXT.index("Fu aperto"), len(TEXT))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _hit(**extra: object) -> dict[str, object]:
    return {
        "article_id": "a1",
        "title": "004_5440dd308387ea49",
        "source": "ANSA",
        "date": "2024-01-02",
        "url": "https://x.it/a",
        "score": 0.5,
        "start": S1[0],
        "end": S2[1],
        "text": TEXT[S1[0] :],
        "sentences": [{"start": S2[0], "end": S2[1]}],
        **extra,
    }


def test_a_hit_title_opens_its_article_at_the_hit_sentence() -> None:
    html = browse.search_html({"hits": [_hit()]}, {"a1": "Il ponte è lungo 412 metri."})
    assert (
        f"<button type='button' class='open-article' data-open='a1' data-start='{S2[0]}' data-end='{S2[1]}'"
    ) in html
    assert ">Il ponte è lungo 412 metri.</button>" in html and "004_5440dd308387ea49" not in html
    assert f"data-open='a1' data-start='{S2[0]}' data-end='{S2[1]}'" in html.split("</button>", 1)[1]  # the mark too
    assert "ANSA" in html and "2024-01-02" in html and "href='https://x.it/a'" in html
    assert "004_5440dd308387ea49" in browse.search_html({"hits": [_hit()]})  # no display title: the stored one


def test_only_the_best_sentence_of_a_hit_is_highlighted_and_every_matched_one_opens() -> None:
    both = [{"start": S1[0], "end": S1[1] + 1, "score": 0.2}, {"start": S2[0], "end": S2[1], "score": 0.9}]
    html = browse.search_html({"hits": [_hit(sentences=both)]})
    assert html.count("<mark") == 1 and "Fu aperto nel 2020.</mark>" in html
    assert f"<span class='opens' data-open='a1' data-start='{S1[0]}' data-end='{S1[1] + 1}'" in html
    weak = _hit(article_id="a2", sentences=[{"start": S1[0], "end": S1[1] + 1, "score": 0.3}])
    two = browse.search_html({"hits": [_hit(sentences=both), weak]})
    assert two.count("<mark") == 1  # a weak hit's best sentence (0.3 against the results' 0.9) is not marked


def test_only_web_links_are_rendered() -> None:
    assert "javascript:" not in browse.search_html({"hits": [_hit(url="javascript:alert(1)")]})


def test_a_search_notice_shows_above_the_results_escaped() -> None:
    html = browse.search_html({"hits": [], "notice": EVIL})
    assert "filter-note" in html and "<script>" not in html and "No matching articles" in html
    assert "filter-note" not in browse.search_html({"hits": [], "notice": None})


def _article(**extra: object) -> dict[str, object]:
    return {
        "article_id": "a1",
        "title": "ponte",
        "display_title": "Il ponte è lungo 412 metri.",
        "source": "ANSA",
        "date": None,
        "text": TEXT,
        "sentences": [{"start": 0, "end": S1[0] - 2}, {"start": S1[0], "end": S1[1]}, {"start": S2[0], "end": S2[1]}],
        **extra,
    }


def test_the_article_view_marks_the_opened_and_the_cited_sentences_and_lists_the_citations() -> None:
    cited = [
        {"question": "Quanto è lungo il ponte?", "n": 2, "quote": TEXT[S1[0] : S1[1]], "start": S1[0], "end": S1[1]}
    ]
    html = browse.article_view(_article(), cited, active=S2)
    assert f"<mark class='cite-hl active browse-active sent' title='sentence 3 · chars {S2[0]}–{S2[1]}'>" in html
    assert f"<mark class='cite-hl sent cited' title='sentence 2 · chars {S1[0]}–{S1[1]} · cited in this chat'>" in html
    assert "Cited in this chat (1)" in html and "Quanto è lungo il ponte?" in html and "[2]" in html
    assert f"data-open='a1' data-start='{S1[0]}' data-end='{S1[1]}'" in html  # the entry shows its sentence
    assert "3 sentences" in html and "file ponte" in html and "&lt;script&gt;" in html
    plain = browse.article_view(_article())
    assert "Not cited in this chat yet." in plain and "browse-active" not in plain and "cited'" not in plain
    assert "Click" in browse.article_view(None)


def test_no_field_of_the_browser_can_add_markup_or_attributes() -> None:
    """Every text field hostile at once: no tag, event handler or link comes out of the data."""
    text = f"{IMG} Il ponte è lungo 412 metri. {EVIL}"
    start, end = text.index("Il ponte"), text.index(" <script>")
    hit = {
        "article_id": QUOTE_OUT,
        "title": EVIL,
        "source": IMG,
        "date": f"2024-01-01{IMG}",
        "url": f"https://x.it/{QUOTE_OUT}",
        "score": 0.5,
        "start": 0,
        "end": len(text),
        "text": text,
        "sentences": [{"start": start, "end": end}],
    }
    article = {**hit, "display_title": IMG, "sentences": [{"start": 0, "end": start - 1}, {"start": start, "end": end}]}
    cited = [{"question": EVIL + QUOTE_OUT, "n": QUOTE_OUT, "quote": IMG, "start": start, "end": end}]
    views = [
        browse.search_html({"hits": [hit], "notice": IMG}, {QUOTE_OUT: IMG}),
        browse.article_view(article, cited, active=(start, end)),
    ]
    allowed = {"class", "title", "href", "target", "rel", "type", "data-open", "data-start", "data-end", "data-article"}
    for html in views:
        tags = _tags(html)
        assert "&lt;img" in html and "<script>" not in html
        assert {tag for tag, _ in tags} <= {"div", "span", "mark", "a", "br", "button", "ul", "li"}, html
        assert {name for _, attrs in tags for name, _ in attrs} <= allowed, html
        values = [(name, value) for _, attrs in tags for name, value in attrs]
        assert all(v == f"https://x.it/{QUOTE_OUT}" for n, v in values if n == "href")  # one whole attribute
        assert all(v == QUOTE_OUT for n, v in values if n in ("data-open", "data-article"))


def test_the_open_target_carries_an_article_and_maybe_a_span() -> None:
    assert open_target(json.dumps({"id": "a1", "start": 3, "end": 9, "t": 1})) == ("a1", (3, 9))
    assert open_target(json.dumps({"id": "a1", "start": None, "end": None})) == ("a1", None)
    assert open_target("") is None and open_target("[1]") is None and open_target("{}") is None


def test_filters_and_the_typed_dates_script() -> None:
    assert to_filters(None, " ", None) is None
    flt = to_filters(["ANSA"], "2024-01-01", "")
    assert flt is not None and flt.sources == ["ANSA"] and (flt.date_from, flt.date_to) == ("2024-01-01", None)
    js = typed_dates_js("chat-filter-row", 7, (5, 6))
    assert 'document.getElementById("chat-filter-row")' in js and "args.slice(0, 7)" in js
    assert "a[5] = boxes[0].value; a[6] = boxes[1].value;" in js
