"""Follow-up questions ("and in Iraq?") resolved against the previous turn of a conversation: rewritten
as a standalone question, the previous one with the new part put in place of the part it replaces
("How many US troops are in Syria?" + "And in Iraq?" -> "How many US troops are in Iraq?"), not glued
on. What it replaces, in order: a period ("E nel 2023?"), a place or name after the same preposition
("in Iraq"), the thing counted ("Quanti morti…?" + "E i feriti?"), the last name; else it is glued."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CONNECTIVE = re.compile(
    r"^\s*(and|but|what about|how about|also|e|ed|ma|invece|anche|e invece|e per|e in|e nel|e a|et|und|y)\b",
    re.IGNORECASE,
)
#: A question this short is read as a follow-up when there is a previous turn.
SHORT_WORDS = 4


@dataclass
class Turn:
    question: str
    standalone: str
    answer: str


@dataclass
class Conversation:
    """What a chat session remembers: its turns, newest last."""

    turns: list[Turn] = field(default_factory=list)
    max_turns: int = 20

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        del self.turns[: -self.max_turns]

    def history(self) -> list[tuple[str, str]]:
        return [(t.standalone, t.answer) for t in self.turns]


def is_followup(question: str) -> bool:
    return bool(_CONNECTIVE.match(question)) or len(question.split()) <= SHORT_WORDS


_PREPOSITION = re.compile(
    r"^(?:in|at|for|from|on|nel|nella|nello|negli|nelle|in|a|ad|per|da|di|del|della|su|sul|sulla)\s+(.+)$",
    re.IGNORECASE,
)
_COUNTED = re.compile(r"\b(how many|how much|quant[ioae])\s+([\w'’]+)", re.IGNORECASE)
_OWN_QUESTION = re.compile(
    r"\b(?:how|what|who|when|where|which|why|quant[oaie]?|chi|cosa|quando|dove|qual[ei]?|come|perché)\b", re.IGNORECASE
)
_MONTH = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|gennaio|"
    r"febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre)\b",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:the|i|gli|le|il|lo|la|l'|l’)\s*", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+)*")


def rewrite(previous: str, followup: str) -> str:
    """``followup`` as a standalone question, from ``previous`` (see the module's docstring)."""
    from rag.answer.periods import question_time

    part = _CONNECTIVE.sub("", followup).strip(" ?¿!.,")
    if not part:
        return previous
    if _OWN_QUESTION.search(part) and len(part.split()) >= 4:  # a question of its own, about the same story
        context = [n for n in _NAME.findall(previous) if n not in part]
        return f"{part[0].upper()}{part[1:]}? ({' '.join(context)})" if context else f"{part}?"
    prev_time, new_time = question_time(previous), question_time(part)
    month = _MONTH.search(part)
    if prev_time.period is not None and new_time.period is None and month:  # "E a settembre?" after
        return previous.replace(prev_time.period.label, f"{month.group()} {prev_time.period.start.year}", 1)
    if new_time.period is not None:  # "… nel maggio 2023?": that year's September
        if prev_time.period is not None:
            return previous.replace(prev_time.period.label, new_time.period.label, 1)
        return f"{previous.rstrip(' ?')} {part}?"
    prep = _PREPOSITION.match(part)
    if prep:
        word = part.split()[0]
        m = re.search(rf"\b{re.escape(word)}\s+((?:[A-ZÀ-Ý][\w'’-]*\s*)+)", previous, re.IGNORECASE)
        if m:
            named = m.group(1).rstrip()
            return previous[: m.start(1)] + prep.group(1) + previous[m.start(1) + len(named) :]
    counted = _COUNTED.search(previous)
    if counted and len(part.split()) <= 3 and not _NAME.search(part):
        noun = _ARTICLE.sub("", part)
        return previous[: counted.start(2)] + noun + previous[counted.end(2) :]
    names, new_names = _NAME.findall(previous), _NAME.findall(" " + part)
    if names and new_names:
        i = previous.rfind(names[-1])
        return previous[:i] + new_names[0] + previous[i + len(names[-1]) :]
    return f"{previous} {followup.strip()}"


def resolve(question: str, conversation: Conversation | None) -> str:
    """The question to search for: a follow-up rewritten from the previous standalone question."""
    if conversation is None or not conversation.turns or not is_followup(question):
        return question
    return rewrite(conversation.turns[-1].standalone, question)
