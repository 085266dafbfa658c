"""scripts/train_reader.py end to end for a few steps on the tiny SQuAD-it fixture (in every full
run, so the script cannot rot), through its resumable path: stopped after 2 of 4 steps, continued,
and equal to a run that never stopped; then scripts/export_reader.py on its output. Slow: four
processes load the real encoder."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _train(run: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_reader.py"), "--out", str(run), "--tiny", "--no-bf16", *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return (run / "train.log").read_text(encoding="utf-8")


def test_training_stops_goes_on_where_it_stopped_and_exports(tmp_path: Path) -> None:
    import torch

    run = tmp_path / "run"
    log = _train(run, "--max-steps", "2")
    assert "step 2/4 loss" in log and "stopped at step 2/4" in log and not (run / "reader.pt").exists()
    mid = torch.load(run / "checkpoint.pt", weights_only=False)["model"]
    log = _train(run, "--resume")
    assert "resumed at step 2/4" in log and "step 4/4 loss" in log and "saved" in log
    evals = json.loads((run / "eval.json").read_text(encoding="utf-8"))
    assert [e["step"] for e in evals] == [2, 4] and {"it", "en", "null"} <= set(evals[-1])
    straight = tmp_path / "straight"
    _train(straight)
    a, b = torch.load(run / "reader.pt"), torch.load(straight / "reader.pt")
    assert a.keys() == b.keys()
    # in fp32 (bf16 kernels need not give the same sums from one process to the next) the resumed run
    # lands where the run that never stopped did, not merely near the checkpoint it started from
    apart = max(float((a[k] - b[k]).abs().max()) for k in a)
    moved = max(float((b[k] - mid[k]).abs().max()) for k in a)
    assert apart <= 1e-6 < moved, (apart, moved)
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
