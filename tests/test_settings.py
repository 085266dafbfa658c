from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import Settings, load_settings


def test_index_name_derives_from_model_and_chunking() -> None:
    base = load_settings()
    assert base.index_dir().parent.name == "indexes"
    assert base.index_name().startswith("multilingual-e5-small-openvino-bf16__s8o2")
    names = {
        base.index_name(),
        load_settings(chunking={"sentences": 3, "overlap": 1}).index_name(),
        load_settings(chunking={"sentences": 8, "overlap": 1}).index_name(),
        load_settings(embedding={"model": "some/other-model"}).index_name(),
        load_settings(embedding={"meta_fields_to_embed": []}).index_name(),
        load_settings(embedding={"sentence_vectors": "late"}).index_name(),
    }
    assert len(names) == 6
    # the default keeps the names indexes had before the setting existed
    assert base.index_name() == "multilingual-e5-small-openvino-bf16__s8o2__v2-7b5e06c8"
    # Retrieval-time settings do not change the stored vectors, so not the folder either.
    assert load_settings(retrieval={"top_k": 9}).index_name() == base.index_name()


def test_env_vars_and_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CHUNKING__SENTENCES", "6")
    monkeypatch.setenv("RAG_QDRANT_URL", "http://qdrant.example:6333")
    s = Settings()
    assert s.chunking.sentences == 6
    assert s.index.qdrant_url == "http://qdrant.example:6333"


def test_bad_values_name_the_setting() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        load_settings(chunking={"sentences": 2, "overlap": 2})
    with pytest.raises(ConfigError, match="preset"):
        load_settings("nope")


def test_explicit_index_path_wins(tmp_path: Path) -> None:
    s = load_settings(index={"path": tmp_path / "x"})
    assert s.index_dir() == tmp_path / "x"


def test_a_mistyped_setting_is_an_error_naming_the_real_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CHUNKING__SENTENSES", "3")
    typo = r"RAG_CHUNKING__SENTENSES \(chunking.sentenses\) is not a setting \(chunking has: sentences,"
    with pytest.raises(ConfigError, match=typo):
        load_settings()
    monkeypatch.delenv("RAG_CHUNKING__SENTENSES")
    monkeypatch.setenv("RAG_CHUNKING__SENTENCES", "many")
    with pytest.raises(ConfigError, match=r"RAG_CHUNKING__SENTENCES \(chunking.sentences\): Input should be"):
        load_settings()
    with pytest.raises(ConfigError, match=r"RAG_RETRIEVAL__TOP_KK \(retrieval.top_kk\) is not a setting"):
        load_settings(retrieval={"top_kk": 3})
