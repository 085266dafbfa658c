"""Follow-up questions ("and in Iraq?") resolved against the previous turn of a conversation."""

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


def resolve(question: str, conversation: Conversation | None) -> str:
    """The question to search for: a follow-up joined to the previous standalone question."""
    if conversation is None or not conversation.turns or not is_followup(question):
        return question
    return f"{conversation.turns[-1].standalone} {question.strip()}"
