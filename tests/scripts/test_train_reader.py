"""scripts/train_reader.py end to end for a few steps on the tiny SQuAD-it fixture (in every full
run, so the script cannot rot), and scripts/export_reader.py on its output. Slow: two processes load
the real encoder (≈ 30 s, a quarter of the quick loop when it was part of it)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_training_runs_a_few_steps_and_exports(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_reader.py"), "--out", str(run), "--tiny", "--max-steps", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = (run / "train.log").read_text(encoding="utf-8")
    assert "step 2/2 loss" in log and "trainable parameters" in log and "saved" in log
    evals = json.loads((run / "eval.json").read_text(encoding="utf-8"))
    assert {"it", "en", "null"} <= set(evals[-1])
    out = tmp_path / "reader.safetensors"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "export_reader.py"), str(run), "--threshold", "0.5", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and manifest["threshold"] == 0.5
    assert out.stat().st_size < 50 * 1024 * 1024
