"""scripts/llm_chooser.py (issue 27's LLM chooser, measured and not adopted) stays runnable: the
options are the reader's distinct spans, the reply's top log-probabilities become each option's
probability, and the two features join each span; the request is held to the option numbers."""

from __future__ import annotations

import importlib.util
import math
import sys
from typing import Any

from rag.answer import prompts
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
_spec = importlib.util.spec_from_file_location("llm_chooser", ROOT / "scripts" / "llm_chooser.py")
assert _spec is not None and _spec.loader is not None
chooser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chooser)

ROW = {
    "question": "How many US troops are in Syria?",
    "sentence": "Gli Stati Uniti hanno 2.500 truppe in Iraq e 900 nella vicina Siria.",
    "spans": [{"text": t, "f": {"gap": 0.0}} for t in ("2.500", "900", " 900", "2.500 truppe")],
}


class _Reply:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def raise_for_status(self) -> None:
        pass

    def json(self) -> dict[str, Any]:
        return self.body


class _Client:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def post(self, url: str, json: dict[str, Any]) -> _Reply:
        self.sent.append(json)
        top = {"2": math.log(0.6), "1": math.log(0.2), "3": math.log(0.1), "x": math.log(0.1)}
        return _Reply({"choices": [{"text": "2", "logprobs": {"top_logprobs": [top]}}]})


def test_options_probabilities_and_features() -> None:
    client = _Client()
    assert chooser.options_of(ROW) == ["2.500", "900", "2.500 truppe"]
    probs = chooser.choose(client, "http://x/v1/completions", ROW)
    assert max(probs, key=probs.__getitem__) == "900" and math.isclose(sum(probs.values()), 1.0)
    sent = client.sent[0]
    assert sent["max_tokens"] == 1 and sent["grammar"] == prompts.chooser_grammar(3) == "root ::= [1-3]"
    assert "3. 2.500 truppe" in sent["prompt"] and ROW["sentence"] in sent["prompt"]
    row = chooser.with_llm([ROW], [probs])[0]
    assert [s["f"]["llm_top"] for s in row["spans"]] == [0.0, 1.0, 1.0, 0.0]
    assert row["spans"][0]["f"]["llm"] == probs["2.500"]
