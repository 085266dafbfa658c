from __future__ import annotations

from rag.answer.evidence import Evidence
from rag.answer.verify import DraftClaim, build_citations, clean_claim, locate, parse_reply
from rag.models import EvidenceSentence

TEXT = "Primo fatto. Gli Stati Uniti hanno 2.500 truppe in Iraq e 900 in Siria. Terzo fatto."


def _ev(start: int, end: int, sid: str = "a#s1") -> Evidence:
    return Evidence(EvidenceSentence("a", sid, start, end, TEXT[start:end], 1.0, 0.9), "Titolo", "agenzia", None, None)


def test_parse_reply_reads_json_and_rejects_the_rest() -> None:
    assert parse_reply('{"answer": "900", "evidence": 2}') == ("900", 2)
    assert parse_reply('noise {"answer": " 900 ", "evidence": 1} noise') == ("900", 1)
    assert parse_reply('{"answer": null, "evidence": null}') == (None, None)
    assert parse_reply('{"answer": "NO_ANSWER"}') == (None, None)
    assert parse_reply('{"answer": "x", "evidence": "2"}') == ("x", None)  # not an int: ignored
    assert parse_reply('{"answer": "x", "evidence": true}') == ("x", None)
    assert parse_reply("900 [1]") == (None, None)
    assert parse_reply("{broken") == (None, None)


def test_locate_finds_the_answer_span_case_and_number_insensitively() -> None:
    s = TEXT[13:71]
    assert s[slice(*locate("900", s))] == "900"  # type: ignore[misc]
    assert s[slice(*locate("2500", s))] == "2.500"  # type: ignore[misc]
    assert s[slice(*locate("stati uniti", s))] == "Stati Uniti"  # type: ignore[misc]
    assert locate("700", s) is None and locate("  ", s) is None


def test_claims_lose_citation_marks_they_bring_themselves() -> None:
    assert clean_claim("HACKED [7] [ 12 ]") == "HACKED"


def test_citations_are_cut_from_the_article_text_and_checked() -> None:
    ev = [_ev(13, 71), _ev(72, 84, "a#s2")]
    claims = [
        DraftClaim("900", 0, locate("900", TEXT[13:71]), ["quote"]),
        DraftClaim("Terzo fatto.", 1, None, ["quote"]),
    ]
    cits, numbers = build_citations(claims, ev, lambda _a: TEXT)
    assert numbers == [[1], [2]]
    for c in cits:
        assert TEXT[c.start : c.end] == c.quote
    assert cits[0].highlight is not None and TEXT[slice(*cits[0].highlight)] == "900"
    # The same sentence cited twice keeps one number.
    _, again = build_citations([claims[0], claims[0]], ev, lambda _a: TEXT)
    assert again == [[1], [1]]


def test_a_citation_whose_text_no_longer_matches_is_dropped() -> None:
    ev = [_ev(13, 71)]
    cits, numbers = build_citations([DraftClaim("900", 0)], ev, lambda _a: "altro testo " + TEXT)
    assert cits == [] and numbers == [[]]
    cits, numbers = build_citations([DraftClaim("900", 0)], ev, lambda _a: None)
    assert cits == [] and numbers == [[]]
