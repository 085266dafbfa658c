"""The page's HTML: article and user text is always escaped, citation marks become chips, and the
cited sentence is marked at its exact offsets (the source browser's HTML: tests/ui/test_browse.py)."""

from __future__ import annotations

from tests.ui.html_tags import Tags as _Tags
from ui import render

EVIL = "<script>alert(1)</script>"
TEXT = f"Titolo {EVIL}\n\nIl ponte è lungo 412 metri. Fu aperto nel 2020."


def _citation(n: int, start: int, end: int, **extra: object) -> dict[str, object]:
    return {"n": n, "article_id": "a1", "title": EVIL, "start": start, "end": end, "quote": TEXT[start:end], **extra}


def test_answer_marks_become_chips_and_text_is_escaped() -> None:
    claim = f"{EVIL} Il ponte è lungo 412 metri."
    html = render.answer_html(
        {"abstained": False, "answer": f"{claim} [1][2]", "claims": [{"text": claim, "citations": [1, 2]}]}
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("class='cite ") == 2 and "data-cite='2'" in html


def test_only_the_answerers_own_marks_become_chips() -> None:
    """A quoted sentence holding ``[2]`` and ``[3]`` (issue 13, item 4): one citation, one chip."""
    quote = "Le truppe sono 50.000 [2] «secondo il ministero» e altre fonti [3]."
    result = {"abstained": False, "answer": f"«{quote}» [1]", "claims": [{"text": quote, "citations": [1]}]}
    html = render.answer_html(result)
    assert html.count("class='cite ") == 1 and "data-cite='1'" in html
    assert "50.000 [2]" in html and "fonti [3]." in html  # as text
    assert "answer'>«Le truppe" in html and "[3].»" in html  # the whole-sentence quote keeps its «»
    assert render.answer_html({"abstained": False, "answer": "900 [1] [2]"}).count("class='cite ") == 0


def test_abstention_is_shown_as_such() -> None:
    html = render.answer_html({"abstained": True, "answer": "The archive does not say.", "reason": EVIL})
    assert "data-abstained='true'" in html and "<script>" not in html


def test_an_abstention_shows_the_nearest_sentences_as_such_escaped() -> None:
    near = {"n": 1, "article_id": "a", "title": EVIL, "source": "S", "date": None, "url": None,
            "sentence_id": "a#s0", "start": 0, "end": 5, "quote": EVIL}  # fmt: skip
    html = render.sources_html({"abstained": True, "citations": [], "nearest": [near]}, None, {})
    assert "No source supports" in html and "The nearest sentences found" in html and "not enough" not in html
    assert "<script>" not in html and "data-cite" not in html  # never a clickable citation
    bare = render.sources_html({"abstained": True, "citations": []}, None, {})
    assert "No source supports" in bare and "nearest" not in bare


def test_a_notice_shows_under_the_answer_escaped_and_without_chips() -> None:
    notice = f"the local LLM process ended with SIGKILL [2] {EVIL}. Answered extractively, without the LLM."
    one = [{"text": "900", "citations": [1]}]
    html = render.answer_html({"abstained": False, "answer": "900 [1]", "claims": one, "notice": notice})
    assert "class='answer-notice'" in html and "ended with SIGKILL" in html and "<script>" not in html
    assert html.count("class='cite ") == 1  # the [2] inside the notice is text
    abstained = render.answer_html({"abstained": True, "answer": "The archive does not say.", "notice": notice})
    assert "class='answer-notice'" in abstained
    assert "answer-notice" not in render.answer_html({"abstained": False, "answer": "900 [1]", "notice": None})


def test_active_citation_is_marked_at_its_offsets() -> None:
    start = TEXT.index("Il ponte")
    end = TEXT.index("Fu aperto") - 1
    second = _citation(2, TEXT.index("Fu aperto"), len(TEXT))
    result = {"abstained": False, "citations": [_citation(1, start, end, highlight=[start + 17, start + 26]), second]}
    html = render.sources_html(result, active=1, articles={"a1": TEXT})
    assert "<script>" not in html
    assert (
        "<mark id='active-cite' class='cite-hl active'>Il ponte è lungo <b class='key-span'>412 metri</b>.</mark>"
        in html
    )
    assert "<mark class='cite-hl'>Fu aperto nel 2020.</mark>" in html
    assert html.count("source-card") == 2


def test_cite_shows_the_sentence_in_context() -> None:
    start = TEXT.index("Il ponte")
    hit = {**_citation(1, start, start + 27), "score": 0.9, "verdict": "conflicts"}
    html = render.cite_html(
        "the bridge is 412 m long", [hit], {"a1": TEXT}, verdict=("conflicts", "Conflicts: 412 <x>")
    )
    assert f"<mark class='cite-hl active'>{TEXT[start : start + 27]}</mark>" in html
    assert "<script>" not in html
    assert "<div class='verdict verdict-conflicts' role='status'>Conflicts: 412 &lt;x&gt;</div>" in html
    assert "conflicts · p 0.90" in html


def test_each_citation_offers_its_formatted_reference_escaped() -> None:
    from rag.answer.export import reference

    start = TEXT.index("Il ponte")
    c = {**_citation(1, start, start + 27), "source": 'ANSA "x"', "url": "https://x.it/a?b=1&c=2"}
    button = render.copy_button(c)
    assert 'data-ref="' in button and "&quot;x&quot;" in button and "&amp;c=2" in button
    parser = _Tags()
    parser.feed(button)
    assert dict(parser.tags[0][1])["data-ref"] == reference(c)  # the browser gets back exactly the reference
    assert button in render.sources_html({"abstained": False, "citations": [c]}, active=None, articles={})


def test_no_field_can_add_markup_or_attributes() -> None:
    """Every text field of every view, hostile at once: no tag, event handler or link comes out of the data."""
    quote_out = "x' onmouseover='alert(1)' data-x='"  # tries to close the attribute it lands in
    img = '<img src=x onerror="alert(1)">'
    text = f"{img} Il ponte è lungo 412 metri. {EVIL}"
    start, end = text.index("Il ponte"), text.index(" <script>")
    hostile = {
        "n": 1,
        "article_id": quote_out,
        "title": EVIL,
        "source": img,
        "date": f"2024-01-01{img}",
        "url": f"https://x.it/{quote_out}",
        "start": start,
        "end": end,
        "quote": text[start:end],
        "highlight": [start + 17, start + 26],
        "score": 0.5,
    }
    views = [
        render.answer_html({"abstained": False, "answer": f"{img} {quote_out} 412 metri [1]."}),
        render.answer_html({"abstained": True, "answer": img, "reason": quote_out}),
        render.sources_html({"abstained": False, "citations": [hostile]}, active=1, articles={quote_out: text}),
        render.cite_html(img, [hostile], {quote_out: text}, verdict=(quote_out, img)),
    ]
    allowed = {"class", "id", "data-cite", "data-abstained", "data-article", "title", "href", "target", "rel"}
    allowed |= {"type", "data-ref", "role"}  # the copy-reference button; the lookup's verdict
    for i, html in enumerate(views):
        parser = _Tags()
        parser.feed(html)
        assert "&lt;img" in html or "&#x27; onmouseover" in html  # the hostile text is shown, as text
        assert {tag for tag, _ in parser.tags} <= {"div", "span", "b", "mark", "a", "br", "button"}, html
        assert {name for _, attrs in parser.tags for name, _ in attrs} <= allowed, html
        values = [(name, value) for _, attrs in parser.tags for name, value in attrs]
        hrefs = [value for name, value in values if name == "href"]
        if i < 2:
            assert not hrefs
        else:  # the whole URL stays one attribute value (and the article id, in the sources view)
            assert hrefs and all(h == f"https://x.it/{quote_out}" for h in hrefs)
            assert i != 2 or ("data-article", quote_out) in values


def test_status_lines_escape_everything_that_came_from_a_file() -> None:
    img = '<img src="http://tracker.example/t.png">'
    form = "<form action='http://evil.example'><input name='API token'></form>"
    md = "![x](http://tracker.example/t.png) [link](http://evil.example)"
    rep = {
        "articles": 1,
        "skipped": [
            {"origin": f"upload j/{img}.jsonl:1", "reason": f"article id {img!r} comes again in this batch"},
            {"origin": "feed.jsonl:2", "reason": form},
            {"origin": "feed.jsonl:3", "reason": md},
        ],
    }
    for html in (render.job_report(rep), render.status(f"Upload refused: {img} {form} {md}", "error")):
        assert "<img" not in html and "<form" not in html and "<input" not in html and "<a " not in html
        assert "&lt;img src=&quot;http://tracker.example/t.png&quot;&gt;" in html
    assert render.job_report(rep).count("<li>") == 3


def test_a_long_job_report_shows_the_first_skips_and_the_count() -> None:
    rep = {"articles": 0, "skipped": [{"origin": f"f.jsonl:{i}", "reason": "invalid JSON"} for i in range(50)]}
    rep["skipped_total"] = 100_000
    html = render.job_report(rep, shown=20)
    assert html.count("<li>") == 21 and "100000 skipped" in html and "and 99980 more" in html


def test_the_filter_label_names_what_is_on_and_bad_dates_are_said_escaped() -> None:
    from ui import filters

    assert filters.describe("default", None, "", "") == filters.BASE_LABEL
    label = filters.describe("extractive", ["ANSA", "Il Post"], "2024-01-01", " ")
    assert label == f"{filters.BASE_LABEL} · active: answerer extractive; ANSA, Il Post; from 2024-01-01"
    assert filters.date_problems("2024-01-01", "") == "" and filters.date_problems(None, None) == ""
    bad = filters.date_problems("31/01/2024", EVIL)
    assert "&#x27;31/01/2024&#x27; is not a date" in bad and "To:" in bad and "<script>" not in bad
    assert "swap" in filters.date_problems("2024-02-01", "2024-01-01")


def test_chips_and_cards_carry_their_answers_turn() -> None:
    """An older answer's [1] names its own turn, so the page opens that answer's source, not the latest's."""
    one = [{"text": "900", "citations": [1]}]
    chip = render.answer_html({"abstained": False, "answer": "900 [1]", "claims": one}, turn=3)
    assert "class='cite ck-3-1'" in chip  # the chat's sanitizer keeps a class, drops data-cite
    differ = {"abstained": False, "answer": "…", "sources_differ": [{"value": "900", "citation": 2}]}
    assert "data-cite='0-2'" in render.answer_html(differ, turn=0)
    card = {"n": 1, "article_id": "a", "title": "T", "source": "S", "date": None, "url": None,
            "sentence_id": "a#s0", "start": 0, "end": 3, "quote": "900"}  # fmt: skip
    assert "data-cite='4-1'" in render.sources_html({"abstained": False, "citations": [card]}, None, {}, turn=4)


def test_the_llm_status_is_said_once_atop_the_page_escaped() -> None:
    assert render.llm_status(None) == ""
    html = render.llm_status(f"the local LLM model file {EVIL} is truncated\n  fix: copy it again")
    assert "class='llm-status'" in html and "extractive" in html and "<script>" not in html and "fix: copy" in html
