"""Example questions for the chat that the archive answers, written about its own articles.

For an article, the local LLM (only when it is ready) writes one short question, in the article's
language, about the article's first sentence that states a figure (else its first sentence). The
question is kept only when the extractive answerer (deterministic, and what every user gets when the
LLM is off) answers it from that article, and when the answer is not already spelled in the question
("Who is the prime minister Mohammed al-Sudani?"). What was decided for each article, a question or
none, is kept in the index folder (``examples.json``), so no article is written about twice. Without
a written question an article's example asks about its title.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rag.answer.prompts import EXAMPLE_QUESTION_SYSTEM, EXAMPLE_QUESTION_USER, LANGUAGE_NAMES
from rag.files import write_text_atomic
from rag.text.sentences import split_sentences

log = logging.getLogger("rag.examples")
FILE = "examples.json"
#: A written question longer than this is no example a researcher would click.
MAX_CHARS = 120
Writer = Callable[[str, str], str | None]  # (sentence, language) -> a question, or None

_LOCK = threading.Lock()


def _path(engine: Any) -> Path:
    return Path(engine.settings.index_dir()) / FILE


def load(engine: Any) -> dict[str, str | None]:
    """What was decided so far: article id -> its question (None: none passed)."""
    try:
        data = json.loads(_path(engine).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): (str(v) if v else None) for k, v in data.items()} if isinstance(data, dict) else {}


def question_of(engine: Any, article_id: str) -> str | None:
    return load(engine).get(article_id)


def lead_sentence(text: str) -> str | None:
    """The article's first sentence that states a figure (six words or more), else its first one."""
    sentences = [text[a:b].strip() for a, b in split_sentences(text)]
    sentences = [s for s in sentences if len(s.split()) >= 6]
    with_figure = [s for s in sentences if re.search(r"\d", s)]
    chosen = with_figure or sentences
    return chosen[0] if chosen else None


def clean(reply: str | None) -> str | None:
    """The model's reply as one question, or None when it is not one."""
    if not reply:
        return None
    line = reply.strip().splitlines()[0] if reply.strip() else ""
    line = re.sub(r"^(question|domanda)\s*:\s*", "", line.strip(), flags=re.I).strip().strip('"«»“”').strip()
    if not line.endswith("?") or len(line) > MAX_CHARS or len(line.split()) < 3:
        return None
    return line


def llm_writer(base_url: str, api_key: str, timeout_s: float = 60.0) -> Writer:
    """A :data:`Writer` asking the local LLM's OpenAI-compatible endpoint (greedy, a few tokens)."""
    import httpx

    def write(sentence: str, language: str) -> str | None:
        body = {
            "messages": [
                {"role": "system", "content": EXAMPLE_QUESTION_SYSTEM},
                {
                    "role": "user",
                    "content": EXAMPLE_QUESTION_USER.format(
                        sentence=sentence, language=LANGUAGE_NAMES.get(language, "Italian")
                    ),
                },
            ],
            "max_tokens": 40,
            "temperature": 0,
        }
        resp = httpx.post(
            f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout_s
        )
        resp.raise_for_status()
        return str(resp.json()["choices"][0]["message"]["content"])

    return write


def answered_here(engine: Any, question: str, article_id: str, answerer: str | None = "extractive") -> bool:
    """``answerer`` (None: the engine's default, what a user of the page gets) answers ``question`` from
    ``article_id``, with an answer the question does not already spell."""
    result = engine.ask(question, answerer=answerer)
    if result.abstained or not result.citations or result.citations[0].article_id != article_id:
        return False
    return result.answer.split("[")[0].strip().casefold() not in question.casefold()


def fill(engine: Any, rows: Iterable[dict[str, Any]], write: Writer, answerer: str | None = "extractive") -> int:
    """Decides the articles of ``rows`` (library rows: ``article_id``, ``language``) not decided yet,
    each question checked by ``answerer`` (see :func:`answered_here`); returns how many were kept. A
    failed call leaves its article undecided (tried again)."""
    with _LOCK:
        done = load(engine)
        kept = 0
        for row in rows:
            aid = str(row["article_id"])
            if aid in done:
                continue
            text = engine.article_text(aid)
            sentence = lead_sentence(text) if text else None
            question = None
            if sentence is not None:
                language = "it" if str(row.get("language") or "it").startswith("it") else "en"
                try:
                    question = clean(write(sentence, language))
                except Exception as err:  # the LLM busy, restarting or gone: try again another time
                    log.info("no example question for %s: %s", aid, err)
                    continue
                if question is not None and not answered_here(engine, question, aid, answerer):
                    question = None
            done[aid] = question
            kept += question is not None
            write_text_atomic(_path(engine), json.dumps(done, ensure_ascii=False, indent=1), durable=False)
        return kept
