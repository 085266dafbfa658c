from __future__ import annotations

from rag.llm.stream import AnswerStream


def _feed(chunks: list[str]) -> str:
    got: list[str] = []
    s = AnswerStream(got.append)
    for c in chunks:
        s.feed(c)
    return "".join(got)


def test_answer_text_is_streamed_out_of_json_pieces() -> None:
    assert _feed(['{"ans', 'wer": "9', "00", ' truppe", "evid', 'ence": 1}']) == "900 truppe"


def test_escapes_split_across_chunks_are_decoded() -> None:
    assert _feed(['{"answer": "a \\', '"b\\" \\u00e', "8 c", '"}']) == 'a "b" è c'


def test_nothing_is_emitted_for_a_null_answer() -> None:
    assert _feed(['{"answer": null, "evidence": null}']) == ""
