"""Trains and evaluates the vocal-expression CNN on RAVDESS speech, speaker-independently, and exports it.

    .venv-voice/bin/python training/voice/train.py --data ../shared/data/voice/ravdess --out training/runs/voice

Evaluation: grouped k-fold by actor (never the same actor in train and test). Out-of-fold logits give accuracy,
macro-F1, per-class recall, the confusion matrix, the temperature (fit by NLL) and ECE before/after, and the abstain
threshold. The exported model is then trained on all 24 actors with the same recipe and epochs.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

import features
from model import VoiceCNN

RECIPE = {"sample_rate": 16000, "n_fft": 512, "win_length": 400, "hop_length": 160, "n_mels": 64, "f_min": 50.0,
          "f_max": 8000.0, "log_floor": 1e-6}
FRAMES = 300


def load(data_dir):
    rows = []
    for path in sorted(Path(data_dir).glob("Actor_*/*.flac")):
        rel = f"{path.parent.name}/{path.name}"
        if rel in features.DUPLICATES:
            continue
        parts = path.stem.split("-")
        x, sr = sf.read(path, dtype="float32")
        assert sr == 16000 and x.ndim == 1, path
        for seg, (start, lm) in enumerate(features.clip_segments(x, RECIPE)):
            rows.append({"file": rel, "segment": seg, "start": start, "actor": int(parts[6]),
                         "label": features.CLASSES.index(features.EMOTIONS[parts[2]]), "logmel": lm.astype(np.float32)})
    return rows


def tensors(rows, mean, std):
    x = np.stack([features.model_input(r["logmel"], FRAMES, mean, std, RECIPE["log_floor"]) for r in rows])
    used = np.array([min(len(r["logmel"]), FRAMES) for r in rows])
    return torch.from_numpy(x[:, None]), torch.tensor([r["label"] for r in rows]), torch.from_numpy(used)


def augment(x, used, pad_value):
    """Random placement in the window, SpecAugment-style masks (set to the pad value) — all on the batch."""
    x = x.clone()
    for i in range(len(x)):
        slack = (FRAMES - int(used[i])) // 2
        if slack > 0:
            x[i] = torch.roll(x[i], int(torch.randint(-slack, slack + 1, (1,))), dims=2)
        for _ in range(2):
            w = int(torch.randint(0, 9, (1,)))
            f0 = int(torch.randint(0, x.shape[2] - w + 1, (1,)))
            x[i, :, f0:f0 + w, :] = pad_value
            w = int(torch.randint(0, 21, (1,)))
            t0 = int(torch.randint(0, FRAMES - w + 1, (1,)))
            x[i, :, :, t0:t0 + w] = pad_value
    return x


def norm_stats(rows):
    v = np.concatenate([r["logmel"].ravel() for r in rows])
    return float(v.mean()), float(v.std())


def fit(rows, epochs, seed, log):
    torch.manual_seed(seed)
    mean, std = norm_stats(rows)
    x, y, used = tensors(rows, mean, std)
    pad_value = float((np.log(RECIPE["log_floor"]) - mean) / std)
    model = VoiceCNN(n_mels=RECIPE["n_mels"], frames=FRAMES)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    steps = epochs * ((len(x) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        total, t0 = 0.0, time.time()
        for b in range(0, len(x), 32):
            idx = perm[b:b + 32]
            xb = augment(x[idx], used[idx], pad_value)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs} loss {total / len(x):.3f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model, mean, std


def predict(model, rows, mean, std):
    x, _, _ = tensors(rows, mean, std)
    with torch.no_grad():
        return torch.cat([model(x[b:b + 64]) for b in range(0, len(x), 64)]).numpy()


def ece(conf, correct, bins=15):
    idx = np.minimum(bins - 1, (conf * bins).astype(int))
    return float(sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))


def softmax(z, t=1.0):
    z = z / t
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, labels):
    grid = np.exp(np.linspace(np.log(0.3), np.log(5), 300))
    nll = [-np.log(softmax(logits, t)[np.arange(len(labels)), labels] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def metrics(logits, labels, t):
    k = len(features.CLASSES)
    pred = logits.argmax(1)
    cm = np.zeros((k, k), dtype=int)
    for a, p in zip(labels, pred):
        cm[a, p] += 1
    recall = cm.diagonal() / cm.sum(1)
    precision = np.divide(cm.diagonal(), cm.sum(0), out=np.zeros(k), where=cm.sum(0) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    p_raw, p_cal = softmax(logits), softmax(logits, t)
    correct = pred == labels
    return {"n": int(len(labels)), "accuracy": float(correct.mean()), "macro_f1": float(f1.mean()),
            "per_class_recall": dict(zip(features.CLASSES, map(float, recall))),
            "confusion_matrix": {"rows_true_cols_pred": features.CLASSES, "counts": cm.tolist()},
            "nll_before": float(-np.log(p_raw[np.arange(len(labels)), labels]).mean()),
            "nll_after": float(-np.log(p_cal[np.arange(len(labels)), labels]).mean()),
            "ece_before": ece(p_raw.max(1), correct), "ece_after": ece(p_cal.max(1), correct)}


def abstain_threshold(logits, labels, t, target=0.80):
    """Lowest confidence whose accepted predictions reach `target` accuracy (out of fold)."""
    p = softmax(logits, t)
    conf, correct = p.max(1), p.argmax(1) == labels
    for th in np.arange(0.20, 0.96, 0.01):
        keep = conf >= th
        if keep.sum() >= 20 and correct[keep].mean() >= target:
            return {"threshold": round(float(th), 2), "target_accuracy": target,
                    "accepted_accuracy": float(correct[keep].mean()), "coverage": float(keep.mean())}
    return {"threshold": 0.95, "target_accuracy": target, "accepted_accuracy": None, "coverage": float((conf >= 0.95).mean())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/voice/ravdess")
    ap.add_argument("--out", default="training/runs/voice")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-final", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "train_log.txt", "a")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")
        logf.flush()

    rows = load(args.data)
    log(f"{len(rows)} segments from {len({r['file'] for r in rows})} clips")
    actors = np.array(sorted({r["actor"] for r in rows}))
    rng = np.random.default_rng(args.seed)
    rng.shuffle(actors)
    folds = [set(map(int, actors[i::args.folds])) for i in range(args.folds)]
    oof = np.zeros((len(rows), len(features.CLASSES)), dtype=np.float32)
    for k, test_actors in enumerate(folds):
        train = [r for r in rows if r["actor"] not in test_actors]
        test_idx = [i for i, r in enumerate(rows) if r["actor"] in test_actors]
        log(f"fold {k + 1}/{args.folds}: test actors {sorted(test_actors)}")
        model, mean, std = fit(train, args.epochs, args.seed + k, log)
        oof[test_idx] = predict(model, [rows[i] for i in test_idx], mean, std)
        acc = (oof[test_idx].argmax(1) == np.array([rows[i]["label"] for i in test_idx])).mean()
        log(f"fold {k + 1} accuracy {acc:.3f}")
    labels = np.array([r["label"] for r in rows])
    t = fit_temperature(oof, labels)
    # Per clip: mean of its segments' logits (97%+ of clips are one segment).
    clips = sorted({r["file"] for r in rows})
    ci = {c: i for i, c in enumerate(clips)}
    clip_logits = np.zeros((len(clips), oof.shape[1]))
    clip_n = np.zeros(len(clips))
    clip_labels = np.zeros(len(clips), dtype=int)
    for r, z in zip(rows, oof):
        clip_logits[ci[r["file"]]] += z
        clip_n[ci[r["file"]]] += 1
        clip_labels[ci[r["file"]]] = r["label"]
    clip_logits /= clip_n[:, None]
    report = {"protocol": f"grouped {args.folds}-fold by actor, {args.epochs} epochs, seed {args.seed}",
              "folds": [sorted(f) for f in folds], "temperature": t,
              "per_segment": metrics(oof, labels, t), "per_clip": metrics(clip_logits, clip_labels, t),
              "abstain": abstain_threshold(oof, labels, t),
              "segments_per_clip": float(len(rows) / len(clips))}
    (out / "cv_report.json").write_text(json.dumps(report, indent=2))
    np.save(out / "oof_logits.npy", oof)
    log(json.dumps({k: report[k] for k in ("temperature", "abstain")}))
    log(f"CV per-clip accuracy {report['per_clip']['accuracy']:.3f} macro-F1 {report['per_clip']['macro_f1']:.3f}")
    if args.skip_final:
        return
    log("final model on all actors")
    model, mean, std = fit(rows, args.epochs, args.seed + 100, log)
    torch.save({"state": model.state_dict(), "mean": mean, "std": std}, out / "final.pt")
    log("saved final.pt; run export.py")


if __name__ == "__main__":
    main()
