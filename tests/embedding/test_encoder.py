"""The exported backends' encoder without sentence-transformers: the same token ids, offsets, batches
and vectors as sentence-transformers around the same runner, and no sentence-transformers imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.embedding import backends
from rag.embedding.encoder import ExportedEncoder, token_offsets
from rag.errors import ModelError
from rag.settings import load_settings

pytestmark = pytest.mark.slow

TEXTS = [
    "passage: Il governo ha approvato la manovra da 2.500 milioni di euro per il 2024.",
    "query: quanti soldati americani ci sono in Siria?",
    "  spazi iniziali e finali  ",
    "",
    "Roma",
    "x" * 3000,  # one long unknown-heavy run
    " ".join(["parola"] * 700),  # past max_seq_length: truncated
    "ünïcödé ☃ 日本語 😀 \t tab\nnewline",
    "0000000000000",
    "L’Isis ha rivendicato l’attentato: «almeno 130 morti», 350 feriti.",
] + [f"testo numero {i} " * (i % 7) for i in range(40)]  # many equal lengths: the sort's ties


@pytest.fixture(scope="module")
def model() -> str:
    from rag.embedding.configured import model_path

    return model_path(load_settings())


def _st_around(model: str, runner: Any) -> Any:
    """sentence-transformers' own pipeline (tokenize, batch, pool, normalize) around ``runner``: the
    reference the encoder must reproduce."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.modeling_outputs import BaseModelOutput

    st = SentenceTransformer(model, device="cpu", local_files_only=True)

    class Exported(torch.nn.Module):
        def __init__(self, config: Any) -> None:
            super().__init__()
            self.config = config

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: Any) -> BaseModelOutput:
            ids = input_ids.numpy().astype(np.int64)
            feeds = {"input_ids": ids, "attention_mask": attention_mask.numpy().astype(np.int64)}
            feeds["token_type_ids"] = np.zeros_like(ids)
            return BaseModelOutput(last_hidden_state=torch.from_numpy(runner({n: feeds[n] for n in runner.inputs})))

    st[0].model = Exported(st[0].model.config)
    return st


@pytest.mark.parametrize("backend", ["openvino-bf16", "onnx-int8"])
def test_the_encoder_gives_sentence_transformers_vectors(model: str, backend: str) -> None:
    if backend == "openvino-bf16":
        pytest.importorskip("openvino")
    ours = backends.load_encoder(model, backend)
    assert isinstance(ours, ExportedEncoder)
    st = _st_around(model, ours.runner)
    for batch in (32, 7):
        want = st.encode(TEXTS, batch_size=batch, normalize_embeddings=True)
        got = ours.encode(TEXTS, batch_size=batch, normalize_embeddings=True)
        assert got.shape == want.shape == (len(TEXTS), 384) and got.dtype == np.float32
        assert np.abs(got - want).max() < 1e-5  # the same arrays in, only the pooling's summation order differs
    assert np.abs(ours.encode("Roma") - st.encode("Roma")).max() < 1e-5  # one string: one vector
    states = ours.encode(TEXTS[:10], output_value="token_embeddings")
    ref = st.encode(TEXTS[:10], output_value="token_embeddings", convert_to_numpy=False)
    assert [s.shape for s in states] == [tuple(r.shape) for r in ref]
    assert max(float(np.abs(s - r.float().numpy()).max()) for s, r in zip(states, ref, strict=True)) < 1e-5
    assert states[6].shape[0] == ours.max_seq_length == 512
    assert token_offsets(ours, TEXTS) == token_offsets(st, TEXTS)  # late chunking's character spans
    assert ours.encode([], batch_size=4).shape == (0, 384)
    assert ours.get_embedding_dimension() == st.get_embedding_dimension() == 384


def test_a_folder_of_another_layout_is_refused_naming_the_fix(model: str, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json"):
        (folder / name).write_bytes((Path(model) / name).read_bytes())
    (folder / "1_Pooling").mkdir()
    modules = json.loads((Path(model) / "modules.json").read_text(encoding="utf-8"))
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode": "cls"}', encoding="utf-8")
    with pytest.raises(ModelError, match="'cls' is not mean pooling") as info:
        ExportedEncoder(folder, lambda feeds: feeds["input_ids"], ["input_ids"])
    assert "embedding.backend=torch" in (info.value.hint or "")
    (folder / "modules.json").write_text(json.dumps(modules[:1]), encoding="utf-8")
    with pytest.raises(ModelError, match="not Transformer → Pooling → Normalize"):
        ExportedEncoder(folder, lambda feeds: feeds["input_ids"], ["input_ids"])


def test_the_query_path_imports_no_sentence_transformers() -> None:
    """A cold start pays for what it imports: opening the engine and embedding a question on the
    default backend must not import sentence-transformers (≈ 4 s) or scikit-learn."""
    code = (
        "import sys\n"
        "from rag.embedding.configured import model_path, query_embedder\n"
        "from rag.settings import load_settings\n"
        "import rag.engine\n"
        "s = load_settings()\n"
        "e = query_embedder(s, model_path(s))\n"
        "v = e.run('quanti soldati?')['embedding']\n"
        "print(v.shape, sorted(m for m in ('sentence_transformers', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "(384,) []", out.stdout + out.stderr
